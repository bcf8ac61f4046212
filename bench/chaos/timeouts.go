package main

import (
	"context"
	"fmt"
	"time"

	"github.com/vidivo/vidivo/bench/chaos/audit"
)

// Run-level checks the database alone cannot make, because they need to
// know when the server was up.

// kindTimeoutWhileUp: a call ended by the service as "timeout" — its paid
// time ran out with no next hold — although one server process answered
// through the whole window before that: its renewal was due then (a lead
// before the window ends) and nothing stopped it, so the renewal chain was
// broken. Start-up reconciliation then ends such a call at its paid time,
// which keeps the money right and hides the break from the audit. The
// process must also have been up a minute before that window: a renewal
// job a killed process was running is rescued only after a while.
const kindTimeoutWhileUp audit.Kind = "timeout_while_up"

// kindBookingRefusedGoodCard: a booked call's guest whose first join was
// declined joins again with a good card and is still refused (issue 17,
// defect 3).
const kindBookingRefusedGoodCard audit.Kind = "booking_refused_good_card"

func (r *run) timeoutsWhileUp(ctx context.Context) []audit.Violation {
	rows, err := r.db.QueryContext(ctx, `SELECT id, active_at, windows, window_minutes FROM calls
		WHERE end_reason = 'timeout' AND active_at IS NOT NULL`)
	if err != nil {
		return []audit.Violation{{Kind: kindTimeoutWhileUp, Detail: "query: " + err.Error()}}
	}
	defer rows.Close()
	var out []audit.Violation
	for rows.Next() {
		var (
			id            string
			active        stamp
			windows, mins int64
		)
		if rows.Scan(&id, &active, &windows, &mins) != nil {
			continue
		}
		window := time.Duration(mins) * time.Minute
		covered := active.t.Add(time.Duration(windows) * window)
		if r.fl.upThrough(covered.Add(-window-time.Minute), covered) {
			out = append(out, audit.Violation{Kind: kindTimeoutWhileUp, CallID: id, Detail: fmt.Sprintf(
				"timed out at the end of its paid time (%d × %d min from %s) although one server process was up from a minute before its last window to its end",
				windows, mins, active.t.Format(time.RFC3339))})
		}
	}
	return out
}

// flagExtra records a run-level violation.
func (r *run) flagExtra(v audit.Violation) {
	r.extraMu.Lock()
	r.extra = append(r.extra, v)
	r.extraMu.Unlock()
	r.logf("FLAGGED %s", v)
}
