package vidivo

import (
	"context"
	"time"
)

// EventKey is a booking's place in a list of scheduled events: ordered by
// start, then id, so every booking has one place even when starts tie.
type EventKey struct {
	StartsAt time.Time
	ID       string
}

// EventFilter selects one page of bookings as scheduled events: those
// hosted by any of HostIDs, or booked by GuestID.
type EventFilter struct {
	HostIDs []string
	// GuestID adds the bookings this user made as a guest; "" adds none.
	GuestID string
	// Status is BookingConfirmed, BookingCanceled, or "" for both.
	Status string
	// MinStart (inclusive) and MaxStart (exclusive) bound the start;
	// zero leaves a side open.
	MinStart, MaxStart time.Time
	// Desc sorts latest start first.
	Desc bool
	// After continues a list after this key, in the sort order; with
	// Backward the page is the one that ends just before it instead.
	After    *EventKey
	Backward bool
	Limit    int
}

// EventPage is one page of bookings in the filter's sort order; More says
// another page follows in the direction read (after the last for a
// forward page, before the first for a backward one).
type EventPage struct {
	Calls []*ScheduledCall
	More  bool
}

// ScheduledEventStore reads bookings as scheduled events.
type ScheduledEventStore interface {
	// ScheduledEvents returns one page of bookings.
	ScheduledEvents(ctx context.Context, f EventFilter) (*EventPage, error)
	// RescheduleLinks returns the booking id rescheduled into this one
	// (from) and the one this one was rescheduled to (to); "" where none.
	RescheduleLinks(ctx context.Context, id string) (from, to string, err error)
}
