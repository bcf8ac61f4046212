package calls

import (
	"context"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// ring offers the incoming call to the host's open streams.
func (s *Service) ring(c *vidivo.Call) {
	if s.Notifier != nil {
		s.Notifier.NotifyIncoming(c.HostID, IncomingFor(c))
	}
}

// IncomingFor is the event of a call waiting for its host, for a stream
// that connects after the guest joined.
func IncomingFor(c *vidivo.Call) Incoming {
	return Incoming{CallID: c.ID, GuestName: c.GuestName, RatePerMinute: c.Rate.String(),
		WindowSizeMinutes: c.WindowMinutes, ShortCode: c.ShortCode}
}

// Delivered records that the host was told of the call: waiting → ringing.
// A call that moved on meanwhile is left as it is.
func (s *Service) Delivered(ctx context.Context, callID string) {
	c, err := s.Store.CallByID(ctx, callID)
	if err != nil || c.Ring(s.now()) != nil {
		return
	}
	if err := s.Store.TransitionCall(ctx, c, nil); err != nil && vidivo.ErrorCode(err) != vidivo.ECONFLICT {
		s.log().ErrorContext(ctx, "mark call ringing", "call_id", callID, "err", err)
	}
}

// HostJoin starts the call's timer: waiting or ringing → active, and the
// next window's hold is scheduled. Only the call's host may. Returns
// ENOTFOUND, EFORBIDDEN, or ECONFLICT if the call is not waiting or ringing.
func (s *Service) HostJoin(ctx context.Context, caller vidivo.Caller, callID string) (*vidivo.Call, error) {
	c, err := s.Store.CallByID(ctx, callID)
	if err != nil {
		return nil, err
	}
	if !c.IsHost(caller) {
		return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "only the call's host can join it as host")
	}
	if err := c.Activate(s.now()); err != nil {
		return nil, err
	}
	if err := s.Store.TransitionCall(ctx, c, s.windowJobs(c, 0)); err != nil {
		return nil, err
	}
	return c, nil
}

// renewalJob schedules the hold of window n a lead before window n-1 ends.
func (s *Service) renewalJob(c *vidivo.Call, n int) vidivo.ScheduledJob {
	at := billing.WindowEnd(*c.ActiveAt, c.WindowMinutes, n-1).Add(-s.lead())
	if now := s.now(); at.Before(now) {
		at = now
	}
	return vidivo.ScheduledJob{Job: vidivo.RenewHoldJob{CallID: c.ID, Window: n}, RunAt: at}
}

// End ends a call for a participant with reason, and settles it. Returns
// ENOTFOUND, EFORBIDDEN for others, EVALIDATION for a bad reason, and
// ECONFLICT if the call already ended.
func (s *Service) End(ctx context.Context, caller vidivo.Caller, callID, reason string) (*vidivo.Call, error) {
	if reason == "" {
		reason = vidivo.EndUserEnded
	}
	if !vidivo.ValidEndReason(reason) {
		return nil, vidivo.Invalid(vidivo.FieldError{Field: "reason", Issue: "must be user_ended, host_ended, timeout or billing_error"})
	}
	c, err := s.Store.CallByID(ctx, callID)
	if err != nil {
		return nil, err
	}
	if !c.CanSee(caller) {
		return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "you are not a participant in this call")
	}
	if err := checkClientEndReason(c, caller, reason); err != nil {
		return nil, err
	}
	return s.end(ctx, c, reason, s.now())
}

// end moves an open call to its final status at `at` and settles it.
// billed time runs from the host joining to `at`; a call that never became
// active costs nothing. The total is at most what the holds cover.
func (s *Service) end(ctx context.Context, c *vidivo.Call, reason string, at time.Time) (*vidivo.Call, error) {
	holds, err := s.heldAmounts(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if c.Status == vidivo.CallActive && at.After(paidUntil(c)) {
		at = paidUntil(c) // a call never runs past what is held
	}
	seconds := billedSeconds(c, at)
	if err := c.End(reason, at); err != nil {
		return nil, err
	}
	c.DurationSeconds = seconds
	c.BilledMinutes = billing.BilledMinutes(c.DurationSeconds)
	split := billing.SplitTotal(billing.Total(c.Rate, c.BilledMinutes), holds)
	c.TotalCharged = billing.Total(c.Rate, c.BilledMinutes) - split.Shortfall
	if split.Shortfall > 0 {
		s.log().WarnContext(ctx, "call ran past its holds; charging only what was held",
			"call_id", c.ID, "shortfall_cents", int64(split.Shortfall))
	}
	jobs := []vidivo.ScheduledJob{{Job: vidivo.SettleJob{CallID: c.ID}, RunAt: s.now()}}
	if err := s.Store.TransitionCall(ctx, c, jobs); err != nil {
		return nil, err
	}
	s.closeSockets(ctx, c)
	// Settle now; if the gateway fails, the settle job retries.
	if err := s.Settle(ctx, c.ID); err != nil {
		s.log().WarnContext(ctx, "settlement deferred to a retry", "call_id", c.ID, "err", err)
	}
	return c, nil
}
