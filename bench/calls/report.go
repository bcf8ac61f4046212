package main

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// queryer is what the checks need of a connection pool.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// report is everything the run measured.
type report struct {
	cfg    config
	engine string

	// set-up
	joined, joinErrs int
	joinFirstErr     string
	setup            time.Duration // from the first join to the last activation
	maxJoinLag       time.Duration // how far a join started behind its slot
	joinLat          dist          // Join + HostJoin

	// run
	runWall, drain, wall time.Duration
	endLat               dist
	endErrs              int
	endFirstErr          string
	holdCalls, holdErrs  int64
	logs                 map[string]int

	// renewals: needed = windows whose deadline came while the call ran
	needed, placed, onTime, missing, extra int
	ledgerOnTime                           int
	slack                                  []time.Duration // deadline − placed
	delay                                  []time.Duration // placed − job due time
	rateSustained, ratePeak                float64
	rateFrom, rateTo                       time.Duration // first and last placement, from the start

	// calls and money
	statuses                  map[string]int
	billingErrors             int
	charged, captured, held   int64
	ledgerMismatch            int // calls whose succeeded captures ≠ total_charged
	sandboxMismatch           int // calls whose sandbox captures ≠ total_charged
	openHolds, pendingCharges int
	drainErr                  error
	riverJobs                 []string
	riverRetried              map[string]int

	// resources
	cpuProcess     float64 // CPU seconds of this process (user+sys)
	machineBusy    float64 // % of all CPUs busy over the run (whole machine)
	loadEnd        string
	rss, hwm       uint64
	heapAlloc      uint64
	heapSys        uint64
	numGC          uint32
	ledgerLagWorst time.Duration
}

// scanT scans a timestamp column from either engine.
type scanT struct {
	t     time.Time
	valid bool
}

func (s *scanT) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		s.valid = false
		return nil
	case time.Time:
		s.t, s.valid = v.UTC(), true
		return nil
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	}
	return fmt.Errorf("cannot scan %T as a time", src)
}

func (s *scanT) parse(v string) error {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return err
	}
	s.t, s.valid = t.UTC(), true
	return nil
}

type storedCall struct {
	id, status, reason string
	activeAt, endedAt  scanT
	total              int64
}

// analyse reads the calls, the ledger and the sandbox's books back and
// judges every renewal against the gateway placement times the recorder
// noted (and, as a cross-check, against the ledger's own timestamps).
func (r *report) analyse(ctx context.Context, db queryer, rec *recorder) error {
	var cs []storedCall
	rows, err := db.QueryContext(ctx, `SELECT id, status, COALESCE(end_reason, ''), active_at, ended_at, total_cents FROM calls`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c storedCall
		if err := rows.Scan(&c.id, &c.status, &c.reason, &c.activeAt, &c.endedAt, &c.total); err != nil {
			rows.Close()
			return err
		}
		cs = append(cs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	ledger := map[holdRef]time.Time{}
	rows, err = db.QueryContext(ctx, `SELECT call_id, window_index, updated_at FROM call_charges
		WHERE kind = 'hold' AND state = 'succeeded' AND window_index >= 1`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var (
			ref holdRef
			at  scanT
		)
		if err := rows.Scan(&ref.call, &ref.window, &at); err != nil {
			rows.Close()
			return err
		}
		ledger[ref] = at.t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	sums := func(q string) (map[string]int64, error) {
		out := map[string]int64{}
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id string
				v  int64
			)
			if err := rows.Scan(&id, &v); err != nil {
				return nil, err
			}
			out[id] = v
		}
		return out, rows.Err()
	}
	ledgerCaptured, err := sums(`SELECT call_id, CAST(SUM(amount_cents) AS BIGINT) FROM call_charges
		WHERE kind = 'capture' AND state = 'succeeded' GROUP BY call_id`)
	if err != nil {
		return err
	}
	sandboxCaptured, err := sums(`SELECT ch.call_id, CAST(SUM(h.captured_cents) AS BIGINT) FROM call_charges ch
		JOIN sandbox_holds h ON h.id = ch.gateway_id WHERE ch.kind = 'hold' AND ch.state = 'succeeded' GROUP BY ch.call_id`)
	if err != nil {
		return err
	}
	held, err := sums(`SELECT call_id, CAST(SUM(amount_cents) AS BIGINT) FROM call_charges
		WHERE kind = 'hold' AND state = 'succeeded' GROUP BY call_id`)
	if err != nil {
		return err
	}

	r.statuses = map[string]int{}
	w := r.cfg.window
	rec.mu.Lock()
	t0 := rec.t0
	rec.mu.Unlock()
	var placedTimes []time.Time
	for _, c := range cs {
		key := c.status
		if c.reason != "" {
			key += "/" + c.reason
		}
		r.statuses[key]++
		if c.reason == "billing_error" {
			r.billingErrors++
		}
		r.charged += c.total
		r.captured += sandboxCaptured[c.id]
		r.held += held[c.id]
		if ledgerCaptured[c.id] != c.total {
			r.ledgerMismatch++
		}
		if sandboxCaptured[c.id] != c.total {
			r.sandboxMismatch++
		}
		if !c.activeAt.valid {
			continue
		}
		a := c.activeAt.t
		planned := a.Add(r.cfg.duration) // the driver ends the call then
		for n := 1; ; n++ {
			deadline := a.Add(time.Duration(n) * w)
			at, ok := rec.placedAt(c.id, n)
			if deadline.After(planned) {
				if ok {
					r.extra++ // placed for a window the call did not reach
				}
				break
			}
			r.needed++
			if !ok {
				r.missing++
				continue
			}
			r.placed++
			placedTimes = append(placedTimes, at)
			s := deadline.Sub(at)
			r.slack = append(r.slack, s)
			r.delay = append(r.delay, at.Sub(deadline.Add(-r.cfg.lead)))
			if s > 0 {
				r.onTime++
			}
			if lt, ok := ledger[holdRef{c.id, n}]; ok {
				if lt.Before(deadline) {
					r.ledgerOnTime++
				}
				if lag := lt.Sub(at); lag > r.ledgerLagWorst {
					r.ledgerLagWorst = lag
				}
			}
		}
	}

	// Renewal throughput: placements per second over the span they came in.
	if len(placedTimes) > 1 {
		slices.SortFunc(placedTimes, func(a, b time.Time) int { return a.Compare(b) })
		first, last := placedTimes[0], placedTimes[len(placedTimes)-1]
		r.rateFrom, r.rateTo = first.Sub(t0), last.Sub(t0)
		if span := last.Sub(first).Seconds(); span > 0 {
			r.rateSustained = float64(len(placedTimes)-1) / span
		}
		perSec := map[int64]int{}
		for _, t := range placedTimes {
			perSec[t.Unix()]++
		}
		for _, n := range perSec {
			r.ratePeak = max(r.ratePeak, float64(n))
		}
	}

	// River's view: jobs by kind and state, and how many needed a retry.
	rows, err = db.QueryContext(ctx, `SELECT kind, state, count(*), max(attempt) FROM river_job GROUP BY kind, state ORDER BY kind, state`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var (
			kind, state string
			n, maxAtt   int
		)
		if err := rows.Scan(&kind, &state, &n, &maxAtt); err != nil {
			rows.Close()
			return err
		}
		r.riverJobs = append(r.riverJobs, fmt.Sprintf("%s %s %d (max attempt %d)", kind, state, n, maxAtt))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	r.riverRetried = map[string]int{}
	rows, err = db.QueryContext(ctx, `SELECT kind, count(*) FROM river_job WHERE attempt > 1 GROUP BY kind`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kind string
			n    int
		)
		if err := rows.Scan(&kind, &n); err != nil {
			return err
		}
		r.riverRetried[kind] = n
	}
	return rows.Err()
}

func (r *report) onTimePct() float64 {
	if r.needed == 0 {
		return 0
	}
	return 100 * float64(r.onTime) / float64(r.needed)
}

func (r *report) pass() bool {
	return r.joinErrs == 0 && r.joined == r.cfg.calls && r.needed > 0 && r.onTimePct() >= onTimeTarget &&
		r.ledgerMismatch == 0 && r.sandboxMismatch == 0 && r.openHolds == 0 && r.pendingCharges == 0 &&
		r.endErrs == 0 && r.drainErr == nil
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func (r *report) print() {
	cfg := r.cfg
	fmt.Println()
	fmt.Printf("== %s: %d calls, window %s, lead %s, duration %s, River MaxWorkers %d ==\n",
		r.engine, cfg.calls, cfg.window, cfg.lead, cfg.duration, cfg.workers)
	fmt.Printf("set-up     %d of %d calls active in %s (%.0f joins/s; target %.0f/s over %s); join errors %d\n",
		r.joined, cfg.calls, ms(r.setup), float64(r.joined)/r.setup.Seconds(), float64(cfg.calls)/cfg.stagger.Seconds(),
		cfg.stagger, r.joinErrs)
	if r.joinFirstErr != "" {
		fmt.Printf("           first join error: %s\n", r.joinFirstErr)
	}
	fmt.Printf("           Join+HostJoin latency %s; worst start behind its slot %s\n", r.joinLat, ms(r.maxJoinLag))

	sl, de := distOf(r.slack), distOf(r.delay)
	fmt.Printf("renewals   needed %d, placed %d, on time %d (%.3f%%), late %d, missing %d; extra placed %d\n",
		r.needed, r.placed, r.onTime, r.onTimePct(), r.placed-r.onTime, r.missing, r.extra)
	fmt.Printf("           slack before deadline (deadline − placed): min %s, p0.1 %s, p1 %s, p50 %s, max %s\n",
		ms(sl.min), ms(quantileOr(r.slack, 0.001)), ms(sl.p1), ms(sl.p50), ms(sl.max))
	fmt.Printf("           delay after the job was due (placed − due): %s\n", de)
	fmt.Printf("           ledger cross-check: %d on time by call_charges.updated_at (worst ledger lag after gateway %s)\n",
		r.ledgerOnTime, ms(r.ledgerLagWorst))
	fmt.Printf("           rate %.1f renewals/s sustained (%s to %s after start), peak %.0f in one second; steady need %.1f/s\n",
		r.rateSustained, r.rateFrom.Round(time.Second), r.rateTo.Round(time.Second), r.ratePeak,
		float64(cfg.calls)/cfg.window.Seconds())
	fmt.Printf("           gateway holds %d (errors %d)\n", r.holdCalls, r.holdErrs)

	fmt.Printf("ending     End latency %s; end errors %d\n", r.endLat, r.endErrs)
	if r.endFirstErr != "" {
		fmt.Printf("           first end error: %s\n", r.endFirstErr)
	}
	fmt.Printf("           settlement drained %s after the last End\n", ms(r.drain))
	fmt.Printf("calls      %s; billing_error %d\n", mapLine(r.statuses), r.billingErrors)
	fmt.Printf("money      total_charged %s, captured at the gateway %s, held %s; calls whose ledger captures ≠ total %d, sandbox captures ≠ total %d\n",
		cents(r.charged), cents(r.captured), cents(r.held), r.ledgerMismatch, r.sandboxMismatch)
	fmt.Printf("           holds left requires_capture %d, ledger entries pending %d", r.openHolds, r.pendingCharges)
	if r.drainErr != nil {
		fmt.Printf(" (check failed: %v)", r.drainErr)
	}
	fmt.Println()
	fmt.Printf("river      %s\n", strings.Join(r.riverJobs, "; "))
	fmt.Printf("           jobs retried (attempt > 1): %s\n", mapLine(r.riverRetried))
	if len(r.logs) > 0 {
		fmt.Printf("logs       %s\n", mapLine(r.logs))
	}
	fmt.Printf("resources  wall %s (run %s); process CPU %.1f s = %.2f cores; machine CPU busy %.0f%% (all processes); load average now %s\n",
		r.wall.Round(time.Second), r.runWall.Round(time.Second), r.cpuProcess, r.cpuProcess/r.wall.Seconds(), r.machineBusy, r.loadEnd)
	fmt.Printf("           RSS %s (peak %s), Go heap in use %s of %s, %d GCs\n", mib(r.rss), mib(r.hwm), mib(r.heapAlloc), mib(r.heapSys), r.numGC)
	verdict := "PASS"
	if !r.pass() {
		verdict = "FAIL"
	}
	fmt.Printf("verdict    %s (need ≥ %.1f%% of renewals on time, every call joined, money balanced, no hold left open)\n", verdict, onTimeTarget)
	fmt.Printf("RESULT engine=%s calls=%d window=%s lead=%s duration=%s workers=%d joins_per_s=%.0f needed=%d on_time_pct=%.3f late=%d missing=%d slack_min_ms=%d slack_p1_ms=%d slack_p50_ms=%d delay_p50_ms=%d delay_p99_ms=%d delay_max_ms=%d renewals_per_s=%.1f billing_errors=%d money_mismatch=%d open_holds=%d rss_mib=%.0f heap_mib=%.0f cpu_cores=%.2f verdict=%s\n",
		r.engine, cfg.calls, cfg.window, cfg.lead, cfg.duration, cfg.workers, float64(r.joined)/r.setup.Seconds(),
		r.needed, r.onTimePct(), r.placed-r.onTime, r.missing, sl.min.Milliseconds(), sl.p1.Milliseconds(), sl.p50.Milliseconds(),
		de.p50.Milliseconds(), de.p99.Milliseconds(), de.max.Milliseconds(), r.rateSustained, r.billingErrors,
		r.ledgerMismatch+r.sandboxMismatch, r.openHolds, float64(r.rss)/(1<<20), float64(r.heapAlloc)/(1<<20),
		r.cpuProcess/r.wall.Seconds(), verdict)
}

func quantileOr(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return quantile(s, p)
}

func cents(c int64) string { return fmt.Sprintf("$%d.%02d", c/100, c%100) }

func mapLine(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
