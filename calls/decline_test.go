package calls_test

import (
	"context"
	"sync"
	"testing"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calls"
)

// ringingCall is a guest who joined a new link, rung at their host.
func (b *bundle) ringingCall(t *testing.T) *vidivo.Call {
	t.Helper()
	ctx := context.Background()
	name := "Alex"
	c, _, err := b.svc.Join(ctx, calls.JoinRequest{ShortCode: b.link(t, 250, 10).ShortCode, PaymentMethodID: "pm_card_visa", GuestName: &name})
	if err != nil {
		t.Fatal(err)
	}
	b.svc.Delivered(ctx, c.ID)
	if st := b.call(t, c.ID).Status; st != vidivo.CallRinging {
		t.Fatalf("delivered call is %s, want ringing", st)
	}
	return c
}

func TestDeclineEndsAsMissedWithNothingCharged(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		c := b.ringingCall(t)
		for name, caller := range map[string]vidivo.Caller{
			"guest":        {Subject: c.GuestID, Role: vidivo.RoleGuest, CallID: c.ID},
			"another host": {Subject: "01JN2X4K8M3F7QPZRVWT6YBHCE", Role: vidivo.RoleHost},
		} {
			if _, err := b.svc.Decline(ctx, caller, c.ID); vidivo.ErrorCode(err) != vidivo.EFORBIDDEN {
				t.Errorf("%s declines: %v, want EFORBIDDEN", name, err)
			}
		}
		got, err := b.svc.Decline(ctx, b.hostCaller(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		stored := b.call(t, c.ID)
		for _, x := range []*vidivo.Call{got, stored} {
			if x.Status != vidivo.CallMissed || x.EndReason == nil || *x.EndReason != vidivo.EndDeclined || x.TotalCharged != 0 || x.BilledMinutes != 0 {
				t.Errorf("declined call = %s %v total %v, want missed, declined, nothing charged", x.Status, x.EndReason, x.TotalCharged)
			}
		}
		charges, err := b.db.Charges(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []vidivo.ChargeKind
		for _, ch := range charges {
			if ch.State != vidivo.ChargeSucceeded {
				t.Errorf("%s of window %d is %s", ch.Kind, ch.Window, ch.State)
			}
			kinds = append(kinds, ch.Kind)
		}
		if len(kinds) != 2 || kinds[0] != vidivo.ChargeHold || kinds[1] != vidivo.ChargeRelease {
			t.Errorf("ledger = %v, want the hold and its release", kinds)
		}
		if _, err := b.svc.Decline(ctx, b.hostCaller(), c.ID); vidivo.ErrorCode(err) != vidivo.ECONFLICT {
			t.Errorf("decline twice: %v, want ECONFLICT", err)
		}
	})
}

// TestDeclineRacingAnAnswer: of an answer and a decline at once, exactly
// one wins, and the call is whatever the winner made it — a decline never
// ends a call that became active.
func TestDeclineRacingAnAnswer(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		for range 5 {
			c := b.ringingCall(t)
			var (
				wg                 sync.WaitGroup
				answerErr, declErr error
			)
			wg.Add(2)
			go func() { defer wg.Done(); _, answerErr = b.svc.HostJoin(ctx, b.hostCaller(), c.ID) }()
			go func() { defer wg.Done(); _, declErr = b.svc.Decline(ctx, b.hostCaller(), c.ID) }()
			wg.Wait()
			if (answerErr == nil) == (declErr == nil) {
				t.Fatalf("answer: %v, decline: %v; want exactly one to succeed", answerErr, declErr)
			}
			want := vidivo.CallMissed
			if answerErr == nil {
				want = vidivo.CallActive
			}
			if st := b.call(t, c.ID).Status; st != want {
				t.Errorf("call is %s, want %s", st, want)
			}
		}
		// The store's compare-and-set is what decides: a decline worked out
		// on a copy read before the answer cannot be written after it.
		c := b.ringingCall(t)
		stale := b.call(t, c.ID)
		if _, err := b.svc.HostJoin(ctx, b.hostCaller(), c.ID); err != nil {
			t.Fatal(err)
		}
		if err := stale.End(vidivo.EndDeclined, b.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := b.db.TransitionCall(ctx, stale, nil); vidivo.ErrorCode(err) != vidivo.ECONFLICT {
			t.Errorf("a stale decline after the answer: %v, want ECONFLICT", err)
		}
	})
}
