package stripe

import (
	"errors"
	"testing"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/vidivo/vidivo/billing"
)

// TestErrorReason: what a client is shown of a Stripe failure (issue 13,
// item 6) tells a decline, with its code, from a refused request and from
// an outage.
func TestErrorReason(t *testing.T) {
	t.Parallel()
	g := &Gateway{key: testKey}
	for _, tc := range []struct {
		name string
		err  *stripeapi.Error
		want string
	}{
		{"insufficient funds", &stripeapi.Error{Type: stripeapi.ErrorTypeCard, HTTPStatusCode: 402,
			Code: stripeapi.ErrorCodeCardDeclined, DeclineCode: "insufficient_funds"}, "insufficient_funds"},
		{"generic decline", &stripeapi.Error{Type: stripeapi.ErrorTypeCard, HTTPStatusCode: 402,
			Code: stripeapi.ErrorCodeCardDeclined, DeclineCode: "generic_decline"}, "card_declined"},
		{"unknown payment method", &stripeapi.Error{Type: stripeapi.ErrorTypeInvalidRequest, HTTPStatusCode: 400,
			Code: stripeapi.ErrorCodeResourceMissing, Param: "payment_method"}, "resource_missing"},
		{"outage", &stripeapi.Error{Type: stripeapi.ErrorTypeAPI, HTTPStatusCode: 500}, "gateway_unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var be *billing.Error
			if !errors.As(g.mapError("create payment intent", tc.err), &be) {
				t.Fatal("not a *billing.Error")
			}
			if got := be.Reason(); got != tc.want {
				t.Errorf("Reason() = %q, want %q", got, tc.want)
			}
		})
	}
}
