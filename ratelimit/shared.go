package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"
)

// Store keeps token buckets that several instances share, so a fleet
// counts each key once however many instances it reaches. A bucket is a
// GCRA cell: one token refills every interval and it holds at most burst.
type Store interface {
	// TakeToken takes one token from key's bucket at now, atomically
	// across every user of the store. When none is left it takes nothing
	// and reports how long until one will be.
	TakeToken(ctx context.Context, key string, now time.Time, interval time.Duration, burst int) (ok bool, wait time.Duration, err error)
	// PruneRateLimits forgets the buckets that are full at now: they are
	// indistinguishable from buckets never used.
	PruneRateLimits(ctx context.Context, now time.Time) error
}

// Shared configures a Limiter whose buckets live in a Store.
type Shared struct {
	// Store holds the buckets.
	Store Store
	// Name tells apart the limiters sharing one Store ("auth", "public").
	Name string
	// Timeout bounds each call to the Store; 0 means 500ms. A Limiter
	// must stay cheap: a Store slower than this counts as failed.
	Timeout time.Duration
	// Logger receives the Store's failures; nil means slog.Default().
	Logger *slog.Logger
}

// storeTimeout is Shared.Timeout's default.
const storeTimeout = 500 * time.Millisecond

// failLogEvery is how often, at most, a Limiter logs that its Store fails,
// so an outage does not log once per request.
const failLogEvery = time.Minute

// shared is the part of a Limiter backed by a Store.
type shared struct {
	Shared
	mu        sync.Mutex
	lastPrune time.Time
	lastLog   time.Time
}

// NewShared returns a Limiter with New's budget whose buckets live in
// s.Store, shared by every instance using it. When the Store fails (an
// outage, a timeout), the request is allowed and the failure logged: a
// limiter must never lock users out because a database is down.
func NewShared(perMinute int, now func() time.Time, s Shared) *Limiter {
	l := New(perMinute, now)
	if l.unlimited() || s.Store == nil {
		return l
	}
	if s.Timeout <= 0 {
		s.Timeout = storeTimeout
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	l.shared = &shared{Shared: s}
	return l
}

// allowShared is Allow on the Store. The key is hashed: it may be text a
// client chose (a log-in identifier) of any length.
func (l *Limiter) allowShared(key string, t time.Time) (bool, time.Duration) {
	s := l.shared
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	defer cancel()
	s.maybePrune(ctx, t)
	sum := sha256.Sum256([]byte(key))
	interval := time.Duration(float64(time.Minute) / float64(l.limit*60))
	ok, wait, err := s.Store.TakeToken(ctx, s.Name+":"+hex.EncodeToString(sum[:16]), t, interval, l.burst)
	if err != nil {
		s.logFailure(t, err)
		return true, 0 // fail open
	}
	if ok {
		return true, 0
	}
	return false, roundUpSeconds(wait)
}

// maybePrune drops full buckets from the Store at most once per sweepEvery
// of clock time per Limiter.
func (s *shared) maybePrune(ctx context.Context, t time.Time) {
	s.mu.Lock()
	if elapsed := t.Sub(s.lastPrune); elapsed >= 0 && elapsed < sweepEvery {
		s.mu.Unlock()
		return
	}
	s.lastPrune = t
	s.mu.Unlock()
	if err := s.Store.PruneRateLimits(ctx, t); err != nil {
		s.logFailure(t, err)
	}
}

// logFailure logs a Store failure, at most once per failLogEvery.
func (s *shared) logFailure(t time.Time, err error) {
	s.mu.Lock()
	if !s.lastLog.IsZero() && t.Sub(s.lastLog) >= 0 && t.Sub(s.lastLog) < failLogEvery {
		s.mu.Unlock()
		return
	}
	s.lastLog = t
	s.mu.Unlock()
	s.Logger.Error("rate limit store failed; allowing requests until it recovers",
		"limiter", s.Name, "err", err)
}
