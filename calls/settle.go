package calls

import (
	"context"
	"fmt"
	"sort"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// Settle captures an ended call's total from its holds in window order and
// releases the rest. Each capture and release is a ledger entry keyed by
// its idempotency key, so running Settle again — a retry, a second
// instance, reconciliation — finishes what is left and never repeats what
// succeeded. It returns an error if the gateway failed; the caller retries.
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
	holds := succeededHolds(charges)
	sort.SliceStable(holds, func(i, j int) bool { return holds[i].Window < holds[j].Window })
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
	return nil
}

func (s *Service) capture(ctx context.Context, hold *vidivo.Charge, amount vidivo.Money) error {
	ch := &vidivo.Charge{CallID: hold.CallID, Kind: vidivo.ChargeCapture, Window: hold.Window, Amount: amount,
		GatewayID: hold.GatewayID, IdempotencyKey: captureKey(hold.CallID, hold.Window)}
	return s.settleOp(ctx, ch, func() error {
		return s.Gateway.Capture(ctx, billing.CaptureRequest{IdempotencyKey: ch.IdempotencyKey, HoldID: hold.GatewayID,
			Amount: amount, ApplicationFee: billing.PlatformFee(amount, s.PlatformFeePercent)})
	})
}

// release gives a placed hold back in full.
func (s *Service) release(ctx context.Context, callID string, hold *vidivo.Charge) error {
	ch := &vidivo.Charge{CallID: callID, Kind: vidivo.ChargeRelease, Window: hold.Window,
		GatewayID: hold.GatewayID, IdempotencyKey: releaseKey(callID, hold.Window)}
	return s.settleOp(ctx, ch, func() error {
		return s.Gateway.Release(ctx, billing.ReleaseRequest{IdempotencyKey: ch.IdempotencyKey, HoldID: hold.GatewayID})
	})
}

// settleOp runs one capture or release through the ledger: skipped if it
// already succeeded, recorded as failed if the gateway refuses it for good,
// left pending (and returned as an error) if the gateway failed for now.
func (s *Service) settleOp(ctx context.Context, ch *vidivo.Charge, do func() error) error {
	if err := s.Store.AddCharge(ctx, ch); err != nil {
		return err
	}
	if ch.State != vidivo.ChargePending {
		return nil
	}
	err := do()
	switch {
	case err == nil:
		return s.Store.SetChargeState(ctx, ch.ID, vidivo.ChargeSucceeded, ch.GatewayID)
	case billing.ErrorKind(err) == billing.KindTemporary:
		return fmt.Errorf("calls: %s %s: %w", ch.Kind, ch.IdempotencyKey, err)
	}
	s.log().ErrorContext(ctx, "gateway refused a settlement step", "key", ch.IdempotencyKey, "err", err)
	return s.Store.SetChargeState(ctx, ch.ID, vidivo.ChargeFailed, "")
}
