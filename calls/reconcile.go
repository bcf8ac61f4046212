package calls

import (
	"context"
	"errors"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// Reconcile finishes what a crash interrupted. Run at start-up (and safe to
// run any time, from any instance):
//
//   - a hold left pending is asked for again with the same idempotency key
//     and parameters, which returns the hold if it was placed; one whose
//     call never started is then released;
//   - captures and releases left pending are finished by settling again;
//   - an open call whose host never came is missed; an active call whose
//     held time ran out with no renewal is ended at the end of that time
//     (its last known state) and settled.
//
// Nothing is captured twice (every step is keyed) and no hold stays open.
func (s *Service) Reconcile(ctx context.Context) error {
	var errs []error
	pending, err := s.Store.PendingCharges(ctx)
	if err != nil {
		return err
	}
	for _, ch := range pending {
		if err := s.reconcileCharge(ctx, ch); err != nil {
			errs = append(errs, err)
		}
	}
	open, err := s.Store.ActiveCalls(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, c := range open {
		if err := s.reconcileCall(ctx, c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) reconcileCharge(ctx context.Context, ch *vidivo.Charge) error {
	if ch.Kind != vidivo.ChargeHold {
		return s.Settle(ctx, ch.CallID)
	}
	if ch.Hold == nil {
		return s.Store.SetChargeState(ctx, ch.ID, vidivo.ChargeFailed, "")
	}
	res, err := s.Gateway.Hold(ctx, holdRequest(ch))
	if err != nil {
		if billing.ErrorKind(err) == billing.KindTemporary {
			return err
		}
		return s.Store.SetChargeState(ctx, ch.ID, vidivo.ChargeFailed, "")
	}
	if err := s.Store.SetChargeState(ctx, ch.ID, vidivo.ChargeSucceeded, res.HoldID); err != nil {
		return err
	}
	ch.GatewayID, ch.State = res.HoldID, vidivo.ChargeSucceeded
	c, err := s.Store.CallByID(ctx, ch.CallID)
	switch {
	case vidivo.ErrorCode(err) == vidivo.ENOTFOUND:
		return s.release(ctx, ch.CallID, ch) // the call never started
	case err != nil:
		return err
	case c.Status.Ended():
		return s.Settle(ctx, c.ID)
	case ch.Window >= c.Windows:
		// A renewal that was placed but not recorded: record it.
		return s.Store.RecordWindow(ctx, c.ID, ch.Window+1, c.CustomerID, nil)
	}
	return nil
}

func (s *Service) reconcileCall(ctx context.Context, c *vidivo.Call) error {
	now := s.now()
	switch c.Status {
	case vidivo.CallWaiting, vidivo.CallRinging:
		if now.Before(c.NoShowDeadline()) {
			return nil
		}
		_, err := s.end(ctx, c, vidivo.EndNoShow, now)
		return ignoreConflict(err)
	case vidivo.CallActive:
		covered := billing.WindowEnd(*c.ActiveAt, c.WindowMinutes, c.Windows-1)
		if now.Before(covered) {
			return nil // still paid for; its renewal job carries on
		}
		_, err := s.end(ctx, c, vidivo.EndTimeout, covered)
		return ignoreConflict(err)
	}
	return nil
}

func ignoreConflict(err error) error {
	if vidivo.ErrorCode(err) == vidivo.ECONFLICT {
		return nil
	}
	return err
}
