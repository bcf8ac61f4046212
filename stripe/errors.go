package stripe

import (
	"errors"
	"net/http"
	"strings"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/vidivo/vidivo/billing"
)

// redactedKey replaces the secret key wherever an error text echoes it.
const redactedKey = "[redacted]"

// mapError turns a failed stripe-go call into a *billing.Error: card
// errors are KindDeclined with the decline code; rate limits, lock
// timeouts, concurrent use of an idempotency key, Stripe's 5xx and every
// network or context failure are KindTemporary (the same request, same
// key, may be retried); any other 4xx is KindInvalid. The secret key never
// appears in the result.
func (g *Gateway) mapError(op string, err error) error {
	if err == nil {
		return nil
	}
	var be *billing.Error
	if errors.As(err, &be) {
		return err
	}
	e := &billing.Error{Kind: billing.KindTemporary, Message: "stripe: " + op}
	var se *stripeapi.Error
	if !errors.As(err, &se) {
		// Network failures, timeouts, cancellations, unreadable responses:
		// whether Stripe acted is unknown, and a retry with the same key
		// returns whatever it did.
		e.Err = g.scrub(err)
		return e
	}
	e.Kind = stripeKind(se)
	e.Code = string(se.Code) // e.g. resource_missing for an unknown payment method
	if e.Kind == billing.KindDeclined {
		e.DeclineCode = declineCode(se)
	}
	r := g.redact(se)
	if r.Msg != "" {
		e.Message += ": " + r.Msg
	}
	e.Err = r
	return e
}

// stripeKind classifies a Stripe API error.
func stripeKind(se *stripeapi.Error) string {
	switch {
	case se.HTTPStatusCode == http.StatusTooManyRequests,
		se.Code == stripeapi.ErrorCodeRateLimit,
		se.Code == stripeapi.ErrorCodeLockTimeout,
		se.HTTPStatusCode >= http.StatusInternalServerError,
		se.Type == stripeapi.ErrorTypeAPI:
		return billing.KindTemporary
	case se.Type == stripeapi.ErrorTypeIdempotency:
		// 409: another request with this key is still running, so retry;
		// otherwise the key was reused with other parameters, a bug that
		// no retry fixes.
		if se.HTTPStatusCode == http.StatusConflict {
			return billing.KindTemporary
		}
		return billing.KindInvalid
	case se.Code == stripeapi.ErrorCodeProcessingError:
		// The card network failed, not the card: Stripe says to try again.
		return billing.KindTemporary
	case se.Type == stripeapi.ErrorTypeCard,
		se.Code == stripeapi.ErrorCodeCardDeclined,
		se.DeclineCode != "":
		return billing.KindDeclined
	case se.HTTPStatusCode == 0 && se.Type == "":
		// Not an error response Stripe sent: unclassifiable, so retried.
		return billing.KindTemporary
	}
	return billing.KindInvalid
}

// declineCode is the issuer's decline_code, else the error code (e.g.
// expired_card, authentication_required).
func declineCode(se *stripeapi.Error) string {
	if se.DeclineCode != "" {
		return string(se.DeclineCode)
	}
	return string(se.Code)
}

// redact returns a copy of se without the secret key (stripe-mock, for
// one, echoes the Authorization header in its 401 message), the intent's
// client secret, the raw response, or the typed error whose text would
// still hold the original message.
func (g *Gateway) redact(se *stripeapi.Error) *stripeapi.Error {
	c := *se
	c.Err = nil
	c.LastResponse = nil
	c.Msg = g.scrubString(c.Msg)
	c.DeveloperMsg = g.scrubString(c.DeveloperMsg)
	c.OAuthErrorDescription = g.scrubString(c.OAuthErrorDescription)
	if c.PaymentIntent != nil {
		pi := *c.PaymentIntent
		pi.ClientSecret = ""
		c.PaymentIntent = &pi
	}
	if c.SetupIntent != nil {
		si := *c.SetupIntent
		si.ClientSecret = ""
		c.SetupIntent = &si
	}
	return &c
}

// scrub returns err, or an error with its text less the secret key if
// the text holds it.
func (g *Gateway) scrub(err error) error {
	if msg := err.Error(); strings.Contains(msg, g.key) {
		return errors.New(g.scrubString(msg))
	}
	return err
}

// scrubString replaces the secret key in s.
func (g *Gateway) scrubString(s string) string {
	if g.key == "" {
		return s
	}
	return strings.ReplaceAll(s, g.key, redactedKey)
}
