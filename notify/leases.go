package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"
)

// Leases count a user's open streams across a fleet, so that Hub.Max is
// the user's cap on all instances together rather than on each. Each
// stream holds a lease that its hub keeps renewing while it is open; a
// stream on an instance that died stops counting when its lease runs out.
// Implementations decide with a compare-and-set, so two instances never
// both take the last place.
type Leases interface {
	// Take gives stream id of userID a lease unless userID already holds
	// max live ones: then it returns ErrTooManyStreams.
	Take(ctx context.Context, userID, id string, max int) error
	// Renew extends the leases of userID's streams ids.
	Renew(ctx context.Context, userID string, ids []string) error
	// Drop ends stream id's lease.
	Drop(ctx context.Context, userID, id string) error
}

// DefaultLeaseRenew is how often a hub renews its streams' leases when
// Hub.LeaseRenew is 0; leases must last a few times longer.
const DefaultLeaseRenew = 15 * time.Second

// leaseTimeout bounds one call to the Leases. A store that does not answer
// in time counts this instance's streams only (the cap fails open, like
// the rate limits: an outage must not lock hosts out of their ringer).
const leaseTimeout = 2 * time.Second

func (h *Hub) leaseRenew() time.Duration {
	if h.LeaseRenew > 0 {
		return h.LeaseRenew
	}
	return DefaultLeaseRenew
}

// take leases a new subscription's place in the fleet. It returns
// ErrTooManyStreams when the user's streams everywhere are at the cap; any
// other failure is logged and the stream is let through.
func (h *Hub) take(s *Subscription) error {
	s.id = newStreamID()
	ctx, cancel := context.WithTimeout(context.Background(), leaseTimeout)
	defer cancel()
	err := h.Leases.Take(ctx, s.userID, s.id, h.Max())
	switch {
	case err == nil:
		s.leased = true
		return nil
	case errors.Is(err, ErrTooManyStreams):
		return err
	}
	slog.Warn("notification stream leases failed; counting this instance's streams only", "err", err)
	return nil
}

// release drops a closed subscription's lease in the background; h.mu is
// held. A lease that could not be dropped runs out by itself.
func (h *Hub) release(s *Subscription) {
	if !s.leased {
		return
	}
	s.leased = false
	user, id := s.userID, s.id
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), leaseTimeout)
		defer cancel()
		if err := h.Leases.Drop(ctx, user, id); err != nil {
			slog.Warn("notification stream lease not dropped; it runs out by itself", "err", err)
		}
	}()
}

// renewLeases renews the leases of this hub's open streams every
// leaseRenew until stop is closed.
func (h *Hub) renewLeases(stop <-chan struct{}) {
	t := time.NewTicker(h.leaseRenew())
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		h.mu.Lock()
		held := make(map[string][]string, len(h.subs))
		for user, subs := range h.subs {
			for s := range subs {
				if s.leased {
					held[user] = append(held[user], s.id)
				}
			}
		}
		h.mu.Unlock()
		for user, ids := range held {
			ctx, cancel := context.WithTimeout(context.Background(), leaseTimeout)
			if err := h.Leases.Renew(ctx, user, ids); err != nil {
				slog.Warn("notification stream leases not renewed", "err", err)
			}
			cancel()
		}
	}
}

// newStreamID names a stream for its lease.
func newStreamID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
