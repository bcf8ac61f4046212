package notify

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Broker carries users' events between the Hubs of every instance. It
// numbers each event (the SSE id a stream writes), keeps it for a short
// time so a stream that reconnects can ask for what it missed, and hands
// it to the listener of every Hub sharing the broker, its publisher's too.
//
// Numbers increase in publication order and are never reused, so a
// stream's last number says exactly what it has seen; they are not
// consecutive per user.
type Broker interface {
	// Publish numbers and keeps one event of userID whose Data is JSON, and
	// delivers it to every listener.
	Publish(ctx context.Context, userID, name string, data json.RawMessage) error
	// Listen calls deliver with every event published from now on, on
	// every instance, in the order of their numbers, until stop is
	// called. deliver must not block.
	Listen(deliver func(userID string, ev Event)) (stop func(), err error)
	// Since returns userID's events still kept whose number is above
	// after, oldest first.
	Since(ctx context.Context, userID string, after uint64) ([]Event, error)
}

// Defaults of the in-process broker: a reconnecting stream gets what was
// published for its user in the last few minutes, at most this many.
const (
	DefaultKeep   = 64
	DefaultMaxAge = 5 * time.Minute
)

// LocalBroker is the in-process Broker: a small ring of recent events per
// user. Publish delivers synchronously, in the publisher's goroutine.
type LocalBroker struct {
	// Keep is how many events per user are kept; 0 means DefaultKeep.
	Keep int
	// MaxAge is how long an event is kept; 0 means DefaultMaxAge.
	MaxAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// pubMu orders numbering and delivery, so listeners see events in
	// the order of their numbers.
	pubMu     sync.Mutex
	mu        sync.Mutex
	seq       uint64
	kept      map[string][]kept
	next      int
	listeners map[int]func(string, Event)
}

type kept struct {
	at time.Time
	ev Event
}

func (b *LocalBroker) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *LocalBroker) keep() int {
	if b.Keep > 0 {
		return b.Keep
	}
	return DefaultKeep
}

func (b *LocalBroker) maxAge() time.Duration {
	if b.MaxAge > 0 {
		return b.MaxAge
	}
	return DefaultMaxAge
}

// Publish implements Broker. It never fails.
func (b *LocalBroker) Publish(_ context.Context, userID, name string, data json.RawMessage) error {
	b.pubMu.Lock()
	defer b.pubMu.Unlock()
	b.mu.Lock()
	b.seq++
	ev := Event{ID: b.seq, Name: name, Data: data}
	if b.kept == nil {
		b.kept = map[string][]kept{}
	}
	ring := append(b.kept[userID], kept{at: b.now(), ev: ev})
	if over := len(ring) - b.keep(); over > 0 {
		ring = append([]kept(nil), ring[over:]...)
	}
	b.kept[userID] = ring
	if b.seq%sweepEvery == 0 {
		b.sweep()
	}
	listeners := make([]func(string, Event), 0, len(b.listeners))
	for _, f := range b.listeners {
		listeners = append(listeners, f)
	}
	b.mu.Unlock()
	for _, f := range listeners {
		f(userID, ev)
	}
	return nil
}

// sweepEvery is how often (in events) Publish forgets expired events of
// every user, so users who stopped getting events do not hold memory.
const sweepEvery = 256

// sweep drops expired events; b.mu is held.
func (b *LocalBroker) sweep() {
	cutoff := b.now().Add(-b.maxAge())
	for user, ring := range b.kept {
		if ring[len(ring)-1].at.Before(cutoff) {
			delete(b.kept, user)
		}
	}
}

// Listen implements Broker. It never fails.
func (b *LocalBroker) Listen(deliver func(string, Event)) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	id := b.next
	if b.listeners == nil {
		b.listeners = map[int]func(string, Event){}
	}
	b.listeners[id] = deliver
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.listeners, id)
	}, nil
}

// Since implements Broker; it also forgets the user's expired events.
func (b *LocalBroker) Since(_ context.Context, userID string, after uint64) ([]Event, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ring := b.kept[userID]
	cutoff := b.now().Add(-b.maxAge())
	for len(ring) > 0 && ring[0].at.Before(cutoff) {
		ring = ring[1:]
	}
	if len(ring) == 0 {
		delete(b.kept, userID)
	} else {
		b.kept[userID] = ring
	}
	var out []Event
	for _, k := range ring {
		if k.ev.ID > after {
			out = append(out, k.ev)
		}
	}
	return out, nil
}
