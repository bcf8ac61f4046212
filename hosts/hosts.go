// Package hosts runs what a host sets up to sell their time: call links
// and payout onboarding. The API and the pages both call it, so a link
// made on the dashboard obeys exactly the rules of one made through
// POST /v1/links.
package hosts

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// PayoutStore records hosts' payout accounts.
type PayoutStore interface {
	SetPayoutAccount(ctx context.Context, userID, accountID string, connected bool) error
}

// Service runs hosts' links and payouts. Fill the fields; the zero clock
// is time.Now.
type Service struct {
	Users   vidivo.UserStore
	Links   vidivo.LinkStore
	Payouts PayoutStore
	Gateway billing.Gateway
	// PublicURL is where users reach the service (no trailing slash); the
	// payouts onboarding returns to its /settings/payouts page.
	PublicURL string
	Now       func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// CreateLink validates in and stores the link for the host with hostID.
// Returns EVALIDATION naming every bad field, and ESTRIPENOTCONNECTED for a
// host who cannot be paid yet (checked after the input, so a host learns
// of both kinds of problem in a useful order).
func (s *Service) CreateLink(ctx context.Context, hostID string, in vidivo.LinkInput) (*vidivo.Link, error) {
	l, err := in.Validate(hostID, s.now())
	if err != nil {
		return nil, err
	}
	host, err := s.Users.UserByID(ctx, hostID)
	if err != nil {
		return nil, err
	}
	if !host.PayoutsConnected {
		return nil, vidivo.Errorf(vidivo.ESTRIPENOTCONNECTED, "connect your payouts before creating call links")
	}
	if err := s.Links.CreateLink(ctx, l); err != nil {
		return nil, err
	}
	return l, nil
}

// OwnedLink loads the link with id for a change by caller: its host or an
// admin. Another host's link is EFORBIDDEN; a deleted one ENOTFOUND.
func (s *Service) OwnedLink(ctx context.Context, caller vidivo.Caller, id string) (*vidivo.Link, error) {
	l, err := s.Links.LinkByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if l.HostID != caller.Subject && caller.Role != vidivo.RoleAdmin {
		return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "you do not own this link")
	}
	if !l.Active {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "link not found")
	}
	return l, nil
}

// DeleteLink deactivates caller's link with id: it starts no new calls;
// calls it started go on. Errors as OwnedLink.
func (s *Service) DeleteLink(ctx context.Context, caller vidivo.Caller, id string) error {
	l, err := s.OwnedLink(ctx, caller, id)
	if err != nil {
		return err
	}
	return s.Links.DeactivateLink(ctx, l.ID)
}

// PayoutState is whether a host can be paid, and their account.
type PayoutState struct {
	Connected bool
	AccountID string
}

// StartPayouts starts (or resumes) the payout onboarding of the host with
// hostID and returns where the host completes it. The sandbox completes it
// at once and returns the /settings/payouts page. A gateway failure is
// ESTRIPE (the gateway's own error wrapped for the log).
func (s *Service) StartPayouts(ctx context.Context, hostID string) (string, error) {
	u, err := s.Users.UserByID(ctx, hostID)
	if err != nil {
		return "", err
	}
	res, err := s.Gateway.OnboardHost(ctx, billing.OnboardRequest{
		// Account links expire within minutes: each attempt is its own request.
		IdempotencyKey: "user/" + u.ID + "/onboarding/" + strconv.FormatInt(s.now().UnixNano(), 36),
		UserID:         u.ID, Email: u.Email, AccountID: u.PayoutAccountID,
		ReturnURL: s.PublicURL + "/settings/payouts?done=1", RefreshURL: s.PublicURL + "/settings/payouts",
	})
	if err != nil {
		return "", GatewayError(err)
	}
	if err := s.Payouts.SetPayoutAccount(ctx, u.ID, res.AccountID, res.Connected || u.PayoutsConnected); err != nil {
		return "", err
	}
	return res.URL, nil
}

// PayoutStatus reports whether the host with hostID can be paid, asking the
// gateway while onboarding is still open and recording when it finished.
func (s *Service) PayoutStatus(ctx context.Context, hostID string) (PayoutState, error) {
	u, err := s.Users.UserByID(ctx, hostID)
	if err != nil {
		return PayoutState{}, err
	}
	out := PayoutState{Connected: u.PayoutsConnected, AccountID: u.PayoutAccountID}
	if u.PayoutAccountID == "" || u.PayoutsConnected {
		return out, nil
	}
	st, err := s.Gateway.PayoutStatus(ctx, u.PayoutAccountID)
	if err != nil {
		return PayoutState{}, GatewayError(err)
	}
	if st.Connected {
		if err := s.Payouts.SetPayoutAccount(ctx, u.ID, u.PayoutAccountID, true); err != nil {
			return PayoutState{}, err
		}
	}
	out.Connected = st.Connected
	return out, nil
}

// GatewayError shows a payments failure as ESTRIPE, keeping the gateway's
// error (never shown to users) for the log.
func GatewayError(err error) error {
	return fmt.Errorf("%w: %w", vidivo.Errorf(vidivo.ESTRIPE, "the payments provider could not complete the request"), err)
}
