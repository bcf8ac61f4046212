package stripe

import (
	"context"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// Lookup retrieves a hold's PaymentIntent and reports it: requires_capture
// is held, succeeded is captured (amount_received), canceled is canceled;
// any other status is reported as Stripe names it.
func (g *Gateway) Lookup(ctx context.Context, holdID string) (billing.HoldState, error) {
	if holdID == "" {
		return billing.HoldState{}, invalid("lookup has no hold")
	}
	pi, err := g.client.V1PaymentIntents.Retrieve(ctx, holdID, nil)
	if err != nil {
		return billing.HoldState{}, g.mapError("retrieve payment intent", err)
	}
	st := billing.HoldState{HoldID: pi.ID, Status: string(pi.Status), Amount: vidivo.Money(pi.Amount)}
	switch pi.Status {
	case stripeapi.PaymentIntentStatusRequiresCapture:
		st.Status = billing.HoldHeld
	case stripeapi.PaymentIntentStatusSucceeded:
		st.Status, st.Captured = billing.HoldCaptured, vidivo.Money(pi.AmountReceived)
	case stripeapi.PaymentIntentStatusCanceled:
		st.Status = billing.HoldCanceled
	}
	return st, nil
}
