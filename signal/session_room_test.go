package signaling

import (
	"testing"

	"github.com/coder/websocket"
)

// TestRemove closes one participant's socket with 1008 and the reason;
// the others get peer_left, and Present counts who is left. Removing
// someone absent, or in a room that does not exist, changes nothing.
func TestRemove(t *testing.T) {
	b := setup(t)
	call := newCall()
	host := b.connect(t, call, "host-1", "host")
	guest := b.connect(t, call, "guest-1", "guest")
	other := b.connect(t, call, "guest-2", "guest")
	waitFor(t, "three present", func() bool { return b.hub.Present(call) == 3 })
	// Each hears of the two others, in whatever order they connected.
	for _, c := range []*client{host, other} {
		for range 2 {
			if m := c.next(t); m.Type != TypePeerJoined {
				t.Fatalf("got %s, want peer_joined", m.Type)
			}
		}
	}

	if b.hub.Remove(call, "nobody", "removed") || b.hub.Remove(newCall(), "guest-1", "removed") {
		t.Errorf("Remove of someone absent reports a socket")
	}
	if !b.hub.Remove(call, "guest-1", "removed from the session by a host") {
		t.Fatalf("Remove of a present participant reports none")
	}
	_, code, reason := guest.rest(t)
	if code != websocket.StatusPolicyViolation || reason != "removed from the session by a host" {
		t.Errorf("the removed socket closed with %d %q, want 1008 and the reason", code, reason)
	}
	host.expect(t, TypePeerLeft, "guest-1")
	other.expect(t, TypePeerLeft, "guest-1")
	waitFor(t, "two present", func() bool { return b.hub.Present(call) == 2 })
	if n := b.hub.Present(newCall()); n != 0 {
		t.Errorf("Present of an unknown room = %d, want 0", n)
	}
}
