package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vidivo/vidivo/bench/chaos/audit"
)

// Checks of River's own table, river_job, after the run. A call's jobs —
// its no-show check, the renewal of each window, the end of each window's
// paid time, its settlement — are each enqueued once, and a job that a
// killed instance was running is rescued and run again by another. What
// must never happen is one of them done twice to completion: two
// completed rows for one kind and one call (and window), which would mean
// the queue's uniqueness or a rescue raced a live worker.

// kindJobTwice is a call's job completed twice.
const kindJobTwice audit.Kind = "job_completed_twice"

// callJobKinds are the River kinds of a call's jobs.
var callJobKinds = []string{"call_no_show", "call_renew_hold", "call_paid_time", "call_settle"}

func callKindsIn() string { return "('" + strings.Join(callJobKinds, "', '") + "')" }

// jobsCompletedTwice lists every call job (kind and arguments) with more
// than one completed row.
func (r *run) jobsCompletedTwice(ctx context.Context) []audit.Violation {
	rows, err := r.db.QueryContext(ctx, `SELECT kind, CAST(args AS TEXT), count(*) FROM river_job
		WHERE state = 'completed' AND kind IN `+callKindsIn()+` GROUP BY kind, CAST(args AS TEXT) HAVING count(*) > 1`)
	if err != nil {
		return []audit.Violation{{Kind: kindJobTwice, Detail: "query river_job: " + err.Error()}}
	}
	defer rows.Close()
	var out []audit.Violation
	for rows.Next() {
		var kind, args string
		var n int
		if err := rows.Scan(&kind, &args, &n); err != nil {
			return append(out, audit.Violation{Kind: kindJobTwice, Detail: "scan river_job: " + err.Error()})
		}
		var a struct {
			CallID string `json:"call_id"`
		}
		_ = json.Unmarshal([]byte(args), &a)
		out = append(out, audit.Violation{Kind: kindJobTwice, CallID: a.CallID,
			Detail: fmt.Sprintf("%s %s completed %d times", kind, args, n)})
	}
	if err := rows.Err(); err != nil {
		out = append(out, audit.Violation{Kind: kindJobTwice, Detail: "read river_job: " + err.Error()})
	}
	return out
}

// waitJobsRescued waits until no call job is running — those a killed
// process was running at its death are rescued and run again — so the
// checks of river_job see how they ended; at most -rescue-wait (River
// rescues a job running longer than jobs.RescueStuckJobsAfter, 30 s, and
// its rescuer looks every 30 s).
func (r *run) waitJobsRescued(ctx context.Context) {
	if r.cfg.rescueWait <= 0 {
		return
	}
	start := time.Now()
	for {
		var n int
		err := r.db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE state = 'running' AND kind IN `+callKindsIn()).Scan(&n)
		if err != nil || n == 0 {
			if d := time.Since(start); d > time.Second {
				r.logf("the call jobs killed processes were running were rescued %s after settlement", d.Round(time.Second))
			}
			return
		}
		if time.Since(start) > r.cfg.rescueWait || ctx.Err() != nil {
			r.logf("%d call jobs still running %s after settlement", n, r.cfg.rescueWait)
			return
		}
		sleep(ctx, time.Second)
	}
}

// jobTallies counts, for the summary, the call jobs that were rescued (a
// process died running them) and how many of those finished, and the
// call jobs that more than one River client worked.
type jobTallies struct {
	rescued, rescuedCompleted, byTwoClients int
}

func (r *run) jobTallies(ctx context.Context) jobTallies {
	var t jobTallies
	rescued := `CAST(errors AS TEXT) LIKE '%rescued%'`
	_ = r.db.QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(CASE WHEN state = 'completed' THEN 1 ELSE 0 END), 0)
		FROM river_job WHERE kind IN `+callKindsIn()+` AND `+rescued).Scan(&t.rescued, &t.rescuedCompleted)
	if r.engine == "postgres" {
		_ = r.db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind IN `+callKindsIn()+`
			AND (SELECT count(DISTINCT c) FROM unnest(attempted_by) c) > 1`).Scan(&t.byTwoClients)
	}
	return t
}

// plantJobTwice writes two completed settlement jobs for one new call id,
// as a queue that ran it twice would leave them, and returns the id.
func (r *run) plantJobTwice(ctx context.Context) (string, error) {
	id := fmt.Sprintf("PLANTJOB%d", time.Now().UnixNano())
	now := "now()"
	if r.engine == "sqlite" {
		now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
	}
	q := `INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, attempt, attempted_at, scheduled_at, finalized_at)
		VALUES ($1, 'call_settle', 25, 1, 'default', 'completed', 1, ` + now + `, ` + now + `, ` + now + `)`
	args := fmt.Sprintf(`{"call_id":%q}`, id)
	for range 2 {
		if _, err := r.db.ExecContext(ctx, q, args); err != nil {
			return "", fmt.Errorf("plant river_job: %w", err)
		}
	}
	return id, nil
}
