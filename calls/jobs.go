package calls

import (
	"context"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// RenewHold places the hold of window n of an active call and schedules
// the next renewal. A declined renewal ends the call as failed, charging
// the time used; a gateway failure is returned for the job to retry until
// the covered time runs out, when the call ends as failed too.
func (s *Service) RenewHold(ctx context.Context, callID string, n int) error {
	c, err := s.Store.CallByID(ctx, callID)
	if err != nil {
		return err
	}
	if c.Status != vidivo.CallActive || c.Windows > n {
		return nil // ended meanwhile, or this window is already held
	}
	if _, err := s.placeHold(ctx, c, n); err != nil {
		covered := billing.WindowEnd(*c.ActiveAt, c.WindowMinutes, n-1)
		if billing.ErrorKind(err) == billing.KindTemporary && s.now().Before(covered) {
			return err
		}
		s.log().WarnContext(ctx, "renewal hold failed; ending the call", "call_id", c.ID, "window", n, "err", err)
		at := s.now()
		if at.After(covered) {
			at = covered // never bill past what was held
		}
		_, err = s.end(ctx, c, vidivo.EndBillingError, at)
		if vidivo.ErrorCode(err) == vidivo.ECONFLICT {
			return nil
		}
		return err
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
	return s.Store.RecordWindow(ctx, c.ID, n+1, c.CustomerID, []vidivo.ScheduledJob{s.renewalJob(c, n+1)})
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
	if vidivo.ErrorCode(err) == vidivo.ECONFLICT {
		return nil // the host joined or someone ended it just now
	}
	return err
}
