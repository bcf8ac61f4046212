package booking

import (
	"context"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/ical"
)

// participantBooking loads a booking for one of its participants: others
// get EFORBIDDEN (admins may act on any).
func (s *Service) participantBooking(ctx context.Context, c vidivo.Caller, id string) (*vidivo.ScheduledCall, error) {
	if !isID(id) {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "scheduled call not found")
	}
	b, err := s.Store.Booking(ctx, id)
	if err != nil {
		return nil, err
	}
	if !b.IsParticipant(c.Subject) && c.Role != vidivo.RoleAdmin {
		return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "you are not a participant in this booking")
	}
	return b, nil
}

// changeable refuses a change to a booking that is canceled, has started
// or whose call exists. The store checks the same again as it changes the
// booking; this gives the answer before the new time is looked at.
func (s *Service) changeable(b *vidivo.ScheduledCall) error {
	switch {
	case b.Status != vidivo.BookingConfirmed:
		return vidivo.Errorf(vidivo.ECONFLICT, "the booking is already canceled")
	case b.CallStartedAt != nil:
		return vidivo.Errorf(vidivo.ECONFLICT, "the booking's call has started; it can no longer be changed")
	case !s.now().Before(b.StartsAt):
		return vidivo.Errorf(vidivo.ECONFLICT, "a booking that has started can no longer be changed")
	}
	return nil
}

// RescheduleRequest moves a booking to another time.
type RescheduleRequest struct {
	// ScheduledAt is an RFC 3339 time.
	ScheduledAt     string
	DurationMinutes int
}

// Reschedule moves a confirmed booking that has not started and whose
// call does not exist to another time: in one transaction the old booking
// is canceled as rescheduled and a new one, with the same note, payment
// method, tracking and event type, is booked. The new time is checked as
// Book checks it; if it fails nothing changes. Returns ENOTFOUND,
// EFORBIDDEN for anyone but the participants (and admins), ECONFLICT for
// a booking that can no longer change or a time that is taken,
// EVALIDATION.
func (s *Service) Reschedule(ctx context.Context, c vidivo.Caller, id string, req RescheduleRequest) (*Booking, error) {
	start, ferr := parseTime(req.ScheduledAt)
	if ferr != nil {
		return nil, vidivo.Invalid(*ferr)
	}
	old, err := s.participantBooking(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := s.changeable(old); err != nil {
		return nil, err
	}
	host, err := s.Store.UserByID(ctx, old.HostID)
	if err != nil {
		return nil, err
	}
	a, next, err := s.proposal(ctx, host, old.GuestID, start, req.DurationMinutes)
	if err != nil {
		return nil, err
	}
	next.Note, next.PaymentMethodID, next.CustomerID, next.Tracking = old.Note, old.PaymentMethodID, old.CustomerID, old.Tracking
	next.EventTypeID = old.EventTypeID
	if err := s.Store.Reschedule(ctx, old.ID, c.Subject, next, a.Limits()); err != nil {
		return nil, err
	}
	guest, err := s.Store.UserByID(ctx, old.GuestID)
	if err != nil {
		return nil, err
	}
	return &Booking{ScheduledCall: next, Host: host, Guest: guest}, nil
}

// Cancel cancels a confirmed booking that has not started and whose call
// does not exist, freeing its time; reason is kept. Returns ENOTFOUND,
// EFORBIDDEN for anyone but the participants (and admins), ECONFLICT for
// a booking that can no longer change, EVALIDATION for a bad reason.
func (s *Service) Cancel(ctx context.Context, c vidivo.Caller, id string, reason *string) error {
	if reason != nil {
		if fe := vidivo.CheckText("reason", *reason, vidivo.TextRule{Max: vidivo.MaxNoteLen, Multiline: true}); fe != nil {
			return vidivo.Invalid(*fe)
		}
	}
	b, err := s.participantBooking(ctx, c, id)
	if err != nil {
		return err
	}
	if err := s.changeable(b); err != nil {
		return err
	}
	_, err = s.Store.CancelBooking(ctx, b.ID, c.Subject, reason)
	return err
}

// Invite returns the calendar event of a booking for one of its
// participants: an invitation, or a cancellation once it is canceled.
// Returns ENOTFOUND, or EFORBIDDEN for anyone else (admins excepted).
func (s *Service) Invite(ctx context.Context, c vidivo.Caller, id string) (*ical.Event, error) {
	b, err := s.participantBooking(ctx, c, id)
	if err != nil {
		return nil, err
	}
	host, err := s.Store.UserByID(ctx, b.HostID)
	if err != nil {
		return nil, err
	}
	guest, err := s.Store.UserByID(ctx, b.GuestID)
	if err != nil {
		return nil, err
	}
	join := s.JoinURL(b.ID)
	desc := "Join the call: " + join
	if b.Note != nil && *b.Note != "" {
		desc = *b.Note + "\n\n" + desc
	}
	stamp := b.CreatedAt
	if b.CanceledAt != nil {
		stamp = *b.CanceledAt
	}
	ev := &ical.Event{
		UID: b.ID + "@vidivo", Sequence: b.Sequence, Stamp: stamp, Start: b.StartsAt, End: b.EndsAt,
		Summary: "Vidivo call with " + host.DisplayName, Description: desc, URL: join,
		Organizer: ical.Person{Name: host.DisplayName, Email: host.Email},
		Attendees: []ical.Person{{Name: guest.DisplayName, Email: guest.Email}},
		Canceled:  b.Status == vidivo.BookingCanceled,
	}
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	return ev, nil
}

// Page is one page of a user's bookings.
type Page struct {
	Bookings []*Booking
	Total    int
}

// Mine lists the bookings the caller is the host or the guest of, those
// not yet ended first (soonest first), then past ones (latest first).
func (s *Service) Mine(ctx context.Context, c vidivo.Caller, page, perPage int) (*Page, error) {
	res, err := s.Store.Bookings(ctx, c.Subject, s.now(), page, perPage)
	if err != nil {
		return nil, err
	}
	out := &Page{Bookings: make([]*Booking, 0, len(res.Calls)), Total: res.Total}
	// The same few people appear on every line: read each once.
	users := map[string]*vidivo.User{}
	user := func(id string) (*vidivo.User, error) {
		if u, ok := users[id]; ok {
			return u, nil
		}
		u, err := s.Store.UserByID(ctx, id)
		users[id] = u
		return u, err
	}
	for _, b := range res.Calls {
		host, err := user(b.HostID)
		if err != nil {
			return nil, err
		}
		guest, err := user(b.GuestID)
		if err != nil {
			return nil, err
		}
		out.Bookings = append(out.Bookings, &Booking{ScheduledCall: b, Host: host, Guest: guest})
	}
	return out, nil
}
