// Command chaos runs the real vidivo binary under paid-call load and kills
// it with SIGKILL again and again mid-billing, then audits the money of
// every call straight from the database (package audit).
//
// Per engine (SQLite in a data dir of its own, PostgreSQL in a database of
// its own, chaos_<tag>), concurrently when both:
//
//  1. It builds ./cmd/vidivo and runs `vidivo serve` on its own port with
//     the sandbox gateway (TURN off).
//  2. Through the public API only, from this separate process: hosts sign
//     up, connect payouts and create links with 1-minute windows at various
//     rates (bookable hosts publish availability); -workers guests join
//     with X-Idempotency-Key (pm_card_visa mostly, some declined cards),
//     hosts answer, calls run 0 to -max-call and one side ends them; some
//     hosts never come (missed), some guests give up waiting, some clients
//     book a call a minute ahead and both join it. A request that got no
//     answer is sent again with the same key and body, as a client would.
//  3. Every ~-kill-every the server is killed with SIGKILL: at a random
//     moment, in a burst of new calls, while a River job is running, or
//     with the ledger's writes frozen by a lock this program holds (so the
//     process dies between a gateway step and its ledger update); then it
//     is started again on the same data. A monitor flags any call seen
//     active more than -live-slack past its paid time (or waiting past its
//     no-show deadline) when the server was already up as that time came.
//  4. After -duration: the load stops and its calls end, every host ends
//     its still-open calls, the server is killed and started a last time,
//     and once settled (or after -settle-timeout) every call is audited.
//     With -plant each kind of violation is then planted in the run's
//     database and must be flagged.
//
// With -fleet N (PostgreSQL only) the run is a fleet: N instances of the
// binary on the run's one database and NATS (-nats-url), sharing a data
// dir (the keys the first generates), behind Debian's nginx running
// docs/nginx-fleet.conf (package nginxtest), round-robin; the load goes
// through nginx. Each fault kills one instance, picked at random (for
// jobs_running, the one River's attempted_by says runs the job), and
// restarts it while the others keep serving. The monitor then flags a call
// open past its deadlines while some instance was up, and after the audit
// the run checks river_job: no job of a call completed twice. It waits
// (-rescue-wait) for the jobs killed processes were running to be rescued
// first. -plant also plants these run checks' violations.
//
// It prints a summary (calls, kills, restarts, violations by kind, each
// violation with its call's ledger) and exits 1 on any violation, 2 if the
// run itself could not be carried out.
//
//	go run ./bench/chaos -engine both -duration 30m
//	go run ./bench/chaos -engine postgres -fleet 2 -duration 15m
//	go run ./bench/chaos -engine sqlite -duration 60s -kill-every 8s -max-call 25s -plant   # CI
package main

import (
	"context"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	engines       []string
	duration      time.Duration
	killEvery     time.Duration
	maxCall       time.Duration
	settleTimeout time.Duration
	liveSlack     time.Duration
	patience      time.Duration
	workers       int
	hosts         int
	bookable      int
	bookShare     float64
	plant         bool
	keep          bool
	pgURL         string
	bin           string
	work          string
	mode          string
	fleet         int
	natsURL       string
	rescueWait    time.Duration
}

func main() {
	var cfg config
	engine := flag.String("engine", "both", "sqlite, postgres or both (run concurrently)")
	flag.DurationVar(&cfg.duration, "duration", 30*time.Minute, "how long the load runs (the final settlement and audit come after)")
	flag.DurationVar(&cfg.killEvery, "kill-every", 40*time.Second, "mean time between kills (each pause uniform over 0.2–1.8 times it)")
	flag.DurationVar(&cfg.maxCall, "max-call", 4*time.Minute, "longest call the load makes")
	flag.DurationVar(&cfg.settleTimeout, "settle-timeout", 6*time.Minute, "longest wait for settlement after the last restart")
	flag.DurationVar(&cfg.liveSlack, "live-slack", time.Minute, "how long past its paid time (or no-show deadline) a call may be seen open, when the server was up as that time came, before it is a violation")
	flag.DurationVar(&cfg.patience, "patience", 2*time.Minute, "how long a client keeps retrying one request")
	flag.IntVar(&cfg.workers, "workers", 16, "concurrent guests per engine")
	flag.IntVar(&cfg.hosts, "hosts", 10, "hosts per engine")
	flag.IntVar(&cfg.bookable, "bookable-hosts", 6, "hosts that take bookings (each one 5-minute booking at a time)")
	flag.Float64Var(&cfg.bookShare, "book-share", 0.25, "share of calls that are booked rather than through a link")
	flag.BoolVar(&cfg.plant, "plant", false, "after the audit, plant every kind of violation in the run's database and check each is flagged")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the data dir and database (kept anyway when something is flagged)")
	flag.StringVar(&cfg.pgURL, "pg-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server to create the run's database on")
	flag.StringVar(&cfg.bin, "binary", "", "a vidivo binary to run (default: go build ./cmd/vidivo first)")
	flag.StringVar(&cfg.work, "work", "", "working directory (default: a new temporary one)")
	flag.IntVar(&cfg.fleet, "fleet", 0, "run this many instances (2–5) on one PostgreSQL database and NATS behind nginx, killing one at a time (needs -engine postgres); 0: one server")
	flag.DurationVar(&cfg.rescueWait, "rescue-wait", 90*time.Second, "after settlement, the longest wait for call jobs a killed process was running to be rescued and finished (0: no wait)")
	flag.StringVar(&cfg.natsURL, "nats-url", "nats://127.0.0.1:4222", "NATS server of the fleet")
	flag.StringVar(&cfg.mode, "mode", "", "only this kill mode: random, burst, jobs_running, ledger_locked or ledger_update_frozen (default: a random mix)")
	flag.Parse()
	switch *engine {
	case "both":
		cfg.engines = []string{"sqlite", "postgres"}
	case "sqlite", "postgres":
		cfg.engines = []string{*engine}
	default:
		fmt.Fprintln(os.Stderr, "chaos: -engine must be sqlite, postgres or both")
		os.Exit(2)
	}
	if cfg.fleet != 0 && (cfg.fleet < 2 || cfg.fleet > len(memberNames) || *engine != "postgres") {
		fmt.Fprintf(os.Stderr, "chaos: -fleet takes 2 to %d instances, with -engine postgres\n", len(memberNames))
		os.Exit(2)
	}
	if cfg.bookable > cfg.hosts || cfg.workers < 1 || cfg.hosts < 1 || cfg.killEvery < time.Second {
		fmt.Fprintln(os.Stderr, "chaos: need -workers ≥ 1, -hosts ≥ 1, -bookable-hosts ≤ -hosts, -kill-every ≥ 1s")
		os.Exit(2)
	}
	os.Exit(runAll(cfg))
}

func runAll(cfg config) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.work == "" {
		dir, err := os.MkdirTemp("", "vidivo-chaos-")
		if err != nil {
			return fatal(err)
		}
		cfg.work = dir
	}
	rev := gitRev()
	if cfg.bin == "" {
		cfg.bin = filepath.Join(cfg.work, "vidivo")
		fmt.Printf("chaos: building ./cmd/vidivo at %s\n", rev)
		build := exec.CommandContext(ctx, "go", "build", "-o", cfg.bin, "./cmd/vidivo")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			return fatal(fmt.Errorf("build: %w", err))
		}
	}
	// Two runs started in one second (CI's, one by hand) must not share a
	// database or usernames.
	tag := time.Now().UTC().Format("20060102t150405") + fmt.Sprintf("%04x", mrand.IntN(1<<16))
	runs := make([]*run, len(cfg.engines))
	var wg sync.WaitGroup
	for i, engine := range cfg.engines {
		runs[i] = &run{cfg: cfg, engine: engine, tag: engine[:2] + tag, work: filepath.Join(cfg.work, engine),
			stats: &counters{}}
		wg.Go(func() { runs[i].execute(ctx) })
	}
	wg.Wait()
	code := 0
	fmt.Printf("\nchaos: tree %s, %s, %d CPUs\n", rev, time.Now().UTC().Format(time.RFC3339), numCPU())
	for _, r := range runs {
		code = max(code, r.summary())
	}
	if cfg.work != "" && code == 0 {
		os.Remove(filepath.Join(cfg.work, "vidivo"))
		os.Remove(cfg.work)
	}
	return code
}

func fatal(err error) int {
	fmt.Fprintln(os.Stderr, "chaos:", err)
	return 2
}

// withDatabase returns the PostgreSQL URL u naming database name instead.
func withDatabase(u, name string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	p.Path = "/" + name
	return p.String(), nil
}

func gitRev() string {
	out, err := exec.Command("git", "log", "-1", "--format=%h %s").Output()
	if err != nil {
		return "(no git)"
	}
	s := strings.TrimSpace(string(out))
	if len(s) > 90 {
		s = s[:90] + "…"
	}
	if dirty, _ := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); len(dirty) > 0 {
		s += " (+ uncommitted changes)"
	}
	return s
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "processor\t:")
}
