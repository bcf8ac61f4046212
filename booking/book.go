package booking

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/schedule"
)

// BookRequest is an account booking time with a host.
type BookRequest struct {
	Caller       vidivo.Caller
	HostUsername string
	// ScheduledAt is an RFC 3339 time.
	ScheduledAt string
	// DurationMinutes may be left out when EventType gives it.
	DurationMinutes *int
	// EventType is the id or slug of one of the host's event types.
	EventType       *string
	Note            *string
	PaymentMethodID *string
	// Tracking are the UTM parameters of the page the booking came from
	// (an embedded widget passes them on); kept with the booking.
	Tracking vidivo.Tracking
}

// validate checks what the request says on its own and parses its time.
func (r *BookRequest) validate() (time.Time, error) {
	var errs []vidivo.FieldError
	start, err := parseTime(r.ScheduledAt)
	if err != nil {
		errs = append(errs, *err)
	}
	if r.HostUsername == "" {
		errs = append(errs, vidivo.FieldError{Field: "host_username", Issue: "is required"})
	}
	if r.Note != nil {
		if fe := vidivo.CheckText("note", *r.Note, vidivo.TextRule{Max: vidivo.MaxNoteLen, Multiline: true}); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if r.PaymentMethodID != nil {
		if issue := vidivo.CheckPaymentMethodID(*r.PaymentMethodID); issue != "" {
			errs = append(errs, vidivo.FieldError{Field: "payment_method_id", Issue: issue})
		}
	}
	errs = append(errs, r.Tracking.Validate("tracking")...)
	if r.EventType != nil && strings.TrimSpace(*r.EventType) == "" {
		errs = append(errs, vidivo.FieldError{Field: "event_type", Issue: "must be the id or slug of one of the host's event types"})
	}
	if len(errs) > 0 {
		return start, vidivo.Invalid(errs...)
	}
	return start, nil
}

func parseTime(at string) (time.Time, *vidivo.FieldError) {
	start, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return start, &vidivo.FieldError{Field: "scheduled_at", Issue: `must be an RFC 3339 time such as "2026-03-16T14:00:00Z"`}
	}
	return start.UTC(), nil
}

// Book books a call with a host for the caller. The time must lie inside
// the host's availability (EVALIDATION naming scheduled_at or
// duration_minutes) and not overlap, or come within the host's buffers of,
// another booking (ECONFLICT). A host without a price is EVALIDATION
// naming host_username; a host that requires a payment method makes
// payment_method_id required (EVALIDATION). A payment method given is
// verified with the gateway, charging nothing: a declined or unknown one
// is ESTRIPE and books nothing. A guest who already holds the host's
// maximum of upcoming bookings gets EFORBIDDEN. UTM parameters longer
// than vidivo.MaxTrackingLen or holding control characters are EVALIDATION
// naming tracking.utm_*. Unknown hosts and event
// types are ENOTFOUND.
func (s *Service) Book(ctx context.Context, req BookRequest) (*Booking, error) {
	start, err := req.validate()
	if err != nil {
		return nil, err
	}
	host, err := s.Host(ctx, req.HostUsername)
	if err != nil {
		return nil, err
	}
	if req.Caller.Subject == host.ID {
		return nil, vidivo.Invalid(vidivo.FieldError{Field: "host_username", Issue: "you cannot book yourself"})
	}
	minutes, eventTypeID, err := s.bookingMinutes(ctx, host, req.EventType, req.DurationMinutes)
	if err != nil {
		return nil, err
	}
	a, b, err := s.proposal(ctx, host, req.Caller.Subject, start, minutes)
	if err != nil {
		return nil, err
	}
	if a.RequirePaymentMethod && req.PaymentMethodID == nil {
		return nil, &vidivo.Error{Code: vidivo.EVALIDATION, Message: "this host requires a payment method at booking",
			Details: []vidivo.FieldError{{Field: "payment_method_id", Issue: "is required by this host"}}}
	}
	guest, err := s.Store.UserByID(ctx, req.Caller.Subject)
	if err != nil {
		return nil, err
	}
	b.Note, b.PaymentMethodID, b.Tracking, b.EventTypeID = req.Note, req.PaymentMethodID, req.Tracking, eventTypeID
	if req.PaymentMethodID != nil {
		if b.CustomerID, err = s.verify(ctx, *req.PaymentMethodID, host, guest); err != nil {
			return nil, err
		}
	}
	if err := s.Store.Book(ctx, b, a.Limits()); err != nil {
		return nil, err
	}
	return &Booking{ScheduledCall: b, Host: host, Guest: guest}, nil
}

// bookingMinutes is how long a booking lasts: duration_minutes, or with an
// event type (id or slug of the host's) its duration (see
// EventType.BookingMinutes). Without either it is 0, which the
// availability check refuses. It also returns the id of the event type
// named, which the booking keeps (nil when none was).
func (s *Service) bookingMinutes(ctx context.Context, host *vidivo.User, eventType *string, minutes *int) (int, *string, error) {
	if eventType == nil {
		if minutes == nil {
			return 0, nil, nil
		}
		return *minutes, nil, nil
	}
	e, err := s.hostEventType(ctx, host, *eventType)
	if err != nil {
		return 0, nil, err
	}
	n, err := e.BookingMinutes(minutes)
	if err != nil {
		return 0, nil, err
	}
	return n, &e.ID, nil
}

// proposal checks a proposed time against the host's availability and
// price, and returns the availability and the booking to store.
func (s *Service) proposal(ctx context.Context, host *vidivo.User, guestID string, start time.Time, minutes int) (schedule.Availability, *vidivo.ScheduledCall, error) {
	a, err := s.Availability(ctx, host.ID)
	if err != nil {
		return a, nil, err
	}
	rules, err := a.Rules()
	if err != nil {
		return a, nil, err
	}
	d := time.Duration(minutes) * time.Minute
	if err := rules.Check(start, d, s.now()); err != nil {
		return a, nil, err
	}
	p, priced, err := s.price(ctx, host.ID, a)
	if err != nil {
		return a, nil, err
	}
	if !priced {
		return a, nil, &vidivo.Error{Code: vidivo.EVALIDATION, Message: "this host has no price set for scheduled calls",
			Details: []vidivo.FieldError{{Field: "host_username", Issue: "has no price set"}}}
	}
	if err := s.checkExternal(ctx, host.ID, rules, start, d); err != nil {
		return a, nil, err
	}
	return a, &vidivo.ScheduledCall{HostID: host.ID, GuestID: guestID, StartsAt: start, EndsAt: start.Add(d),
		DurationMinutes: minutes, Rate: p.Rate, WindowMinutes: p.WindowMinutes}, nil
}

// verify has the gateway check a payment method and save it for the
// call's holds. It returns the customer it was saved to, if any.
func (s *Service) verify(ctx context.Context, pm string, host, guest *vidivo.User) (*string, error) {
	res, err := s.Gateway.VerifyPaymentMethod(ctx, billing.VerifyRequest{
		// Each attempt is its own verification; the key makes the
		// gateway client's own retries of it safe.
		IdempotencyKey:  "booking/" + newID(s.now()) + "/verify",
		PaymentMethodID: pm, GuestEmail: guest.Email,
		Metadata: map[string]string{"host_id": host.ID, "guest_id": guest.ID},
	})
	if err != nil {
		return nil, verifyFailed(err)
	}
	if res.CustomerID == "" {
		return nil, nil
	}
	return &res.CustomerID, nil
}

// verifyFailed is a failed verification as users see it: 402
// stripe_error, the gateway's reason (a decline code such as
// insufficient_funds, resource_missing for an unknown payment method, or
// gateway_unavailable) in details, and the gateway's error kept for the
// log.
func verifyFailed(err error) error {
	e := &vidivo.Error{Code: vidivo.ESTRIPE, Message: "the payment method could not be verified"}
	var be *billing.Error
	if errors.As(err, &be) {
		switch be.Kind {
		case billing.KindDeclined:
			e.Message = "the payment method was declined"
		case billing.KindInvalid:
			e.Message = "the payment method was refused"
		}
		e.Details = []vidivo.FieldError{{Field: "payment_method_id", Issue: be.Reason()}}
	}
	return fmt.Errorf("%w: %w", e, err)
}
