package calls_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/calls"
)

// endDeferred ends a call after d with the given settlement step failing
// for now at the gateway, so its ledger entry is left pending for a retry.
func (b *bundle) endDeferred(t *testing.T, c *vidivo.Call, d time.Duration, failing string) {
	t.Helper()
	b.clock.Add(d)
	b.gateway.FailNext(1, failing, billing.KindTemporary)
	if _, err := b.svc.End(context.Background(), b.hostCaller(), c.ID, vidivo.EndUserEnded); err != nil {
		t.Fatal(err)
	}
}

// TestRacingSettlementsRecordSuccess is issue 17's fourth defect in the
// service: the in-line settlement and the settle job run at once. Every
// run must record the capture as succeeded — never failed because another
// run got there first.
func TestRacingSettlementsRecordSuccess(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		for range 5 {
			c := b.activeCall(t, 100, 10)
			b.endDeferred(t, c, 3*time.Minute, "capture")
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					if err := b.svc.Settle(ctx, c.ID); err != nil {
						t.Errorf("racing settlement: %v", err)
					}
				})
			}
			wg.Wait()
			if diff := cmp.Diff([]string{"hold/0/succeeded 10.00", "capture/0/succeeded 3.00"}, b.ledger(t, c.ID)); diff != "" {
				t.Errorf("ledger (-want +got):\n%s", diff)
			}
			b.books(t, c.ID)
		}
	})
}

// TestSettlementStepFoundDoneRecordsSuccess: a settlement step the gateway
// refuses because its work is already done (its key forgotten — Stripe
// keeps keys 24 hours — or done under another) is recorded as succeeded,
// after looking the hold up, not as failed.
func TestSettlementStepFoundDoneRecordsSuccess(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		step string
		// done does the step's work at the gateway under another key.
		done func(ctx context.Context, g billing.Gateway, holdID string) error
		want []string
	}{
		{"capture", "capture", func(ctx context.Context, g billing.Gateway, holdID string) error {
			return g.Capture(ctx, billing.CaptureRequest{IdempotencyKey: "forgotten", HoldID: holdID, Amount: 1000})
		}, []string{"hold/0/succeeded 10.00", "hold/1/succeeded 10.00", "capture/0/succeeded 10.00", "release/1/succeeded 10.00"}},
		{"release", "release", func(ctx context.Context, g billing.Gateway, holdID string) error {
			return g.Release(ctx, billing.ReleaseRequest{IdempotencyKey: "forgotten", HoldID: holdID})
		}, []string{"hold/0/succeeded 10.00", "hold/1/succeeded 10.00", "capture/0/succeeded 10.00", "release/1/succeeded 10.00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			forEngines(t, func(t *testing.T, b *bundle) {
				ctx := context.Background()
				c := b.activeCall(t, 100, 10)
				b.clock.Add(9 * time.Minute)
				b.runDue(t, c.ID) // window 1 is held a minute before window 0 ends
				b.endDeferred(t, c, 30*time.Second, tc.step)
				charges, err := b.db.Charges(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				window := map[string]int{"capture": 0, "release": 1}[tc.step]
				var holdID string
				for _, ch := range charges {
					if ch.Kind == vidivo.ChargeHold && ch.Window == window {
						holdID = ch.GatewayID
					}
				}
				if err := tc.done(ctx, b.gateway, holdID); err != nil {
					t.Fatal(err)
				}
				if err := b.svc.Settle(ctx, c.ID); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, b.ledger(t, c.ID)); diff != "" {
					t.Errorf("ledger (-want +got):\n%s", diff)
				}
				b.books(t, c.ID)
			})
		})
	}
}

// TestSettleResolvesAPendingHold is issue 17's fifth defect in settlement:
// a renewal whose gateway answer was lost, followed by the call ending,
// left that hold authorized for good (the renewal's retry returns because
// the call ended, and settlement skipped pending holds). Settlement asks
// the gateway what became of it, and releases it — showing what it
// released.
func TestSettleResolvesAPendingHold(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		c := b.activeCall(t, 100, 10)
		b.clock.Add(9 * time.Minute)
		b.crashedHold(t, b.call(t, c.ID), 1)
		b.clock.Add(30 * time.Second)
		if _, err := b.svc.End(ctx, b.hostCaller(), c.ID, vidivo.EndUserEnded); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.RenewHold(ctx, c.ID, 1); err != nil { // the renewal's retry
			t.Fatal(err)
		}
		want := []string{"hold/0/succeeded 10.00", "hold/1/succeeded 10.00", "capture/0/succeeded 10.00", "release/1/succeeded 10.00"}
		if diff := cmp.Diff(want, b.ledger(t, c.ID)); diff != "" {
			t.Errorf("ledger (-want +got):\n%s", diff)
		}
		b.books(t, c.ID)
	})
}

// TestLedgerShowsWhatEachReleaseReleased (issue 13, item 6): a release
// entry carries the amount it gave back, not 0.00.
func TestLedgerShowsWhatEachReleaseReleased(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		c, _, err := b.svc.Join(ctx, calls.JoinRequest{ShortCode: b.link(t, 250, 10).ShortCode, PaymentMethodID: "pm_card_visa"})
		if err != nil {
			t.Fatal(err)
		}
		b.clock.Add(vidivo.NoShowAfter)
		if err := b.svc.NoShow(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"hold/0/succeeded 25.00", "release/0/succeeded 25.00"}, b.ledger(t, c.ID)); diff != "" {
			t.Errorf("ledger of a missed call (-want +got):\n%s", diff)
		}
	})
}

// TestShortfallIsRecorded: a call whose total was cut to what its holds
// covered (as the 5-minute call billed $5.00 but charged $2.00)
// gets a shortfall line in its ledger and is counted, once, not only
// logged.
func TestShortfallIsRecorded(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		c := b.activeCall(t, 100, 1)
		// What a call that ran past its holds was left as: 5 minutes
		// billed, the total cut to the one window held.
		b.clock.Add(5 * time.Minute)
		now := b.clock.Now()
		c.Status, c.EndedAt, c.EndReason = vidivo.CallCompleted, &now, ptr(vidivo.EndUserEnded)
		c.DurationSeconds, c.BilledMinutes, c.TotalCharged = 300, 5, 100
		if err := b.db.TransitionCall(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		for range 2 { // the in-line settlement and its job
			if err := b.svc.Settle(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{"hold/0/succeeded 1.00", "capture/0/succeeded 1.00", "shortfall/0/succeeded 4.00"}
		if diff := cmp.Diff(want, b.ledger(t, c.ID)); diff != "" {
			t.Errorf("ledger (-want +got):\n%s", diff)
		}
		if n, cents := counted(t, b.svc.Metrics.Shortfalls), counted(t, b.svc.Metrics.ShortfallCents); n != 1 || cents != 400 {
			t.Errorf("shortfall metrics = %v calls, %v cents; want 1, 400", n, cents)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// counted reads a counter's value.
func counted(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
