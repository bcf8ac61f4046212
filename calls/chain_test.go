package calls_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// crashedHold builds what a kill between a hold at the gateway and its
// ledger update leaves: the gateway placed the hold, the ledger entry is
// still pending.
func (b *bundle) crashedHold(t *testing.T, c *vidivo.Call, window int) *vidivo.Charge {
	t.Helper()
	ctx := context.Background()
	ch := &vidivo.Charge{CallID: c.ID, Kind: vidivo.ChargeHold, Window: window,
		Amount: billing.WindowAmount(c.Rate, c.WindowMinutes), IdempotencyKey: fmt.Sprintf("call/%s/hold/%d", c.ID, window),
		Hold: &vidivo.HoldDetails{PaymentMethodID: c.PaymentMethodID, CustomerID: c.CustomerID}}
	if err := b.db.AddCharge(ctx, ch); err != nil {
		t.Fatal(err)
	}
	_, err := b.gateway.Hold(ctx, billing.HoldRequest{IdempotencyKey: ch.IdempotencyKey, Amount: ch.Amount,
		PaymentMethodID: c.PaymentMethodID, CustomerID: c.CustomerID, OffSession: window > 0})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// job finds a call's queued job of kind for window.
func (b *bundle) job(t *testing.T, callID, kind string, window int) queued {
	t.Helper()
	for _, q := range b.queue(t, callID) {
		if q.kind == kind && q.args.Window == window {
			return q
		}
	}
	t.Fatalf("no %s job for window %d of %s; queue: %+v", kind, window, callID, b.queue(t, callID))
	return queued{}
}

// live moves the clock on in steps of 10 seconds until d has passed,
// working the call's jobs as they come due.
func (b *bundle) live(t *testing.T, callID string, d time.Duration) {
	t.Helper()
	for end := b.clock.Now().Add(d); b.clock.Now().Before(end); {
		b.clock.Add(10 * time.Second)
		b.runDue(t, callID)
	}
}

// TestReconcileCarriesTheRenewalChainOn is issue 17's first defect: a kill
// while window 1's renewal was at the gateway leaves its hold placed but
// pending in the ledger and the renewal job stuck running. Reconciliation
// finds the hold placed; it must also schedule the next renewal, and the
// rescued job's retry must not end the chain. A $1/min call with 1-minute
// windows, ended after 5 minutes, then bills 5 minutes and captures $5.00
// — not billed_minutes=5 with total_charged=2.00.
func TestReconcileCarriesTheRenewalChainOn(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		c := b.activeCall(t, 100, 1)
		start := *c.ActiveAt
		renew := b.job(t, c.ID, vidivo.RenewHoldJob{}.Kind(), 1)
		b.setJobState(t, renew.id, "running")
		b.crashedHold(t, c, 1)

		b.clock.Add(20 * time.Second) // the restart
		if err := b.svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		b.setJobState(t, renew.id, "retryable") // River rescues the stuck job
		b.live(t, c.ID, 5*time.Minute-20*time.Second)
		if _, err := b.svc.End(ctx, b.hostCaller(), c.ID, vidivo.EndUserEnded); err != nil {
			t.Fatal(err)
		}
		b.runDue(t, c.ID)

		got := b.call(t, c.ID)
		if got.BilledMinutes != 5 || got.TotalCharged != 500 || !got.EndedAt.Equal(start.Add(5*time.Minute)) {
			t.Errorf("ended %v after start, billed %d min, total %v; want 5m, 5 min, 5.00",
				got.EndedAt.Sub(start), got.BilledMinutes, got.TotalCharged)
		}
		if captured := b.books(t, c.ID); captured != 500 {
			t.Errorf("captured %v, want 5.00", captured)
		}
	})
}

// TestCallEndsWhenItsPaidTimeRunsOut: a call whose next hold never came
// (its renewal job died with its process) ends when its held time runs
// out, never later, and a late end is billed only to there.
func TestCallEndsWhenItsPaidTimeRunsOut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// stuck are the jobs of window 2's renewal and window 1's end of
		// paid time that a dead process left running.
		stuck      []string
		endAfter   time.Duration
		wantReason string
	}{
		{"renewal lost", []string{vidivo.RenewHoldJob{}.Kind()}, 5 * time.Minute, vidivo.EndTimeout},
		{"renewal and paid-time check lost", []string{vidivo.RenewHoldJob{}.Kind(), "call_paid_time"}, 3 * time.Minute, vidivo.EndUserEnded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			forEngines(t, func(t *testing.T, b *bundle) {
				ctx := context.Background()
				c := b.activeCall(t, 100, 1)
				start := *c.ActiveAt
				b.runDue(t, c.ID) // window 1 is held at once
				if got := b.call(t, c.ID).Windows; got != 2 {
					t.Fatalf("%d windows held, want 2", got)
				}
				for _, kind := range tc.stuck {
					window := 2
					if kind != (vidivo.RenewHoldJob{}).Kind() {
						window = 1
					}
					for _, q := range b.queue(t, c.ID) {
						if q.kind == kind && q.args.Window == window {
							b.setJobState(t, q.id, "running")
						}
					}
				}
				b.live(t, c.ID, tc.endAfter)
				if got := b.call(t, c.ID); got.Status == vidivo.CallActive && tc.wantReason == vidivo.EndTimeout {
					t.Fatalf("the call is still active %v after it started, with 2 minutes held", tc.endAfter)
				}
				_, err := b.svc.End(ctx, b.hostCaller(), c.ID, vidivo.EndUserEnded)
				if tc.wantReason == vidivo.EndTimeout && vidivo.ErrorCode(err) != vidivo.ECONFLICT {
					t.Errorf("end after the paid time ran out = %v, want a conflict: it ended", err)
				}
				b.runDue(t, c.ID)
				got := b.call(t, c.ID)
				type summary struct {
					Ended   time.Duration
					Reason  string
					Billed  int64
					Charged vidivo.Money
				}
				want := summary{2 * time.Minute, tc.wantReason, 2, 200}
				if diff := cmp.Diff(want, summary{got.EndedAt.Sub(start), *got.EndReason, got.BilledMinutes, got.TotalCharged}); diff != "" {
					t.Errorf("ended call (-want +got):\n%s", diff)
				}
				b.books(t, c.ID)
			})
		})
	}
}

// TestReconcilePlacesAnOverdueRenewal: the renewal job of window 1 died
// with its process before asking the gateway, and River's rescue may come
// only after the paid time ends. Reconciliation, running every half
// minute, places the overdue renewal itself, so the call is not cut off at
// the end of its first window.
func TestReconcilePlacesAnOverdueRenewal(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		c := b.activeCall(t, 100, 10)
		b.clock.Add(9 * time.Minute) // the renewal comes due, and its process dies
		b.setJobState(t, b.job(t, c.ID, vidivo.RenewHoldJob{}.Kind(), 1).id, "running")
		b.clock.Add(20 * time.Second)
		if err := b.svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		if got := b.call(t, c.ID).Windows; got != 2 {
			t.Fatalf("%d windows held after reconciliation, want 2", got)
		}
		b.live(t, c.ID, 10*time.Minute) // the chain goes on from there
		if got := b.call(t, c.ID); got.Status != vidivo.CallActive || got.Windows != 3 {
			t.Fatalf("call %s with %d windows held 19m20s in, want active with 3", got.Status, got.Windows)
		}
	})
}

// TestPaidTimeCheckFindsTheRenewalPlaced: the renewal of window 1 reached
// the gateway, but its process died before the ledger heard, and nothing
// else looked before window 0's paid time ran out. The check at its end
// asks the gateway first: the hold was placed, so the call goes on instead
// of being cut off at 10:00.
func TestPaidTimeCheckFindsTheRenewalPlaced(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		c := b.activeCall(t, 100, 10)
		b.clock.Add(9 * time.Minute)
		b.setJobState(t, b.job(t, c.ID, vidivo.RenewHoldJob{}.Kind(), 1).id, "running")
		b.crashedHold(t, b.call(t, c.ID), 1)
		b.clock.Add(time.Minute)
		b.runDue(t, c.ID) // the paid-time check of window 0
		got := b.call(t, c.ID)
		if got.Status != vidivo.CallActive || got.Windows != 2 {
			t.Fatalf("call %s with %d windows held at 10:00, want active with 2", got.Status, got.Windows)
		}
		b.job(t, c.ID, "call_paid_time", 1) // and the chain goes on
	})
}
