package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
)

func booking(host, guest *vidivo.User, start time.Time, minutes int) *vidivo.ScheduledCall {
	return &vidivo.ScheduledCall{HostID: host.ID, GuestID: guest.ID, StartsAt: start,
		EndsAt: start.Add(time.Duration(minutes) * time.Minute), DurationMinutes: minutes, Rate: 250, WindowMinutes: 10}
}

func testBookings(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	host := MustCreateUser(t, b.db, "janecoach", vidivo.RoleHost)
	other := MustCreateUser(t, b.db, "otherhost", vidivo.RoleHost)
	guest := MustCreateUser(t, b.db, "alex", vidivo.RoleClient)
	at := time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC)

	first := booking(host, guest, at, 30)
	if err := b.db.Book(ctx, first); err != nil || first.ID == "" || first.Status != vidivo.BookingConfirmed {
		t.Fatalf("Book = %+v, %v", first, err)
	}
	for name, tc := range map[string]struct {
		b    *vidivo.ScheduledCall
		code string
	}{
		"same slot":               {booking(host, guest, at, 30), vidivo.ECONFLICT},
		"overlaps the end":        {booking(host, guest, at.Add(29*time.Minute), 30), vidivo.ECONFLICT},
		"contains it":             {booking(host, guest, at.Add(-time.Hour), 120), vidivo.ECONFLICT},
		"right after":             {booking(host, guest, at.Add(30*time.Minute), 30), ""},
		"right before":            {booking(host, guest, at.Add(-30*time.Minute), 30), ""},
		"another host, same time": {booking(other, guest, at, 30), ""},
	} {
		if got := vidivo.ErrorCode(b.db.Book(ctx, tc.b)); got != tc.code {
			t.Errorf("%s: code %q, want %q", name, got, tc.code)
		}
	}

	// Canceling frees the slot; canceling twice is a conflict.
	why := "Schedule conflict"
	canceled, err := b.db.CancelBooking(ctx, first.ID, guest.ID, &why)
	if err != nil || canceled.Status != vidivo.BookingCanceled || *canceled.CanceledBy != guest.ID || *canceled.CancelReason != why || canceled.Sequence != 1 {
		t.Fatalf("cancel = %+v, %v", canceled, err)
	}
	_, err = b.db.CancelBooking(ctx, first.ID, guest.ID, nil)
	wantCode(t, err, vidivo.ECONFLICT)
	_, err = b.db.CancelBooking(ctx, "01JN2X6M0P5H9SRBTXY8ZDKEFG", guest.ID, nil)
	wantCode(t, err, vidivo.ENOTFOUND)
	again := booking(host, guest, at, 30)
	if err := b.db.Book(ctx, again); err != nil {
		t.Fatalf("rebook a freed slot: %v", err)
	}

	// Rescheduling onto a taken time changes nothing.
	taken := booking(host, guest, at.Add(2*time.Hour), 30)
	if err := b.db.Book(ctx, taken); err != nil {
		t.Fatal(err)
	}
	err = b.db.Reschedule(ctx, again.ID, host.ID, booking(host, guest, at.Add(2*time.Hour), 30))
	wantCode(t, err, vidivo.ECONFLICT)
	if got, _ := b.db.Booking(ctx, again.ID); got.Status != vidivo.BookingConfirmed {
		t.Errorf("a failed reschedule canceled the booking: %s", got.Status)
	}
	next := booking(host, guest, at.Add(4*time.Hour), 30)
	if err := b.db.Reschedule(ctx, again.ID, host.ID, next); err != nil {
		t.Fatal(err)
	}
	if old, _ := b.db.Booking(ctx, again.ID); old.Status != vidivo.BookingCanceled || !old.Rescheduled {
		t.Errorf("old booking after reschedule: %+v", old)
	}
	busy, err := b.db.BusyTimes(ctx, host.ID, at.Add(-24*time.Hour), at.Add(24*time.Hour))
	if err != nil || len(busy) != 4 { // right before, right after, taken, next
		t.Errorf("busy = %d, %v", len(busy), err)
	}
	page, err := b.db.Bookings(ctx, guest.ID, at.Add(3*time.Hour), 1, 100)
	if err != nil || page.Total != 7 {
		t.Fatalf("bookings = %+v, %v", page, err)
	}
	if first := page.Calls[0]; !first.StartsAt.Equal(next.StartsAt) {
		t.Errorf("upcoming first: got %v first", first.StartsAt)
	}

	if err := b.db.PutAvailability(ctx, host.ID, []byte(`{"timezone":"UTC"}`)); err != nil {
		t.Fatal(err)
	}
	if err := b.db.PutAvailability(ctx, host.ID, []byte(`{"timezone":"Europe/Berlin"}`)); err != nil {
		t.Fatal(err)
	}
	if doc, err := b.db.Availability(ctx, host.ID); err != nil || string(doc) != `{"timezone":"Europe/Berlin"}` {
		t.Errorf("availability = %s, %v", doc, err)
	}
	_, err = b.db.Availability(ctx, guest.ID)
	wantCode(t, err, vidivo.ENOTFOUND)
}

// testBookingRace has 50 clients book the same slot at once: exactly one
// wins on every engine, the database being the judge.
func testBookingRace(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	host := MustCreateUser(t, b.db, "racehost", vidivo.RoleHost)
	guest := MustCreateUser(t, b.db, "guest", vidivo.RoleClient)
	at := time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC)
	var (
		wg              sync.WaitGroup
		wins, conflicts atomic.Int32
		start           = make(chan struct{})
	)
	for i := range 50 {
		wg.Go(func() {
			<-start
			// Overlapping but not identical slots, to exercise ranges.
			err := b.db.Book(ctx, booking(host, guest, at.Add(time.Duration(i%5)*time.Minute), 30))
			switch vidivo.ErrorCode(err) {
			case "":
				wins.Add(1)
			case vidivo.ECONFLICT:
				conflicts.Add(1)
			default:
				t.Errorf("book: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 49 {
		t.Errorf("%d booked, %d conflicts; want 1 and 49", wins.Load(), conflicts.Load())
	}
	busy, _ := b.db.BusyTimes(ctx, host.ID, at.Add(-time.Hour), at.Add(time.Hour))
	if len(busy) != 1 {
		t.Errorf("%d rows booked, want 1", len(busy))
	}
}
