// Package notify delivers events to a user's open notification streams
// (the host's incoming-call ringer) within one instance. It knows nothing of
// what the events mean: publishers name them and give their data, and the
// stream that writes them encodes it.
package notify

import (
	"errors"
	"sync"
)

// Event is one notification: a name such as "call.incoming" and its data.
type Event struct {
	Name string
	Data any
}

// DefaultMaxPerUser is how many streams one user may have open at once on
// one instance when Hub.MaxPerUser is 0: a few browser tabs and devices,
// not an unbounded pile of held connections.
const DefaultMaxPerUser = 5

// ErrTooManyStreams is returned by Subscribe when the user already has the
// most streams allowed open.
var ErrTooManyStreams = errors.New("notify: too many open streams")

// Hub fans events out to subscribers by user id. The zero value is ready
// and allows DefaultMaxPerUser streams per user.
type Hub struct {
	// MaxPerUser caps each user's open streams; 0 means DefaultMaxPerUser.
	// Set it before the hub is used.
	MaxPerUser int

	mu   sync.Mutex
	subs map[string]map[*Subscription]struct{}
}

// Subscription is one open stream. Events arrive on C; a stream that
// cannot keep up loses events rather than blocking the sender.
type Subscription struct {
	C      chan Event
	hub    *Hub
	userID string
}

// streamBuffer is how many events a slow stream may have queued.
const streamBuffer = 16

// Max returns how many streams one user may have open at once.
func (h *Hub) Max() int {
	if h.MaxPerUser > 0 {
		return h.MaxPerUser
	}
	return DefaultMaxPerUser
}

// Subscribe opens a stream for userID; close it when done. It returns
// ErrTooManyStreams, and opens nothing, when userID already has Max streams
// open: the newest is refused rather than the oldest closed, so clients
// that reconnect on their own (EventSource does) cannot evict each other in
// a loop.
func (h *Hub) Subscribe(userID string) (*Subscription, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs[userID]) >= h.Max() {
		return nil, ErrTooManyStreams
	}
	s := &Subscription{C: make(chan Event, streamBuffer), hub: h, userID: userID}
	if h.subs == nil {
		h.subs = map[string]map[*Subscription]struct{}{}
	}
	if h.subs[userID] == nil {
		h.subs[userID] = map[*Subscription]struct{}{}
	}
	h.subs[userID][s] = struct{}{}
	return s, nil
}

// Close ends the subscription, freeing its place. Closing twice is harmless.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[s.userID], s)
	if len(h.subs[s.userID]) == 0 {
		delete(h.subs, s.userID)
	}
}

// Publish offers ev to every stream of userID and reports how many took it.
func (h *Hub) Publish(userID string, ev Event) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for s := range h.subs[userID] {
		select {
		case s.C <- ev:
			n++
		default:
		}
	}
	return n
}

// Subscribers reports how many streams userID has open.
func (h *Hub) Subscribers(userID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[userID])
}
