package signaling

import (
	"time"
)

// Presence across instances survives a crash through heartbeats: every
// HeartbeatInterval each Hub publishes, on the topic of every call it has
// connections for, the participants it holds there (kindBeat). Any envelope
// from an instance about a call counts as hearing from it; a participant
// whose instance has not been heard about the call for PresenceTTL is
// announced gone (peer_left) as if its connection had dropped, and the
// instance holding the newest remaining connection runs its PeerGone
// timer. An instance killed with SIGKILL publishes no leave, so without
// this its participants would stay present forever.
//
// A beat that arrives after its participant was announced gone (the
// instance was cut off from the broker, not dead) brings it back with
// peer_joined, as a reconnection would.

const (
	// defaultHeartbeat is how often a Hub says which participants it holds.
	defaultHeartbeat = 2 * time.Second
	// presenceTTLBeats is the default PresenceTTL in heartbeats: two beats
	// may be lost or late before a participant is announced gone.
	presenceTTLBeats = 3
)

// heartbeats beats every HeartbeatInterval and looks for silent instances
// twice as often, until Close.
func (h *Hub) heartbeats() {
	defer h.beats.Done()
	t := time.NewTicker(h.cfg.HeartbeatInterval / 2)
	defer t.Stop()
	beat := false
	for {
		select {
		case <-h.stopBeats:
			return
		case <-t.C:
		}
		if beat = !beat; beat {
			h.beat()
		}
		h.expire()
	}
}

// beat publishes, for every call this instance has connections for, the
// participants it holds.
func (h *Hub) beat() {
	h.mu.Lock()
	envs := make([]*envelope, 0, len(h.rooms))
	for _, r := range h.rooms {
		if len(r.locals) == 0 {
			continue
		}
		env := &envelope{Kind: kindBeat, Call: r.call, Peers: make([]peerInfo, 0, len(r.locals))}
		for q, lc := range r.locals {
			env.Peers = append(env.Peers, peerInfo{Participant: q, Conn: lc.id, Role: lc.role})
		}
		envs = append(envs, env)
	}
	h.mu.Unlock()
	// Publish outside the lock: a LocalBroker delivers synchronously.
	for _, env := range envs {
		h.publish(env)
	}
}

// expire announces gone every participant whose instance has been silent
// about its call for longer than PresenceTTL.
func (h *Hub) expire() {
	now, ttl := h.mono(), int64(h.cfg.PresenceTTL)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	for _, r := range h.rooms {
		for p, pr := range r.present {
			if pr.instance == h.instance || now-r.heard[pr.instance] <= ttl {
				continue
			}
			h.log.Info("participant's instance is silent; announcing it gone",
				"call", r.call, "participant", p, "instance", pr.instance)
			if h.unsee(r, p, pr.Conn) {
				h.adoptGrace(r, p)
			}
		}
		h.maybeDrop(r)
	}
}
