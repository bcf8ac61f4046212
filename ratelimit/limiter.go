// Package ratelimit limits how often each key (a client IP, an account, a
// route) may act, with one token bucket per key, kept in process or, for a
// fleet of instances, in a shared Store.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// sweepEvery is how much injected-clock time passes between sweeps of idle
// keys.
const sweepEvery = time.Minute

// Limiter allows each key perMinute requests per minute on average, in
// bursts of up to perMinute. It is safe for concurrent use. Its memory is
// bounded by the keys active in about the last two minutes: a key whose
// bucket has refilled completely is indistinguishable from a new key and is
// dropped. A nil *Limiter allows everything.
type Limiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	lastSweep time.Time

	// shared, when set, keeps the buckets in a Store instead of buckets.
	shared *shared
}

// New returns a Limiter allowing perMinute requests per key per minute: a
// token bucket refilling at perMinute/60 tokens a second and holding at most
// perMinute. perMinute <= 0 gives a Limiter that always allows. now is the
// clock; nil means time.Now.
func New(perMinute int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	l := &Limiter{now: now}
	if perMinute > 0 {
		l.limit = rate.Limit(float64(perMinute) / 60)
		l.burst = perMinute
		l.buckets = make(map[string]*rate.Limiter)
	}
	return l
}

// unlimited reports whether l allows everything.
func (l *Limiter) unlimited() bool { return l == nil || l.burst == 0 }

// Allow takes one token from key's bucket and reports whether the request
// may proceed. When it may not, no token is taken and retryAfter is how long
// until one request for key would be allowed, rounded up to whole seconds
// and at least one second, ready for a Retry-After header. When ok is true,
// retryAfter is 0.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l.unlimited() {
		return true, 0
	}
	t := l.now()
	if l.shared != nil {
		return l.allowShared(key, t)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	l.maybeSweep(t)
	b := l.buckets[key]
	if b == nil {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[key] = b
	}
	r := b.ReserveN(t, 1) // always OK: burst >= 1
	wait := r.DelayFrom(t)
	if wait == 0 {
		return true, 0
	}
	// Refused: give the token back so refused requests cost nothing. Under
	// l.mu no other reservation can have been made on b since.
	r.CancelAt(t)
	return false, roundUpSeconds(wait)
}

// roundUpSeconds rounds d up to a whole number of seconds, at least one.
func roundUpSeconds(d time.Duration) time.Duration {
	s := (d + time.Second - 1) / time.Second
	return max(s, 1) * time.Second
}

// maybeSweep drops the buckets that are full at t, at most once per
// sweepEvery of clock time. l.mu must be held.
func (l *Limiter) maybeSweep(t time.Time) {
	if elapsed := t.Sub(l.lastSweep); elapsed >= 0 && elapsed < sweepEvery {
		return
	}
	l.lastSweep = t // also resets after the clock moves backwards
	full := float64(l.burst)
	for key, b := range l.buckets {
		if b.TokensAt(t) >= full {
			delete(l.buckets, key)
		}
	}
}

// Len returns the number of keys currently tracked in memory. Keys are
// forgotten once their bucket has refilled, checked at most once a minute
// of clock time. A shared Limiter keeps none (its Store prunes alike).
func (l *Limiter) Len() int {
	if l.unlimited() {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
