package stripe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/vidivo/vidivo/billing"
)

func TestMapError(t *testing.T) {
	t.Parallel()
	g := &Gateway{key: testKey}
	netErr := &url.Error{Op: "Post", URL: "https://api.stripe.com/v1/payment_intents",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	for _, tc := range []struct {
		name        string
		err         error
		kind        string
		declineCode string
	}{
		{"card declined", &stripeapi.Error{Type: stripeapi.ErrorTypeCard, HTTPStatusCode: 402,
			Code: stripeapi.ErrorCodeCardDeclined, DeclineCode: "insufficient_funds", Msg: "Your card has insufficient funds."},
			billing.KindDeclined, "insufficient_funds"},
		{"expired card", &stripeapi.Error{Type: stripeapi.ErrorTypeCard, HTTPStatusCode: 402,
			Code: stripeapi.ErrorCodeExpiredCard, Msg: "Your card has expired."},
			billing.KindDeclined, "expired_card"},
		{"off-session authentication", &stripeapi.Error{Type: stripeapi.ErrorTypeCard, HTTPStatusCode: 402,
			Code: stripeapi.ErrorCodeAuthenticationRequired, DeclineCode: "authentication_required"},
			billing.KindDeclined, "authentication_required"},
		{"card_declined code without type", &stripeapi.Error{HTTPStatusCode: 402, Code: stripeapi.ErrorCodeCardDeclined},
			billing.KindDeclined, "card_declined"},
		{"card processing error", &stripeapi.Error{Type: stripeapi.ErrorTypeCard, HTTPStatusCode: 402,
			Code: stripeapi.ErrorCodeProcessingError}, billing.KindTemporary, ""},
		{"rate limited", &stripeapi.Error{Type: stripeapi.ErrorTypeInvalidRequest, HTTPStatusCode: 429,
			Code: stripeapi.ErrorCodeRateLimit}, billing.KindTemporary, ""},
		{"lock timeout", &stripeapi.Error{Type: stripeapi.ErrorTypeInvalidRequest, HTTPStatusCode: 429,
			Code: stripeapi.ErrorCodeLockTimeout}, billing.KindTemporary, ""},
		{"stripe 500", &stripeapi.Error{Type: stripeapi.ErrorTypeAPI, HTTPStatusCode: 500}, billing.KindTemporary, ""},
		{"stripe 503 without type", &stripeapi.Error{HTTPStatusCode: 503}, billing.KindTemporary, ""},
		{"idempotency key in use", &stripeapi.Error{Type: stripeapi.ErrorTypeIdempotency, HTTPStatusCode: 409},
			billing.KindTemporary, ""},
		{"idempotency key reused with other params", &stripeapi.Error{Type: stripeapi.ErrorTypeIdempotency, HTTPStatusCode: 400},
			billing.KindInvalid, ""},
		{"unknown intent", &stripeapi.Error{Type: stripeapi.ErrorTypeInvalidRequest, HTTPStatusCode: 404,
			Code: stripeapi.ErrorCodeResourceMissing}, billing.KindInvalid, ""},
		{"intent in wrong state", &stripeapi.Error{Type: stripeapi.ErrorTypeInvalidRequest, HTTPStatusCode: 400,
			Code: stripeapi.ErrorCodePaymentIntentUnexpectedState}, billing.KindInvalid, ""},
		{"bad key", &stripeapi.Error{Type: stripeapi.ErrorTypeInvalidRequest, HTTPStatusCode: 401}, billing.KindInvalid, ""},
		{"wrapped stripe error", fmt.Errorf("outer: %w", &stripeapi.Error{Type: stripeapi.ErrorTypeCard, HTTPStatusCode: 402,
			Code: stripeapi.ErrorCodeIncorrectCVC}), billing.KindDeclined, "incorrect_cvc"},
		{"connection refused", netErr, billing.KindTemporary, ""},
		{"truncated response", io.ErrUnexpectedEOF, billing.KindTemporary, ""},
		{"deadline", &url.Error{Op: "Post", URL: "https://api.stripe.com/v1/payment_intents", Err: context.DeadlineExceeded},
			billing.KindTemporary, ""},
		{"already mapped", &billing.Error{Kind: billing.KindInvalid, Message: "x"}, billing.KindInvalid, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := g.mapError("test op", tc.err)
			var be *billing.Error
			if !errors.As(err, &be) {
				t.Fatalf("mapError(%v) = %v, not a *billing.Error", tc.err, err)
			}
			if be.Kind != tc.kind || be.DeclineCode != tc.declineCode {
				t.Errorf("mapError(%v) = kind %q decline %q, want %q %q", tc.err, be.Kind, be.DeclineCode, tc.kind, tc.declineCode)
			}
			if billing.ErrorKind(err) != tc.kind {
				t.Errorf("billing.ErrorKind = %q, want %q", billing.ErrorKind(err), tc.kind)
			}
			var se *stripeapi.Error
			if errors.As(tc.err, &se) && !errors.As(err, &se) {
				t.Errorf("mapped error %v does not wrap the *stripe.Error", err)
			}
		})
	}
	if g.mapError("nothing", nil) != nil {
		t.Error("mapError(nil) is not nil")
	}
}

func TestMapErrorRedacts(t *testing.T) {
	t.Parallel()
	g := &Gateway{key: testKey}
	se := &stripeapi.Error{
		Type:           stripeapi.ErrorTypeInvalidRequest,
		HTTPStatusCode: 401,
		Msg:            "Invalid API Key provided: " + testKey,
		PaymentIntent:  &stripeapi.PaymentIntent{ID: "pi_1", ClientSecret: "pi_1_secret_abc"},
	}
	se.Err = &stripeapi.InvalidRequestError{}
	err := g.mapError("create payment intent", se)
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err)} {
		if strings.Contains(s, testKey) || strings.Contains(s, "pi_1_secret_abc") {
			t.Errorf("mapped error text holds a secret: %s", s)
		}
	}
	if se.Msg != "Invalid API Key provided: "+testKey || se.PaymentIntent.ClientSecret != "pi_1_secret_abc" {
		t.Error("mapError changed the original error")
	}

	transport := fmt.Errorf("proxy said: bad header Bearer %s", testKey)
	if s := g.mapError("op", transport).Error(); strings.Contains(s, testKey) {
		t.Errorf("mapped transport error holds the key: %s", s)
	}
}
