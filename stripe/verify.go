package stripe

import (
	"context"
	"fmt"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/vidivo/vidivo/billing"
)

// VerifyPaymentMethod saves a payment method for later off-session holds
// without charging it: a new Customer, then a SetupIntent confirmed with
// the payment method for usage=off_session. The card's issuer checks it
// as it would a charge, so a declined or unknown card fails here, at
// booking, not when the call starts. A SetupIntent that does not succeed
// (one needing 3-D Secure, say, which a server-side confirm cannot
// complete) is canceled and reported as KindDeclined with its code.
func (g *Gateway) VerifyPaymentMethod(ctx context.Context, req billing.VerifyRequest) (billing.VerifyResult, error) {
	for _, key := range []string{req.IdempotencyKey, req.IdempotencyKey + customerKeySuffix, req.IdempotencyKey + cancelKeySuffix} {
		if err := checkKey(key); err != nil {
			return billing.VerifyResult{}, err
		}
	}
	if req.PaymentMethodID == "" {
		return billing.VerifyResult{}, invalid("verification has no payment method")
	}
	cp := &stripeapi.CustomerCreateParams{Params: params(req.IdempotencyKey + customerKeySuffix)}
	if req.GuestEmail != "" {
		cp.Email = stripeapi.String(req.GuestEmail)
	}
	cus, err := g.client.V1Customers.Create(ctx, cp)
	if err != nil {
		return billing.VerifyResult{}, g.mapError("create customer", err)
	}
	res := billing.VerifyResult{CustomerID: cus.ID}
	si, err := g.client.V1SetupIntents.Create(ctx, setupParams(req, cus.ID))
	if err != nil {
		return res, g.mapError("create setup intent", err)
	}
	res.SetupID = si.ID
	if si.Status != stripeapi.SetupIntentStatusSucceeded {
		return res, g.failedSetup(ctx, req.IdempotencyKey, si)
	}
	return res, nil
}

// setupParams builds the SetupIntent that saves a card for customer.
func setupParams(req billing.VerifyRequest, customer string) *stripeapi.SetupIntentCreateParams {
	p := &stripeapi.SetupIntentCreateParams{
		Params:        params(req.IdempotencyKey),
		Customer:      stripeapi.String(customer),
		PaymentMethod: stripeapi.String(req.PaymentMethodID),
		// Cards only, as for holds: a server-side confirm has no
		// return_url for a redirect.
		PaymentMethodTypes: stripeapi.StringSlice([]string{"card"}),
		Usage:              stripeapi.String(string(stripeapi.SetupIntentUsageOffSession)),
		Confirm:            stripeapi.Bool(true),
	}
	for k, v := range req.Metadata {
		p.AddMetadata(k, v)
	}
	return p
}

// failedSetup cancels a SetupIntent that confirmation left unfinished, so
// nothing dangles, and returns the KindDeclined error.
func (g *Gateway) failedSetup(ctx context.Context, key string, si *stripeapi.SetupIntent) error {
	e := &billing.Error{
		Kind:    billing.KindDeclined,
		Message: fmt.Sprintf("stripe: setup intent %s is %s after confirmation, not succeeded", si.ID, si.Status),
	}
	switch {
	case si.Status == stripeapi.SetupIntentStatusRequiresAction:
		e.DeclineCode = string(stripeapi.ErrorCodeAuthenticationRequired)
	case si.LastSetupError != nil:
		e.DeclineCode = declineCode(si.LastSetupError)
	}
	if si.Status == stripeapi.SetupIntentStatusCanceled {
		return e
	}
	cp := &stripeapi.SetupIntentCancelParams{Params: params(key + cancelKeySuffix)}
	if _, err := g.client.V1SetupIntents.Cancel(ctx, si.ID, cp); err != nil {
		e.Err = g.mapError("cancel unconfirmed setup intent", err)
	}
	return e
}
