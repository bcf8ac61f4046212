package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vidivo/vidivo/bench/chaos/audit"
)

// run is one chaos run on one engine: its server, its database, its load.
type run struct {
	cfg    config
	engine string
	tag    string // makes this run's usernames unique
	work   string
	dbURL  string
	pgName string // the run's own PostgreSQL database

	fl       *fleet
	api      *client
	stats    *counters
	db       *sql.DB // reads: monitor, job watch, audit
	freezeDB *sql.DB // the freezing connection
	hosts    []*host
	bursts   sync.WaitGroup
	live     []audit.Violation
	// maxOverrun is the longest a call was seen open past its paid time
	// or no-show deadline while the server (some instance) was up.
	maxOverrun time.Duration
	jobs       jobTallies
	// neverAllDown: some instance answered at every moment of the run.
	neverAllDown bool
	lastWait     time.Duration     // the killer's last pause
	extraMu      sync.Mutex        // guards extra, and live (the monitor appends, progress counts)
	extra        []audit.Violation // run-level: timeouts while up, refused good cards, jobs completed twice
	refused      sync.Map          // booking id → its last scheduled join was 402

	cancel context.CancelFunc
	errMu  sync.Mutex
	err    error

	report    *audit.Report
	plantErrs []string
	byEnd     []string
	started   time.Time
}

func (r *run) logf(format string, args ...any) {
	fmt.Printf("[%s %s] %s\n", r.label(), time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// label names the run: its engine, and the fleet's size.
func (r *run) label() string {
	if r.cfg.fleet > 0 {
		return fmt.Sprintf("%s fleet of %d", r.engine, r.cfg.fleet)
	}
	return r.engine
}

// fatal stops the run: something other than the service's money broke
// (the server will not start, the database is gone).
func (r *run) fatal(err error) {
	r.errMu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.errMu.Unlock()
	r.cancel()
}

func (r *run) failed() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.err
}

// execute runs the load with faults, then the final restart, settlement
// wait and audit.
func (r *run) execute(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	r.cancel = cancel
	defer cancel()
	r.started = time.Now()
	// Closed even when preparing fails half-way: a fleet's instances
	// already started and nginx must not outlive the run.
	defer r.close()
	if err := r.prepare(ctx); err != nil {
		r.fatal(err)
		return
	}
	r.logf("serving on %s, data in %s; load %s with %d workers, a kill every ~%s", r.fl.describe(), r.work,
		r.cfg.duration, r.cfg.workers, r.cfg.killEvery)

	stop, stopLoad := context.WithTimeout(ctx, r.cfg.duration)
	defer stopLoad()
	r.api.hurry = stop
	var load, faults sync.WaitGroup
	for i := range r.cfg.workers {
		var clientAcct *account
		if r.cfg.bookShare > 0 {
			clientAcct = &account{email: fmt.Sprintf("client%d-%s@example.com", i, r.tag),
				username: fmt.Sprintf("c%d%s", i, r.tag), password: "correct horse battery " + r.tag}
			if err := r.signup(ctx, clientAcct, "client"); err != nil {
				r.fatal(err)
				return
			}
		}
		load.Go(func() { r.worker(ctx, stop, clientAcct) })
	}
	faults.Go(func() { r.killer(ctx, stop) })
	faults.Go(func() { r.monitor(stop) })
	faults.Go(func() { r.progress(stop) })
	<-stop.Done()
	faults.Wait()
	r.logf("load stopped; %d kills so far; ending the calls in progress", r.fl.stats().kills)
	load.Wait()
	r.bursts.Wait()
	if ctx.Err() != nil {
		return
	}
	r.finish(ctx)
}

func (r *run) prepare(ctx context.Context) error {
	if err := os.MkdirAll(r.work, 0o700); err != nil {
		return err
	}
	if r.engine == "postgres" {
		if err := r.createDatabase(ctx); err != nil {
			return err
		}
	} else {
		r.dbURL = "sqlite:" + filepath.Join(r.work, "data", "vidivo.db")
	}
	fl, err := r.newFleet()
	if err != nil {
		return err
	}
	r.fl = fl
	r.api = &client{base: fl.base, hc: &http.Client{}, stats: r.stats, patience: r.cfg.patience}
	if err := fl.start(ctx); err != nil {
		return err
	}
	if r.db, _, err = audit.Open(ctx, r.dbURL, 4); err != nil {
		return err
	}
	if r.freezeDB, _, err = audit.Open(ctx, r.dbURL, 1); err != nil {
		return err
	}
	if err := r.installFreeze(ctx); err != nil {
		return err
	}
	return r.setUpHosts(ctx, r.cfg.hosts, r.cfg.bookable)
}

// createDatabase makes the run's own PostgreSQL database.
func (r *run) createDatabase(ctx context.Context) error {
	admin, _, err := audit.Open(ctx, r.cfg.pgURL, 1)
	if err != nil {
		return err
	}
	defer admin.Close()
	r.pgName = "chaos_" + r.tag
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+r.pgName); err != nil {
		return fmt.Errorf("create database %s: %w", r.pgName, err)
	}
	r.dbURL, err = withDatabase(r.cfg.pgURL, r.pgName)
	return err
}

func (r *run) close() {
	if r.fl != nil {
		r.fl.stop()
	}
	for _, db := range []*sql.DB{r.db, r.freezeDB} {
		if db != nil {
			db.Close()
		}
	}
	violations := r.report == nil || len(r.report.Violations) > 0 || len(r.live) > 0 || len(r.extra) > 0 || r.failed() != nil
	if r.cfg.keep || violations {
		r.logf("kept for inspection: %s%s", r.work, map[bool]string{true: " and database " + r.pgName}[r.pgName != ""])
		return
	}
	if r.pgName != "" {
		if admin, _, err := audit.Open(context.Background(), r.cfg.pgURL, 1); err == nil {
			_, _ = admin.Exec("DROP DATABASE IF EXISTS " + r.pgName + " WITH (FORCE)")
			admin.Close()
		}
	}
	os.RemoveAll(r.work)
}

func (r *run) progress(stop context.Context) {
	for {
		sleep(stop, time.Minute)
		if stop.Err() != nil {
			return
		}
		st := r.fl.stats()
		r.extraMu.Lock()
		live := len(r.live)
		r.extraMu.Unlock()
		r.logf("t=%s joins %d ok / %d declined, ends %d, kills %d, crashes %d, live violations %d",
			time.Since(r.started).Round(time.Second), r.stats.get("join.ok"), r.stats.get("join.declined"),
			r.stats.get("end.ok"), st.kills, st.crashes, live)
	}
}

// finish ends what is open, kills the server a last time, starts it, waits
// for settlement and audits.
func (r *run) finish(ctx context.Context) {
	swept := r.sweep(ctx)
	victim := r.fl.pick()
	r.logf("swept %d open calls; last kill -9 (%s) and restart", swept, victim.name)
	victim.kill()
	r.countKill("final")
	r.restart(ctx, time.Second, victim)
	if ctx.Err() != nil {
		return
	}
	settled, err := r.waitSettled(ctx)
	if err != nil {
		r.fatal(err)
		return
	}
	if !settled {
		r.logf("not settled after %s; auditing what is there", r.cfg.settleTimeout)
	}
	r.waitJobsRescued(ctx)
	rep, err := audit.Run(ctx, r.db, audit.Options{Now: time.Now(), Slack: 10 * time.Second})
	if err != nil {
		r.fatal(err)
		return
	}
	r.report = rep
	r.byEnd = r.endReasons(ctx)
	for _, v := range r.timeoutsWhileUp(ctx) {
		r.flagExtra(v)
	}
	for _, v := range r.jobsCompletedTwice(ctx) {
		r.flagExtra(v)
	}
	r.jobs = r.jobTallies(ctx)
	r.neverAllDown = r.fl.neverAllDown()
	if r.cfg.plant {
		r.plantErrs = append(r.checkPlants(ctx), r.checkRunPlants(ctx)...)
	}
}

// waitSettled waits until nothing is pending, no call is open and no hold
// of an ended call is authorized, or -settle-timeout passes.
func (r *run) waitSettled(ctx context.Context) (bool, error) {
	deadline := time.Now().Add(r.cfg.settleTimeout)
	for {
		rep, err := audit.Run(ctx, r.db, audit.Options{Now: time.Now(), Slack: 10 * time.Second})
		if err != nil {
			return false, err
		}
		open := rep.ByStatus["waiting"] + rep.ByStatus["ringing"] + rep.ByStatus["active"]
		if rep.Count(audit.LedgerPending)+rep.Count(audit.HoldAuthorized)+open == 0 {
			r.logf("settled %s after the last restart", time.Since(deadline.Add(-r.cfg.settleTimeout)).Round(time.Second))
			return true, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false, ctx.Err()
		}
		sleep(ctx, 2*time.Second)
	}
}

func (r *run) endReasons(ctx context.Context) []string {
	rows, err := r.db.QueryContext(ctx, `SELECT status, COALESCE(end_reason, ''), count(*) FROM calls GROUP BY 1, 2 ORDER BY 3 DESC`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var st, reason string
		var n int
		if rows.Scan(&st, &reason, &n) == nil {
			out = append(out, fmt.Sprintf("%s/%s=%d", st, reason, n))
		}
	}
	return out
}

// checkPlants writes each planted violation into this run's database and
// audits again: each must be flagged, on its call, with its kinds.
func (r *run) checkPlants(ctx context.Context) []string {
	p := &audit.Planter{DB: r.db, Engine: r.engine, Now: time.Now().UTC()}
	want := map[string][]audit.Kind{}
	for _, pl := range audit.Plants {
		id, err := p.Plant(ctx, pl.Name)
		if err != nil {
			return []string{err.Error()}
		}
		want[id] = pl.Kinds
	}
	rep, err := audit.Run(ctx, r.db, audit.Options{Now: p.Now, Slack: 10 * time.Second})
	if err != nil {
		return []string{err.Error()}
	}
	got := map[string]map[audit.Kind]bool{}
	for _, v := range rep.Violations {
		if got[v.CallID] == nil {
			got[v.CallID] = map[audit.Kind]bool{}
		}
		got[v.CallID][v.Kind] = true
	}
	var errs []string
	for id, kinds := range want {
		for _, k := range kinds {
			if !got[id][k] {
				errs = append(errs, fmt.Sprintf("planted %s on %s not flagged", k, id))
			}
		}
		if len(got[id]) != len(kinds) {
			errs = append(errs, fmt.Sprintf("planted call %s flagged %v, want %v", id, got[id], kinds))
		}
	}
	if len(want) != len(audit.Plants) {
		errs = append(errs, "a plant was lost")
	}
	return errs
}
