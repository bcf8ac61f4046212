package ratelimit_test

import (
	"bytes"
	"database/sql"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vidivo/vidivo/ratelimit"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// TestSharedAllow plays every in-process script on two limiters that share
// one store, sending requests to each in turn as a load balancer would: the
// budget, the refusals and their retry times are those of one limiter.
func TestSharedAllow(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			for _, tt := range allowTests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					// A database of its own: each script has its own clock,
					// and pruning at one clock's time would empty the
					// buckets of scripts whose clocks are behind.
					db := sqldbtest.New(t, engine)
					clk := newClock()
					s := ratelimit.Shared{Store: db, Name: "test", Timeout: testTimeout}
					a := ratelimit.NewShared(tt.perMinute, clk.Now, s)
					b := ratelimit.NewShared(tt.perMinute, clk.Now, s)
					runSteps(t, clk, tt.steps, a, b)
				})
			}
		})
	}
}

// TestSharedSpentElsewhere: once one instance has spent a key's budget, the
// other refuses it, with the time until the next token; other names (the
// other limits) and other keys are untouched.
func TestSharedSpentElsewhere(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			db := sqldbtest.New(t, engine)
			clk := newClock()
			a := ratelimit.NewShared(4, clk.Now, ratelimit.Shared{Store: db, Name: "auth", Timeout: testTimeout})
			b := ratelimit.NewShared(4, clk.Now, ratelimit.Shared{Store: db, Name: "auth", Timeout: testTimeout})
			other := ratelimit.NewShared(4, clk.Now, ratelimit.Shared{Store: db, Name: "public", Timeout: testTimeout})
			// A client-chosen key of any length (a log-in identifier).
			long := strings.Repeat("x", 10000)
			for range 4 {
				if ok, _ := a.Allow(long); !ok {
					t.Fatal("instance A refused within the budget")
				}
			}
			if ok, retry := b.Allow(long); ok || retry != 15*time.Second {
				t.Errorf("instance B after A spent the budget: Allow = %v, %v; want false, 15s", ok, retry)
			}
			if ok, _ := other.Allow(long); !ok {
				t.Error("another limit on the same store was refused")
			}
			if ok, _ := b.Allow("someone else"); !ok {
				t.Error("another key was refused")
			}
		})
	}
}

// TestSharedConcurrent: instances racing for one key's budget never take
// more than it holds, nor less: the check and the spend are one statement.
func TestSharedConcurrent(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			db := sqldbtest.New(t, engine)
			clk := newClock() // stopped: nothing refills during the race
			const budget, workers, each = 50, 16, 10
			var allowed atomic.Int64
			var wg sync.WaitGroup
			for range workers { // an instance each
				l := ratelimit.NewShared(budget, clk.Now, ratelimit.Shared{Store: db, Name: "race", Timeout: testTimeout})
				wg.Go(func() {
					for range each {
						if ok, _ := l.Allow("contested"); ok {
							allowed.Add(1)
						}
					}
				})
			}
			wg.Wait()
			if n := allowed.Load(); n != budget {
				t.Errorf("%d of %d requests allowed, want the budget, %d", n, workers*each, budget)
			}
		})
	}
}

// TestSharedPrunes: buckets full again are deleted from the store, once a
// minute of clock time, so the table holds only the keys recently active.
func TestSharedPrunes(t *testing.T) {
	t.Parallel()
	db := sqldbtest.New(t, "sqlite")
	clk := newClock()
	l := ratelimit.NewShared(60, clk.Now, ratelimit.Shared{Store: db, Name: "p", Timeout: testTimeout})
	for i := range 50 {
		l.Allow("idle" + strconv.Itoa(i))
	}
	count := func() int {
		t.Helper()
		var n int
		err := db.WithTx(t.Context(), func(tx *sql.Tx) error {
			return tx.QueryRow(`SELECT count(*) FROM rate_limits`).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 50 {
		t.Fatalf("%d buckets stored, want 50", n)
	}
	clk.Advance(30 * time.Second)
	l.Allow("busy") // not a minute since the first prune: none yet
	if n := count(); n != 51 {
		t.Fatalf("half a minute later: %d buckets stored, want 51", n)
	}
	for range 60 {
		l.Allow("busy") // spent: full again only in a minute
	}
	clk.Advance(31 * time.Second)
	l.Allow("new")
	// Pruned: the idle keys, full a second after their one request.
	if n := count(); n != 2 {
		t.Errorf("after a minute: %d buckets stored, want 2 (busy and new)", n)
	}
}

// TestSharedFailsOpen: when the store fails, requests are allowed (an
// outage must not lock anyone out) and the failure is logged, once per
// minute rather than once per request.
func TestSharedFailsOpen(t *testing.T) {
	t.Parallel()
	db := sqldbtest.New(t, "sqlite")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	clk := newClock()
	l := ratelimit.NewShared(1, clk.Now, ratelimit.Shared{Store: db, Name: "down", Logger: slog.New(slog.NewTextHandler(&logs, nil)), Timeout: testTimeout})
	for range 5 {
		if ok, retry := l.Allow("a"); !ok || retry != 0 {
			t.Fatalf("store down: Allow = %v, %v; want true, 0", ok, retry)
		}
	}
	if n := strings.Count(logs.String(), "rate limit store failed"); n != 1 {
		t.Errorf("logged %d failures, want 1:\n%s", n, logs.String())
	}
	clk.Advance(time.Minute)
	l.Allow("a")
	if n := strings.Count(logs.String(), "rate limit store failed"); n != 2 {
		t.Errorf("a minute later: logged %d failures, want 2", n)
	}
}

// testTimeout bounds the store's calls in tests: long, so that a busy test
// machine never makes a limiter fail open where a test expects a refusal.
const testTimeout = time.Minute

// BenchmarkSharedAllow measures one shared check (one statement) per
// engine, over 1000 keys.
func BenchmarkSharedAllow(b *testing.B) {
	for _, engine := range sqldbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			db := sqldbtest.New(b, engine)
			l := ratelimit.NewShared(1_000_000, time.Now, ratelimit.Shared{Store: db, Name: "bench", Timeout: testTimeout})
			i := 0
			for b.Loop() {
				l.Allow("key" + strconv.Itoa(i%1000))
				i++
			}
		})
	}
}
