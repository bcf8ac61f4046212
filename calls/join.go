package calls

import (
	"context"
	"strings"

	"github.com/vidivo/vidivo"
)

// JoinRequest is a guest joining through a call link.
type JoinRequest struct {
	ShortCode       string
	PaymentMethodID string
	GuestName       *string
	GuestEmail      *string
	// UserID is set when a signed-in account joins.
	UserID string
}

func (r *JoinRequest) validate() error {
	var errs []vidivo.FieldError
	if issue := vidivo.CheckPaymentMethodID(r.PaymentMethodID); issue != "" {
		errs = append(errs, vidivo.FieldError{Field: "payment_method_id", Issue: issue})
	}
	if r.GuestName != nil {
		*r.GuestName = strings.TrimSpace(*r.GuestName)
		if issue := vidivo.CheckGuestName(*r.GuestName); issue != "" {
			errs = append(errs, vidivo.FieldError{Field: "guest_name", Issue: issue})
		}
	}
	if r.GuestEmail != nil {
		*r.GuestEmail = vidivo.NormalizeEmail(*r.GuestEmail)
		if issue := vidivo.CheckEmail(*r.GuestEmail); issue != "" {
			errs = append(errs, vidivo.FieldError{Field: "guest_email", Issue: issue})
		}
	}
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	return nil
}

// joinError is what a link state means for a join, as the Calls doc lists:
// 404 for a link that is unknown, deleted, expired or outside its window,
// 409 for one whose uses are exhausted.
func joinError(state vidivo.LinkState) error {
	if state == vidivo.LinkExhausted {
		return vidivo.Errorf(vidivo.ECONFLICT, "this link has reached its maximum number of uses")
	}
	return vidivo.Errorf(vidivo.ENOTFOUND, "this call link does not exist or is not open")
}

// Join starts a call: it checks the link, places the first window's hold,
// and records the call (counting the link use) in one transaction. A hold
// that fails leaves nothing behind but a failed ledger entry: no call, no
// use counted. The host is rung at once if they are listening.
func (s *Service) Join(ctx context.Context, req JoinRequest) (*vidivo.Call, *vidivo.User, error) {
	if err := req.validate(); err != nil {
		return nil, nil, err
	}
	link, host, err := s.Store.LinkWithHost(ctx, req.ShortCode)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, nil, joinError(vidivo.LinkDeleted)
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if state := link.State(now); state != vidivo.LinkUsable {
		return nil, nil, joinError(state)
	}
	c := &vidivo.Call{
		ID: newID(now), LinkID: link.ID, ShortCode: link.ShortCode, HostID: link.HostID, GuestID: newID(now),
		GuestName: req.GuestName, GuestEmail: req.GuestEmail,
		Rate: link.Rate, WindowMinutes: link.WindowMinutes, PaymentMethodID: req.PaymentMethodID,
		HostAccountID: host.PayoutAccountID, Windows: 1,
	}
	if req.UserID != "" {
		c.GuestUserID = &req.UserID
	}

	hold, err := s.placeHold(ctx, c, 0, 0) // a new call: its first attempt
	if err != nil {
		return nil, nil, err
	}
	jobs := []vidivo.ScheduledJob{{Job: vidivo.NoShowJob{CallID: c.ID}, RunAt: now.Add(vidivo.NoShowAfter)}}
	state, err := s.Store.StartCall(ctx, c, hold, jobs)
	if err == nil && state != vidivo.LinkUsable {
		err = joinError(state) // lost the race for the link's last use
	}
	if err != nil {
		// The hold is placed but the call is not: give it back.
		if rerr := s.release(ctx, c.ID, hold); rerr != nil {
			s.log().ErrorContext(ctx, "release hold of a call that did not start", "call_id", c.ID, "err", rerr)
		}
		return nil, nil, err
	}
	s.ring(c)
	return c, host, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
