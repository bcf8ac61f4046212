// Package notify delivers events to a user's open notification streams
// (the host's incoming-call ringer), on every instance that shares a
// Broker. It knows nothing of what the events mean: publishers name them
// and give their data, and the stream that writes them encodes it.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Event is one notification: a name such as "call.incoming" and its data.
// ID is the broker's number for a published event (the SSE id), 0 for an
// event that was not published (a feed's pending events). Events that
// came through a broker carry their Data as json.RawMessage.
type Event struct {
	ID   uint64
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

// ReasonSlow is why a subscription that could not keep up was closed.
const ReasonSlow = "slow"

// Hub fans events out to subscribers by user id, through its Broker so
// that an event published on any instance reaches the user's streams on
// every instance. The zero value is ready: in-process, with
// DefaultMaxPerUser streams per user.
type Hub struct {
	// MaxPerUser caps each user's open streams on this instance, and on
	// the whole fleet when Leases is set; 0 means DefaultMaxPerUser. Set
	// it before the hub is used.
	MaxPerUser int
	// Broker carries events between instances; nil means an in-process
	// LocalBroker. Set it before the hub is used.
	Broker Broker
	// Leases, when set, count each user's streams across the fleet; nil
	// counts this instance's only. Set it before the hub is used.
	Leases Leases
	// LeaseRenew is how often the leases of open streams are renewed; 0
	// means DefaultLeaseRenew.
	LeaseRenew time.Duration

	once      sync.Once
	startErr  error
	stop      func()
	closeOnce sync.Once

	mu   sync.Mutex
	subs map[string]map[*Subscription]struct{}
}

// Subscription is one open stream. Events arrive on C in the order of
// their numbers. A subscription that cannot keep up is closed by the hub
// rather than silently losing events: Closed is then closed, and Reason
// says why.
type Subscription struct {
	C      chan Event
	hub    *Hub
	userID string
	closed chan struct{}
	reason string
	id     string // names its lease
	leased bool   // holds a lease; guarded by hub.mu
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

// Start begins listening on the broker. Subscribe and Publish start the hub
// themselves; call Start first to see the broker's error at startup. Only
// the first call does anything.
func (h *Hub) Start() error {
	h.once.Do(func() {
		if h.Broker == nil {
			h.Broker = &LocalBroker{}
		}
		h.stop, h.startErr = h.Broker.Listen(h.deliver)
		if h.startErr != nil {
			h.startErr = fmt.Errorf("notify: listen: %w", h.startErr)
			return
		}
		if h.Leases != nil {
			stopListen, stopRenew, renewed := h.stop, make(chan struct{}), make(chan struct{})
			go func() {
				defer close(renewed)
				h.renewLeases(stopRenew)
			}()
			h.stop = func() {
				stopListen()
				close(stopRenew)
				<-renewed
			}
		}
	})
	return h.startErr
}

// Close stops listening on the broker (and renewing leases); open
// subscriptions get nothing more. It does not close the broker. Closing
// twice is harmless.
func (h *Hub) Close() {
	if h.Start() == nil {
		h.closeOnce.Do(h.stop)
	}
}

// Subscribe opens a stream for userID; close it when done. It returns
// ErrTooManyStreams, and opens nothing, when userID already has Max streams
// open (here, or with Leases in the whole fleet): the newest is refused rather than the oldest closed, so clients
// that reconnect on their own (EventSource does) cannot evict each other in
// a loop.
func (h *Hub) Subscribe(userID string) (*Subscription, error) {
	if err := h.Start(); err != nil {
		return nil, err
	}
	if h.Subscribers(userID) >= h.Max() {
		return nil, ErrTooManyStreams
	}
	s := &Subscription{C: make(chan Event, streamBuffer), hub: h, userID: userID, closed: make(chan struct{})}
	if h.Leases != nil {
		if err := h.take(s); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs[userID]) >= h.Max() { // others here took the places meanwhile
		h.release(s)
		return nil, ErrTooManyStreams
	}
	if h.subs == nil {
		h.subs = map[string]map[*Subscription]struct{}{}
	}
	if h.subs[userID] == nil {
		h.subs[userID] = map[*Subscription]struct{}{}
	}
	h.subs[userID][s] = struct{}{}
	return s, nil
}

// Closed is closed when the hub ended the subscription (see Reason).
func (s *Subscription) Closed() <-chan struct{} { return s.closed }

// Reason says why the hub closed the subscription, once Closed is.
func (s *Subscription) Reason() string {
	<-s.closed
	return s.reason
}

// Close ends the subscription, freeing its place. Closing twice is harmless.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop(s)
}

// drop removes s and lets its lease go; h.mu is held.
func (h *Hub) drop(s *Subscription) {
	h.release(s)
	delete(h.subs[s.userID], s)
	if len(h.subs[s.userID]) == 0 {
		delete(h.subs, s.userID)
	}
}

// Publish sends ev to userID's streams on every instance. Its Data is
// encoded as JSON here, once; the broker numbers the event.
func (h *Hub) Publish(ctx context.Context, userID string, ev Event) error {
	if err := h.Start(); err != nil {
		return err
	}
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return fmt.Errorf("notify: encode %s: %w", ev.Name, err)
	}
	if err := h.Broker.Publish(ctx, userID, ev.Name, data); err != nil {
		return fmt.Errorf("notify: publish %s: %w", ev.Name, err)
	}
	return nil
}

// Since returns userID's events still kept by the broker whose number is
// above after, oldest first: what a reconnecting stream missed.
func (h *Hub) Since(ctx context.Context, userID string, after uint64) ([]Event, error) {
	if err := h.Start(); err != nil {
		return nil, err
	}
	evs, err := h.Broker.Since(ctx, userID, after)
	if err != nil {
		return nil, fmt.Errorf("notify: events since %d: %w", after, err)
	}
	return evs, nil
}

// deliver offers a broker's event to userID's streams here. A stream whose
// queue is full is closed with ReasonSlow: its client reconnects with
// Last-Event-ID and gets what it missed from the broker.
func (h *Hub) deliver(userID string, ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[userID] {
		select {
		case s.C <- ev:
		default:
			h.drop(s)
			s.reason = ReasonSlow
			close(s.closed)
		}
	}
}

// Subscribers reports how many streams userID has open on this instance.
func (h *Hub) Subscribers(userID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[userID])
}
