package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// PayoutStore records hosts' payout accounts.
type PayoutStore interface {
	SetPayoutAccount(ctx context.Context, userID, accountID string, connected bool) error
}

type payoutsJSON struct {
	Connected bool    `json:"connected"`
	AccountID *string `json:"account_id"`
}

// handlePayoutOnboarding starts (or resumes) a host's payout onboarding and
// returns where to complete it. The sandbox completes it at once.
func (s *Server) handlePayoutOnboarding(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := s.Users.UserByID(ctx, CallerFrom(ctx).Subject)
	if err != nil {
		return err
	}
	res, err := s.Gateway.OnboardHost(ctx, billing.OnboardRequest{
		// Account links expire within minutes: each attempt is its own request.
		IdempotencyKey: "user/" + u.ID + "/onboarding/" + strconv.FormatInt(s.now().UnixNano(), 36), UserID: u.ID, Email: u.Email, AccountID: u.PayoutAccountID,
		ReturnURL: s.PublicURL + "/settings/payouts?done=1", RefreshURL: s.PublicURL + "/settings/payouts",
	})
	if err != nil {
		return gatewayError(err)
	}
	if err := s.Payouts.SetPayoutAccount(ctx, u.ID, res.AccountID, res.Connected || u.PayoutsConnected); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": res.URL})
	return nil
}

// handlePayoutStatus reports whether the host can be paid, asking the
// gateway when onboarding is still open.
func (s *Server) handlePayoutStatus(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := s.Users.UserByID(ctx, CallerFrom(ctx).Subject)
	if err != nil {
		return err
	}
	out := payoutsJSON{Connected: u.PayoutsConnected}
	if u.PayoutAccountID != "" {
		out.AccountID = &u.PayoutAccountID
		if !u.PayoutsConnected {
			st, err := s.Gateway.PayoutStatus(ctx, u.PayoutAccountID)
			if err != nil {
				return gatewayError(err)
			}
			if st.Connected {
				if err := s.Payouts.SetPayoutAccount(ctx, u.ID, u.PayoutAccountID, true); err != nil {
					return err
				}
			}
			out.Connected = st.Connected
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// gatewayError shows a payments failure as 402 stripe_error, keeping the
// gateway's error (never shown to users) for the log.
func gatewayError(err error) error {
	return fmt.Errorf("%w: %w", vidivo.Errorf(vidivo.ESTRIPE, "the payments provider could not complete the request"), err)
}
