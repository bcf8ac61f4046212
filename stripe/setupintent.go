package stripe

import (
	"context"

	stripeapi "github.com/stripe/stripe-go/v82"
)

// CreateSetupIntent starts saving a card in the browser: an unconfirmed
// SetupIntent for off-session use, whose client secret the join page hands
// to Stripe.js. Stripe's Payment Element confirms it there, so the card
// number goes from the browser to Stripe and never through this server;
// the join then names the resulting payment method. Cards only, as for
// holds. Returns the client secret, or a *billing.Error (KindInvalid for a
// bad key, KindTemporary for an outage).
func (g *Gateway) CreateSetupIntent(ctx context.Context, idempotencyKey string, metadata map[string]string) (string, error) {
	if err := checkKey(idempotencyKey); err != nil {
		return "", err
	}
	p := &stripeapi.SetupIntentCreateParams{
		Params:             params(idempotencyKey),
		PaymentMethodTypes: stripeapi.StringSlice([]string{"card"}),
		Usage:              stripeapi.String(string(stripeapi.SetupIntentUsageOffSession)),
	}
	for k, v := range metadata {
		p.AddMetadata(k, v)
	}
	si, err := g.client.V1SetupIntents.Create(ctx, p)
	if err != nil {
		return "", g.mapError("create setup intent", err)
	}
	if si.ClientSecret == "" {
		return "", invalid("setup intent " + si.ID + " came back without a client secret")
	}
	return si.ClientSecret, nil
}
