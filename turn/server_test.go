package turn_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v3"
	pionturn "github.com/pion/turn/v4"

	"github.com/vidivo/vidivo/turn"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// testWriter forwards to t.Log until the test's cleanup, then drops: pion
// logs from goroutines that may outlive the test.
type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func newTestWriter(t testing.TB) *testWriter {
	w := &testWriter{t: t}
	t.Cleanup(func() { // registered first, so it runs last
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return w
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func testLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func pionLogger(w io.Writer) logging.LoggerFactory {
	f := logging.NewDefaultLoggerFactory()
	f.Writer = w
	f.DefaultLogLevel = logging.LogLevelWarn
	return f
}

// startServer runs a server on loopback with an OS-chosen port.
func startServer(t *testing.T, cfg turn.ServerConfig) (*turn.Server, *testWriter) {
	t.Helper()
	w := newTestWriter(t)
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Secret == nil {
		cfg.Secret = testSecret
	}
	cfg.Logger = testLogger(w)
	srv, err := turn.Listen(cfg)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv, w
}

// dial returns a TURN client of srv over transport ("udp" or "tcp") using
// creds, listening.
func dial(t *testing.T, srv *turn.Server, w io.Writer, transport string, creds turn.Credentials) *pionturn.Client {
	t.Helper()
	var conn net.PacketConn
	switch transport {
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conn = c
	case "tcp":
		c, err := net.Dial("tcp", srv.TCPAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn = pionturn.NewSTUNConn(c)
	default:
		t.Fatalf("transport %q", transport)
	}
	client, err := pionturn.NewClient(&pionturn.ClientConfig{
		STUNServerAddr: srv.Addr().String(),
		TURNServerAddr: srv.Addr().String(),
		Conn:           conn,
		Username:       creds.Username,
		Password:       creds.Credential,
		Realm:          turn.DefaultRealm,
		LoggerFactory:  pionLogger(w),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.Close()
		_ = conn.Close()
	})
	return client
}

func allocate(t *testing.T, client *pionturn.Client) net.PacketConn {
	t.Helper()
	relay, err := client.Allocate()
	if err != nil {
		t.Fatalf("Allocate: %v", err)
	}
	t.Cleanup(func() { _ = relay.Close() })
	return relay
}

var transports = []string{"udp", "tcp"}

func TestAllocate(t *testing.T) {
	t.Parallel()
	srv, w := startServer(t, turn.ServerConfig{})
	m := &turn.Minter{Secret: testSecret}
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			relay := allocate(t, dial(t, srv, w, tr, m.Mint("01JN2X6M0P5H9SRBTXY8ZDKEFG", time.Now())))
			addr := relay.LocalAddr().(*net.UDPAddr)
			if !addr.IP.Equal(net.IPv4(127, 0, 0, 1)) || addr.Port == 0 {
				t.Errorf("relay address = %v, want 127.0.0.1:<port>", addr)
			}
			if n := srv.AllocationCount(); n < 1 {
				t.Errorf("AllocationCount = %d", n)
			}
		})
	}
}

func TestAllocateRefused(t *testing.T) {
	t.Parallel()
	srv, w := startServer(t, turn.ServerConfig{})
	good := &turn.Minter{Secret: testSecret}
	now := time.Now()
	cases := []struct {
		name  string
		creds func() turn.Credentials
	}{
		{"expired", func() turn.Credentials {
			// Expired a minute ago.
			return good.Mint("p1", now.Add(-turn.DefaultTTL-time.Minute))
		}},
		{"forged", func() turn.Credentials {
			return (&turn.Minter{Secret: []byte("not the secret")}).Mint("p1", now)
		}},
		{"expiry edited", func() turn.Credentials {
			c := good.Mint("p1", now.Add(-turn.DefaultTTL-time.Minute))
			exp, rest, _ := strings.Cut(c.Username, ":")
			n, err := strconv.ParseInt(exp, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			c.Username = strconv.FormatInt(n+int64(48*time.Hour/time.Second), 10) + ":" + rest
			return c
		}},
		{"participant edited", func() turn.Credentials {
			c := good.Mint("p1", now)
			c.Username += "x"
			return c
		}},
		{"no expiry", func() turn.Credentials {
			// Signed with the right secret, but not in the REST scheme.
			mac := hmac.New(sha1.New, testSecret)
			mac.Write([]byte("p1"))
			return turn.Credentials{Username: "p1", Credential: base64.StdEncoding.EncodeToString(mac.Sum(nil))}
		}},
	}
	for _, tc := range cases {
		for _, tr := range transports {
			t.Run(tc.name+"/"+tr, func(t *testing.T) {
				t.Parallel()
				relay, err := dial(t, srv, w, tr, tc.creds()).Allocate()
				if err == nil {
					_ = relay.Close()
					t.Fatal("Allocate succeeded")
				}
				var te *stun.TurnError
				if !errors.As(err, &te) || te.ErrorCodeAttr.Code != stun.CodeBadRequest {
					t.Errorf("Allocate: %v, want a 400 error response", err)
				}
			})
		}
	}
}

// TestRelay sends a datagram from the relay to a plain UDP socket and back:
// on loopback, which only an allowed range (VIDIVO_TURN_ALLOW_PEERS) opens.
func TestRelay(t *testing.T) {
	t.Parallel()
	srv, w := startServer(t, turn.ServerConfig{AllowPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	m := &turn.Minter{Secret: testSecret}
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			client := dial(t, srv, w, tr, m.Mint("p1", time.Now()))
			relay := allocate(t, client)
			peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()

			if err := client.CreatePermission(peer.LocalAddr()); err != nil {
				t.Fatalf("CreatePermission: %v", err)
			}
			if _, err := relay.WriteTo([]byte("ping via "+tr), peer.LocalAddr()); err != nil {
				t.Fatalf("relay WriteTo: %v", err)
			}
			buf := make([]byte, 1500)
			_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, from, err := peer.ReadFrom(buf)
			if err != nil {
				t.Fatalf("peer ReadFrom: %v", err)
			}
			if got := string(buf[:n]); got != "ping via "+tr {
				t.Errorf("peer got %q", got)
			}
			if from.(*net.UDPAddr).Port != relay.LocalAddr().(*net.UDPAddr).Port {
				t.Errorf("peer got it from %v, want the relay address %v", from, relay.LocalAddr())
			}

			// Longer than 4 bytes: pion/turn v4.1.4's STUNConn holds back an
			// 8-byte ChannelData frame (len < 9 counts as incomplete), which
			// would stall the reply over TCP.
			if _, err := peer.WriteTo([]byte("pong from the peer"), from); err != nil {
				t.Fatalf("peer WriteTo: %v", err)
			}
			_ = relay.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, from, err = relay.ReadFrom(buf)
			if err != nil {
				t.Fatalf("relay ReadFrom: %v", err)
			}
			if got := string(buf[:n]); got != "pong from the peer" {
				t.Errorf("relay got %q", got)
			}
			if from.String() != peer.LocalAddr().String() {
				t.Errorf("relay got it from %v, want %v", from, peer.LocalAddr())
			}
		})
	}
}

// TestPeerRestricted checks that a server with a public relay address does
// not relay to loopback (or other internal) addresses, but does to public
// ones and to its own relay address.
func TestPeerRestricted(t *testing.T) {
	t.Parallel()
	// 192.0.2.10 (TEST-NET-1) stands in for a public address; the relay
	// sockets still bind to 127.0.0.1.
	srv, w := startServer(t, turn.ServerConfig{RelayIP: "192.0.2.10"})
	m := &turn.Minter{Secret: testSecret}
	client := dial(t, srv, w, "udp", m.Mint("p1", time.Now()))
	relay := allocate(t, client)
	if got := relay.LocalAddr().(*net.UDPAddr).IP.String(); got != "192.0.2.10" {
		t.Errorf("relay IP = %s", got)
	}
	for _, peer := range []string{"127.0.0.1:9", "10.1.2.3:9", "169.254.169.254:80", "0.0.0.0:9"} {
		if err := client.CreatePermission(udpAddr(t, peer)); err == nil {
			t.Errorf("CreatePermission(%s) succeeded", peer)
		}
	}
	for _, peer := range []string{"8.8.8.8:9", "192.0.2.10:50000"} {
		if err := client.CreatePermission(udpAddr(t, peer)); err != nil {
			t.Errorf("CreatePermission(%s): %v", peer, err)
		}
	}
}

func udpAddr(t *testing.T, s string) *net.UDPAddr {
	t.Helper()
	a, err := net.ResolveUDPAddr("udp4", s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestCloseDropsTCP checks Close also ends accepted TCP connections.
func TestCloseDropsTCP(t *testing.T) {
	t.Parallel()
	w := newTestWriter(t)
	srv, err := turn.Listen(turn.ServerConfig{Addr: "127.0.0.1:0", Secret: testSecret, Logger: testLogger(w)})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", srv.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client, err := pionturn.NewClient(&pionturn.ClientConfig{
		TURNServerAddr: srv.Addr().String(),
		Conn:           pionturn.NewSTUNConn(conn),
		Username:       "x", Password: "y",
		LoggerFactory: pionLogger(w),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Listen(); err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	// A round trip, so the connection is surely accepted.
	if _, err := client.Allocate(); err == nil {
		t.Fatal("Allocate with bad credentials succeeded")
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// client.Listen's goroutine reads conn; a fresh Dial must fail, and the
	// old connection must be dead: writing eventually fails.
	if c, err := net.Dial("tcp", srv.TCPAddr().String()); err == nil {
		c.Close()
		t.Error("TCP still accepting after Close")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := conn.Write([]byte{0})
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("TCP connection still open 5 s after Close")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestListenConfig(t *testing.T) {
	t.Parallel()
	t.Run("localhost", func(t *testing.T) {
		t.Parallel()
		srv, _ := startServer(t, turn.ServerConfig{Addr: "localhost:0"})
		if got := srv.RelayIP().String(); got != "127.0.0.1" {
			t.Errorf("RelayIP = %s", got)
		}
		ua, ta := srv.Addr().(*net.UDPAddr), srv.TCPAddr().(*net.TCPAddr)
		if ua.Port == 0 || ua.Port != ta.Port {
			t.Errorf("UDP %v and TCP %v ports differ", ua, ta)
		}
		p := strconv.Itoa(ua.Port)
		want := []string{"turn:127.0.0.1:" + p + "?transport=udp", "turn:127.0.0.1:" + p + "?transport=tcp"}
		if got := srv.URLs(""); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("URLs(\"\") = %v, want %v", got, want)
		}
		if got := srv.URLs("turn.vidivo.app")[1]; got != "turn:turn.vidivo.app:"+p+"?transport=tcp" {
			t.Errorf("URLs(host)[1] = %v", got)
		}
	})
	t.Run("specific IP", func(t *testing.T) {
		t.Parallel()
		srv, _ := startServer(t, turn.ServerConfig{Addr: "127.0.0.1:0", RelayIP: "203.0.113.5"})
		if got := srv.RelayIP().String(); got != "203.0.113.5" {
			t.Errorf("RelayIP = %s", got)
		}
	})
	t.Run("all interfaces", func(t *testing.T) {
		t.Parallel()
		w := newTestWriter(t)
		srv, err := turn.Listen(turn.ServerConfig{Addr: ":0", Secret: testSecret, Logger: testLogger(w)})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		// The default route's address, or 127.0.0.1 on a machine without
		// one.
		if ip := srv.RelayIP(); ip.To4() == nil || ip.IsUnspecified() {
			t.Errorf("detected relay IP %v", ip)
		}
	})
	t.Run("all interfaces, loopback public host", func(t *testing.T) {
		t.Parallel()
		srv, _ := startServer(t, turn.ServerConfig{Addr: ":0", PublicHost: "localhost"})
		if got := srv.RelayIP().String(); got != "127.0.0.1" {
			t.Errorf("RelayIP = %s, want 127.0.0.1 (documented default on loopback)", got)
		}
	})
	t.Run("fixed port", func(t *testing.T) {
		t.Parallel()
		srv, _ := startServer(t, turn.ServerConfig{})
		// Closed and reused: the port was free over both a moment ago.
		port := srv.Addr().(*net.UDPAddr).Port
		_ = srv.Close()
		srv2, _ := startServer(t, turn.ServerConfig{Addr: "127.0.0.1:" + strconv.Itoa(port)})
		if got := srv2.TCPAddr().(*net.TCPAddr).Port; got != port {
			t.Errorf("TCP port = %d, want %d", got, port)
		}
		// The same port again is taken.
		if s, err := turn.Listen(turn.ServerConfig{Addr: "127.0.0.1:" + strconv.Itoa(port), Secret: testSecret, Logger: testLogger(io.Discard)}); err == nil {
			_ = s.Close()
			t.Error("second Listen on the same port succeeded")
		}
	})
	bad := []turn.ServerConfig{
		{Addr: "127.0.0.1:0"}, // no secret
		{Addr: "127.0.0.1", Secret: testSecret},
		{Addr: "turn.example.com:0", Secret: testSecret},
		{Addr: "127.0.0.1:0", Secret: testSecret, RelayIP: "nonsense"},
		{Addr: "127.0.0.1:0", Secret: testSecret, RelayIP: "::1"},
		{Addr: "127.0.0.1:0", Secret: testSecret, RelayIP: "0.0.0.0"},
		{Addr: "127.0.0.1:0", Secret: testSecret, MinPort: 50000},
		{Addr: "127.0.0.1:0", Secret: testSecret, MinPort: 50001, MaxPort: 50000},
	}
	for _, cfg := range bad {
		cfg.Logger = testLogger(io.Discard)
		if s, err := turn.Listen(cfg); err == nil {
			_ = s.Close()
			t.Errorf("Listen(%+v) succeeded", cfg)
		}
	}
}

// TestPortRange allocates within a one-port range.
func TestPortRange(t *testing.T) {
	t.Parallel()
	// Find a free port, then free it for the relay.
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(c.LocalAddr().(*net.UDPAddr).Port)
	_ = c.Close()
	srv, w := startServer(t, turn.ServerConfig{MinPort: port, MaxPort: port})
	m := &turn.Minter{Secret: testSecret}
	relay := allocate(t, dial(t, srv, w, "udp", m.Mint("p1", time.Now())))
	if got := relay.LocalAddr().(*net.UDPAddr).Port; got != int(port) {
		t.Errorf("relay port = %d, want %d", got, port)
	}
	// The only port is taken: a second allocation fails.
	if r, err := dial(t, srv, w, "udp", m.Mint("p2", time.Now())).Allocate(); err == nil {
		_ = r.Close()
		t.Error("second allocation in a one-port range succeeded")
	}
}
