package signaling

import (
	"context"
	"encoding/json"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestNoLeaks connects and disconnects many pairs and checks that the
// goroutine count returns to its baseline, the heap does not grow, and the
// Hub's maps (and the broker's subscriptions) are empty. It is not
// parallel: it counts the goroutines of the whole process.
func TestNoLeaks(t *testing.T) {
	broker := NewLocalBroker()
	var ev counter
	b := setupWith(t, testMinter(), broker, func(c *Config) {
		c.Grace = 10 * time.Millisecond
		c.Events = &ev
	})

	connect := func(call, participant, role string) *client {
		c := b.dialNoCleanup(t, b.minter.Mint(call, participant, role), nil)
		c.start()
		return c
	}
	cycle := func(i int) {
		call := newCall()
		g := connect(call, "g", "guest")
		h := connect(call, "h", "host")
		g.expect(t, TypePeerJoined, "h")
		h.expect(t, TypePeerJoined, "g")
		g.send(t, Message{Type: TypeOffer, Payload: json.RawMessage(`{"sdp":"x"}`)})
		h.expect(t, TypeOffer, "g")
		switch i % 4 {
		case 0: // both leave cleanly
			g.ws.Close(websocket.StatusNormalClosure, "")
			h.ws.Close(websocket.StatusNormalClosure, "")
		case 1: // the network drops
			g.ws.CloseNow()
			h.ws.CloseNow()
		case 2: // the call ends
			b.hub.CloseCall(context.Background(), call, "completed")
			g.closed(t)
			h.closed(t)
			g.ws.CloseNow()
			h.ws.CloseNow()
		case 3: // replaced, then dropped
			g2 := connect(call, "g", "guest")
			g.closed(t)
			g.ws.CloseNow()
			g2.ws.CloseNow()
			h.ws.Close(websocket.StatusNormalClosure, "")
		}
	}
	settle := func() {
		waitFor(t, "the hub to empty", func() bool {
			s := b.hub.Stats()
			s.Ended = 0
			return s == (Stats{}) && broker.size() == 1 // the control topic
		})
	}

	cycle(0) // warm up pools and the http server
	settle()
	runtime.GC()
	baseG := runtime.NumGoroutine()
	baseHeap := heap()

	const n = 200
	for i := range n {
		cycle(i)
	}
	settle()
	waitFor(t, "goroutines to return to baseline", func() bool { return runtime.NumGoroutine() <= baseG })
	if s := b.hub.Stats(); s.Ended == 0 {
		t.Errorf("ended calls not remembered: %+v", s)
	}
	// The ended-call list is bounded by time, not by connections; count the
	// heap beyond it.
	grown := int64(heap()) - int64(baseHeap)
	if ev.connected.Load() < n || ev.gone.Load() == 0 {
		t.Errorf("events: %d PeersConnected, %d PeerGone", ev.connected.Load(), ev.gone.Load())
	}
	t.Logf("%d cycles (%d connections): goroutines %d → %d, heap %+d bytes", n, 2*n+n/4, baseG, runtime.NumGoroutine(), grown)
	if grown > 256<<10 {
		t.Errorf("heap grew by %d bytes over %d cycles", grown, n)
	}
}

func heap() uint64 {
	var m runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// counter is an Events that counts.
type counter struct{ connected, gone atomic.Int64 }

func (c *counter) PeersConnected(context.Context, string)   { c.connected.Add(1) }
func (c *counter) PeerGone(context.Context, string, string) { c.gone.Add(1) }
