package turn

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
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
	// reachable from the internet. When empty it defaults to 127.0.0.1 on
	// loopback, else to the listening or default route's address (see
	// chooseRelayIP).
	RelayIP string

	// PublicHost is the host name or address peers are told to reach the
	// server at (the TURN URLs' host). When it is loopback ("localhost",
	// 127.0.0.0/8, ::1) and RelayIP is empty, the relay address is
	// 127.0.0.1 even when listening on all interfaces: a local install.
	PublicHost string

	// AllowPeers are ranges peers may be in although the default policy
	// refuses them (loopback, private, metadata…; see Server): for tests
	// and private deployments. Parse a setting with ParseAllowPeers.
	AllowPeers []netip.Prefix

	// UserQuota is how many live allocations one participant may hold
	// (coturn's user-quota), across renewed credentials; zero means
	// DefaultUserQuota, negative means no limit.
	UserQuota int

	// Now is the clock credentials are checked against; nil means
	// time.Now.
	Now func() time.Time

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

	// UDPSockets is how many UDP sockets serve Addr's port, each read by
	// its own goroutine (on Linux, with SO_REUSEPORT; the kernel hashes
	// each client's address to one of them); zero means one per CPU
	// (GOMAXPROCS). Outside Linux there is always one.
	UDPSockets int
}

// Server is a running TURN server accepting credentials minted by Minter
// with the same secret, at most UserQuota allocations per participant.
//
// Relayed peers are restricted, like coturn's denied-peer-ip: a client may
// create permissions for (and so send to) public addresses, not for
// loopback, private, CGNAT, link-local (cloud metadata), ULA, multicast,
// reserved or documentation ranges, IPv4-mapped forms of these included,
// nor for this host's other addresses, unless ServerConfig.AllowPeers
// allows them. The relay address itself is allowed on relay ports only
// (peers relaying through the same server reach each other there): never
// the TURN listening port nor other services on this host. Datagrams to or
// from a port that is not allowed are dropped.
type Server struct {
	turn    *pionturn.Server
	udps    []net.PacketConn // all on one port (see ServerConfig.UDPSockets)
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
	if cfg.UserQuota == 0 {
		cfg.UserQuota = DefaultUserQuota
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
	relayIP, err := chooseRelayIP(cfg.RelayIP, bindIP, cfg.PublicHost, detectRelayIP, logger)
	if err != nil {
		return nil, err
	}
	ports := &relayPorts{min: int(cfg.MinPort), max: int(cfg.MaxPort)}
	gen, err := relayAddressGenerator(cfg, relayIP, relayBindAddr(bindIP, relayIP))
	if err != nil {
		return nil, err
	}

	nUDP, err := udpSocketCount(cfg.UDPSockets)
	if err != nil {
		return nil, err
	}

	listenHost := host
	if bindIP != nil {
		listenHost = bindIP.String()
	}
	udps, tcp, err := listenSockets(listenHost, port, nUDP)
	if err != nil {
		return nil, fmt.Errorf("turn: %w", err)
	}
	tl := &trackingListener{Listener: tcp, conns: map[*trackedConn]struct{}{}}

	policy := newPeerPolicy(relayIP, udps[0].LocalAddr().(*net.UDPAddr).Port, cfg.AllowPeers, ports)
	relays := &relayGenerator{RelayAddressGenerator: gen, policy: policy}
	// One configuration per UDP socket, all alike: pion/turn reads each
	// with its own goroutine and keeps its allocations apart, which is
	// right as a client always reaches the same socket. Quota and
	// credentials are checked server-wide (auth), the peer policy and
	// relay ports are shared.
	pcs := make([]pionturn.PacketConnConfig, len(udps))
	for i, c := range udps {
		growBuffers(c, logger)
		pcs[i] = pionturn.PacketConnConfig{PacketConn: c, RelayAddressGenerator: relays, PermissionHandler: policy.handler}
	}
	auth := newCredentialAuth(cfg.Secret, cfg.Now, cfg.UserQuota, logger.With("scope", "auth"))
	srv, err := pionturn.NewServer(pionturn.ServerConfig{
		Realm:             cfg.Realm,
		AuthHandler:       auth.authenticate,
		QuotaHandler:      auth.reserve,
		EventHandler:      auth.eventHandler(),
		LoggerFactory:     slogFactory{l: logger},
		PacketConnConfigs: pcs,
		ListenerConfigs: []pionturn.ListenerConfig{{
			Listener: tl, RelayAddressGenerator: relays, PermissionHandler: policy.handler,
		}},
	})
	if err != nil {
		closeAll(udps)
		_ = tl.Close()
		return nil, fmt.Errorf("turn: %w", err)
	}
	logger.Info("TURN server listening", "addr", udps[0].LocalAddr().String(), "udp_sockets", len(udps),
		"relay_ip", relayIP.String(), "realm", cfg.Realm, "allow_peers", cfg.AllowPeers, "user_quota", cfg.UserQuota)
	return &Server{turn: srv, udps: udps, tcp: tl, relayIP: relayIP}, nil
}

// udpListenBuffer is the receive and send buffer size asked for on each
// UDP listening socket, which a share of the clients' packets go through
// and one goroutine reads. The kernel's default (net.core.rmem_default, about
// 200 KiB: a few hundred datagrams, some 20 ms of a busy relay) overflows
// whenever that goroutine waits for a CPU a little longer, and the
// datagrams are lost. coturn asks for the same on its listening sockets;
// the kernel caps it at net.core.rmem_max / wmem_max, and memory is only
// used while datagrams are waiting.
const udpListenBuffer = 2 << 20

// growBuffers asks for udpListenBuffer on c; failing that it logs, as the
// server works, only with less slack.
func growBuffers(c net.PacketConn, logger *slog.Logger) {
	uc, ok := c.(*net.UDPConn)
	if !ok {
		return
	}
	if err := errors.Join(uc.SetReadBuffer(udpListenBuffer), uc.SetWriteBuffer(udpListenBuffer)); err != nil {
		logger.Warn("TURN UDP socket buffers left at the system default", "err", err)
	}
}

// relayBindAddr is the address relay sockets bind to. They are IPv4
// (pion/turn allocates "udp4"): the listening address when that is a
// specific IPv4 address, loopback when the relay address is (nothing else
// could reach it), else all interfaces.
func relayBindAddr(bindIP, relayIP net.IP) string {
	switch {
	case relayIP.IsLoopback(), bindIP != nil && bindIP.IsLoopback():
		return "127.0.0.1"
	case bindIP != nil && bindIP.To4() != nil:
		return bindIP.String()
	}
	return "0.0.0.0"
}

// relayAddressGenerator is pion's generator for cfg's relay ports.
func relayAddressGenerator(cfg ServerConfig, relayIP net.IP, bind string) (pionturn.RelayAddressGenerator, error) {
	switch {
	case cfg.MinPort == 0 && cfg.MaxPort == 0:
		return &pionturn.RelayAddressGeneratorStatic{RelayAddress: relayIP, Address: bind}, nil
	case cfg.MinPort == 0 || cfg.MaxPort == 0 || cfg.MinPort > cfg.MaxPort:
		return nil, fmt.Errorf("turn: bad relay port range %d-%d", cfg.MinPort, cfg.MaxPort)
	}
	return &pionturn.RelayAddressGeneratorPortRange{
		RelayAddress: relayIP, Address: bind, MinPort: cfg.MinPort, MaxPort: cfg.MaxPort,
		// pion's default of 10 random tries fails easily once a small
		// range fills up.
		MaxRetries: max(10, 2*(int(cfg.MaxPort)-int(cfg.MinPort)+1)),
	}, nil
}

// Addr is the UDP address the server listens on; TCP listens on the same
// port (see TCPAddr).
func (s *Server) Addr() net.Addr { return s.udps[0].LocalAddr() }

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
	_, port, _ := net.SplitHostPort(s.Addr().String())
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
