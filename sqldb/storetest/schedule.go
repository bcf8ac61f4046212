package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sqldb"
)

// noLimits books without a margin or a cap.
var noLimits = vidivo.BookingLimits{}

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
	if err := b.db.Book(ctx, first, noLimits); err != nil || first.ID == "" || first.Status != vidivo.BookingConfirmed {
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
		if got := vidivo.ErrorCode(b.db.Book(ctx, tc.b, noLimits)); got != tc.code {
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
	if err := b.db.Book(ctx, again, noLimits); err != nil {
		t.Fatalf("rebook a freed slot: %v", err)
	}

	// Rescheduling onto a taken time changes nothing.
	taken := booking(host, guest, at.Add(2*time.Hour), 30)
	if err := b.db.Book(ctx, taken, noLimits); err != nil {
		t.Fatal(err)
	}
	err = b.db.Reschedule(ctx, again.ID, host.ID, booking(host, guest, at.Add(2*time.Hour), 30), noLimits)
	wantCode(t, err, vidivo.ECONFLICT)
	if got, _ := b.db.Booking(ctx, again.ID); got.Status != vidivo.BookingConfirmed {
		t.Errorf("a failed reschedule canceled the booking: %s", got.Status)
	}
	next := booking(host, guest, at.Add(4*time.Hour), 30)
	if err := b.db.Reschedule(ctx, again.ID, host.ID, next, noLimits); err != nil {
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

	t.Run("Limits", func(t *testing.T) { testBookingLimits(t, engine) })
	t.Run("CapRace", func(t *testing.T) { testBookingCapRace(t, engine) })
	t.Run("CallStart", func(t *testing.T) { testBookingCallStart(t, engine) })
}

// startBookedCall starts the call of booking bk as the calls service does:
// a pending hold, then StartScheduledCall.
func startBookedCall(ctx context.Context, db *sqldb.DB, bk *vidivo.ScheduledCall) error {
	c := &vidivo.Call{ID: bk.ID, HostID: bk.HostID, GuestID: bk.ID + "G", GuestUserID: &bk.GuestID, Rate: bk.Rate,
		WindowMinutes: bk.WindowMinutes, PaymentMethodID: "pm_card_visa", Windows: 1, ScheduledAt: &bk.StartsAt}
	hold := &vidivo.Charge{CallID: c.ID, Kind: vidivo.ChargeHold, Amount: 2500, IdempotencyKey: "call/" + c.ID + "/hold/0",
		Hold: &vidivo.HoldDetails{PaymentMethodID: "pm_card_visa"}}
	if err := db.AddCharge(ctx, hold); err != nil {
		return err
	}
	hold.GatewayID = "hold_" + c.ID
	return db.StartScheduledCall(ctx, c, hold, nil)
}

// testBookingCallStart: once a booking's call exists the booking can be
// neither canceled nor rescheduled, and a call cannot start for a canceled
// booking; when the two race, exactly one wins.
func testBookingCallStart(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	host := MustCreateUser(t, b.db, "janecoach", vidivo.RoleHost)
	guest := MustCreateUser(t, b.db, "alex", vidivo.RoleClient)
	at := time.Date(2026, 3, 16, 8, 0, 0, 0, time.UTC)

	started := booking(host, guest, at, 30)
	if err := b.db.Book(ctx, started, noLimits); err != nil {
		t.Fatal(err)
	}
	if err := startBookedCall(ctx, b.db, started); err != nil {
		t.Fatalf("start the booking's call: %v", err)
	}
	if got, _ := b.db.Booking(ctx, started.ID); got.CallStartedAt == nil {
		t.Error("call_started_at not set when the call started")
	}
	_, err := b.db.CancelBooking(ctx, started.ID, guest.ID, nil)
	wantCode(t, err, vidivo.ECONFLICT)
	wantCode(t, b.db.Reschedule(ctx, started.ID, guest.ID, booking(host, guest, at.Add(time.Hour), 30), noLimits), vidivo.ECONFLICT)
	if got, _ := b.db.Booking(ctx, started.ID); got.Status != vidivo.BookingConfirmed {
		t.Errorf("booking with a call = %s, want confirmed", got.Status)
	}

	canceled := booking(host, guest, at.Add(2*time.Hour), 30)
	if err := b.db.Book(ctx, canceled, noLimits); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.CancelBooking(ctx, canceled.ID, guest.ID, nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, startBookedCall(ctx, b.db, canceled), vidivo.ECONFLICT)
	_, err = b.db.CallByID(ctx, canceled.ID)
	wantCode(t, err, vidivo.ENOTFOUND)

	// Cancel and start race on ten bookings: each ends with a call and a
	// confirmed booking, or a canceled booking and no call.
	for i := range 10 {
		bk := booking(host, guest, at.Add(time.Duration(4+i)*time.Hour), 30)
		if err := b.db.Book(ctx, bk, noLimits); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var cancelErr, startErr error
		wg.Go(func() { _, cancelErr = b.db.CancelBooking(ctx, bk.ID, guest.ID, nil) })
		wg.Go(func() { startErr = startBookedCall(ctx, b.db, bk) })
		wg.Wait()
		got, _ := b.db.Booking(ctx, bk.ID)
		_, callErr := b.db.CallByID(ctx, bk.ID)
		switch {
		case cancelErr == nil && startErr == nil:
			t.Errorf("booking %d: both the cancel and the call start succeeded", i)
		case cancelErr != nil && startErr != nil:
			t.Errorf("booking %d: both failed: cancel %v, start %v", i, cancelErr, startErr)
		case cancelErr == nil && (got.Status != vidivo.BookingCanceled || callErr == nil || vidivo.ErrorCode(startErr) != vidivo.ECONFLICT):
			t.Errorf("booking %d: canceled, but status %s, call error %v, start error %v", i, got.Status, callErr, startErr)
		case startErr == nil && (got.Status != vidivo.BookingConfirmed || callErr != nil || vidivo.ErrorCode(cancelErr) != vidivo.ECONFLICT):
			t.Errorf("booking %d: call started, but status %s, call error %v, cancel error %v", i, got.Status, callErr, cancelErr)
		}
	}
}

// testBookingLimits: the margin keeps time free around bookings, and the
// per-guest cap counts only the guest's upcoming confirmed bookings with
// that host.
func testBookingLimits(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	host := MustCreateUser(t, b.db, "janecoach", vidivo.RoleHost)
	other := MustCreateUser(t, b.db, "otherhost", vidivo.RoleHost)
	guest := MustCreateUser(t, b.db, "alex", vidivo.RoleClient)
	at := time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC)
	lim := vidivo.BookingLimits{Margin: 15 * time.Minute, MaxUpcomingPerGuest: 2}
	if err := b.db.Book(ctx, booking(host, guest, at, 30), lim); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		start time.Time
		code  string
	}{
		"inside the margin after":  {at.Add(40 * time.Minute), vidivo.ECONFLICT},
		"inside the margin before": {at.Add(-40 * time.Minute), vidivo.ECONFLICT},
	} {
		if got := vidivo.ErrorCode(b.db.Book(ctx, booking(host, guest, tc.start, 30), lim)); got != tc.code {
			t.Errorf("%s: code %q, want %q", name, got, tc.code)
		}
	}
	second := booking(host, guest, at.Add(45*time.Minute), 30)
	if err := b.db.Book(ctx, second, lim); err != nil {
		t.Fatalf("just outside the margin: %v", err)
	}
	wantCode(t, b.db.Book(ctx, booking(host, guest, at.Add(3*time.Hour), 30), lim), vidivo.EFORBIDDEN)
	// Other hosts and other guests have their own counts; a canceled
	// booking frees a place.
	if err := b.db.Book(ctx, booking(other, guest, at, 30), lim); err != nil {
		t.Errorf("another host: %v", err)
	}
	if _, err := b.db.CancelBooking(ctx, second.ID, guest.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.db.Book(ctx, booking(host, guest, at.Add(3*time.Hour), 30), lim); err != nil {
		t.Errorf("after a cancel: %v", err)
	}
	// A booking that has started no longer counts, and cannot be canceled.
	b.clock.Add(at.Sub(b.clock.Now()) + time.Minute)
	if err := b.db.Book(ctx, booking(host, guest, at.Add(5*time.Hour), 30), lim); err != nil {
		t.Errorf("once one has started: %v", err)
	}
	page, _ := b.db.Bookings(ctx, guest.ID, b.clock.Now(), 1, 10)
	for _, c := range page.Calls {
		if c.StartsAt.Equal(at) && c.HostID == host.ID {
			_, err := b.db.CancelBooking(ctx, c.ID, guest.ID, nil)
			wantCode(t, err, vidivo.ECONFLICT)
		}
	}
}

// testBookingCapRace has one guest book 20 different times with a host at
// once under a cap of 3: exactly 3 are booked on every engine.
func testBookingCapRace(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	host := MustCreateUser(t, b.db, "racehost", vidivo.RoleHost)
	guest := MustCreateUser(t, b.db, "guest", vidivo.RoleClient)
	at := time.Date(2026, 3, 16, 8, 0, 0, 0, time.UTC)
	var (
		wg              sync.WaitGroup
		wins, forbidden atomic.Int32
		start           = make(chan struct{})
	)
	for i := range 20 {
		wg.Go(func() {
			<-start
			err := b.db.Book(ctx, booking(host, guest, at.Add(time.Duration(i)*time.Hour), 30), vidivo.BookingLimits{MaxUpcomingPerGuest: 3})
			switch vidivo.ErrorCode(err) {
			case "":
				wins.Add(1)
			case vidivo.EFORBIDDEN:
				forbidden.Add(1)
			default:
				t.Errorf("book: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins.Load() != 3 || forbidden.Load() != 17 {
		t.Errorf("%d booked, %d refused; want 3 and 17", wins.Load(), forbidden.Load())
	}
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
			err := b.db.Book(ctx, booking(host, guest, at.Add(time.Duration(i%5)*time.Minute), 30), noLimits)
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
