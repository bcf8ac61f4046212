package ratelimit_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vidivo/vidivo/ratelimit"
)

// fakeClock is an injectable clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// step is one action of a scripted test: advance the clock, then make n
// requests for key (1 if n is 0) and expect each to get want and retry.
type step struct {
	advance time.Duration
	key     string
	n       int
	want    bool
	retry   time.Duration
}

func allow(key string, n int) step { return step{key: key, n: n, want: true} }

func refuse(key string, retry time.Duration) step { return step{key: key, retry: retry} }

func after(d time.Duration, s step) step { s.advance = d; return s }

// allowTest is a scripted test of a limiter's budget.
type allowTest struct {
	name      string
	perMinute int
	steps     []step
}

// allowTests are the scripts every Limiter, in process or shared, passes.
var allowTests = []allowTest{
	{"N allowed, N+1th refused", 3, []step{
		allow("a", 3),
		refuse("a", 20*time.Second), // 3/min = one token every 20s
	}},
	{"refused requests take no token", 3, []step{
		allow("a", 3),
		{key: "a", n: 10, retry: 20 * time.Second},
		after(20*time.Second, allow("a", 1)),
		refuse("a", 20*time.Second),
	}},
	{"retry shrinks as the bucket refills", 3, []step{
		allow("a", 3),
		after(5*time.Second, refuse("a", 15*time.Second)),
		after(14*time.Second, refuse("a", time.Second)),
		after(time.Second, allow("a", 1)),
	}},
	{"retry rounds up to whole seconds", 7, []step{
		allow("a", 7),
		refuse("a", 9*time.Second), // 60/7 = 8.57s
		after(8500*time.Millisecond, refuse("a", time.Second)),
	}},
	{"retry is at least one second", 600, []step{
		allow("a", 600),
		refuse("a", time.Second), // 0.1s to the next token
		after(100*time.Millisecond, allow("a", 1)),
	}},
	{"refills completely after a minute", 5, []step{
		allow("a", 5),
		refuse("a", 12*time.Second),
		after(time.Minute, allow("a", 5)),
		refuse("a", 12*time.Second),
	}},
	{"refill never exceeds the burst", 5, []step{
		allow("a", 1),
		after(time.Hour, allow("a", 5)),
		refuse("a", 12*time.Second),
	}},
	{"keys are independent", 2, []step{
		allow("a", 2),
		refuse("a", 30*time.Second),
		allow("b", 2),
		refuse("b", 30*time.Second),
		allow("c", 1),
	}},
	{"one per minute", 1, []step{
		allow("a", 1),
		refuse("a", time.Minute),
		after(59*time.Second, refuse("a", time.Second)),
		after(time.Second, allow("a", 1)),
	}},
	{"zero is unlimited", 0, []step{allow("a", 10000), after(time.Nanosecond, allow("b", 10))}},
	{"negative is unlimited", -5, []step{allow("a", 10000)}},
}

func TestAllow(t *testing.T) {
	t.Parallel()
	for _, tt := range allowTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			runSteps(t, clk, tt.steps, ratelimit.New(tt.perMinute, clk.Now))
		})
	}
}

// runSteps plays steps, sending the requests to limiters in turn.
func runSteps(t *testing.T, clk *fakeClock, steps []step, limiters ...*ratelimit.Limiter) {
	t.Helper()
	next := 0
	for i, s := range steps {
		clk.Advance(s.advance)
		n := max(s.n, 1)
		for j := range n {
			l := limiters[next%len(limiters)]
			next++
			ok, retry := l.Allow(s.key)
			if ok != s.want || retry != s.retry {
				t.Fatalf("step %d, request %d/%d for %q: Allow = %v, %v; want %v, %v",
					i, j+1, n, s.key, ok, retry, s.want, s.retry)
			}
		}
	}
}

func TestNilLimiterAllows(t *testing.T) {
	t.Parallel()
	var l *ratelimit.Limiter
	if ok, retry := l.Allow("a"); !ok || retry != 0 {
		t.Errorf("nil Limiter: Allow = %v, %v; want true, 0", ok, retry)
	}
	if n := l.Len(); n != 0 {
		t.Errorf("nil Limiter: Len = %d", n)
	}
}

func TestNilClockUsesRealTime(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(1, nil)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("first request refused")
	}
	if ok, retry := l.Allow("a"); ok || retry < 59*time.Second || retry > time.Minute {
		t.Errorf("second request: Allow = %v, %v; want refused with about a minute", ok, retry)
	}
}

// TestSweep checks that idle keys are forgotten once their bucket is full
// again, and busy ones are kept.
func TestSweep(t *testing.T) {
	t.Parallel()
	clk := newClock()
	l := ratelimit.New(60, clk.Now)
	for i := range 1000 {
		if ok, _ := l.Allow(fmt.Sprintf("idle-%d", i)); !ok {
			t.Fatal("first request for a key refused")
		}
	}
	for range 60 {
		l.Allow("hot")
	}
	steps := []struct {
		name    string
		advance time.Duration
		key     string
		wantLen int
	}{
		{"no sweep within the first minute", 30 * time.Second, "x", 1002},
		// hot has refilled 59 tokens by now; drain them so it stays busy.
		{"drain hot again", 29 * time.Second, "hot", 1002},
		// Dropped: the idle keys and x (full again a second after use).
		{"sweep drops full buckets, keeps hot", 2 * time.Second, "new", 2},
		{"no second sweep within a minute", 58 * time.Second, "y", 3},
		{"later sweep drops everything refilled", 2 * time.Second, "z", 1},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		if s.key == "hot" {
			for {
				if ok, _ := l.Allow("hot"); !ok {
					break
				}
			}
		} else {
			l.Allow(s.key)
		}
		if got := l.Len(); got != s.wantLen {
			t.Fatalf("%s: Len = %d, want %d", s.name, got, s.wantLen)
		}
	}
	// A swept key starts with a full bucket, like a new one.
	for i := range 60 {
		if ok, _ := l.Allow("idle-0"); !ok {
			t.Fatalf("swept key refused at request %d", i+1)
		}
	}
}

// TestConcurrent hammers one limiter from many goroutines with a frozen
// clock: exactly perMinute requests per key may pass, however they race.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	const (
		perMinute  = 100
		goroutines = 8
		perG       = 50
		keys       = 4
	)
	clk := newClock()
	l := ratelimit.New(perMinute, clk.Now)
	var allowed [keys]atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG * keys {
				k := (g + i) % keys
				if ok, retry := l.Allow(fmt.Sprint("key-", k)); ok {
					allowed[k].Add(1)
				} else if retry < time.Second {
					t.Errorf("refused with Retry-After %v", retry)
				}
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			l.Len()
		}
	})
	wg.Wait()
	for k := range keys {
		if got := allowed[k].Load(); got != perMinute {
			t.Errorf("key-%d: %d requests allowed, want exactly %d", k, got, perMinute)
		}
	}
}

func BenchmarkAllow(b *testing.B) {
	l := ratelimit.New(1<<30, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Allow("k")
		}
	})
}
