// Command calls measures how many concurrent active calls one Vidivo
// instance keeps billed on time: every billing-window renewal hold placed
// before the window it extends begins (the end of the previous window).
//
// It runs the real pipeline in one process on one database: the sqldb store
// (SQLite or PostgreSQL), the sandbox payments gateway, calls.Service and
// River workers (jobs.Runner). Nothing is mocked; the gateway is wrapped in
// a thin recorder that notes when each hold returned.
//
//  1. Set-up: one host with payouts connected and one link (rate 1.00 a
//     minute, window -window, unlimited uses). -calls guests join
//     (svc.Join, pm_card_visa) and the host joins each call (svc.HostJoin),
//     which enqueues its first renewal. Activations are paced uniformly
//     over -stagger (default one window) by real time, so renewals then
//     come due at a steady N/window per second instead of all at once.
//  2. Run: River works the renewal jobs as they come due (-lead before each
//     window ends). Each call is ended (svc.End, as its host) -duration
//     after it became active, by real time, so every call lives the same
//     length and the run lasts about -stagger + -duration.
//  3. Check: once every call has ended and settlement has drained, the
//     ledger, the sandbox's books and the calls table are read back: each
//     renewal that the call needed (its deadline ActiveAt + n×window came
//     before the call ended) must have been placed before that deadline;
//     captured money must equal each call's total_charged; no hold may be
//     left open.
//
// The program exits 1 if fewer than 99.9% of renewals were on time, a join
// or an end failed, or the money check failed; 2 on a usage or set-up
// error.
//
//	go run ./bench/calls -database-url sqlite:/tmp/b.db -calls 10000
//	bench/calls/run.sh both -calls 10000   # fresh databases for both engines
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/calls"
	"github.com/vidivo/vidivo/jobs"
	"github.com/vidivo/vidivo/sandbox"
	"github.com/vidivo/vidivo/sqldb"
)

// onTimeTarget is the share of renewals that must be placed before their
// deadline for the run to pass.
const onTimeTarget = 99.9

type config struct {
	url         string
	calls       int
	window      time.Duration
	lead        time.Duration
	duration    time.Duration
	stagger     time.Duration
	workers     int
	joinWorkers int
	endWorkers  int
	progress    time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.url, "database-url", "", `database: "sqlite:<path>" (a new file; default: one in a temporary directory) or "postgres://…" (an empty database)`)
	flag.IntVar(&cfg.calls, "calls", 10000, "concurrent calls")
	flag.DurationVar(&cfg.window, "window", time.Minute, "billing window of the link (whole minutes, 1m to 60m)")
	flag.DurationVar(&cfg.lead, "lead", 30*time.Second, "renewal lead: renewal jobs are due this long before a window ends (calls.Service.RenewLead)")
	flag.DurationVar(&cfg.duration, "duration", 3*time.Minute, "how long each call stays active before it is ended")
	flag.DurationVar(&cfg.stagger, "stagger", 0, "activations are spread uniformly over this long (default: one window)")
	flag.IntVar(&cfg.workers, "workers", 100, "River MaxWorkers")
	flag.IntVar(&cfg.joinWorkers, "join-workers", 16, "goroutines doing Join+HostJoin during set-up")
	flag.IntVar(&cfg.endWorkers, "end-workers", 16, "goroutines ending calls")
	flag.DurationVar(&cfg.progress, "progress", 15*time.Second, "interval of progress lines (0: none)")
	flag.Parse()
	if cfg.stagger == 0 {
		cfg.stagger = cfg.window
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "calls:", err)
		os.Exit(2)
	}
	os.Exit(run(cfg))
}

func (c *config) validate() error {
	switch {
	case c.calls < 1 || c.calls > 200000:
		return errors.New("-calls must be 1 to 200000")
	case c.window%time.Minute != 0 || c.window < time.Minute || c.window > 60*time.Minute:
		return errors.New("-window must be whole minutes from 1m to 60m")
	case c.lead <= 0 || c.lead >= c.window:
		return errors.New("-lead must be positive and shorter than -window")
	case c.duration <= 0 || c.duration > 2*time.Hour:
		return errors.New("-duration must be positive and at most 2h")
	case c.stagger < 0 || c.stagger > time.Hour:
		return errors.New("-stagger must be at most 1h")
	case c.workers < 1 || c.joinWorkers < 1 || c.endWorkers < 1:
		return errors.New("-workers, -join-workers and -end-workers must be positive")
	}
	return nil
}

// A call of the run, as the driver saw it.
type benchCall struct {
	id       string
	activeAt time.Time // as HostJoin returned it
	endAt    time.Time // when End returned
}

func run(cfg config) int {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.stagger+cfg.duration+10*time.Minute)
	defer cancel()
	logs := &logCounter{}
	logger := slog.New(logs)

	// --- database ---
	url, cleanup, err := databaseURL(cfg.url)
	if err != nil {
		return fatal(err)
	}
	defer cleanup()
	pool, engine, err := sqldb.OpenJobPool(ctx, url) // River's pool; also used for read-only checks
	if err != nil {
		return fatal(err)
	}
	defer pool.Close()
	enqueuer, err := jobs.NewEnqueuer(ctx, engine, pool)
	if err != nil {
		return fatal(err)
	}
	db, err := sqldb.Open(ctx, url, &sqldb.Opts{Jobs: enqueuer})
	if err != nil {
		return fatal(err)
	}
	defer db.Close()
	var one int
	if err := pool.QueryRowContext(ctx, "SELECT 1 FROM calls LIMIT 1").Scan(&one); err == nil || !isMissingTable(err) {
		return fatal(fmt.Errorf("the database is not empty (a calls table exists): give a new database (%v)", err))
	}
	if _, err := db.Migrate(ctx); err != nil {
		return fatal(err)
	}

	// --- the real pipeline: store, sandbox gateway, service, River ---
	rec := newRecorder(cfg.calls, cfg.window)
	ops := &opTimings{m: map[string]*latencies{}}
	store := &timedStore{DB: db, ops: ops}
	gw := &recordingGateway{Gateway: &sandbox.Gateway{Store: store}, rec: rec}
	svc := &calls.Service{Store: store, Gateway: gw, RenewLead: cfg.lead, PlatformFeePercent: 10, Logger: logger}
	runner, err := jobs.New(jobs.Config{Engine: engine, Pool: pool, Calls: svc, MaxWorkers: cfg.workers, Logger: logger})
	if err != nil {
		return fatal(err)
	}
	if err := runner.Start(ctx); err != nil {
		return fatal(err)
	}
	runnerStopped := false
	stopRunner := func() {
		if runnerStopped {
			return
		}
		runnerStopped = true
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer scancel()
		if err := runner.Stop(sctx); err != nil {
			fmt.Fprintln(os.Stderr, "calls: stop River:", err)
		}
	}
	defer stopRunner()

	host, link, err := setUpHost(ctx, db, int(cfg.window/time.Minute))
	if err != nil {
		return fatal(err)
	}
	hostCaller := vidivo.Caller{Subject: host.ID, Role: vidivo.RoleHost}

	fmt.Printf("calls: %s, %d calls, window %s, lead %s, duration %s, stagger %s, River MaxWorkers %d, GOMAXPROCS %d\n",
		db.Engine(), cfg.calls, cfg.window, cfg.lead, cfg.duration, cfg.stagger, cfg.workers, runtime.GOMAXPROCS(0))
	fmt.Printf("calls: load average at start %s\n", loadAvg())
	cpu0, ru0 := readCPU(), rusage()
	t0 := time.Now()
	rec.start(t0)

	// --- phase 1: joins paced over the stagger; phase 2: ends paced by ActiveAt+duration ---
	var (
		activated  = make(chan *benchCall, cfg.calls)
		all        = make([]*benchCall, 0, cfg.calls)
		allMu      sync.Mutex
		joinErrs   atomic.Int64
		joinFirst  atomic.Value
		joinLat    = newLatencies(cfg.calls)
		endLat     = newLatencies(cfg.calls)
		endErrs    atomic.Int64
		endFirst   atomic.Value
		maxJoinLag atomic.Int64
		lastActive atomic.Int64
		ended      atomic.Int64
	)
	tickets := make(chan int, cfg.calls)
	var joiners sync.WaitGroup
	for range cfg.joinWorkers {
		joiners.Go(func() {
			for i := range tickets {
				due := t0.Add(time.Duration(int64(cfg.stagger) * int64(i) / int64(cfg.calls)))
				sleepUntil(ctx, due)
				if ctx.Err() != nil {
					return
				}
				if lag := time.Since(due); lag > time.Duration(maxJoinLag.Load()) {
					maxJoinLag.Store(int64(lag))
				}
				start := time.Now()
				c, _, err := svc.Join(ctx, calls.JoinRequest{ShortCode: link.ShortCode, PaymentMethodID: "pm_card_visa"})
				if err == nil {
					c, err = svc.HostJoin(ctx, hostCaller, c.ID)
				}
				if err != nil {
					joinErrs.Add(1)
					joinFirst.CompareAndSwap(nil, err.Error())
					continue
				}
				joinLat.add(time.Since(start))
				bc := &benchCall{id: c.ID, activeAt: *c.ActiveAt}
				rec.activated(bc.id, bc.activeAt)
				lastActive.Store(time.Now().UnixNano())
				allMu.Lock()
				all = append(all, bc)
				allMu.Unlock()
				activated <- bc
			}
		})
	}
	for i := range cfg.calls {
		tickets <- i
	}
	close(tickets)
	go func() { joiners.Wait(); close(activated) }()

	// The ender takes calls in activation order (near enough: joiners finish
	// within milliseconds of each other) and ends each at ActiveAt+duration.
	toEnd := make(chan *benchCall, cfg.calls)
	go func() {
		defer close(toEnd)
		for bc := range activated {
			sleepUntil(ctx, bc.activeAt.Add(cfg.duration))
			if ctx.Err() != nil {
				return
			}
			toEnd <- bc
		}
	}()
	var enders sync.WaitGroup
	for range cfg.endWorkers {
		enders.Go(func() {
			for bc := range toEnd {
				start := time.Now()
				_, err := svc.End(ctx, hostCaller, bc.id, vidivo.EndHostEnded)
				if err != nil && vidivo.ErrorCode(err) != vidivo.ECONFLICT { // ECONFLICT: a billing error ended it first
					endErrs.Add(1)
					endFirst.CompareAndSwap(nil, err.Error())
				}
				endLat.add(time.Since(start))
				bc.endAt = time.Now()
				ended.Add(1)
			}
		})
	}

	// Progress lines while the run goes.
	done := make(chan struct{})
	if cfg.progress > 0 {
		go func() {
			tick := time.NewTicker(cfg.progress)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					allMu.Lock()
					n := len(all)
					allMu.Unlock()
					p := rec.progress()
					fmt.Printf("  t=%5.0fs activated %d, ended %d, renewals placed %d (late %d, worst slack %s), join errors %d\n",
						time.Since(t0).Seconds(), n, ended.Load(), p.renewals, p.late, p.worst.Round(time.Millisecond), joinErrs.Load())
				}
			}
		}()
	}

	joiners.Wait()
	setupEnd := time.Unix(0, lastActive.Load())
	enders.Wait()
	runEnd := time.Now()

	// --- settlement drain: End settles at once; a deferred settle is River's ---
	drainStart := time.Now()
	openHolds, pending, drainErr := waitSettled(ctx, pool, 2*time.Minute)
	drained := time.Since(drainStart)
	close(done)
	stopRunner()
	cpu1, ru1 := readCPU(), rusage()
	wall := time.Since(t0)

	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "calls: the run hit its time limit; results are partial")
	}

	// --- analysis from the database ---
	rep := &report{cfg: cfg, engine: db.Engine(), joined: len(all), joinErrs: int(joinErrs.Load()),
		setup: setupEnd.Sub(t0), maxJoinLag: time.Duration(maxJoinLag.Load()), joinLat: joinLat.summary(),
		endLat: endLat.summary(), endErrs: int(endErrs.Load()), runWall: runEnd.Sub(t0), drain: drained,
		openHolds: openHolds, pendingCharges: pending, drainErr: drainErr, wall: wall,
		holdCalls: rec.holdCalls.Load(), holdErrs: rec.holdErrs.Load(), logs: logs.summary()}
	if v := joinFirst.Load(); v != nil {
		rep.joinFirstErr = v.(string)
	}
	if v := endFirst.Load(); v != nil {
		rep.endFirstErr = v.(string)
	}
	if err := rep.analyse(context.Background(), pool, rec); err != nil {
		return fatal(fmt.Errorf("analyse: %w", err))
	}
	rep.cpuProcess = (ru1 - ru0).Seconds()
	rep.machineBusy = cpu1.busySince(cpu0)
	rep.loadEnd = loadAvg()
	rep.rss, rep.hwm = procStatus("VmRSS"), procStatus("VmHWM")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.heapAlloc, rep.heapSys, rep.numGC = ms.HeapAlloc, ms.HeapSys, ms.NumGC
	rep.print()
	fmt.Println("store calls (latency seen by the service, including waits for a connection and, on SQLite, the write lock):")
	for _, l := range ops.lines() {
		fmt.Println("  " + l)
	}
	if !rep.pass() {
		return 1
	}
	return 0
}

func fatal(err error) int {
	fmt.Fprintln(os.Stderr, "calls:", err)
	return 2
}

// databaseURL returns the URL to open and a clean-up: with no URL, a new
// SQLite file in a temporary directory, removed at the end. A SQLite path
// that exists is refused.
func databaseURL(url string) (string, func(), error) {
	if url == "" {
		dir, err := os.MkdirTemp("", "vidivo-bench-calls-")
		if err != nil {
			return "", nil, err
		}
		return "sqlite:" + filepath.Join(dir, "bench.db"), func() { os.RemoveAll(dir) }, nil
	}
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		path = strings.TrimPrefix(path, "//")
		if _, err := os.Stat(path); err == nil {
			return "", nil, fmt.Errorf("%s exists: the benchmark needs a new SQLite file", path)
		}
	}
	return url, func() {}, nil
}

func isMissingTable(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "no such table") || strings.Contains(msg, "does not exist")
}

// setUpHost creates the host (payouts connected) and its link.
func setUpHost(ctx context.Context, db *sqldb.DB, windowMinutes int) (*vidivo.User, *vidivo.Link, error) {
	host := &vidivo.User{Email: "benchhost@example.com", Username: "benchhost", DisplayName: "Bench Host", Role: vidivo.RoleHost}
	if err := db.CreateUser(ctx, host, "not-a-real-hash", nil); err != nil {
		return nil, nil, err
	}
	if err := db.SetPayoutAccount(ctx, host.ID, "acct_sbx_"+host.ID, true); err != nil {
		return nil, nil, err
	}
	link := &vidivo.Link{HostID: host.ID, Rate: 100, WindowMinutes: windowMinutes}
	if err := db.CreateLink(ctx, link); err != nil {
		return nil, nil, err
	}
	return host, link, nil
}

func sleepUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

// waitSettled waits until no sandbox hold is left requires_capture and no
// ledger entry is pending, or until limit. It returns what it saw last.
func waitSettled(ctx context.Context, pool queryer, limit time.Duration) (open, pending int, err error) {
	deadline := time.Now().Add(limit)
	for {
		if err = pool.QueryRowContext(ctx, "SELECT count(*) FROM sandbox_holds WHERE status = 'requires_capture'").Scan(&open); err != nil {
			return 0, 0, err
		}
		if err = pool.QueryRowContext(ctx, "SELECT count(*) FROM call_charges WHERE state = 'pending'").Scan(&pending); err != nil {
			return 0, 0, err
		}
		if (open == 0 && pending == 0) || time.Now().After(deadline) || ctx.Err() != nil {
			return open, pending, nil
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// --- the recording gateway ---

// recordingGateway is the sandbox gateway with a note of when each hold
// was placed (when the gateway returned it), by call and window.
type recordingGateway struct {
	*sandbox.Gateway
	rec *recorder
}

func (g *recordingGateway) Hold(ctx context.Context, req billing.HoldRequest) (billing.HoldResult, error) {
	g.rec.holdCalls.Add(1)
	res, err := g.Gateway.Hold(ctx, req)
	if err != nil {
		g.rec.holdErrs.Add(1)
		return res, err
	}
	w, _ := strconv.Atoi(req.Metadata["window"])
	g.rec.placed(req.Metadata["call_id"], w, time.Now())
	return res, nil
}

type holdRef struct {
	call   string
	window int
}

// recorder keeps placement times, and a running tally for progress lines.
type recorder struct {
	holdCalls, holdErrs atomic.Int64

	mu       sync.Mutex
	t0       time.Time
	window   time.Duration
	active   map[string]time.Time
	at       map[holdRef]time.Time
	renewals int
	late     int
	worst    time.Duration
	seen     bool
}

func newRecorder(n int, window time.Duration) *recorder {
	return &recorder{window: window, active: make(map[string]time.Time, n), at: make(map[holdRef]time.Time, 5*n)}
}

func (r *recorder) start(t0 time.Time) { r.mu.Lock(); r.t0 = t0; r.mu.Unlock() }

func (r *recorder) activated(id string, at time.Time) {
	r.mu.Lock()
	r.active[id] = at
	r.mu.Unlock()
}

func (r *recorder) placed(id string, window int, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.at[holdRef{id, window}]; !dup {
		r.at[holdRef{id, window}] = at
	}
	if window == 0 {
		return
	}
	r.renewals++
	if a, ok := r.active[id]; ok {
		slack := a.Add(time.Duration(window) * r.window).Sub(at)
		if !r.seen || slack < r.worst {
			r.worst, r.seen = slack, true
		}
		if slack <= 0 {
			r.late++
		}
	}
}

type progress struct {
	renewals, late int
	worst          time.Duration
}

func (r *recorder) progress() progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return progress{r.renewals, r.late, r.worst}
}

func (r *recorder) placedAt(id string, window int) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.at[holdRef{id, window}]
	return t, ok
}

// --- latencies ---

type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func newLatencies(n int) *latencies { return &latencies{d: make([]time.Duration, 0, n)} }

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) summary() dist {
	l.mu.Lock()
	defer l.mu.Unlock()
	return distOf(l.d)
}

// dist is a distribution of durations.
type dist struct {
	n                            int
	min, p1, p50, p99, p999, max time.Duration
}

func distOf(d []time.Duration) dist {
	if len(d) == 0 {
		return dist{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return dist{n: len(s), min: s[0], p1: quantile(s, 0.01), p50: quantile(s, 0.50), p99: quantile(s, 0.99),
		p999: quantile(s, 0.999), max: s[len(s)-1]}
}

// quantile is the nearest-rank p-quantile of sorted s.
func quantile(s []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(0, min(len(s)-1, i))]
}

func (d dist) String() string {
	r := func(x time.Duration) string { return x.Round(time.Millisecond).String() }
	return fmt.Sprintf("p50 %s, p99 %s, p99.9 %s, max %s", r(d.p50), r(d.p99), r(d.p999), r(d.max))
}

// --- process and machine figures ---

func rusage() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuTimes is the machine's /proc/stat cpu line.
type cpuTimes struct{ busy, total uint64 }

func readCPU() cpuTimes {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return cpuTimes{}
	}
	fields := strings.Fields(sc.Text())
	var c cpuTimes
	for i, f := range fields[1:] {
		v, _ := strconv.ParseUint(f, 10, 64)
		c.total += v
		if i != 3 && i != 4 { // idle, iowait
			c.busy += v
		}
	}
	return c
}

func (c cpuTimes) busySince(before cpuTimes) float64 {
	if c.total == before.total {
		return 0
	}
	return 100 * float64(c.busy-before.busy) / float64(c.total-before.total)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// procStatus reads a "kB" field of /proc/self/status, in bytes.
func procStatus(field string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseUint(f[0], 10, 64)
				return v * 1024
			}
		}
	}
	return 0
}

// --- log counting ---

// logCounter counts the service's and River's warnings and errors by
// message, printing the first few of each.
type logCounter struct {
	mu     sync.Mutex
	counts map[string]int
	attrs  []slog.Attr
}

func (h *logCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h *logCounter) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h *logCounter) WithGroup(string) slog.Handler                { return h }

func (h *logCounter) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.counts == nil {
		h.counts = map[string]int{}
	}
	key := r.Level.String() + " " + r.Message
	h.counts[key]++
	if h.counts[key] <= 3 {
		var b strings.Builder
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
		fmt.Fprintf(os.Stderr, "  log: %s%s\n", key, b.String())
	}
	return nil
}

func (h *logCounter) summary() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.counts)
}
