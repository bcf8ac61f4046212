package stripe

import (
	"context"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/vidivo/vidivo/billing"
)

// OnboardHost creates the host's Express account when AccountID is empty
// (card_payments and transfers requested, metadata user_id) and returns an
// account_onboarding AccountLink to it. Account links expire within
// minutes and Stripe replays an idempotent response for 24 hours, so each
// onboarding attempt needs its own IdempotencyKey.
func (g *Gateway) OnboardHost(ctx context.Context, req billing.OnboardRequest) (billing.OnboardResult, error) {
	for _, key := range []string{req.IdempotencyKey, req.IdempotencyKey + accountKeySuffix, req.IdempotencyKey + linkKeySuffix} {
		if err := checkKey(key); err != nil {
			return billing.OnboardResult{}, err
		}
	}
	if req.ReturnURL == "" || req.RefreshURL == "" {
		return billing.OnboardResult{}, invalid("onboarding needs a return URL and a refresh URL")
	}
	res := billing.OnboardResult{AccountID: req.AccountID}
	if res.AccountID == "" {
		acct, err := g.createAccount(ctx, req)
		if err != nil {
			return res, err
		}
		res.AccountID = acct
	}
	link, err := g.client.V1AccountLinks.Create(ctx, &stripeapi.AccountLinkCreateParams{
		Params:     params(req.IdempotencyKey + linkKeySuffix),
		Account:    stripeapi.String(res.AccountID),
		Type:       stripeapi.String(string(stripeapi.AccountLinkTypeAccountOnboarding)),
		RefreshURL: stripeapi.String(req.RefreshURL),
		ReturnURL:  stripeapi.String(req.ReturnURL),
	})
	if err != nil {
		return res, g.mapError("create account link", err)
	}
	res.URL = link.URL
	return res, nil
}

// createAccount creates a host's Express account and returns its id.
func (g *Gateway) createAccount(ctx context.Context, req billing.OnboardRequest) (string, error) {
	p := &stripeapi.AccountCreateParams{
		Params: params(req.IdempotencyKey + accountKeySuffix),
		Type:   stripeapi.String(string(stripeapi.AccountTypeExpress)),
		Capabilities: &stripeapi.AccountCreateCapabilitiesParams{
			CardPayments: &stripeapi.AccountCreateCapabilitiesCardPaymentsParams{Requested: stripeapi.Bool(true)},
			Transfers:    &stripeapi.AccountCreateCapabilitiesTransfersParams{Requested: stripeapi.Bool(true)},
		},
	}
	if req.Email != "" {
		p.Email = stripeapi.String(req.Email)
	}
	if req.UserID != "" {
		p.AddMetadata("user_id", req.UserID)
	}
	acct, err := g.client.V1Accounts.Create(ctx, p)
	if err != nil {
		return "", g.mapError("create account", err)
	}
	return acct.ID, nil
}

// PayoutStatus retrieves a host's connected account. It is Connected when
// details are submitted and both charges and payouts are enabled.
func (g *Gateway) PayoutStatus(ctx context.Context, accountID string) (billing.PayoutStatus, error) {
	if accountID == "" {
		return billing.PayoutStatus{}, invalid("no account id")
	}
	acct, err := g.client.V1Accounts.GetByID(ctx, accountID, nil)
	if err != nil {
		return billing.PayoutStatus{}, g.mapError("retrieve account", err)
	}
	return payoutStatus(acct), nil
}

// payoutStatus summarizes an account's payout readiness.
func payoutStatus(acct *stripeapi.Account) billing.PayoutStatus {
	return billing.PayoutStatus{
		Connected:        acct.DetailsSubmitted && acct.ChargesEnabled && acct.PayoutsEnabled,
		DetailsSubmitted: acct.DetailsSubmitted,
		ChargesEnabled:   acct.ChargesEnabled,
		PayoutsEnabled:   acct.PayoutsEnabled,
	}
}
