package turn_test

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/stun/v3"

	"github.com/vidivo/vidivo/turn"
)

// udpEcho is a UDP service on 127.0.0.1 that echoes what it receives and
// reports it on the returned channel.
func udpEcho(t *testing.T) (net.Addr, <-chan string) {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	got := make(chan string, 16)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
			_, _ = c.WriteTo(buf[:n], from)
		}
	}()
	return c.LocalAddr(), got
}

// readWithin reads one datagram from c within d; ok is false on timeout.
func readWithin(c net.PacketConn, d time.Duration) (msg string, from net.Addr, ok bool) {
	buf := make([]byte, 1500)
	_ = c.SetReadDeadline(time.Now().Add(d))
	n, from, err := c.ReadFrom(buf)
	if err != nil {
		return "", nil, false
	}
	return string(buf[:n]), from, true
}

// TestPeerOwnHost checks that a guest with credentials reaches neither a
// UDP service on the TURN server's host nor the TURN server's own port
// through the relay, even when the relay address is loopback (the local
// install) or loopback is an allowed range, while two clients of the same
// server still relay to each other on their relay addresses.
func TestPeerOwnHost(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		allow     []netip.Prefix
		echoOpens bool
	}{
		{"default", nil, false},
		{"loopback allowed", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, w := startServer(t, turn.ServerConfig{AllowPeers: tc.allow})
			m := &turn.Minter{Secret: testSecret}
			guest := dial(t, srv, w, "udp", m.Mint("guest", time.Now()))
			host := dial(t, srv, w, "udp", m.Mint("host", time.Now()))
			gRelay, hRelay := allocate(t, guest), allocate(t, host)
			if err := host.CreatePermission(gRelay.LocalAddr()); err != nil {
				t.Fatalf("host CreatePermission(guest relay): %v", err)
			}
			echo, echoed := udpEcho(t)

			// The relay address is 127.0.0.1: a permission for it is given
			// (relay to relay needs it), so only ports keep these out.
			if _, err := gRelay.WriteTo([]byte("to the echo service"), echo); err != nil {
				t.Fatalf("WriteTo(echo): %v", err)
			}
			bind, err := stun.Build(stun.TransactionID, stun.BindingRequest)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := gRelay.WriteTo(bind.Raw, srv.Addr()); err != nil {
				t.Fatalf("WriteTo(TURN port): %v", err)
			}
			// Sent last, received first: the path works, and what was sent
			// before it has had its chance to arrive.
			if _, err := gRelay.WriteTo([]byte("relay to relay"), hRelay.LocalAddr()); err != nil {
				t.Fatalf("WriteTo(host relay): %v", err)
			}
			if msg, from, ok := readWithin(hRelay, 5*time.Second); !ok || msg != "relay to relay" || from.String() != gRelay.LocalAddr().String() {
				t.Fatalf("host relay got %q from %v (ok %v), want %q from %v", msg, from, ok, "relay to relay", gRelay.LocalAddr())
			}

			select {
			case msg := <-echoed:
				if !tc.echoOpens {
					t.Errorf("the echo service on 127.0.0.1 got %q through the relay", msg)
				}
			case <-time.After(300 * time.Millisecond):
				if tc.echoOpens {
					t.Error("the echo service in an allowed range got nothing")
				}
			}
			for {
				msg, from, ok := readWithin(gRelay, 300*time.Millisecond)
				if !ok {
					break
				}
				if from.String() != echo.String() || !tc.echoOpens {
					t.Errorf("guest relay got %q from %v", msg, from)
				}
			}
		})
	}
}

// TestPeerPrivateRelay checks that a relay address in a private range
// opens no private range: only the relay address itself.
func TestPeerPrivateRelay(t *testing.T) {
	t.Parallel()
	srv, w := startServer(t, turn.ServerConfig{RelayIP: "10.0.0.5"})
	m := &turn.Minter{Secret: testSecret}
	client := dial(t, srv, w, "udp", m.Mint("p1", time.Now()))
	allocate(t, client)
	for _, peer := range []string{"10.0.0.6:9", "10.1.2.3:9", "172.16.0.1:9", "172.31.255.1:9", "192.168.1.1:9",
		"100.64.0.1:9", "100.127.0.1:9", "169.254.169.254:80", "127.0.0.1:9", "224.0.0.1:9", "255.255.255.255:9"} {
		if err := client.CreatePermission(udpAddr(t, peer)); err == nil {
			t.Errorf("CreatePermission(%s) succeeded", peer)
		}
	}
	for _, peer := range []string{"10.0.0.5:50000", "8.8.8.8:9"} {
		if err := client.CreatePermission(udpAddr(t, peer)); err != nil {
			t.Errorf("CreatePermission(%s): %v", peer, err)
		}
	}
}

// TestPeerAllowed checks that AllowPeers (VIDIVO_TURN_ALLOW_PEERS) opens
// its ranges and no others.
func TestPeerAllowed(t *testing.T) {
	t.Parallel()
	allow, err := turn.ParseAllowPeers("10.0.0.0/8,192.168.7.7")
	if err != nil {
		t.Fatal(err)
	}
	srv, w := startServer(t, turn.ServerConfig{RelayIP: "10.0.0.5", AllowPeers: allow})
	m := &turn.Minter{Secret: testSecret}
	client := dial(t, srv, w, "udp", m.Mint("p1", time.Now()))
	allocate(t, client)
	for _, peer := range []string{"10.1.2.3:9", "192.168.7.7:9"} {
		if err := client.CreatePermission(udpAddr(t, peer)); err != nil {
			t.Errorf("CreatePermission(%s): %v", peer, err)
		}
	}
	for _, peer := range []string{"192.168.7.8:9", "172.16.0.1:9", "169.254.169.254:80"} {
		if err := client.CreatePermission(udpAddr(t, peer)); err == nil {
			t.Errorf("CreatePermission(%s) succeeded", peer)
		}
	}
}

// TestRelayToRelayPortRange relays between two clients of a server with a
// configured relay port range, in both directions.
func TestRelayToRelayPortRange(t *testing.T) {
	t.Parallel()
	srv, w := startServer(t, turn.ServerConfig{MinPort: 41000, MaxPort: 41999})
	m := &turn.Minter{Secret: testSecret}
	a, b := dial(t, srv, w, "udp", m.Mint("a", time.Now())), dial(t, srv, w, "tcp", m.Mint("b", time.Now()))
	aRelay, bRelay := allocate(t, a), allocate(t, b)
	// A relay accepts datagrams only from addresses its client permitted.
	if err := a.CreatePermission(bRelay.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if err := b.CreatePermission(aRelay.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		name     string
		from, to net.PacketConn
	}{{"a to b", aRelay, bRelay}, {"b to a", bRelay, aRelay}} {
		if _, err := p.from.WriteTo([]byte("hello"), p.to.LocalAddr()); err != nil {
			t.Fatalf("%s: WriteTo: %v", p.name, err)
		}
		if msg, _, ok := readWithin(p.to, 5*time.Second); !ok || msg != "hello" {
			t.Errorf("%s: got %q (ok %v)", p.name, msg, ok)
		}
	}
}
