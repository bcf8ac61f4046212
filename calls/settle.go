package calls

import (
	"context"
	"fmt"
	"sort"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// Settle captures an ended call's total from its holds in window order and
// releases the rest. A hold left pending (its gateway answer lost) is first
// resolved by asking the gateway what became of it, so a hold placed for a
// call that then ended is released, never left authorized. Each capture
// and release is a ledger entry keyed by its idempotency key, so running
// Settle again — a retry, a second instance, reconciliation — finishes
// what is left and never repeats what succeeded. It returns an error if
// the gateway failed; the caller retries.
func (s *Service) Settle(ctx context.Context, callID string) error {
	c, err := s.Store.CallByID(ctx, callID)
	if err != nil {
		return err
	}
	if !c.Status.Ended() {
		return fmt.Errorf("calls: settle %s: call is still %s", callID, c.Status)
	}
	charges, err := s.Store.Charges(ctx, callID)
	if err != nil {
		return err
	}
	for _, ch := range charges {
		if ch.Kind == vidivo.ChargeHold && ch.State == vidivo.ChargePending {
			if err := s.resolveHold(ctx, ch); err != nil {
				return err
			}
		}
	}
	holds, released := openHolds(charges)
	for _, h := range released {
		if err := s.release(ctx, callID, h); err != nil { // finishes one left pending
			return err
		}
	}
	amounts := make([]vidivo.Money, len(holds))
	for i, h := range holds {
		amounts[i] = h.Amount
	}
	split := billing.SplitTotal(c.TotalCharged, amounts)
	for i, h := range holds {
		if split.Capture[i] > 0 {
			err = s.capture(ctx, h, split.Capture[i])
		} else {
			err = s.release(ctx, callID, h)
		}
		if err != nil {
			return err
		}
	}
	return s.recordShortfall(ctx, c)
}

func (s *Service) capture(ctx context.Context, hold *vidivo.Charge, amount vidivo.Money) error {
	ch := &vidivo.Charge{CallID: hold.CallID, Kind: vidivo.ChargeCapture, Window: hold.Window, Amount: amount,
		GatewayID: hold.GatewayID, IdempotencyKey: stepKey(hold, "capture")}
	return s.settleOp(ctx, ch, func() error {
		return s.Gateway.Capture(ctx, billing.CaptureRequest{IdempotencyKey: ch.IdempotencyKey, HoldID: hold.GatewayID,
			Amount: amount, ApplicationFee: billing.PlatformFee(amount, s.PlatformFeePercent)})
	})
}

// release gives a placed hold back in full; its ledger entry shows the
// amount released.
func (s *Service) release(ctx context.Context, callID string, hold *vidivo.Charge) error {
	ch := &vidivo.Charge{CallID: callID, Kind: vidivo.ChargeRelease, Window: hold.Window, Amount: hold.Amount,
		GatewayID: hold.GatewayID, IdempotencyKey: stepKey(hold, "release")}
	return s.settleOp(ctx, ch, func() error {
		return s.Gateway.Release(ctx, billing.ReleaseRequest{IdempotencyKey: ch.IdempotencyKey, HoldID: hold.GatewayID})
	})
}

// settleOp runs one capture or release through the ledger: skipped if it
// already succeeded; recorded as succeeded if the gateway did it, or if it
// refuses it because the work is already done (the hold is captured by
// this amount, or canceled); recorded as failed if refused for any other
// reason; left pending (and returned as an error) if the gateway failed for
// now.
func (s *Service) settleOp(ctx context.Context, ch *vidivo.Charge, do func() error) error {
	if err := s.Store.AddCharge(ctx, ch); err != nil {
		return err
	}
	if ch.State != vidivo.ChargePending {
		return nil
	}
	err := do()
	if err != nil && billing.ErrorKind(err) == billing.KindTemporary {
		return fmt.Errorf("calls: %s %s: %w", ch.Kind, ch.IdempotencyKey, err)
	}
	if err != nil {
		done, lerr := s.alreadyDone(ctx, ch)
		if lerr != nil {
			return fmt.Errorf("calls: %s %s: look up the hold: %w", ch.Kind, ch.IdempotencyKey, lerr)
		}
		if !done {
			s.log().ErrorContext(ctx, "gateway refused a settlement step", "key", ch.IdempotencyKey, "err", err)
			return s.Store.SetChargeState(ctx, ch.ID, vidivo.ChargeFailed, "")
		}
	}
	return s.Store.SetChargeState(ctx, ch.ID, vidivo.ChargeSucceeded, ch.GatewayID)
}

// alreadyDone reports whether the gateway's books show a refused
// settlement step as done: a capture whose hold is captured by exactly its
// amount, a release whose hold is canceled. A lookup that fails for now is
// returned as an error; an unknown hold is not done.
func (s *Service) alreadyDone(ctx context.Context, ch *vidivo.Charge) (bool, error) {
	st, err := s.Gateway.Lookup(ctx, ch.GatewayID)
	if err != nil && billing.ErrorKind(err) == billing.KindTemporary {
		return false, err
	}
	if err != nil {
		return false, nil
	}
	if ch.Kind == vidivo.ChargeCapture {
		return st.Status == billing.HoldCaptured && st.Captured == ch.Amount, nil
	}
	return st.Status == billing.HoldCanceled, nil
}

// heldAmounts lists the amounts of a call's open holds, window by window.
func (s *Service) heldAmounts(ctx context.Context, callID string) ([]vidivo.Money, error) {
	charges, err := s.Store.Charges(ctx, callID)
	if err != nil {
		return nil, err
	}
	holds, _ := openHolds(charges)
	out := make([]vidivo.Money, len(holds))
	for i, h := range holds {
		out[i] = h.Amount
	}
	return out, nil
}

// openHolds splits the placed holds of a ledger into those still open, in
// window and attempt order, and those a release gave (or is giving) back:
// a released hold is never captured from, nor counted as held. Leaving
// released holds out never changes how a total splits over the others: a
// hold is released only when the holds before it covered the total.
func openHolds(charges []*vidivo.Charge) (open, released []*vidivo.Charge) {
	releases := map[string]bool{}
	for _, ch := range charges {
		if ch.Kind == vidivo.ChargeRelease {
			releases[ch.IdempotencyKey] = true
		}
	}
	for _, ch := range charges {
		switch {
		case ch.Kind != vidivo.ChargeHold || ch.State != vidivo.ChargeSucceeded:
		case releases[stepKey(ch, "release")]:
			released = append(released, ch)
		default:
			open = append(open, ch)
		}
	}
	sort.SliceStable(open, func(i, j int) bool {
		if open[i].Window != open[j].Window {
			return open[i].Window < open[j].Window
		}
		return attemptOf(open[i]) < attemptOf(open[j])
	})
	return open, released
}
