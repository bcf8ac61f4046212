package main

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/vidivo/vidivo/bench/chaos/audit"
)

// The faults: the server is killed with SIGKILL, at a random moment, in a
// burst of requests, while River jobs run, with the ledger locked — a
// connection of our own holds a lock (PostgreSQL: LOCK TABLE … IN
// EXCLUSIVE MODE on the ledger, the gateway's books or the calls; SQLite:
// BEGIN IMMEDIATE, the database's write lock) so requests and jobs pile up
// on their next write and the kill lands there — or with only the ledger's
// updates frozen (freeze.go), so it lands between a gateway step and its
// ledger update. Then it starts again on the same data.

// Kill modes (and modeUpdateFrozen, in freeze.go).
const (
	modeRandom = "random"
	modeBurst  = "burst"
	modeJobs   = "jobs_running"
	modeFreeze = "ledger_locked"
)

// killer kills and restarts the server until stop is done.
func (r *run) killer(ctx, stop context.Context) {
	for {
		// Uniform over 0.2–1.8 × -kill-every: random moments, a steady rate.
		wait := time.Duration((0.2 + 1.6*mrand.Float64()) * float64(r.cfg.killEvery))
		t0 := time.Now()
		r.watchCrash(stop, wait)
		r.lastWait = time.Since(t0)
		if stop.Err() != nil {
			return
		}
		mode := pickMode()
		if r.cfg.mode != "" {
			mode = r.cfg.mode
		}
		victim := r.faultOnce(ctx, stop, mode)
		r.restart(ctx, r.downtime(), victim)
	}
}

// watchCrash waits d, starting the server again if it died by itself.
func (r *run) watchCrash(stop context.Context, d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) && stop.Err() == nil {
		sleep(stop, min(time.Until(end), 200*time.Millisecond))
		if m := r.fl.crashed(); m != nil {
			r.logf("%s exited by itself (see %s); starting it again", m.name, m.logPath)
			r.restart(context.Background(), 0, m)
		}
	}
}

func pickMode() string {
	switch f := mrand.Float64(); {
	case f < 0.25:
		return modeRandom
	case f < 0.4:
		return modeBurst
	case f < 0.6:
		return modeJobs
	case f < 0.75:
		return modeFreeze
	default:
		return modeUpdateFrozen
	}
}

// downtime is how long the server stays dead: mostly a moment, sometimes
// long enough for renewals to come due meanwhile.
func (r *run) downtime() time.Duration {
	switch f := mrand.Float64(); {
	case f < 0.7:
		return time.Duration(200+mrand.IntN(1800)) * time.Millisecond
	case f < 0.95:
		return time.Duration(2+mrand.IntN(6)) * time.Second
	}
	return min(time.Duration(15+mrand.IntN(25))*time.Second, r.cfg.killEvery)
}

// faultOnce kills one member (the server alone) in mode's way and returns
// it, dead.
func (r *run) faultOnce(ctx, stop context.Context, mode string) *server {
	victim := r.fl.pick()
	detail := ""
	switch mode {
	case modeRandom:
	case modeBurst:
		r.burst(ctx, stop, 8+mrand.IntN(16))
		sleep(ctx, time.Duration(50+mrand.IntN(750))*time.Millisecond)
	case modeJobs:
		limit := min(20*time.Second, r.cfg.killEvery)
		running, ok := r.waitForRunningJob(ctx, limit)
		switch {
		case !ok:
			detail = fmt.Sprintf(" (no job caught running in %s)", limit)
		case running != nil:
			victim = running // the instance running it
		}
	case modeUpdateFrozen:
		detail = r.killWithUpdatesFrozen(ctx, victim)
		r.logKill(mode, victim, detail)
		return victim
	case modeFreeze:
		table, release, err := r.freeze(ctx)
		if err != nil {
			r.logf("freeze: %v", err)
			break
		}
		detail = " (" + table + ")"
		sleep(ctx, time.Duration(500+mrand.IntN(3500))*time.Millisecond)
		victim.kill()
		release()
		r.logKill(mode, victim, detail)
		return victim
	}
	victim.kill()
	r.logKill(mode, victim, detail)
	return victim
}

func (r *run) logKill(mode string, victim *server, detail string) {
	r.countKill(mode)
	who := ""
	if !r.fl.alone() {
		who = " " + victim.name
		r.stats.add("instance_kills."+victim.name, 1)
		if r.wasLeader(victim) {
			who += " (River's leader)"
			r.stats.add("instance_kills.leader", 1)
		}
	}
	r.logf("kill -9%s %s%s (after a %s pause)", who, mode, detail, r.lastWait.Round(time.Second))
}

// wasLeader reports whether the River client of the (just killed) member
// held the leadership: the leader alone rescues stuck jobs, moves
// scheduled jobs to available and enqueues reconciliation, so until
// another instance is elected nothing does.
func (r *run) wasLeader(m *server) bool {
	var id string
	err := r.db.QueryRow(`SELECT leader_id FROM river_leader WHERE expires_at > now() LIMIT 1`).Scan(&id)
	return err == nil && r.fl.byRiverClient(id) == m
}

func (r *run) countKill(mode string) { r.stats.add("kill."+mode, 1) }

func (r *run) restart(ctx context.Context, after time.Duration, s *server) {
	sleep(ctx, after)
	for attempt := 1; ; attempt++ {
		err := s.start(ctx)
		if err == nil {
			return
		}
		r.stats.add("restart.failed", 1)
		r.logf("restart %d failed: %v", attempt, err)
		if attempt == 5 || ctx.Err() != nil {
			r.fatal(fmt.Errorf("the server does not start again: %w", err))
			return
		}
		sleep(ctx, time.Second)
	}
}

// waitForRunningJob polls River's table until a job is running, and
// returns the member running it when a fleet's attempted_by names it.
func (r *run) waitForRunningJob(ctx context.Context, limit time.Duration) (*server, bool) {
	end := time.Now().Add(limit)
	q := "SELECT '' FROM river_job WHERE state = 'running' LIMIT 1"
	if !r.fl.alone() {
		q = "SELECT COALESCE(attempted_by[array_length(attempted_by, 1)], '') FROM river_job WHERE state = 'running' LIMIT 1"
	}
	for time.Now().Before(end) && ctx.Err() == nil {
		var by string
		if err := r.db.QueryRowContext(ctx, q).Scan(&by); err == nil {
			r.stats.add("kill.jobs_running.caught", 1)
			if r.fl.alone() {
				return nil, true
			}
			m := r.fl.byRiverClient(by)
			if m != nil {
				r.stats.add("kill.jobs_running.its_instance", 1)
			}
			return m, true
		}
		sleep(ctx, 10*time.Millisecond)
	}
	return nil, false
}

// freeze stops the server's writes to one table (PostgreSQL) or to the
// whole database (SQLite) until release is called.
func (r *run) freeze(ctx context.Context) (table string, release func(), err error) {
	tx, err := r.freezeDB.BeginTx(ctx, nil) // SQLite: BEGIN IMMEDIATE takes the write lock
	if err != nil {
		return "", nil, err
	}
	table = "database write lock"
	if r.engine == "postgres" {
		tables := []string{"call_charges", "call_charges", "sandbox_holds", "calls"}
		table = tables[mrand.IntN(len(tables))]
		if _, err := tx.ExecContext(ctx, "SET LOCAL lock_timeout = '5s'"); err != nil {
			tx.Rollback()
			return "", nil, err
		}
		if _, err := tx.ExecContext(ctx, "LOCK TABLE "+table+" IN EXCLUSIVE MODE"); err != nil {
			tx.Rollback()
			return "", nil, err
		}
	} else if _, err := tx.ExecContext(ctx, "UPDATE call_charges SET state = state WHERE 0"); err != nil {
		tx.Rollback()
		return "", nil, err
	}
	r.stats.add("freeze."+table, 1)
	var once sync.Once
	return table, func() { once.Do(func() { _ = tx.Rollback() }) }, nil
}

// monitor watches the live database. Start-up reconciliation ends, before
// the server answers, every call whose paid time ran out while it was
// down; so a call seen active more than liveSlack past its paid time, when
// the server was already up at the moment that time ran out, is running on
// unpaid — a violation the final audit cannot see, since the last
// restart's reconciliation ends it at its paid time. The same for a call
// still waiting for its host past its no-show deadline.
func (r *run) monitor(stop context.Context) {
	seen := map[string]bool{}
	for stop.Err() == nil {
		sleep(stop, 5*time.Second)
		for _, v := range r.overdue(stop, seen, r.cfg.liveSlack, true) {
			r.extraMu.Lock()
			r.live = append(r.live, v)
			r.extraMu.Unlock()
			r.logf("LIVE %s", v)
		}
	}
}

// overdue lists the calls open more than slack past their time while the
// server (some instance of the fleet) was up, and when note is set keeps
// the longest overrun seen while up, flagged or not.
func (r *run) overdue(ctx context.Context, seen map[string]bool, slack time.Duration, note bool) []audit.Violation {
	upSince := r.fl.upSince()
	if upSince.IsZero() {
		return nil
	}
	rows, err := r.db.QueryContext(ctx, `SELECT id, status, created_at, scheduled_at, active_at, windows, window_minutes
		FROM calls WHERE status IN ('waiting', 'ringing', 'active')`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []audit.Violation
	now := time.Now()
	for rows.Next() {
		var (
			id, status                  string
			created, scheduled, activeT stamp
			windows, mins               int64
		)
		if err := rows.Scan(&id, &status, &created, &scheduled, &activeT, &windows, &mins); err != nil || seen[id] {
			continue
		}
		kind, due := audit.OpenPastNoShow, created.t.Add(5*time.Minute)
		if scheduled.ok && scheduled.t.Add(5*time.Minute).After(due) {
			due = scheduled.t.Add(5 * time.Minute)
		}
		if status == "active" && activeT.ok {
			kind, due = audit.PastPaidTime, activeT.t.Add(time.Duration(windows*mins)*time.Minute)
		}
		over := now.Sub(due)
		if note && over > 0 && !upSince.After(due) {
			r.maxOverrun = max(r.maxOverrun, over)
		}
		if over <= slack || upSince.After(due) || !r.fl.upSince().Equal(upSince) {
			continue
		}
		seen[id] = true
		out = append(out, audit.Violation{Kind: kind, CallID: id, Detail: fmt.Sprintf(
			"seen live: %s %s past its %s (%d × %d min from %s); %s up from %s, before it",
			status, over.Round(time.Second), map[bool]string{true: "paid time", false: "no-show deadline"}[status == "active"],
			windows, mins, activeT.t.Format(time.RFC3339), map[bool]string{true: "the server was", false: "some instance was"}[r.fl.alone()],
			upSince.Format(time.RFC3339))})
	}
	return out
}

// stamp scans a timestamp of either engine: time.Time from PostgreSQL,
// RFC 3339 text from SQLite.
type stamp struct {
	t  time.Time
	ok bool
}

func (s *stamp) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s = stamp{}
	case time.Time:
		*s = stamp{v.UTC(), true}
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		*s = stamp{t.UTC(), err == nil}
		return err
	case []byte:
		return s.Scan(string(v))
	default:
		return fmt.Errorf("cannot scan %T into a time", src)
	}
	return nil
}
