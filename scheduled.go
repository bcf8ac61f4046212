package vidivo

import (
	"context"
	"time"
)

// Booking statuses.
const (
	BookingConfirmed = "confirmed"
	BookingCanceled  = "canceled"
)

// Booking limits.
const (
	MinBookingMinutes = 5
	MaxBookingMinutes = 480
	MaxNoteLen        = 1000
	// JoinEarly is how long before its start a scheduled call may be
	// joined.
	JoinEarly = 5 * time.Minute
)

// ScheduledCall is a booked call. When it is joined it becomes a call
// session with the same id.
type ScheduledCall struct {
	ID              string
	HostID          string
	GuestID         string
	StartsAt        time.Time
	EndsAt          time.Time
	DurationMinutes int
	Note            *string
	Status          string
	Rate            Money
	WindowMinutes   int
	PaymentMethodID *string
	// CustomerID is the payment provider's customer the payment method
	// was saved to when it was verified at booking; nil if none was.
	CustomerID *string
	// Sequence counts changes, for calendar updates.
	Sequence     int
	CanceledBy   *string
	CancelReason *string
	CanceledAt   *time.Time
	Rescheduled  bool
	// HostJoinedAt is set when the host joined before the guest.
	HostJoinedAt *time.Time
	// CallStartedAt is set when the booking's call started (the guest
	// joined): from then on it can be neither canceled nor rescheduled.
	CallStartedAt *time.Time
	// Tracking are the UTM parameters of the page the booking came from.
	Tracking Tracking
	// EventTypeID is the event type the booking was made with; nil when
	// it was booked by duration alone. A reschedule keeps it.
	EventTypeID *string
	CreatedAt   time.Time
}

// BookingLimits are a host's rules that the store checks inside the
// transaction that books, so racing bookings cannot get past them.
type BookingLimits struct {
	// Margin is time kept free between a booking and every other
	// confirmed booking of the host (the larger of the host's buffers).
	Margin time.Duration
	// MaxUpcomingPerGuest caps the guest's confirmed bookings with the
	// host that have not started yet, this one included; 0 means no cap.
	MaxUpcomingPerGuest int
}

// IsParticipant reports whether the user is the booking's host or guest.
func (s *ScheduledCall) IsParticipant(userID string) bool {
	return userID == s.HostID || userID == s.GuestID
}

// JoinOpen reports whether the booking may be joined at now: from
// JoinEarly before its start until its end. If not, opens says when it
// may (zero once it is over).
func (s *ScheduledCall) JoinOpen(now time.Time) (ok bool, opens time.Time) {
	opens = s.StartsAt.Add(-JoinEarly)
	switch {
	case now.Before(opens):
		return false, opens
	case !now.Before(s.EndsAt):
		return false, time.Time{}
	}
	return true, opens
}

// BookingPage is one page of a user's bookings.
type BookingPage struct {
	Calls []*ScheduledCall
	Total int
}

// ScheduleStore keeps availability and bookings.
type ScheduleStore interface {
	// PutAvailability stores a host's availability document (validated
	// JSON).
	PutAvailability(ctx context.Context, userID string, doc []byte) error
	// Availability returns the stored document, or ENOTFOUND.
	Availability(ctx context.Context, userID string) ([]byte, error)
	// Book stores a confirmed booking. Returns ECONFLICT if it overlaps
	// another confirmed booking of the host or comes within lim.Margin of
	// one, and EFORBIDDEN if the guest would have more than
	// lim.MaxUpcomingPerGuest upcoming bookings with the host. The checks
	// and the insert are one serialised transaction per host; the
	// no-overlap guarantee is the database's.
	Book(ctx context.Context, b *ScheduledCall, lim BookingLimits) error
	// Reschedule cancels old (as rescheduled) and books next under lim in
	// one transaction: if either step fails, nothing changes. Returns
	// ECONFLICT as CancelBooking and Book do, and EFORBIDDEN as Book.
	Reschedule(ctx context.Context, oldID, by string, next *ScheduledCall, lim BookingLimits) error
	// CancelBooking cancels a booking that is confirmed, has not started
	// and whose call does not exist, as one compare-and-set. Returns
	// ENOTFOUND, or ECONFLICT saying which condition failed.
	CancelBooking(ctx context.Context, id, by string, reason *string) (*ScheduledCall, error)
	// Booking returns ENOTFOUND if there is no such booking.
	Booking(ctx context.Context, id string) (*ScheduledCall, error)
	// Bookings lists a user's bookings as host or guest, upcoming first.
	Bookings(ctx context.Context, userID string, now time.Time, page, perPage int) (*BookingPage, error)
	// MarkHostJoined records that the host is waiting for the guest.
	MarkHostJoined(ctx context.Context, id string, at time.Time) error
	// BusyTimes returns the host's confirmed bookings overlapping [from, to).
	BusyTimes(ctx context.Context, hostID string, from, to time.Time) ([]*ScheduledCall, error)
}
