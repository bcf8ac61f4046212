// Package stripe implements billing.Gateway on Stripe with stripe-go:
// manual-capture PaymentIntents for holds, partial capture, cancel to
// release, and Stripe Connect Express accounts for host payouts. Money
// reaches the host as a destination charge (transfer_data.destination) and
// the platform keeps an application fee set at capture.
//
// Every POST carries a deterministic Idempotency-Key derived from the
// billing request's key, so a retry after a crash or timeout replays the
// first result instead of charging twice. stripe-go's own network retries
// reuse the same key.
package stripe

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/vidivo/vidivo/billing"
)

// maxNetworkRetries is how many times stripe-go retries a request that
// failed on the network or with a retryable status. The retries reuse the
// request's Idempotency-Key, so they are safe.
const maxNetworkRetries = 2

// maxIdempotencyKeyLen is Stripe's limit on an Idempotency-Key.
const maxIdempotencyKeyLen = 255

// Config configures a Gateway.
type Config struct {
	// SecretKey is the Stripe secret API key (sk_live_… or sk_test_…). It
	// is never put in an error.
	SecretKey string
	// APIURL is the base URL of the Stripe API; empty means Stripe's real
	// API. Tests set it to a stripe-mock URL such as
	// http://127.0.0.1:12111 (VIDIVO_STRIPE_API_URL).
	APIURL string
	// HTTPClient, if set, makes the requests; otherwise stripe-go's
	// default client (80s timeout) does.
	HTTPClient *http.Client
}

// Gateway is a billing.Gateway backed by Stripe. It is safe for
// concurrent use.
type Gateway struct {
	client *stripeapi.Client
	key    string
}

var _ billing.Gateway = (*Gateway)(nil)

// New returns a Gateway for cfg.
func New(cfg Config) (*Gateway, error) {
	if cfg.SecretKey == "" {
		return nil, errors.New("stripe: no secret key")
	}
	backendCfg := &stripeapi.BackendConfig{
		HTTPClient: cfg.HTTPClient,
		// Failures are returned, mapped to *billing.Error, to the caller,
		// which logs them; stripe-go would otherwise log them a second
		// time, unredacted, to stderr.
		LeveledLogger:     &stripeapi.LeveledLogger{Level: stripeapi.LevelNull},
		MaxNetworkRetries: stripeapi.Int64(maxNetworkRetries),
	}
	if cfg.APIURL != "" {
		u, err := url.Parse(cfg.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("stripe: API URL %q is not an http(s) URL", cfg.APIURL)
		}
		backendCfg.URL = stripeapi.String(cfg.APIURL)
	}
	client := stripeapi.NewClient(cfg.SecretKey,
		stripeapi.WithBackends(stripeapi.NewBackendsWithConfig(backendCfg)))
	return &Gateway{client: client, key: cfg.SecretKey}, nil
}

// params returns the common request parameters for a POST whose
// Idempotency-Key is key.
func params(key string) stripeapi.Params {
	return stripeapi.Params{IdempotencyKey: stripeapi.String(key)}
}

// checkKey rejects an idempotency key Stripe would not accept. Without a
// key a retried request could charge twice, so none is sent without one.
func checkKey(key string) error {
	switch {
	case key == "":
		return invalid("no idempotency key")
	case len(key) > maxIdempotencyKeyLen:
		return invalid(fmt.Sprintf("idempotency key is %d bytes, more than Stripe's %d", len(key), maxIdempotencyKeyLen))
	}
	return nil
}

// invalid returns a KindInvalid error for a request rejected before it was
// sent.
func invalid(msg string) error {
	return &billing.Error{Kind: billing.KindInvalid, Message: "stripe: " + msg}
}
