package signaling

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestReplaceOlderConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	call := newCall()
	g1 := b.connect(t, call, "g", "guest")
	h := b.connect(t, call, "h", "host")
	g1.expect(t, TypePeerJoined, "h")
	h.expect(t, TypePeerJoined, "g")

	g2 := b.connect(t, call, "g", "guest") // the same guest, e.g. a reloaded page
	if code, reason := g1.closed(t); code != CloseReplaced || reason != "replaced by a newer connection" {
		t.Fatalf("old connection closed with %d %q, want %d", code, reason, CloseReplaced)
	}
	expectPeer(t, g2, TypePeerJoined, "h", "host")
	expectPeer(t, h, TypePeerJoined, "g", "guest") // renegotiate with the new one
	h.quiet(t, 30*time.Millisecond)                // and no peer_left for the replaced one
	exchange(t, g2, h, "g", "h")
	if got := <-b.events.connected; got != call {
		t.Fatalf("PeersConnected(%q)", got)
	}
	select {
	case got := <-b.events.gone:
		t.Fatalf("replacement reported PeerGone%v", got)
	case <-time.After(100 * time.Millisecond): // twice Grace
	}
}

func TestPeerLeftAndReconnect(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Grace = time.Minute })
	call := newCall()
	g := b.connect(t, call, "g", "guest")
	h1 := b.connect(t, call, "h", "host")
	g.expect(t, TypePeerJoined, "h")
	h1.expect(t, TypePeerJoined, "g")

	h1.ws.Close(websocket.StatusNormalClosure, "network change")
	expectPeer(t, g, TypePeerLeft, "h", "host")

	// The host comes back: both hear of each other again.
	h2 := b.connect(t, call, "h", "host")
	expectPeer(t, h2, TypePeerJoined, "g", "guest")
	expectPeer(t, g, TypePeerJoined, "h", "host")
	exchange(t, g, h2, "g", "h")
	if s := b.hub.Stats(); s.Timers != 0 {
		t.Errorf("grace timer still pending after the return: %+v", s)
	}
}

func TestPeersConnectedAndPeerGone(t *testing.T) {
	t.Parallel()
	b := setup(t) // Grace 50 ms
	call := newCall()
	g := b.connect(t, call, "g", "guest")
	select {
	case got := <-b.events.connected:
		t.Fatalf("PeersConnected(%q) with one participant", got)
	case <-time.After(20 * time.Millisecond):
	}
	h := b.connect(t, call, "h", "host")
	if got := <-b.events.connected; got != call {
		t.Fatalf("PeersConnected(%q)", got)
	}
	g.expect(t, TypePeerJoined, "h")

	start := time.Now()
	h.ws.CloseNow() // the host's network drops
	expectPeer(t, g, TypePeerLeft, "h", "host")
	select {
	case got := <-b.events.gone:
		if got != [2]string{call, "h"} {
			t.Fatalf("PeerGone%v", got)
		}
		if d := time.Since(start); d < 50*time.Millisecond {
			t.Errorf("PeerGone after %v, before the grace period", d)
		}
	case <-time.After(wait):
		t.Fatal("no PeerGone")
	}
	select {
	case got := <-b.events.gone:
		t.Fatalf("second PeerGone%v", got)
	case <-time.After(60 * time.Millisecond):
	}
}

func TestPeerGoneCancelledByReturn(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Grace = 300 * time.Millisecond })
	call := newCall()
	g := b.connect(t, call, "g", "guest")
	h := b.connect(t, call, "h", "host")
	g.expect(t, TypePeerJoined, "h")
	h.ws.CloseNow()
	g.expect(t, TypePeerLeft, "h")
	b.connect(t, call, "h", "host").expect(t, TypePeerJoined, "g")
	select {
	case got := <-b.events.gone:
		t.Fatalf("PeerGone%v although the host came back", got)
	case <-time.After(400 * time.Millisecond):
	}
	// PeersConnected again on the return; the calls service ignores repeats.
	for range 2 {
		if got := <-b.events.connected; got != call {
			t.Fatalf("PeersConnected(%q)", got)
		}
	}
}

func TestDeadPeerTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) {
		// Generous for a loaded machine running the race detector: a live
		// client must never look dead.
		c.PingInterval = 50 * time.Millisecond
		c.PongTimeout = time.Second
	})
	call := newCall()
	g := b.connect(t, call, "g", "guest")
	// The host's client reads nothing, so it answers no ping.
	h := b.dialToken(t, b.minter.Mint(call, "h", "host"), nil)
	g.expect(t, TypePeerJoined, "h")

	// A live client answers pings and stays well past PongTimeout.
	start := time.Now()
	expectPeer(t, g, TypePeerLeft, "h", "host")
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("declared dead after %v", d)
	}
	h.start()
	if code, reason := h.closed(t); code != CloseDeadPeer {
		t.Fatalf("dead peer closed with %d %q, want %d", code, reason, CloseDeadPeer)
	}
	g.quiet(t, 1200*time.Millisecond) // the live guest, answering pings, stays
	g.send(t, Message{Type: TypeOffer, Payload: json.RawMessage(`{}`)})
	if got := g.expectError(t); got.Code != "not_found" {
		t.Errorf("error %+v", got)
	}
}

func TestCloseCall(t *testing.T) {
	t.Parallel()
	b := setup(t)
	call, other := newCall(), newCall()
	g := b.connect(t, call, "g", "guest")
	h := b.connect(t, call, "h", "host")
	o := b.connect(t, other, "g", "guest")
	g.expect(t, TypePeerJoined, "h")
	h.expect(t, TypePeerJoined, "g")

	if err := b.hub.CloseCall(context.Background(), call, "completed"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{g, h} {
		if code, reason := c.closed(t); code != CloseCallEnded || reason != "call ended: completed" {
			t.Errorf("closed with %d %q, want 1000 %q", code, reason, "call ended: completed")
		}
	}
	o.quiet(t, 20*time.Millisecond) // other calls are untouched
	select {
	case got := <-b.events.gone:
		t.Fatalf("PeerGone%v for an ended call", got)
	case <-time.After(100 * time.Millisecond):
	}
	waitFor(t, "the ended call's room to go", func() bool { return b.hub.Stats().Rooms == 1 })
}

func TestHubCloseGoesAway(t *testing.T) {
	t.Parallel()
	b := setup(t)
	call := newCall()
	g := b.connect(t, call, "g", "guest")
	h := b.connect(t, call, "h", "host")
	g.expect(t, TypePeerJoined, "h")
	if err := b.hub.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{g, h} {
		if code, reason := c.closed(t); code != CloseGoingAway || reason != "server shutting down" {
			t.Errorf("closed with %d %q, want 1001", code, reason)
		}
	}
	if s := b.hub.Stats(); s != (Stats{}) {
		t.Errorf("closed hub holds %+v", s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, resp, err := websocket.Dial(ctx, b.wsURL(b.minter.Mint(call, "g", "guest")), nil); err == nil || resp.StatusCode != 503 {
		t.Errorf("dial to a closed hub: %v", err)
	}
}

func TestSlowConsumer(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.RateLimit, c.RateBurst = 1e6, 1e6 })
	call := newCall()
	g := b.connect(t, call, "g", "guest")
	// The host never reads; its queue fills once the socket buffers do.
	b.dialToken(t, b.minter.Mint(call, "h", "host"), nil)
	g.expect(t, TypePeerJoined, "h")
	big := `{"type":"ice_candidate","payload":"` + repeat('x', 60<<10) + `"}`
	for i := 0; i < 2000; i++ {
		if err := g.ws.Write(context.Background(), websocket.MessageText, []byte(big)); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-g.msgs:
			if m.Type != TypePeerLeft {
				t.Fatalf("got %q", m.Type)
			}
			// The server cut the host off. Whether the 4003 close frame gets
			// through depends on the socket buffers it must queue behind, so
			// check the Hub rather than read megabytes here.
			waitFor(t, "the slow connection to go", func() bool { return b.hub.Stats().Conns == 1 })
			return
		default:
		}
	}
	t.Fatal("a client that never reads was never cut off")
}

func repeat(c byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return string(b)
}
