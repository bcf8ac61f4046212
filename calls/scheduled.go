package calls

import (
	"context"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
)

// ScheduledJoin is a participant joining a booked call.
type ScheduledJoin struct {
	Caller    vidivo.Caller
	BookingID string
	// PaymentMethodID is the guest's; the booking's stored one is used when
	// empty.
	PaymentMethodID string
	GuestName       *string
}

// validate applies the rules link joins follow to what the joiner gives:
// the guest's name and, when given, the payment method id.
func (j *ScheduledJoin) validate() error {
	var errs []vidivo.FieldError
	if j.GuestName != nil {
		*j.GuestName = strings.TrimSpace(*j.GuestName)
		if issue := vidivo.CheckGuestName(*j.GuestName); issue != "" {
			errs = append(errs, vidivo.FieldError{Field: "guest_name", Issue: issue})
		}
	}
	if j.PaymentMethodID != "" {
		if issue := vidivo.CheckPaymentMethodID(j.PaymentMethodID); issue != "" {
			errs = append(errs, vidivo.FieldError{Field: "payment_method_id", Issue: issue})
		}
	}
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	return nil
}

// JoinScheduled lets the host or guest of a booking join it, from 5
// minutes before the start until the booked end. The guest's first join
// places the first hold and starts the session (same id as the booking);
// the host's join starts the timer — at once if the guest is there, or
// when the guest arrives. Joining again returns the session as it is.
// Returns ENOTFOUND, EFORBIDDEN for others, ECONFLICT outside the join
// window or for a canceled booking, EVALIDATION without a payment method.
func (s *Service) JoinScheduled(ctx context.Context, j ScheduledJoin) (*vidivo.Call, error) {
	if err := j.validate(); err != nil {
		return nil, err
	}
	b, err := s.Store.Booking(ctx, j.BookingID)
	if err != nil {
		return nil, err
	}
	isHost, isGuest := j.Caller.Subject == b.HostID, j.Caller.Subject == b.GuestID
	if j.Caller.IsGuest() || (!isHost && !isGuest) {
		return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "you are not a participant in this call")
	}
	if b.Status != vidivo.BookingConfirmed {
		return nil, vidivo.Errorf(vidivo.ECONFLICT, "this booking was canceled")
	}
	now := s.now()
	if ok, opens := b.JoinOpen(now); !ok {
		if opens.IsZero() {
			return nil, vidivo.Errorf(vidivo.ECONFLICT, "this booking has ended")
		}
		return nil, vidivo.Errorf(vidivo.ECONFLICT, "this call opens at %s", opens.UTC().Format(time.RFC3339))
	}

	c, err := s.Store.CallByID(ctx, b.ID)
	switch {
	case err == nil && isHost && (c.Status == vidivo.CallWaiting || c.Status == vidivo.CallRinging):
		return s.HostJoin(ctx, j.Caller, c.ID)
	case err == nil && c.Status.Ended():
		return nil, vidivo.Errorf(vidivo.ECONFLICT, "the call already ended (%s)", c.Status)
	case err == nil:
		return c, nil // joining again
	case vidivo.ErrorCode(err) != vidivo.ENOTFOUND:
		return nil, err
	case isHost:
		// The guest is not here yet: the timer starts when they come.
		if err := s.Store.MarkHostJoined(ctx, b.ID, now); err != nil {
			return nil, err
		}
		return &vidivo.Call{ID: b.ID, HostID: b.HostID, Status: vidivo.CallWaiting, Rate: b.Rate,
			WindowMinutes: b.WindowMinutes, CreatedAt: now, ScheduledAt: &b.StartsAt}, nil
	}
	return s.startScheduled(ctx, j, b)
}

// startScheduled starts the session of a booking when its guest arrives.
func (s *Service) startScheduled(ctx context.Context, j ScheduledJoin, b *vidivo.ScheduledCall) (*vidivo.Call, error) {
	pm := j.PaymentMethodID
	if pm == "" && b.PaymentMethodID != nil {
		pm = *b.PaymentMethodID
	}
	if pm == "" {
		return nil, vidivo.Invalid(vidivo.FieldError{Field: "payment_method_id", Issue: "is required: the booking has none"})
	}
	if issue := vidivo.CheckPaymentMethodID(pm); issue != "" {
		return nil, vidivo.Invalid(vidivo.FieldError{Field: "payment_method_id", Issue: issue})
	}
	host, err := s.Store.UserByID(ctx, b.HostID)
	if err != nil {
		return nil, err
	}
	name := j.GuestName
	if name == nil || *name == "" {
		// The host's ringer names the guest: the account's name unless
		// the guest gave another.
		guest, err := s.Store.UserByID(ctx, b.GuestID)
		if err != nil {
			return nil, err
		}
		name = &guest.DisplayName
	}
	now := s.now()
	guestUser := b.GuestID
	c := &vidivo.Call{ID: b.ID, HostID: b.HostID, GuestID: newID(now), GuestUserID: &guestUser, GuestName: name,
		Rate: b.Rate, WindowMinutes: b.WindowMinutes, PaymentMethodID: pm, HostAccountID: host.PayoutAccountID,
		Windows: 1, ScheduledAt: &b.StartsAt, CustomerID: deref(b.CustomerID)}
	// Each try of a booking's first hold after a refused or released one
	// is a new attempt: a new card is really asked, a released hold never
	// reused.
	attempt, err := s.holdAttempt(ctx, c.ID, 0)
	if err != nil {
		return nil, err
	}
	hold, err := s.placeHold(ctx, c, 0, attempt)
	if err != nil {
		return nil, err
	}
	c.CreatedAt = now
	jobs := []vidivo.ScheduledJob{{Job: vidivo.NoShowJob{CallID: c.ID}, RunAt: c.NoShowDeadline()}}
	if err := s.Store.StartScheduledCall(ctx, c, hold, jobs); err != nil {
		if vidivo.ErrorCode(err) == vidivo.ECONFLICT {
			// The guest joined twice at once: both asked for the same hold
			// (same key), which now belongs to the session that started.
			if started, cerr := s.Store.CallByID(ctx, c.ID); cerr == nil {
				return started, nil
			}
		}
		if rerr := s.release(ctx, c.ID, hold); rerr != nil {
			s.log().ErrorContext(ctx, "release hold of a call that did not start", "call_id", c.ID, "err", rerr)
		}
		return nil, err
	}
	if b.HostJoinedAt != nil {
		return s.HostJoin(ctx, vidivo.Caller{Subject: b.HostID, Role: vidivo.RoleHost}, c.ID)
	}
	s.ring(c)
	return c, nil
}
