package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/vidivo/vidivo/bench/chaos/audit"
)

// summary prints the run's outcome and returns its exit code: 0 clean, 1
// violations, 2 the run could not be carried out.
func (r *run) summary() int {
	fmt.Printf("\n=== %s: load %s, %d workers, %d hosts, kill every ~%s, calls up to %s (wall %s)\n", r.label(),
		r.cfg.duration, r.cfg.workers, r.cfg.hosts, r.cfg.killEvery, r.cfg.maxCall, time.Since(r.started).Round(time.Second))
	if r.fl != nil {
		st := r.fl.stats()
		fmt.Printf("kills: %d SIGKILL (%s); starts %d; exits nobody asked for %d; downtime %s total, longest %s\n",
			st.kills, strings.Join(r.stats.lines("kill."), ", "), st.starts, st.crashes,
			st.downtime.Round(time.Millisecond), st.maxDown.Round(time.Millisecond))
		if !r.fl.alone() {
			fmt.Printf("fleet: %s; kills by instance %s; never all down at once: %v\n", r.fl.describe(),
				strings.Join(r.stats.lines("instance_kills."), ", "), r.neverAllDown)
		}
	}
	fmt.Printf("jobs: %d call jobs rescued from a dead process (%d then completed), %d worked by two River clients\n",
		r.jobs.rescued, r.jobs.rescuedCompleted, r.jobs.byTwoClients)
	fmt.Printf("freezes: %s\n", strings.Join(r.stats.lines("freeze."), ", "))
	for _, p := range []string{"join.", "host_join.", "end.", "book.", "scheduled_join.", "fate.", "sweep.", "http."} {
		if l := r.stats.lines(p); len(l) > 0 {
			fmt.Printf("api %s %s\n", strings.TrimSuffix(p, "."), strings.Join(l, ", "))
		}
	}
	code := 0
	if err := r.failed(); err != nil {
		fmt.Printf("RUN FAILED: %v\n", err)
		code = 2
	}
	if len(r.live) > 0 {
		fmt.Printf("live monitor: %d calls seen active past their paid time:\n", len(r.live))
		for _, v := range r.live {
			fmt.Printf("  %s\n", v)
		}
		code = max(code, 1)
	} else {
		fmt.Printf("live monitor: no call seen open more than %s past its paid time or no-show deadline while %s up (longest seen %s)\n",
			r.cfg.liveSlack, map[bool]string{true: "the server was", false: "some instance was"}[r.fl == nil || r.fl.alone()],
			r.maxOverrun.Round(time.Second))
	}
	if len(r.extra) > 0 {
		fmt.Printf("run checks: %d VIOLATIONS:\n", len(r.extra))
		for _, v := range r.extra {
			fmt.Printf("  %s\n", v)
		}
		code = max(code, 1)
	} else {
		fmt.Println("run checks: no call timed out while one process was up through its last window; every booking joinable with a good card after a declined one; no call job completed twice")
	}
	rep := r.report
	if rep == nil {
		fmt.Println("audit: not reached")
		return max(code, 2)
	}
	fmt.Printf("audit: %d calls (%s), %d ledger rows, %d gateway holds, %s captured\n", rep.Calls,
		strings.Join(r.byEnd, ", "), rep.Charges, rep.Holds, cents(rep.Captured))
	if len(rep.Violations) == 0 {
		fmt.Println("audit: 0 violations")
	} else {
		var kinds []string
		for _, k := range audit.Kinds {
			if n := rep.Count(k); n > 0 {
				kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
			}
		}
		fmt.Printf("audit: %d VIOLATIONS: %s\n", len(rep.Violations), strings.Join(kinds, ", "))
		for _, v := range rep.Violations {
			fmt.Printf("  %s\n", v)
		}
		code = max(code, 1)
	}
	if r.cfg.plant {
		if len(r.plantErrs) == 0 {
			fmt.Printf("plant: all %d planted violations flagged with their kinds, and the run's %d (a job completed twice, two calls open past their time while up)\n",
				len(audit.Plants), runPlants)
		} else {
			fmt.Printf("plant: THE AUDIT MISSED PLANTED VIOLATIONS: %s\n", strings.Join(r.plantErrs, "; "))
			code = max(code, 2)
		}
	}
	return code
}
