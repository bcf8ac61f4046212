package stripe

import (
	"context"
	"net/http"
	"strings"
	"testing"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/vidivo/vidivo/billing"
)

func TestOnboardNewHost(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	g := newTestGateway(t, rec)
	req := billing.OnboardRequest{
		IdempotencyKey: "user/01J9ZJ8W2D/onboard/1",
		UserID:         "01J9ZJ8W2D",
		Email:          "host@example.com",
		ReturnURL:      "https://vidivo.example/settings/payouts?done=1",
		RefreshURL:     "https://vidivo.example/settings/payouts?retry=1",
	}
	res, err := g.OnboardHost(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.AccountID, "acct_") || !strings.HasPrefix(res.URL, "https://") || res.Connected {
		t.Fatalf("OnboardHost = %+v, want an acct_ account, an https URL, not connected", res)
	}
	posts := checkRequests(t, rec.requests())
	if len(posts) != 2 {
		t.Fatalf("%d POSTs, want account then account link: %+v", len(posts), posts)
	}
	acct, link := posts[0], posts[1]
	if acct.Path != "/v1/accounts" || acct.Key != req.IdempotencyKey+"/account" {
		t.Errorf("first POST %s key %q, want /v1/accounts key %q", acct.Path, acct.Key, req.IdempotencyKey+"/account")
	}
	wantForm(t, acct, map[string]string{
		"type":                                   "express",
		"email":                                  req.Email,
		"capabilities[card_payments][requested]": "true",
		"capabilities[transfers][requested]":     "true",
		"metadata[user_id]":                      req.UserID,
	})
	if link.Path != "/v1/account_links" || link.Key != req.IdempotencyKey+"/link" {
		t.Errorf("second POST %s key %q, want /v1/account_links key %q", link.Path, link.Key, req.IdempotencyKey+"/link")
	}
	wantForm(t, link, map[string]string{
		"account":     res.AccountID,
		"type":        "account_onboarding",
		"return_url":  req.ReturnURL,
		"refresh_url": req.RefreshURL,
	})
}

func TestOnboardExistingHost(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	g := newTestGateway(t, rec)
	req := billing.OnboardRequest{
		IdempotencyKey: "user/01J9ZJ8W2D/onboard/2",
		UserID:         "01J9ZJ8W2D",
		AccountID:      hostAccount,
		ReturnURL:      "https://vidivo.example/settings/payouts?done=1",
		RefreshURL:     "https://vidivo.example/settings/payouts?retry=1",
	}
	res, err := g.OnboardHost(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.AccountID != hostAccount || res.URL == "" {
		t.Fatalf("OnboardHost = %+v, want %s and a URL", res, hostAccount)
	}
	posts := checkRequests(t, rec.requests())
	if len(posts) != 1 || posts[0].Path != "/v1/account_links" {
		t.Fatalf("POSTs %+v, want only an account link", posts)
	}
	wantForm(t, posts[0], map[string]string{"account": hostAccount})
}

func TestPayoutStatus(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	g := newTestGateway(t, rec)
	st, err := g.PayoutStatus(context.Background(), hostAccount)
	if err != nil {
		t.Fatal(err)
	}
	// stripe-mock's account fixture has nothing enabled.
	if st != (billing.PayoutStatus{}) {
		t.Errorf("PayoutStatus = %+v, want stripe-mock's all-false account", st)
	}
	reqs := rec.requests()
	checkRequests(t, reqs)
	if len(reqs) != 1 || reqs[0].Method != http.MethodGet || reqs[0].Path != "/v1/accounts/"+hostAccount {
		t.Fatalf("requests %+v, want GET /v1/accounts/%s", reqs, hostAccount)
	}
}

func TestPayoutStatusConnectedNeedsAllThree(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		details, charges, payouts, want bool
	}{
		{true, true, true, true},
		{false, true, true, false},
		{true, false, true, false},
		{true, true, false, false},
		{false, false, false, false},
	} {
		st := payoutStatus(&stripeapi.Account{DetailsSubmitted: tc.details, ChargesEnabled: tc.charges, PayoutsEnabled: tc.payouts})
		if st.Connected != tc.want || st.DetailsSubmitted != tc.details || st.ChargesEnabled != tc.charges || st.PayoutsEnabled != tc.payouts {
			t.Errorf("payoutStatus(details=%v charges=%v payouts=%v) = %+v, want Connected %v", tc.details, tc.charges, tc.payouts, st, tc.want)
		}
	}
}
