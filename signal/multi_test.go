package signaling

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// brokerKinds are the Brokers every multi-instance test runs on: two Hubs
// sharing one LocalBroker, and two Hubs with a NATS connection each.
var brokerKinds = []string{"local", "nats"}

// TestTwoInstances relays a full offer/answer/ICE exchange between a guest
// on instance A and a host on instance B.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	for _, kind := range brokerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			a, b := twoInstances(t, kind)
			call := newCall()
			guest := a.connect(t, call, "guest-1", "guest")
			host := b.connect(t, call, "host-1", "host")
			expectPeer(t, guest, TypePeerJoined, "host-1", "host")
			expectPeer(t, host, TypePeerJoined, "guest-1", "guest")
			exchange(t, guest, host, "guest-1", "host-1")
			guest.quiet(t, 20*time.Millisecond)
			host.quiet(t, 0)

			// Reported once, by one instance.
			if n := countConnected(a, b, call); n != 1 {
				t.Errorf("PeersConnected reported %d times", n)
			}
		})
	}
}

func TestTwoInstancesPresence(t *testing.T) {
	t.Parallel()
	for _, kind := range brokerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			a, b := twoInstances(t, kind)
			call := newCall()
			g := a.connect(t, call, "g", "guest")
			h1 := b.connect(t, call, "h", "host")
			g.expect(t, TypePeerJoined, "h")
			h1.expect(t, TypePeerJoined, "g")

			// The host drops on B: the guest on A hears it, and B (where
			// the host was) reports PeerGone once.
			h1.ws.CloseNow()
			expectPeer(t, g, TypePeerLeft, "h", "host")
			if got := goneFrom(t, a, b); got != [2]string{call, "h"} {
				t.Fatalf("PeerGone%v", got)
			}

			// It comes back on A: both hear of each other again.
			h2 := a.connect(t, call, "h", "host")
			expectPeer(t, h2, TypePeerJoined, "g", "guest")
			expectPeer(t, g, TypePeerJoined, "h", "host")
			exchange(t, g, h2, "g", "h")

			// The guest opens a second connection on B: it replaces the one
			// on A, and the host hears a join, not a leave.
			g2 := b.connect(t, call, "g", "guest")
			if code, _ := g.closed(t); code != CloseReplaced {
				t.Fatalf("older connection on A closed with %d, want %d", code, CloseReplaced)
			}
			expectPeer(t, g2, TypePeerJoined, "h", "host")
			expectPeer(t, h2, TypePeerJoined, "g", "guest")
			h2.quiet(t, 50*time.Millisecond)
			exchange(t, g2, h2, "g", "h")
			noGone(t, a, b, 100*time.Millisecond)
		})
	}
}

func TestTwoInstancesCloseCall(t *testing.T) {
	t.Parallel()
	for _, kind := range brokerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			a, b := twoInstances(t, kind)
			call := newCall()
			g := a.connect(t, call, "g", "guest")
			h := b.connect(t, call, "h", "host")
			g.expect(t, TypePeerJoined, "h")
			h.expect(t, TypePeerJoined, "g")

			// CloseCall on A ends the host's socket on B too.
			if err := a.hub.CloseCall(context.Background(), call, "user_ended"); err != nil {
				t.Fatal(err)
			}
			for _, c := range []*client{g, h} {
				if code, reason := c.closed(t); code != CloseCallEnded || reason != "call ended: user_ended" {
					t.Errorf("closed with %d %q", code, reason)
				}
			}
			// B refuses the ended call's tokens as well.
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			if _, resp, err := websocket.Dial(ctx, b.wsURL(b.minter.Mint(call, "h", "host")), nil); err == nil || resp.StatusCode != http.StatusConflict {
				t.Errorf("reconnect to an ended call on B: %v", err)
			}
			noGone(t, a, b, 100*time.Millisecond)
			waitFor(t, "rooms to go", func() bool { return a.hub.Stats().Rooms == 0 && b.hub.Stats().Rooms == 0 })
		})
	}
}

// When an instance shuts down, another instance runs the grace timer of
// the participants it held.
func TestTwoInstancesShutdown(t *testing.T) {
	t.Parallel()
	for _, kind := range brokerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			a, b := twoInstances(t, kind)
			call := newCall()
			g := a.connect(t, call, "g", "guest")
			h := b.connect(t, call, "h", "host")
			g.expect(t, TypePeerJoined, "h")
			h.expect(t, TypePeerJoined, "g")
			b.hub.Close()
			if code, _ := h.closed(t); code != CloseGoingAway {
				t.Errorf("closed with %d, want %d", code, CloseGoingAway)
			}
			expectPeer(t, g, TypePeerLeft, "h", "host")
			select {
			case got := <-a.events.gone:
				if got != [2]string{call, "h"} {
					t.Fatalf("PeerGone%v", got)
				}
			case <-time.After(wait):
				t.Fatal("nobody reported PeerGone for the participant of the closed instance")
			}
		})
	}
}

func TestTwoInstancesGroup(t *testing.T) {
	t.Parallel()
	for _, kind := range brokerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			three := func(c *Config) { c.Expected = func(string) int { return 3 } }
			a, b := twoInstances(t, kind, three)
			call := newCall()
			p0 := a.connect(t, call, "p0", "host")
			p1 := b.connect(t, call, "p1", "guest")
			p0.expect(t, TypePeerJoined, "p1")
			p1.expect(t, TypePeerJoined, "p0")
			p2 := a.connect(t, call, "p2", "guest")
			joined := map[string]bool{}
			for range 2 {
				m := p2.next(t)
				if m.Type != TypePeerJoined {
					t.Fatalf("p2 got %q, want peer_joined", m.Type)
				}
				joined[m.From] = true
			}
			if !joined["p0"] || !joined["p1"] {
				t.Fatalf("p2 heard of %v", joined)
			}
			p0.expect(t, TypePeerJoined, "p2")
			p1.expect(t, TypePeerJoined, "p2")

			// p1 (on B) to p2 (on A) only; then p2 to everyone.
			p1.send(t, Message{Type: TypeOffer, To: "p2", Payload: json.RawMessage(`{"sdp":"1→2"}`)})
			if m := p2.expect(t, TypeOffer, "p1"); string(m.Payload) != `{"sdp":"1→2"}` {
				t.Errorf("payload %s", m.Payload)
			}
			p2.send(t, Message{Type: TypeICECandidate, Payload: json.RawMessage(`{}`)})
			p0.expect(t, TypeICECandidate, "p2")
			p1.expect(t, TypeICECandidate, "p2")
			p0.quiet(t, 30*time.Millisecond)
			if n := countConnected(a, b, call); n != 1 {
				t.Errorf("PeersConnected reported %d times", n)
			}
		})
	}
}

// countConnected counts PeersConnected(call) reported by either instance,
// after a moment for duplicates to show.
func countConnected(a, b *testBundle, call string) int {
	n := 0
	deadline := time.After(wait)
	for {
		select {
		case got := <-a.events.connected:
			if got == call {
				n++
			}
		case got := <-b.events.connected:
			if got == call {
				n++
			}
		case <-deadline:
			return n
		case <-time.After(100 * time.Millisecond):
			if n > 0 {
				return n
			}
		}
	}
}

func goneFrom(t *testing.T, a, b *testBundle) [2]string {
	t.Helper()
	var got [2]string
	select {
	case got = <-a.events.gone:
	case got = <-b.events.gone:
	case <-time.After(wait):
		t.Fatal("no PeerGone")
	}
	noGone(t, a, b, 100*time.Millisecond)
	return got
}

func noGone(t *testing.T, a, b *testBundle, d time.Duration) {
	t.Helper()
	select {
	case got := <-a.events.gone:
		t.Fatalf("unexpected PeerGone%v on A", got)
	case got := <-b.events.gone:
		t.Fatalf("unexpected PeerGone%v on B", got)
	case <-time.After(d):
	}
}
