package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vidivo/vidivo/bench/chaos/audit"
)

// runPlants is how many violations checkRunPlants plants.
const runPlants = 3

// checkRunPlants shows the run's own checks can fail, as -plant shows the
// audit's: a call job completed twice must be flagged, and so must a call
// active past its paid time and one ringing past its no-show deadline,
// both due while the server (some instance of the fleet) was up — the
// live monitor's check, run once more over the planted calls.
func (r *run) checkRunPlants(ctx context.Context) []string {
	var errs []string
	id, err := r.plantJobTwice(ctx)
	if err != nil {
		return []string{err.Error()}
	}
	if !slices.ContainsFunc(r.jobsCompletedTwice(ctx), func(v audit.Violation) bool { return v.CallID == id }) {
		errs = append(errs, "planted "+string(kindJobTwice)+" on "+id+" not flagged")
	}
	return append(errs, r.checkMonitorPlants(ctx)...)
}

// plantSlack is the live monitor's slack while it checks the planted calls
// (a shorter one than -live-slack, so their deadlines can fall after the
// current stretch of service began without waiting).
const plantSlack = 5 * time.Second

// checkMonitorPlants plants an active call and a ringing one whose
// deadlines passed a little more than plantSlack ago, while the server
// was up, and checks the monitor flags both with their kinds.
func (r *run) checkMonitorPlants(ctx context.Context) []string {
	up := r.fl.upSince()
	if up.IsZero() {
		return []string{"monitor plants: nothing is up"}
	}
	// The deadlines must fall after the stretch of service began, and far
	// enough back to be over the slack.
	due := time.Now().Add(-plantSlack - 3*time.Second)
	if wait := up.Add(time.Second).Sub(due); wait > 0 {
		sleep(ctx, wait)
		due = due.Add(wait)
	}
	// Both plants' deadlines are a minute before the planter's Now.
	p := &audit.Planter{DB: r.db, Engine: r.engine, Now: due.Add(time.Minute).UTC()}
	want := map[string]audit.Kind{}
	for name, kind := range map[string]audit.Kind{"past_paid_time_still_active": audit.PastPaidTime,
		"open_past_no_show": audit.OpenPastNoShow} {
		id, err := p.Plant(ctx, name)
		if err != nil {
			return []string{err.Error()}
		}
		want[id] = kind
	}
	// And one due before the stretch began (nothing was up to end it, so
	// it is start-up reconciliation's, not a violation).
	before := &audit.Planter{DB: r.db, Engine: r.engine, Now: up.Add(-10 * time.Second).Add(time.Minute).UTC()}
	early, err := before.Plant(ctx, "past_paid_time_still_active")
	if err != nil {
		return []string{err.Error()}
	}
	got := map[string]audit.Kind{}
	for _, v := range r.overdue(ctx, map[string]bool{}, plantSlack, false) {
		got[v.CallID] = v.Kind
	}
	var errs []string
	for id, kind := range want {
		if got[id] != kind {
			errs = append(errs, fmt.Sprintf("live monitor: planted %s on %s flagged %q", kind, id, got[id]))
		}
	}
	if k, ok := got[early]; ok {
		errs = append(errs, fmt.Sprintf("live monitor: flagged %s on %s, due before anything was up", k, early))
	}
	return errs
}
