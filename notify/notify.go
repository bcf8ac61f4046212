// Package notify delivers events to a user's open notification streams
// (the host's incoming-call ringer) within one instance.
package notify

import (
	"sync"

	"github.com/vidivo/vidivo/calls"
)

// Event is one notification: a name such as "call.incoming" and its data.
type Event struct {
	Name string
	Data any
}

// Hub fans events out to subscribers by user id. The zero value is ready.
type Hub struct {
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

// Subscribe opens a stream for userID. Close it when done.
func (h *Hub) Subscribe(userID string) *Subscription {
	s := &Subscription{C: make(chan Event, streamBuffer), hub: h, userID: userID}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[string]map[*Subscription]struct{}{}
	}
	if h.subs[userID] == nil {
		h.subs[userID] = map[*Subscription]struct{}{}
	}
	h.subs[userID][s] = struct{}{}
	return s
}

// Close ends the subscription.
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

// EventIncoming names the incoming-call event.
const EventIncoming = "call.incoming"

// NotifyIncoming implements calls.Notifier.
func (h *Hub) NotifyIncoming(hostID string, ev calls.Incoming) {
	h.Publish(hostID, Event{Name: EventIncoming, Data: ev})
}
