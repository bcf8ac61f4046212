package calls

import (
	"context"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// PaidTimeJob ends an active call when the time held through Window runs
// out and no later window was held: a call never runs past what is held.
type PaidTimeJob struct {
	CallID string `json:"call_id"`
	Window int    `json:"window"`
}

// Kind names the job in the queue.
func (PaidTimeJob) Kind() string { return "call_paid_time" }

// windowJobs are the jobs that follow window n of an active call being
// held: the renewal of window n+1 a lead before window n ends, and the
// check that ends the call when window n ends if that renewal never came.
func (s *Service) windowJobs(c *vidivo.Call, n int) []vidivo.ScheduledJob {
	return []vidivo.ScheduledJob{
		s.renewalJob(c, n+1),
		{Job: PaidTimeJob{CallID: c.ID, Window: n}, RunAt: billing.WindowEnd(*c.ActiveAt, c.WindowMinutes, n)},
	}
}

// RenewHold places the hold of window n of an active call and schedules
// what follows it. A declined renewal ends the call as failed, charging
// the time used; a gateway failure is returned for the job to retry until
// the covered time runs out, when the call ends as failed too. If window n
// is already held (reconciliation found its hold placed), the chain is
// carried on from the last held window instead.
func (s *Service) RenewHold(ctx context.Context, callID string, n int) error {
	c, err := s.Store.CallByID(ctx, callID)
	if err != nil {
		return err
	}
	if c.Status != vidivo.CallActive {
		return nil // ended meanwhile
	}
	if c.Windows > n {
		// Jobs are unique by their arguments, so this adds only what is
		// missing.
		return s.Store.RecordWindow(ctx, c.ID, c.Windows, c.CustomerID, s.windowJobs(c, c.Windows-1))
	}
	attempt, err := s.holdAttempt(ctx, c.ID, n)
	if err != nil {
		return err
	}
	if _, err := s.placeHold(ctx, c, n, attempt); err != nil {
		return s.renewalFailed(ctx, c, n, err)
	}
	// The call may have ended while the hold was being placed; its
	// settlement could have missed the new hold, so settle again: the new
	// hold is released and nothing else repeats.
	now, err := s.Store.CallByID(ctx, callID)
	if err != nil {
		return err
	}
	if now.Status.Ended() {
		return s.Settle(ctx, callID)
	}
	return s.Store.RecordWindow(ctx, c.ID, n+1, c.CustomerID, s.windowJobs(c, n))
}

// renewalFailed handles a renewal hold that was not placed: retried (by
// returning the error) while the held time lasts and the failure may pass,
// else the call ends as failed at the end of its held time at the latest.
func (s *Service) renewalFailed(ctx context.Context, c *vidivo.Call, n int, err error) error {
	covered := billing.WindowEnd(*c.ActiveAt, c.WindowMinutes, n-1)
	if billing.ErrorKind(err) == billing.KindTemporary && s.now().Before(covered) {
		return err
	}
	s.log().WarnContext(ctx, "renewal hold failed; ending the call", "call_id", c.ID, "window", n, "err", err)
	_, err = s.end(ctx, c, vidivo.EndBillingError, s.now())
	return ignoreConflict(err)
}

// EndUnpaid ends an active call whose held time ran out at the end of
// window n with no later window held, at the end of that time. A renewal
// hold left pending (its answer lost to a kill) is first resolved: if the
// gateway placed it, it is recorded and the call goes on. It does nothing
// if a later window was held or the call ended; it asks to be retried if
// the time has not run out yet.
func (s *Service) EndUnpaid(ctx context.Context, callID string, n int) error {
	c, err := s.Store.CallByID(ctx, callID)
	if err != nil {
		return err
	}
	if c.Status != vidivo.CallActive || c.Windows > n+1 {
		return nil
	}
	covered := paidUntil(c)
	if s.now().Before(covered) {
		return fmt.Errorf("calls: paid time of %s runs until %s", callID, covered.Format(time.RFC3339))
	}
	if placed, err := s.resolveRenewal(ctx, c); err != nil || placed {
		return err
	}
	_, err = s.end(ctx, c, vidivo.EndTimeout, covered)
	return ignoreConflict(err)
}

// resolveRenewal resolves a pending hold of an active call's next window
// and, if the gateway placed it, records it and carries the chain on. A
// gateway that cannot answer now counts as not placed: the call must not
// run on past its held time waiting for it.
func (s *Service) resolveRenewal(ctx context.Context, c *vidivo.Call) (bool, error) {
	charges, err := s.Store.Charges(ctx, c.ID)
	if err != nil {
		return false, err
	}
	for _, ch := range charges {
		if ch.Kind != vidivo.ChargeHold || ch.Window != c.Windows || ch.State != vidivo.ChargePending {
			continue
		}
		if err := s.resolveHold(ctx, ch); err != nil || ch.State != vidivo.ChargeSucceeded {
			s.log().WarnContext(ctx, "renewal hold unresolved at the end of the paid time", "call_id", c.ID, "err", err)
			return false, nil
		}
		return true, s.Store.RecordWindow(ctx, c.ID, ch.Window+1, c.CustomerID, s.windowJobs(c, ch.Window))
	}
	return false, nil
}

// paidUntil is when the time held for an active call runs out.
func paidUntil(c *vidivo.Call) time.Time {
	return billing.WindowEnd(*c.ActiveAt, c.WindowMinutes, c.Windows-1)
}

// NoShow marks a call missed when its host has not joined in time; every
// hold is released and nothing is charged.
func (s *Service) NoShow(ctx context.Context, callID string) error {
	c, err := s.Store.CallByID(ctx, callID)
	if err != nil {
		return err
	}
	if c.Status != vidivo.CallWaiting && c.Status != vidivo.CallRinging {
		return nil
	}
	if due := c.NoShowDeadline(); s.now().Before(due) {
		return fmt.Errorf("calls: no-show check of %s is not due until %s", callID, due.Format(time.RFC3339))
	}
	_, err = s.end(ctx, c, vidivo.EndNoShow, s.now())
	return ignoreConflict(err)
}
