package stripe

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/vidivo/vidivo/billing"
)

// These tests run the gateway against stripe-mock, which validates every
// request against Stripe's OpenAPI spec but keeps no state: they prove
// request shapes and wiring, not Stripe's behaviour.

const (
	testKey     = "sk_test_vidivo4eC39HqLyjWDarjtT1zdp7dc"
	hostAccount = "acct_1032D82eZvKYlo2C"
)

func newTestGateway(t *testing.T, rec *recorder) *Gateway {
	t.Helper()
	return newGatewayWithKey(t, rec, testKey)
}

func newGatewayWithKey(t *testing.T, rec *recorder, key string) *Gateway {
	t.Helper()
	if rec.base == nil {
		rec.base = http.DefaultTransport
	}
	g, err := New(Config{
		SecretKey:  key,
		APIURL:     stripeMockURL(t),
		HTTPClient: &http.Client{Transport: rec, Timeout: 30 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func checkRequests(t *testing.T, reqs []recorded) []recorded {
	t.Helper()
	var posts []recorded
	for _, r := range reqs {
		if r.Auth != "Bearer "+testKey {
			t.Errorf("%s %s: Authorization is not the configured key", r.Method, r.Path)
		}
		if r.Method == http.MethodPost {
			if r.Key == "" {
				t.Errorf("POST %s has no Idempotency-Key", r.Path)
			}
			posts = append(posts, r)
		}
	}
	return posts
}

// wantForm fails unless r's form has each of want's values.

func wantForm(t *testing.T, r recorded, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got, ok := r.Form[k]; !ok || len(got) != 1 || got[0] != v {
			t.Errorf("%s %s: %s = %q, want %q", r.Method, r.Path, k, got, v)
		}
	}
}

// noForm fails if r's form has any of keys.

func noForm(t *testing.T, r recorded, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if v, ok := r.Form[k]; ok {
			t.Errorf("%s %s: has %s = %q, want none", r.Method, r.Path, k, v)
		}
	}
}

func wantKind(t *testing.T, err error, kind string) *billing.Error {
	t.Helper()
	var be *billing.Error
	if !errors.As(err, &be) {
		t.Fatalf("error %v is not a *billing.Error", err)
	}
	if be.Kind != kind {
		t.Fatalf("error kind %q, want %q: %v", be.Kind, kind, err)
	}
	return be
}

func TestNetworkRetryReusesIdempotencyKey(t *testing.T) {
	t.Parallel()
	rec := &recorder{failFirst: 1}
	g := newTestGateway(t, rec)
	req := billing.CaptureRequest{IdempotencyKey: "call/01J9ZK3Q7M/capture/1", HoldID: "pi_3MtwBwLkdIwHu7ix28a3tqPa", Amount: 300}
	if err := g.Capture(context.Background(), req); err != nil {
		t.Fatalf("Capture after one dropped connection: %v", err)
	}
	reqs := rec.requests()
	if len(reqs) != 2 || reqs[0].Key != req.IdempotencyKey || reqs[1].Key != req.IdempotencyKey {
		t.Fatalf("attempts %+v, want two with key %q", reqs, req.IdempotencyKey)
	}
}

func TestNetworkFailureIsTemporary(t *testing.T) {
	t.Parallel()
	rec := &recorder{failAll: true}
	g := newTestGateway(t, rec)
	err := g.Release(context.Background(), billing.ReleaseRequest{IdempotencyKey: "call/01J9ZK3Q7M/release/0", HoldID: "pi_3MtwBwLkdIwHu7ix28a3tqPa"})
	wantKind(t, err, billing.KindTemporary)
	if !errors.Is(err, errInjected) {
		t.Errorf("error %v does not wrap the transport error", err)
	}
	if n := len(rec.requests()); n != 1+maxNetworkRetries {
		t.Errorf("%d attempts, want %d", n, 1+maxNetworkRetries)
	}
}

func TestRejectedKeyIsInvalidAndNotInError(t *testing.T) {
	t.Parallel()
	// stripe-mock answers 401 to a key that is not sk_test_… and echoes it.
	const key = "rk_live_vidivoSecretMustNotLeak"
	rec := &recorder{}
	g := newGatewayWithKey(t, rec, key)
	_, err := g.PayoutStatus(context.Background(), hostAccount)
	be := wantKind(t, err, billing.KindInvalid)
	var se *stripeapi.Error
	if !errors.As(err, &se) || se.HTTPStatusCode != http.StatusUnauthorized {
		t.Fatalf("error %v does not wrap stripe-mock's 401", err)
	}
	if !strings.Contains(se.Msg, redactedKey) {
		t.Errorf("stripe-mock's message %q no longer echoes the key: this test proves nothing", se.Msg)
	}
	for _, s := range []string{err.Error(), be.Message, se.Msg} {
		if strings.Contains(s, key) {
			t.Errorf("error text holds the secret key: %s", s)
		}
	}
}

func TestBadRequestsAreNotSent(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name string
		call func(g *Gateway) error
	}{
		{"hold without key", func(g *Gateway) error {
			r := firstHold()
			r.IdempotencyKey = ""
			_, err := g.Hold(context.Background(), r)
			return err
		}},
		{"hold with a key too long", func(g *Gateway) error {
			r := firstHold()
			r.IdempotencyKey = strings.Repeat("k", 250)
			_, err := g.Hold(context.Background(), r)
			return err
		}},
		{"hold of nothing", func(g *Gateway) error {
			r := firstHold()
			r.Amount = 0
			_, err := g.Hold(context.Background(), r)
			return err
		}},
		{"hold without payment method", func(g *Gateway) error {
			r := firstHold()
			r.PaymentMethodID = ""
			_, err := g.Hold(context.Background(), r)
			return err
		}},
		{"off-session hold without customer", func(g *Gateway) error {
			r := firstHold()
			r.OffSession = true
			_, err := g.Hold(context.Background(), r)
			return err
		}},
		{"capture of nothing", func(g *Gateway) error {
			return g.Capture(context.Background(), billing.CaptureRequest{IdempotencyKey: "k", HoldID: "pi_1", Amount: 0})
		}},
		{"capture with fee above amount", func(g *Gateway) error {
			return g.Capture(context.Background(), billing.CaptureRequest{IdempotencyKey: "k", HoldID: "pi_1", Amount: 100, ApplicationFee: 101})
		}},
		{"capture without hold", func(g *Gateway) error {
			return g.Capture(context.Background(), billing.CaptureRequest{IdempotencyKey: "k", Amount: 100})
		}},
		{"release without key", func(g *Gateway) error {
			return g.Release(context.Background(), billing.ReleaseRequest{HoldID: "pi_1"})
		}},
		{"onboard without key", func(g *Gateway) error {
			_, err := g.OnboardHost(context.Background(), billing.OnboardRequest{ReturnURL: "https://a", RefreshURL: "https://b"})
			return err
		}},
		{"onboard without return URL", func(g *Gateway) error {
			_, err := g.OnboardHost(context.Background(), billing.OnboardRequest{IdempotencyKey: "k", RefreshURL: "https://b"})
			return err
		}},
		{"payout status without account", func(g *Gateway) error {
			_, err := g.PayoutStatus(context.Background(), "")
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			g := newTestGateway(t, rec)
			wantKind(t, tc.call(g), billing.KindInvalid)
			if reqs := rec.requests(); len(reqs) != 0 {
				t.Errorf("sent %+v", reqs)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{},
		{SecretKey: testKey, APIURL: "127.0.0.1:12111"},
		{SecretKey: testKey, APIURL: "ftp://127.0.0.1:12111"},
		{SecretKey: testKey, APIURL: "http://"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		} else if strings.Contains(err.Error(), testKey) {
			t.Errorf("New error holds the key: %v", err)
		}
	}
	if _, err := New(Config{SecretKey: testKey}); err != nil {
		t.Errorf("New with Stripe's own API: %v", err)
	}
}
