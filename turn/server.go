package turn

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	pionturn "github.com/pion/turn/v4"
)

// Defaults for ServerConfig.
const (
	DefaultAddr  = ":3478"
	DefaultRealm = "vidivo"
)

// tcpIdleTimeout closes a TCP control connection that sends nothing for
// this long, so that idle or never-authenticating connections cannot pile
// up (the server shares the process, and its file descriptors, with the
// API). A live client sends far more often: ICE consent checks every few
// seconds during a call, Refresh well within the allocation lifetime
// (10 minutes by default) otherwise.
const tcpIdleTimeout = 15 * time.Minute

// ServerConfig configures the embedded TURN server.
type ServerConfig struct {
	// Addr is the host:port the server listens on, for UDP and TCP alike;
	// empty means DefaultAddr (":3478", all interfaces). The host, if
	// given, must be an IP address or "localhost". Port 0 picks a free
	// port, the same one for UDP and TCP (see Server.Addr).
	Addr string

	// RelayIP is the IPv4 address given to peers as the relay address
	// (XOR-RELAYED-ADDRESS), i.e. the address at which the relay ports are
	// reachable from the internet. When empty it defaults to:
	//   - 127.0.0.1 when Addr's host is a loopback address or "localhost";
	//   - Addr's host when that is a specific IPv4 address;
	//   - otherwise (all interfaces) the source address of this host's
	//     default IPv4 route, which is logged with a warning: it is right
	//     on a host whose public address sits on its interface, wrong
	//     behind NAT (e.g. a cloud VM with a private address and a 1:1
	//     public IP), where RelayIP must be set. Listen fails when no
	//     usable address is found.
	RelayIP string

	// Realm is the TURN realm; empty means DefaultRealm ("vidivo").
	Realm string

	// Secret is the coturn REST shared secret (use-auth-secret /
	// static-auth-secret) the credentials are signed with; required.
	Secret []byte

	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger

	// MinPort and MaxPort, when both set, restrict relay ports to
	// [MinPort, MaxPort] (e.g. to match a firewall rule); when both zero,
	// relay ports are chosen by the OS.
	MinPort, MaxPort uint16
}

// Server is a running TURN server accepting credentials minted by Minter
// with the same secret. Relayed peers are restricted: a client may create
// permissions for (send to) public addresses and the relay address itself,
// but not for loopback, private or link-local addresses unless the relay
// address is of the same kind (a development or LAN deployment), nor ever
// for link-local (cloud metadata), unspecified, multicast or broadcast
// ones, so the relay cannot be used to reach services on the server's own
// host or network.
type Server struct {
	turn    *pionturn.Server
	udp     net.PacketConn
	tcp     *trackingListener
	relayIP net.IP

	closeOnce sync.Once
	closeErr  error
}

// Listen starts a TURN server on cfg.Addr over UDP and TCP.
func Listen(cfg ServerConfig) (*Server, error) {
	if len(cfg.Secret) == 0 {
		return nil, errors.New("turn: no secret")
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Realm == "" {
		cfg.Realm = DefaultRealm
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("component", "turn")

	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("turn: addr %q: %w", cfg.Addr, err)
	}
	bindIP, err := parseBindHost(host)
	if err != nil {
		return nil, fmt.Errorf("turn: addr %q: %w", cfg.Addr, err)
	}
	relayIP, err := chooseRelayIP(cfg.RelayIP, bindIP, logger)
	if err != nil {
		return nil, err
	}
	// Relay sockets are IPv4 (pion/turn allocates "udp4"); bind them to the
	// listening address when that is a specific IPv4 address.
	relayBind := "0.0.0.0"
	switch {
	case bindIP == nil:
	case bindIP.IsLoopback():
		relayBind = "127.0.0.1"
	case bindIP.To4() != nil:
		relayBind = bindIP.String()
	}

	var gen pionturn.RelayAddressGenerator
	switch {
	case cfg.MinPort == 0 && cfg.MaxPort == 0:
		gen = &pionturn.RelayAddressGeneratorStatic{RelayAddress: relayIP, Address: relayBind}
	case cfg.MinPort == 0 || cfg.MaxPort == 0 || cfg.MinPort > cfg.MaxPort:
		return nil, fmt.Errorf("turn: bad relay port range %d-%d", cfg.MinPort, cfg.MaxPort)
	default:
		gen = &pionturn.RelayAddressGeneratorPortRange{
			RelayAddress: relayIP, Address: relayBind, MinPort: cfg.MinPort, MaxPort: cfg.MaxPort,
			// pion's default of 10 random tries fails easily once a small
			// range fills up.
			MaxRetries: max(10, 2*(int(cfg.MaxPort)-int(cfg.MinPort)+1)),
		}
	}

	listenHost := host
	if bindIP != nil {
		listenHost = bindIP.String()
	}
	udp, tcp, err := listenPair(listenHost, port)
	if err != nil {
		return nil, fmt.Errorf("turn: %w", err)
	}
	tl := &trackingListener{Listener: tcp, conns: map[*trackedConn]struct{}{}}

	factory := slogFactory{l: logger}
	authLog := &slogLeveled{l: logger.With("scope", "auth"), errLevel: slog.LevelInfo}
	perm := peerPermission(relayIP)
	srv, err := pionturn.NewServer(pionturn.ServerConfig{
		Realm:         cfg.Realm,
		AuthHandler:   pionturn.LongTermTURNRESTAuthHandler(string(cfg.Secret), authLog),
		LoggerFactory: factory,
		PacketConnConfigs: []pionturn.PacketConnConfig{{
			PacketConn: udp, RelayAddressGenerator: gen, PermissionHandler: perm,
		}},
		ListenerConfigs: []pionturn.ListenerConfig{{
			Listener: tl, RelayAddressGenerator: gen, PermissionHandler: perm,
		}},
	})
	if err != nil {
		_ = udp.Close()
		_ = tl.Close()
		return nil, fmt.Errorf("turn: %w", err)
	}
	logger.Info("TURN server listening", "addr", udp.LocalAddr().String(), "relay_ip", relayIP.String(), "realm", cfg.Realm)
	return &Server{turn: srv, udp: udp, tcp: tl, relayIP: relayIP}, nil
}

// Addr is the UDP address the server listens on; TCP listens on the same
// port (see TCPAddr).
func (s *Server) Addr() net.Addr { return s.udp.LocalAddr() }

// TCPAddr is the TCP address the server listens on.
func (s *Server) TCPAddr() net.Addr { return s.tcp.Addr() }

// RelayIP is the address given to peers as relay address.
func (s *Server) RelayIP() net.IP { return s.relayIP }

// URLs returns the ICE server URLs for reaching this server at host (its
// relay IP when empty), UDP first: "turn:host:port?transport=udp" and
// "turn:host:port?transport=tcp".
func (s *Server) URLs(host string) []string {
	if host == "" {
		host = s.relayIP.String()
	}
	_, port, _ := net.SplitHostPort(s.udp.LocalAddr().String())
	hp := net.JoinHostPort(host, port)
	return []string{"turn:" + hp + "?transport=udp", "turn:" + hp + "?transport=tcp"}
}

// AllocationCount is the number of live allocations.
func (s *Server) AllocationCount() int { return s.turn.AllocationCount() }

// Close stops the server: it closes the listeners, every TCP connection and
// (asynchronously, as pion/turn does) every allocation.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.turn.Close() })
	return s.closeErr
}

// parseBindHost returns the IP in a listen address's host, nil for all
// interfaces.
func parseBindHost(host string) (net.IP, error) {
	if host == "" {
		return nil, nil
	}
	if host == "localhost" {
		return net.IPv4(127, 0, 0, 1), nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, fmt.Errorf("host %q is not an IP address", host)
	}
	if ip.IsUnspecified() {
		return nil, nil
	}
	return ip, nil
}

// chooseRelayIP implements ServerConfig.RelayIP's defaults.
func chooseRelayIP(given string, bindIP net.IP, logger *slog.Logger) (net.IP, error) {
	if given != "" {
		ip := net.ParseIP(given)
		if ip == nil || ip.To4() == nil || ip.IsUnspecified() {
			return nil, fmt.Errorf("turn: relay IP %q is not a usable IPv4 address", given)
		}
		return ip.To4(), nil
	}
	switch {
	case bindIP != nil && bindIP.IsLoopback():
		return net.IPv4(127, 0, 0, 1).To4(), nil
	case bindIP != nil && bindIP.To4() != nil:
		return bindIP.To4(), nil
	}
	// Connecting a UDP socket sends nothing; it only picks the route, and
	// with it the source address, towards a public address (192.0.2.1 is
	// TEST-NET-1, RFC 5737, routed via the default route like any other).
	c, err := net.Dial("udp4", "192.0.2.1:9")
	if err != nil {
		return nil, fmt.Errorf("turn: relay IP not set and no default IPv4 route to detect it from: %w", err)
	}
	ip := c.LocalAddr().(*net.UDPAddr).IP.To4()
	_ = c.Close()
	if ip == nil || ip.IsLoopback() || ip.IsUnspecified() {
		return nil, fmt.Errorf("turn: relay IP not set and could not be detected (got %v)", ip)
	}
	logger.Warn("TURN relay IP not configured; using the default route's source address, which is wrong behind NAT: set the relay IP to this host's public IPv4 address",
		"relay_ip", ip.String(), "private", ip.IsPrivate())
	return ip, nil
}

// listenPair listens on host:port over UDP and TCP. With port 0 it picks a
// free UDP port and listens on TCP on the same number, retrying when that
// is taken over TCP.
func listenPair(host, port string) (net.PacketConn, net.Listener, error) {
	if port != "0" {
		addr := net.JoinHostPort(host, port)
		udp, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, err
		}
		tcp, err := net.Listen("tcp", addr)
		if err != nil {
			_ = udp.Close()
			return nil, nil, err
		}
		return udp, tcp, nil
	}
	var lastErr error
	for range 20 {
		udp, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, nil, err
		}
		p := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return udp, tcp, nil
		}
		_ = udp.Close()
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, err
		}
		lastErr = err
	}
	return nil, nil, fmt.Errorf("no port free over both UDP and TCP: %w", lastErr)
}

// ipClass sorts addresses for peerPermission.
type ipClass int

const (
	classPublic ipClass = iota
	classLoopback
	classPrivate
	classForbidden
)

var cgnat = &net.IPNet{IP: net.IPv4(100, 64, 0, 0).To4(), Mask: net.CIDRMask(10, 32)}

func classify(ip net.IP) ipClass {
	switch {
	case ip.IsLoopback():
		return classLoopback
	case ip.IsPrivate(), cgnat.Contains(ip):
		return classPrivate
	case ip.IsUnspecified(), ip.IsMulticast(), ip.IsLinkLocalUnicast(), ip.IsInterfaceLocalMulticast(),
		ip.Equal(net.IPv4bcast), ip.To4() != nil && ip.To4()[0] == 0:
		return classForbidden
	}
	return classPublic
}

// peerPermission returns the PermissionHandler described on Server.
func peerPermission(relayIP net.IP) pionturn.PermissionHandler {
	relayClass := classify(relayIP)
	return func(_ net.Addr, peer net.IP) bool {
		if peer.Equal(relayIP) {
			return true
		}
		switch c := classify(peer); c {
		case classPublic:
			return true
		case classLoopback, classPrivate:
			return c == relayClass
		}
		return false
	}
}

// trackingListener closes the connections it accepted when it is closed
// (pion/turn only closes the listener), and applies tcpIdleTimeout.
type trackingListener struct {
	net.Listener
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		_ = c.Close()
		return nil, net.ErrClosed
	}
	l.conns[tc] = struct{}{}
	return tc, nil
}

func (l *trackingListener) Close() error {
	err := l.Listener.Close()
	l.mu.Lock()
	conns := l.conns
	l.conns, l.closed = nil, true
	l.mu.Unlock()
	for c := range conns {
		_ = c.Conn.Close()
	}
	return err
}

type trackedConn struct {
	net.Conn
	l *trackingListener
}

func (c *trackedConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(tcpIdleTimeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *trackedConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}
