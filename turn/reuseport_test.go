package turn_test

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/vidivo/vidivo/turn"
)

// TestUDPSocketsServeOnePort runs the server with four UDP sockets on one
// port (SO_REUSEPORT on Linux: the kernel hashes each client to one of
// them) and many clients, each on its own source port: every allocation
// succeeds, the allocations all count, and each client's data crosses the
// relay to a peer and back. With 40 clients over 4 sockets, every socket
// serves some (all but certainly: the chance one gets none is 4·(3/4)⁴⁰
// ≈ 4·10⁻⁵), so a socket left unread fails the test.
func TestUDPSocketsServeOnePort(t *testing.T) {
	t.Parallel()
	const clients = 40
	srv, w := startServer(t, turn.ServerConfig{UDPSockets: 4, AllowPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	peer := echoPeer(t)
	m := &turn.Minter{Secret: testSecret}

	relays := make([]net.PacketConn, clients)
	for i := range relays {
		client := dial(t, srv, w, "udp", m.Mint(fmt.Sprintf("p%d", i), time.Now()))
		relays[i] = allocate(t, client)
		if err := client.CreatePermission(peer); err != nil {
			t.Fatalf("client %d: CreatePermission: %v", i, err)
		}
	}
	if n := srv.AllocationCount(); n != clients {
		t.Errorf("AllocationCount = %d, want %d", n, clients)
	}
	for i, relay := range relays {
		want := fmt.Sprintf("from client %d", i)
		if got, ok := echoVia(relay, peer, want); !ok {
			t.Errorf("client %d: nothing came back through the relay", i)
		} else if got != want {
			t.Errorf("client %d: got %q back, want %q", i, got, want)
		}
	}
}

// echoPeer is a UDP socket on 127.0.0.1 returning every datagram to its
// sender.
func echoPeer(t *testing.T) net.Addr {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = c.WriteTo(buf[:n], from)
		}
	}()
	return c.LocalAddr()
}

// echoVia sends msg through relay to the echo peer and reads the reply,
// sending again (UDP may drop a datagram on a busy machine) up to three
// times.
func echoVia(relay net.PacketConn, peer net.Addr, msg string) (string, bool) {
	for range 3 {
		if _, err := relay.WriteTo([]byte(msg), peer); err != nil {
			return "", false
		}
		if got, _, ok := readWithin(relay, 2*time.Second); ok {
			return got, true
		}
	}
	return "", false
}
