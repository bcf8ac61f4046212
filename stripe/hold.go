package stripe

import (
	"context"
	"fmt"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/vidivo/vidivo/billing"
)

// Suffixes appended to a billing request's idempotency key for the extra
// requests one gateway call makes, so each request has its own key.
const (
	customerKeySuffix = "/customer"
	cancelKeySuffix   = "/cancel"
	accountKeySuffix  = "/account"
	linkKeySuffix     = "/link"
)

// defaultCurrency is used when a HoldRequest names none: vidivo.Money is
// US cents.
const defaultCurrency = "usd"

// Hold places a manual-capture PaymentIntent confirmed with the guest's
// payment method. The first hold (no CustomerID) creates a Customer and
// sets setup_future_usage=off_session so the payment method is attached
// to it; renewals (OffSession) confirm off-session with the saved customer
// and payment method. A PaymentIntent that is not requires_capture after
// confirmation is canceled and reported as a KindDeclined error. When a
// customer was created, the result carries its id even on failure.
func (g *Gateway) Hold(ctx context.Context, req billing.HoldRequest) (billing.HoldResult, error) {
	if err := checkHold(req); err != nil {
		return billing.HoldResult{}, err
	}
	res := billing.HoldResult{CustomerID: req.CustomerID}
	if res.CustomerID == "" {
		cus, err := g.createCustomer(ctx, req)
		if err != nil {
			return res, err
		}
		res.CustomerID = cus
	}
	pi, err := g.client.V1PaymentIntents.Create(ctx, holdParams(req, res.CustomerID))
	if err != nil {
		return res, g.mapError("create payment intent", err)
	}
	if pi.Status != stripeapi.PaymentIntentStatusRequiresCapture {
		return res, g.failedHold(ctx, req.IdempotencyKey, pi)
	}
	res.HoldID = pi.ID
	return res, nil
}

// checkHold rejects a HoldRequest that must not be sent.
func checkHold(req billing.HoldRequest) error {
	for _, key := range []string{req.IdempotencyKey, req.IdempotencyKey + customerKeySuffix, req.IdempotencyKey + cancelKeySuffix} {
		if err := checkKey(key); err != nil {
			return err
		}
	}
	switch {
	case req.Amount <= 0:
		return invalid(fmt.Sprintf("hold amount %s is not positive", req.Amount))
	case req.PaymentMethodID == "":
		return invalid("hold has no payment method")
	case req.OffSession && req.CustomerID == "":
		return invalid("off-session hold has no customer")
	}
	return nil
}

// createCustomer creates the Customer a first hold's payment method is
// attached to and returns its id.
func (g *Gateway) createCustomer(ctx context.Context, req billing.HoldRequest) (string, error) {
	p := &stripeapi.CustomerCreateParams{Params: params(req.IdempotencyKey + customerKeySuffix)}
	if req.GuestEmail != "" {
		p.Email = stripeapi.String(req.GuestEmail)
	}
	cus, err := g.client.V1Customers.Create(ctx, p)
	if err != nil {
		return "", g.mapError("create customer", err)
	}
	return cus.ID, nil
}

// holdParams builds the PaymentIntent of a hold for customer.
func holdParams(req billing.HoldRequest, customer string) *stripeapi.PaymentIntentCreateParams {
	currency := req.Currency
	if currency == "" {
		currency = defaultCurrency
	}
	p := &stripeapi.PaymentIntentCreateParams{
		Params:        params(req.IdempotencyKey),
		Amount:        stripeapi.Int64(int64(req.Amount)),
		Currency:      stripeapi.String(currency),
		Customer:      stripeapi.String(customer),
		PaymentMethod: stripeapi.String(req.PaymentMethodID),
		// Cards only: a server-side confirm has no return_url, so no
		// redirect-based method could complete.
		PaymentMethodTypes: stripeapi.StringSlice([]string{"card"}),
		CaptureMethod:      stripeapi.String(string(stripeapi.PaymentIntentCaptureMethodManual)),
		Confirm:            stripeapi.Bool(true),
	}
	if req.OffSession {
		p.OffSession = stripeapi.Bool(true)
	} else {
		p.SetupFutureUsage = stripeapi.String(string(stripeapi.PaymentIntentSetupFutureUsageOffSession))
	}
	if req.Description != "" {
		p.Description = stripeapi.String(req.Description)
	}
	for k, v := range req.Metadata {
		p.AddMetadata(k, v)
	}
	if req.HostAccountID != "" {
		p.TransferData = &stripeapi.PaymentIntentCreateTransferDataParams{
			Destination: stripeapi.String(req.HostAccountID),
		}
	}
	return p
}

// failedHold cancels a PaymentIntent that confirmation left without a
// hold (one needing 3-D Secure, say, which a server-side confirm cannot
// complete) so nothing dangles, and returns the KindDeclined error.
func (g *Gateway) failedHold(ctx context.Context, key string, pi *stripeapi.PaymentIntent) error {
	e := &billing.Error{
		Kind:    billing.KindDeclined,
		Message: fmt.Sprintf("stripe: payment intent %s is %s after confirmation, not requires_capture", pi.ID, pi.Status),
	}
	switch {
	case pi.Status == stripeapi.PaymentIntentStatusRequiresAction:
		e.DeclineCode = string(stripeapi.ErrorCodeAuthenticationRequired)
	case pi.LastPaymentError != nil:
		e.DeclineCode = declineCode(pi.LastPaymentError)
	}
	switch pi.Status {
	case stripeapi.PaymentIntentStatusCanceled, stripeapi.PaymentIntentStatusSucceeded:
		return e
	}
	cp := &stripeapi.PaymentIntentCancelParams{Params: params(key + cancelKeySuffix)}
	if _, err := g.client.V1PaymentIntents.Cancel(ctx, pi.ID, cp); err != nil {
		e.Err = g.mapError("cancel unconfirmed payment intent", err)
	}
	return e
}

// Capture captures Amount from a hold with amount_to_capture; the rest of
// the hold is released. ApplicationFee, when positive, is the platform's
// application_fee_amount of a destination charge.
func (g *Gateway) Capture(ctx context.Context, req billing.CaptureRequest) error {
	if err := checkKey(req.IdempotencyKey); err != nil {
		return err
	}
	switch {
	case req.HoldID == "":
		return invalid("capture has no hold")
	case req.Amount <= 0:
		return invalid(fmt.Sprintf("capture amount %s is not positive; release the hold instead", req.Amount))
	case req.ApplicationFee < 0 || req.ApplicationFee > req.Amount:
		return invalid(fmt.Sprintf("application fee %s is not within the captured %s", req.ApplicationFee, req.Amount))
	}
	p := &stripeapi.PaymentIntentCaptureParams{
		Params:          params(req.IdempotencyKey),
		AmountToCapture: stripeapi.Int64(int64(req.Amount)),
	}
	if req.ApplicationFee > 0 {
		p.ApplicationFeeAmount = stripeapi.Int64(int64(req.ApplicationFee))
	}
	if _, err := g.client.V1PaymentIntents.Capture(ctx, req.HoldID, p); err != nil {
		return g.mapError("capture payment intent", err)
	}
	return nil
}

// Release cancels a hold's PaymentIntent, capturing nothing.
func (g *Gateway) Release(ctx context.Context, req billing.ReleaseRequest) error {
	if err := checkKey(req.IdempotencyKey); err != nil {
		return err
	}
	if req.HoldID == "" {
		return invalid("release has no hold")
	}
	p := &stripeapi.PaymentIntentCancelParams{
		Params:             params(req.IdempotencyKey),
		CancellationReason: stripeapi.String(string(stripeapi.PaymentIntentCancellationReasonAbandoned)),
	}
	if _, err := g.client.V1PaymentIntents.Cancel(ctx, req.HoldID, p); err != nil {
		return g.mapError("cancel payment intent", err)
	}
	return nil
}
