package signaling

import (
	"sync/atomic"
	"testing"
	"time"
)

// cutBroker is a Broker that can be cut off: once cut, what its Hub
// publishes is dropped and nothing reaches it, as if its process had been
// killed (no leave is ever published).
type cutBroker struct {
	Broker
	cut atomic.Bool
}

func (b *cutBroker) Publish(topic string, data []byte) error {
	if b.cut.Load() {
		return nil
	}
	return b.Broker.Publish(topic, data)
}

func (b *cutBroker) Subscribe(topic string, deliver func([]byte)) (func(), error) {
	return b.Broker.Subscribe(topic, func(data []byte) {
		if !b.cut.Load() {
			deliver(data)
		}
	})
}

// TestCrashedInstanceAnnouncedGone cuts instance A off the broker in the
// middle of a call (a SIGKILL publishes nothing): the host on B hears
// peer_left for the guest on A within PresenceTTL and a heartbeat, B runs
// the guest's PeerGone, and when A is heard again its guest comes back.
// While A is alive its guest never expires, however long the call is quiet.
func TestCrashedInstanceAnnouncedGone(t *testing.T) {
	t.Parallel()
	const beat, ttl = 100 * time.Millisecond, 300 * time.Millisecond
	short := func(c *Config) { c.HeartbeatInterval, c.PresenceTTL = beat, ttl }
	for _, kind := range brokerKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			minter := testMinter()
			var base, other Broker
			switch kind {
			case "local":
				lb := NewLocalBroker()
				base, other = lb, lb
			case "nats":
				base, other = natsBroker(t), natsBroker(t)
			}
			cb := &cutBroker{Broker: base}
			a := setupWith(t, minter, cb, short)
			b := setupWith(t, minter, other, short)
			call := newCall()
			g := a.connect(t, call, "g", "guest")
			host := b.connect(t, call, "h", "host")
			expectPeer(t, g, TypePeerJoined, "h", "host")
			expectPeer(t, host, TypePeerJoined, "g", "guest")

			// Alive and quiet for several TTLs: the heartbeats keep the
			// guest present.
			host.quiet(t, 4*ttl)
			noGone(t, a, b, 10*time.Millisecond)

			cb.cut.Store(true)
			killed := time.Now()
			expectPeer(t, host, TypePeerLeft, "g", "guest")
			if took, bound := time.Since(killed), ttl+beat+200*time.Millisecond; took > bound {
				t.Errorf("peer_left %v after the cut, want within %v", took, bound)
			}
			select {
			case got := <-b.events.gone:
				if got != [2]string{call, "g"} {
					t.Errorf("PeerGone%v on B, want [%s g]", got, call)
				}
			case <-time.After(wait):
				t.Fatal("B reported no PeerGone for the guest")
			}

			// A is heard again (it was cut off, not dead): the guest is
			// back, and the guest, cut off from the host meanwhile, hears
			// the host come back.
			expectPeer(t, g, TypePeerLeft, "h", "host")
			cb.cut.Store(false)
			expectPeer(t, host, TypePeerJoined, "g", "guest")
			expectPeer(t, g, TypePeerJoined, "h", "host")
			exchange(t, g, host, "g", "h")
		})
	}
}
