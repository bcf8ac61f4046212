package signaling

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/token"
)

// shortBeats makes heartbeats and their expiry quick enough for a test.
func shortBeats(c *Config) {
	c.HeartbeatInterval, c.PresenceTTL = 100*time.Millisecond, 300*time.Millisecond
}

// occupied asks h whether call's room is occupied.
func occupied(t *testing.T, h *Hub, call string) bool {
	t.Helper()
	ok, err := h.Occupied(context.Background(), call)
	if err != nil {
		t.Fatalf("Occupied: %v", err)
	}
	return ok
}

// TestRemoveAcrossInstances: a host's Remove on instance A closes the
// guest's socket held by instance B with 1008 and the reason, and the
// host (on A) hears the guest leave.
func TestRemoveAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, kind := range brokerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			a, b := twoInstances(t, kind)
			call := newCall()
			host := a.connect(t, call, "host-1", "host")
			guest := b.connect(t, call, "guest-1", "guest")
			expectPeer(t, host, TypePeerJoined, "guest-1", "guest")
			expectPeer(t, guest, TypePeerJoined, "host-1", "host")

			if a.hub.Remove(call, "guest-1", "removed from the session by a host") {
				t.Errorf("Remove on A reports a socket of its own; the guest's is on B")
			}
			code, reason := guest.closed(t)
			if code != websocket.StatusPolicyViolation || reason != "removed from the session by a host" {
				t.Errorf("the guest's socket on B closed with %d %q, want 1008 and the reason", code, reason)
			}
			expectPeer(t, host, TypePeerLeft, "guest-1", "guest")
			waitFor(t, "A to see one present", func() bool { return a.hub.Present(call) == 1 })
		})
	}
}

// TestOccupiedAcrossInstances: an instance without the room hears the
// participants another instance holds (its heartbeats), and hears
// nothing once they left; an instance with the room answers from what it
// knows.
func TestOccupiedAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, kind := range brokerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			a, b := twoInstances(t, kind, shortBeats)
			call := newCall()
			if occupied(t, a.hub, call) {
				t.Fatal("an empty room is occupied")
			}
			g := b.connect(t, call, "g", "guest")
			waitFor(t, "B to see the guest", func() bool { return b.hub.Present(call) == 1 })
			if a.hub.Stats().Rooms != 0 {
				t.Fatal("A has a room without any connection for it")
			}
			if !occupied(t, a.hub, call) {
				t.Error("A, without the room, does not see the guest on B")
			}
			if !occupied(t, b.hub, call) {
				t.Error("B does not see its own guest")
			}
			g.ws.CloseNow()
			waitFor(t, "B to see the guest leave", func() bool { return b.hub.Present(call) == 0 })
			if occupied(t, a.hub, call) {
				t.Error("A still sees the guest after they left")
			}
			if occupied(t, b.hub, call) {
				t.Error("B still sees the guest after they left")
			}
		})
	}
}

// TestOccupiedInstanceDied: when the instance holding a room's only
// participant dies (cut off the broker, publishing nothing), an instance
// without the room hears silence at once, and one with the room (a host
// who left, its PeerGone pending) sees the guest expire after the TTL.
func TestOccupiedInstanceDied(t *testing.T) {
	t.Parallel()
	for _, kind := range brokerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			minter := testMinter()
			var base, other, third Broker
			switch kind {
			case "local":
				lb := NewLocalBroker()
				base, other, third = lb, lb, lb
			case "nats":
				base, other, third = natsBroker(t), natsBroker(t), natsBroker(t)
			}
			long := func(c *Config) { shortBeats(c); c.Grace = time.Minute }
			cb := &cutBroker{Broker: base}
			dying := setupWith(t, minter, cb, long)
			withRoom := setupWith(t, minter, other, long)
			without := setupWith(t, minter, third, long)
			call := newCall()
			g := dying.connect(t, call, "g", "guest")
			h := withRoom.connect(t, call, "h", "host")
			expectPeer(t, h, TypePeerJoined, "g", "guest")
			expectPeer(t, g, TypePeerJoined, "h", "host")
			// The host leaves: its instance keeps the room for the grace.
			h.ws.CloseNow()
			expectPeer(t, g, TypePeerLeft, "h", "host")
			if !occupied(t, withRoom.hub, call) || !occupied(t, without.hub, call) {
				t.Fatal("the guest on the live instance is not seen")
			}

			cb.cut.Store(true)
			if occupied(t, without.hub, call) {
				t.Error("an instance without the room still hears the dead instance's guest")
			}
			waitFor(t, "the guest to expire", func() bool { return !occupied(t, withRoom.hub, call) })
		})
	}
}

// TestAdmitAskedAgainInTheRoom: Admit is asked again once the socket is
// in its room, so a refusal that comes between the handshake's answer and
// the registration (a host removed the participant, and Remove found no
// socket to close) closes the socket with 1008 and the reason; the others
// see the participant join and leave.
func TestAdmitAskedAgainInTheRoom(t *testing.T) {
	t.Parallel()
	var asked atomic.Int32
	b := setup(t, func(c *Config) {
		c.Admit = func(_ context.Context, s token.Signaling) error {
			if s.Participant == "guest" && asked.Add(1) > 1 {
				return vidivo.Errorf(vidivo.EFORBIDDEN, "removed from the session by a host")
			}
			return nil
		}
	})
	call := newCall()
	host := b.connect(t, call, "host", "host")
	guest := b.connect(t, call, "guest", "guest")
	if code, reason := guest.closed(t); code != ClosePolicy || reason != "removed from the session by a host" {
		t.Errorf("the guest's socket closed with %d %q, want 1008 and the removal", code, reason)
	}
	if n := asked.Load(); n != 2 {
		t.Errorf("Admit was asked %d times for the guest, want 2 (the handshake, then in the room)", n)
	}
	host.expect(t, TypePeerJoined, "guest")
	host.expect(t, TypePeerLeft, "guest")
}
