package calls_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calls"
	"github.com/vidivo/vidivo/sqldb/storetest"
)

// booked books a 30-minute call of the host at $1/min with 10-minute
// windows, starting now, for a new client; it returns the booking and the
// client as a caller.
func (b *bundle) booked(t *testing.T) (*vidivo.ScheduledCall, vidivo.Caller) {
	t.Helper()
	guest := storetest.MustCreateUser(t, b.db, "alex", vidivo.RoleClient)
	start := b.clock.Now()
	bk := &vidivo.ScheduledCall{HostID: b.host.ID, GuestID: guest.ID, StartsAt: start, EndsAt: start.Add(30 * time.Minute),
		DurationMinutes: 30, Rate: 100, WindowMinutes: 10}
	if err := b.db.Book(context.Background(), bk, vidivo.BookingLimits{}); err != nil {
		t.Fatal(err)
	}
	return bk, vidivo.Caller{Subject: guest.ID, Role: vidivo.RoleClient}
}

// TestBookedCallNeverStartsOnAReleasedHold is issue 17's third defect: a
// kill between a booked call's first hold at the gateway and the call's
// start leaves the hold pending; reconciliation finds it placed, with no
// call, and releases it. The guest's rejoin must place a new hold (a new
// attempt, a new key), not start the call on the released one — which
// billed $6.00 and captured nothing.
func TestBookedCallNeverStartsOnAReleasedHold(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		bk, guest := b.booked(t)
		// The crash: the gateway placed the first hold, the call was never
		// recorded.
		b.crashedHold(t, &vidivo.Call{ID: bk.ID, Rate: bk.Rate, WindowMinutes: bk.WindowMinutes, PaymentMethodID: "pm_card_visa"}, 0)
		b.clock.Add(20 * time.Second)
		if err := b.svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"hold/0/succeeded 10.00", "release/0/succeeded 10.00"}, b.ledger(t, bk.ID)); diff != "" {
			t.Fatalf("reconciled ledger (-want +got):\n%s", diff)
		}

		if _, err := b.svc.JoinScheduled(ctx, calls.ScheduledJoin{Caller: guest, BookingID: bk.ID, PaymentMethodID: "pm_card_visa"}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.JoinScheduled(ctx, calls.ScheduledJoin{Caller: b.hostCaller(), BookingID: bk.ID}); err != nil {
			t.Fatal(err)
		}
		b.clock.Add(6 * time.Minute)
		if _, err := b.svc.End(ctx, guest, bk.ID, vidivo.EndUserEnded); err != nil {
			t.Fatal(err)
		}
		if captured := b.books(t, bk.ID); captured != 600 {
			t.Errorf("captured %v of a 6-minute call at $1/min, want 6.00", captured)
		}
	})
}

// TestBookingJoinsAfterADeclinedCard: after one declined card the guest
// joins with a good one — the new card is really asked (a new attempt),
// not the declined request sent again.
func TestBookingJoinsAfterADeclinedCard(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		bk, guest := b.booked(t)
		_, err := b.svc.JoinScheduled(ctx, calls.ScheduledJoin{Caller: guest, BookingID: bk.ID, PaymentMethodID: "pm_card_chargeDeclined"})
		if vidivo.ErrorCode(err) != vidivo.ESTRIPE {
			t.Fatalf("join with a declined card = %v, want stripe_error", err)
		}
		c, err := b.svc.JoinScheduled(ctx, calls.ScheduledJoin{Caller: guest, BookingID: bk.ID, PaymentMethodID: "pm_card_visa"})
		if err != nil {
			t.Fatalf("join with a good card after a declined one: %v", err)
		}
		if c.Status != vidivo.CallWaiting {
			t.Errorf("call is %s, want waiting", c.Status)
		}
		if diff := cmp.Diff([]string{"hold/0/failed 10.00", "hold/0/succeeded 10.00"}, b.ledger(t, bk.ID)); diff != "" {
			t.Errorf("ledger (-want +got):\n%s", diff)
		}
		// Joining again returns the session as it is.
		if _, err := b.svc.JoinScheduled(ctx, calls.ScheduledJoin{Caller: guest, BookingID: bk.ID}); err != nil {
			t.Errorf("joining again: %v", err)
		}
	})
}

// TestFirstHoldResolvedMeanwhileStartsNoCall: reconciliation (now running
// continuously) may resolve and release a first hold while its join is
// still in flight. The join must then fail, never start a call on the
// released hold.
func TestFirstHoldResolvedMeanwhileStartsNoCall(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		l := b.link(t, 100, 10)
		b.gateway.BeforeNext("hold", func() {
			b.clock.Add(time.Minute) // the join is slow: its entry is older than the grace
			if err := b.svc.Reconcile(ctx); err != nil {
				t.Errorf("reconcile: %v", err)
			}
		})
		_, _, err := b.svc.Join(ctx, calls.JoinRequest{ShortCode: l.ShortCode, PaymentMethodID: "pm_card_visa"})
		if vidivo.ErrorCode(err) != vidivo.ECONFLICT {
			t.Fatalf("join whose hold was released meanwhile = %v, want conflict", err)
		}
		pending, err := b.db.PendingCharges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 0 {
			t.Errorf("%d ledger entries left pending", len(pending))
		}
		page, err := b.db.Calls(ctx, vidivo.CallFilter{UserID: b.host.ID, Page: 1, PerPage: 10})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 0 {
			t.Errorf("%d calls started", page.Total)
		}
	})
}
