package stripe

import (
	"context"
	"fmt"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/vidivo/vidivo"
)

// Refund refunds amount of a captured PaymentIntent (holdID) to the card
// it was charged to: a destination charge's transfer is reversed and the
// platform's application fee refunded in proportion, so the host and the
// platform each give back their share. key makes a retry refund once.
func (g *Gateway) Refund(ctx context.Context, key, holdID string, amount vidivo.Money) error {
	if err := checkKey(key); err != nil {
		return err
	}
	switch {
	case holdID == "":
		return invalid("refund has no payment intent")
	case amount <= 0:
		return invalid(fmt.Sprintf("refund amount %s is not positive", amount))
	}
	p := &stripeapi.RefundCreateParams{
		Params:               params(key),
		PaymentIntent:        stripeapi.String(holdID),
		Amount:               stripeapi.Int64(int64(amount)),
		Reason:               stripeapi.String(string(stripeapi.RefundReasonRequestedByCustomer)),
		RefundApplicationFee: stripeapi.Bool(true),
		ReverseTransfer:      stripeapi.Bool(true),
	}
	if _, err := g.client.V1Refunds.Create(ctx, p); err != nil {
		return g.mapError("create refund", err)
	}
	return nil
}
