package notify

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// faultyLeases wraps the per-instance count with a fleet store that fails
// or is full, to see what the hub does then (natsbroker tests the real
// store across instances).
type faultyLeases struct {
	err error // what Take returns

	mu      sync.Mutex
	dropped []string
}

func (f *faultyLeases) Take(context.Context, string, string, int) error { return f.err }
func (f *faultyLeases) Renew(context.Context, string, []string) error   { return f.err }
func (f *faultyLeases) Drop(_ context.Context, _ string, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropped = append(f.dropped, id)
	return nil
}

func (f *faultyLeases) drops() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.dropped)
}

// TestLeasesFailOpenAndFull: a lease store that fails lets streams
// through (the per-instance cap still holds), and nothing is dropped for
// them; a full one refuses with ErrTooManyStreams and opens nothing; a
// leased stream drops its lease when it closes.
func TestLeasesFailOpenAndFull(t *testing.T) {
	t.Parallel()
	failing := &faultyLeases{err: errors.New("nats: timeout")}
	h := &Hub{MaxPerUser: 2, Leases: failing}
	t.Cleanup(h.Close)
	for range 2 {
		s := mustSubscribe(t, h, "u")
		defer s.Close()
	}
	if _, err := h.Subscribe("u"); !errors.Is(err, ErrTooManyStreams) {
		t.Errorf("third stream with the store down: %v, want the per-instance cap", err)
	}

	full := &faultyLeases{err: ErrTooManyStreams}
	h2 := &Hub{Leases: full}
	t.Cleanup(h2.Close)
	if s, err := h2.Subscribe("u"); !errors.Is(err, ErrTooManyStreams) || h2.Subscribers("u") != 0 {
		t.Errorf("fleet full: %v, %v, %d open; want ErrTooManyStreams and none", s, err, h2.Subscribers("u"))
	}

	ok := &faultyLeases{}
	h3 := &Hub{Leases: ok}
	t.Cleanup(h3.Close)
	mustSubscribe(t, h3, "u").Close()
	deadline := time.Now().Add(5 * time.Second)
	for ok.drops() != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if ok.drops() != 1 || failing.drops() != 0 {
		t.Errorf("leases dropped: %d for the leased stream (want 1), %d for unleased ones (want 0)", ok.drops(), failing.drops())
	}
}
