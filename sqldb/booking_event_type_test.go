package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sqldb/storetest"
	"github.com/vidivo/vidivo/testclock"
)

// TestBookingEventType: a booking keeps the event type it was made with
// (migration 0017) through every read — Booking, ScheduledEvents,
// BusyTimes — and into the booking a reschedule makes; a booking without
// one reads nil; an event type that does not exist is refused by the
// foreign key and books nothing.
func TestBookingEventType(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testBookingEventType(t, engine)
		})
	}
}

func testBookingEventType(t *testing.T, engine string) {
	ctx := context.Background()
	db := sqldbtest.New(t, engine)
	db.Now = testclock.New(time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)).Now
	host := storetest.MustCreateUser(t, db, "janecoach", vidivo.RoleHost)
	guest := storetest.MustCreateUser(t, db, "alexguest", vidivo.RoleClient)
	intro := storetest.MustCreateEventType(t, db, host, "intro", 30)
	at := time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)
	booking := func(hour int, eventTypeID *string) *vidivo.ScheduledCall {
		start := at.Add(time.Duration(hour) * time.Hour)
		return &vidivo.ScheduledCall{HostID: host.ID, GuestID: guest.ID, StartsAt: start, EndsAt: start.Add(30 * time.Minute),
			DurationMinutes: 30, Rate: 250, WindowMinutes: 10, EventTypeID: eventTypeID}
	}
	typed, plain := booking(0, &intro.ID), booking(1, nil)
	for _, b := range []*vidivo.ScheduledCall{typed, plain} {
		if err := db.Book(ctx, b, vidivo.BookingLimits{}); err != nil {
			t.Fatalf("Book: %v", err)
		}
	}
	wantType := func(what string, b *vidivo.ScheduledCall, want *string) {
		t.Helper()
		switch {
		case want == nil && b.EventTypeID != nil:
			t.Errorf("%s: event type %q, want none", what, *b.EventTypeID)
		case want != nil && (b.EventTypeID == nil || *b.EventTypeID != *want):
			t.Errorf("%s: event type %v, want %q", what, b.EventTypeID, *want)
		}
	}
	for _, c := range []struct {
		b    *vidivo.ScheduledCall
		want *string
	}{{typed, &intro.ID}, {plain, nil}} {
		got, err := db.Booking(ctx, c.b.ID)
		if err != nil {
			t.Fatalf("Booking: %v", err)
		}
		wantType("Booking", got, c.want)
	}
	page, err := db.ScheduledEvents(ctx, vidivo.EventFilter{HostIDs: []string{host.ID}, Limit: 10})
	if err != nil || len(page.Calls) != 2 {
		t.Fatalf("ScheduledEvents = %+v, %v", page, err)
	}
	wantType("ScheduledEvents[0]", page.Calls[0], &intro.ID)
	wantType("ScheduledEvents[1]", page.Calls[1], nil)
	busy, err := db.BusyTimes(ctx, host.ID, at, at.Add(2*time.Hour))
	if err != nil || len(busy) != 2 {
		t.Fatalf("BusyTimes = %v, %v", busy, err)
	}
	wantType("BusyTimes[0]", busy[0], &intro.ID)

	// The reschedule's new booking carries what the service gives it (the
	// old booking's event type); the old one keeps its own.
	next := booking(3, typed.EventTypeID)
	if err := db.Reschedule(ctx, typed.ID, guest.ID, next, vidivo.BookingLimits{}); err != nil {
		t.Fatalf("Reschedule: %v", err)
	}
	for _, id := range []string{typed.ID, next.ID} {
		got, err := db.Booking(ctx, id)
		if err != nil {
			t.Fatalf("Booking: %v", err)
		}
		wantType("after reschedule "+got.Status, got, &intro.ID)
	}

	// An event type that does not exist is refused; nothing is booked.
	ghost := "01JN2X5B7C9D1EFGHJKMNPQRST"
	if err := db.Book(ctx, booking(5, &ghost), vidivo.BookingLimits{}); err == nil {
		t.Fatal("Book with an unknown event type succeeded")
	}
	page, err = db.ScheduledEvents(ctx, vidivo.EventFilter{HostIDs: []string{host.ID}, Limit: 10})
	if err != nil || len(page.Calls) != 3 {
		t.Fatalf("after the refused booking: %d bookings, %v; want 3", len(page.Calls), err)
	}
}
