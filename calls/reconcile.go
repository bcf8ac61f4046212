package calls

import (
	"context"
	"errors"
	"time"

	"github.com/vidivo/vidivo"
)

// ReconcileGrace is how old a pending ledger entry must be before
// reconciliation takes it up: younger ones most likely belong to a request
// still in flight on this or another instance. Taking one up early is
// safe — every step is keyed, and a first hold resolved under a join in
// flight never starts its call — but would fail that join needlessly.
// Short, so that a renewal interrupted by a kill is resolved well within
// its window.
const ReconcileGrace = 10 * time.Second

// Reconcile finishes what a crash interrupted. It runs at start-up and
// periodically (a leader-only job), and is safe to run any time, from any
// instance:
//
//   - a hold left pending is asked for again with the same idempotency key
//     and parameters, which returns the hold if it was placed; one whose
//     call never started is then released; a renewal found placed is
//     recorded and its call's billing chain carried on (next renewal, and
//     the end of its paid time);
//   - captures and releases left pending are finished by settling again;
//   - an open call whose host never came is missed; an active call whose
//     next renewal is overdue gets it placed; one whose held time ran out
//     with no renewal is ended at the end of that time (its last known
//     state) and settled.
//
// Nothing is captured twice (every step is keyed) and no hold stays open.
func (s *Service) Reconcile(ctx context.Context) error {
	var errs []error
	pending, err := s.Store.PendingCharges(ctx)
	if err != nil {
		return err
	}
	settled := map[string]bool{}
	cutoff := s.now().Add(-ReconcileGrace)
	for _, ch := range pending {
		if ch.CreatedAt.After(cutoff) {
			continue // may be in flight
		}
		if ch.Kind != vidivo.ChargeHold {
			if settled[ch.CallID] {
				continue // one settlement finishes all of a call's steps
			}
			settled[ch.CallID] = true
		}
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
	if err := s.resolveHold(ctx, ch); err != nil || ch.State != vidivo.ChargeSucceeded {
		return err
	}
	c, err := s.Store.CallByID(ctx, ch.CallID)
	switch {
	case vidivo.ErrorCode(err) == vidivo.ENOTFOUND:
		return s.release(ctx, ch.CallID, ch) // the call never started
	case err != nil:
		return err
	case c.Status.Ended():
		return s.Settle(ctx, c.ID)
	case c.Status == vidivo.CallActive && ch.Window >= c.Windows:
		// A renewal that was placed but not recorded: record it and carry
		// the chain on, as the renewal would have.
		return s.Store.RecordWindow(ctx, c.ID, ch.Window+1, c.CustomerID, s.windowJobs(c, ch.Window))
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
		covered := paidUntil(c)
		if !now.Before(covered) {
			_, err := s.end(ctx, c, vidivo.EndTimeout, covered)
			return ignoreConflict(err)
		}
		if now.Before(covered.Add(-s.lead()).Add(renewalOverdue)) {
			return nil // still paid for; its renewal job carries on
		}
		// The next window's renewal is overdue: its job may be held by a
		// process that died, and River's rescue could come after the paid
		// time ends. Place it now; racing the job is safe, as both are
		// the same keyed operation.
		return s.RenewHold(ctx, c.ID, c.Windows)
	}
	return nil
}

// renewalOverdue is how late a renewal may be before reconciliation places
// it itself: past River's scheduling delay of a few seconds.
const renewalOverdue = 15 * time.Second

func ignoreConflict(err error) error {
	if vidivo.ErrorCode(err) == vidivo.ECONFLICT {
		return nil
	}
	return err
}
