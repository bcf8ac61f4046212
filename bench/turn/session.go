package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v3"
	pionturn "github.com/pion/turn/v4"

	"github.com/vidivo/vidivo/turn"
)

// channel is the channel number every session binds to its one peer
// (the first of the range, RFC 8656 §12).
const channel = 0x4000

// session is one TURN client: its own UDP socket, a pion/turn client for
// the control plane (Allocate with the 401 challenge, CreatePermission),
// and requests pion's client does not expose (Refresh with a lifetime,
// ChannelBind) sent through its transaction machinery. Its read loop hands
// STUN messages to pion and ChannelData to onData, so the data plane costs
// the load generator one syscall a packet each way and no copies.
type session struct {
	conn      *net.UDPConn
	server    netip.AddrPort
	client    *pionturn.Client
	relay     net.PacketConn
	relayAddr netip.AddrPort
	user      stun.Username
	realm     stun.Realm
	integrity stun.MessageIntegrity

	mu      sync.Mutex
	nonce   stun.Nonce
	lastErr string // the latest error response, for reports

	// onData gets the payload of each ChannelData message; set before
	// the first data arrives. It must not keep p.
	onData func(p []byte, now time.Time)

	done chan struct{}
}

// Client sockets take their ports in turn from [clientPortMin,
// clientPortMax), below the kernel's ephemeral range where the servers'
// relay ports are: a port the kernel chose could be one a socket closed
// a moment ago, and a server that still remembers that client's 5-tuple
// refuses a new allocation from it (coturn: 437 Mismatched allocation),
// which no real client would see.
const clientPortMin, clientPortMax = 20000, 32000

var nextClientPort atomic.Uint32

func listenClient() (*net.UDPConn, error) {
	var lastErr error
	for range 100 {
		port := clientPortMin + int(nextClientPort.Add(1))%(clientPortMax-clientPortMin)
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// dial opens a socket and starts the read loop; it sends nothing.
func dial(server netip.AddrPort, creds turn.Credentials, bufBytes int) (*session, error) {
	conn, err := listenClient()
	if err != nil {
		return nil, err
	}
	if bufBytes > 0 {
		_ = conn.SetReadBuffer(bufBytes)
		_ = conn.SetWriteBuffer(bufBytes)
	}
	c, err := pionturn.NewClient(&pionturn.ClientConfig{
		TURNServerAddr: server.String(), Username: creds.Username, Password: creds.Credential,
		Conn: conn, LoggerFactory: quietLogs(),
	})
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	s := &session{conn: conn, server: server, client: c, user: stun.NewUsername(creds.Username), done: make(chan struct{})}
	go s.read(creds)
	return s, nil
}

func quietLogs() logging.LoggerFactory {
	f := logging.NewDefaultLoggerFactory()
	f.DefaultLogLevel = logging.LogLevelDisabled
	return f
}

// read is the socket's read loop.
func (s *session) read(creds turn.Credentials) {
	defer close(s.done)
	buf := make([]byte, 2048)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		p := buf[:n]
		if n >= 4 && p[0]&0xC0 == 0x40 { // ChannelData (RFC 8656 §12.4)
			l := int(binary.BigEndian.Uint16(p[2:4]))
			if s.onData != nil && 4+l <= n {
				s.onData(p[4:4+l], time.Now())
			}
			continue
		}
		if !stun.IsMessage(p) {
			continue
		}
		s.noteNonce(p, creds)
		_, _ = s.client.HandleInbound(p, net.UDPAddrFromAddrPort(from))
	}
}

// noteNonce remembers the server's latest NONCE and REALM, for the
// requests this session builds itself.
func (s *session) noteNonce(p []byte, creds turn.Credentials) {
	m := &stun.Message{Raw: append([]byte(nil), p...)}
	if m.Decode() != nil {
		return
	}
	if m.Type.Class == stun.ClassErrorResponse {
		var code stun.ErrorCodeAttribute
		_ = code.GetFrom(m)
		s.mu.Lock()
		s.lastErr = fmt.Sprintf("%s %d %s", m.Type.Method, code.Code, code.Reason)
		s.mu.Unlock()
	}
	var nonce stun.Nonce
	if nonce.GetFrom(m) != nil {
		return
	}
	var realm stun.Realm
	_ = realm.GetFrom(m)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nonce = nonce
	if len(realm) > 0 && string(realm) != string(s.realm) {
		s.realm = realm
		s.integrity = stun.NewLongTermIntegrity(creds.Username, realm.String(), creds.Credential)
	}
}

// allocate creates the allocation (pion: unauthenticated request, 401,
// authenticated request).
func (s *session) allocate() error {
	relay, err := s.client.Allocate()
	if err != nil {
		s.mu.Lock()
		last := s.lastErr
		s.mu.Unlock()
		return fmt.Errorf("allocate: %w (last error response: %s)", err, last)
	}
	s.relay = relay
	ua, ok := relay.LocalAddr().(*net.UDPAddr)
	if !ok {
		return errors.New("allocate: relay address is not UDP")
	}
	s.relayAddr = ua.AddrPort()
	return nil
}

// permit creates a permission for peer (pion's CreatePermission).
func (s *session) permit(peer netip.AddrPort) error {
	if err := s.client.CreatePermission(net.UDPAddrFromAddrPort(peer)); err != nil {
		return fmt.Errorf("create permission: %w", err)
	}
	return nil
}

// refresh sends a Refresh request with lifetime and waits for success,
// retrying once on a stale nonce.
func (s *session) refresh(lifetime time.Duration) error {
	lt := make([]byte, 4)
	binary.BigEndian.PutUint32(lt, uint32(lifetime/time.Second))
	return s.request(stun.MethodRefresh, stun.RawAttribute{Type: stun.AttrLifetime, Value: lt})
}

// bind binds channel to peer (ChannelBind, which also installs or
// refreshes the permission for the peer's address).
func (s *session) bind(peer netip.AddrPort) error {
	ch := []byte{channel >> 8, channel & 0xff, 0, 0}
	xor := &stun.XORMappedAddress{IP: peer.Addr().AsSlice(), Port: int(peer.Port())}
	return s.request(stun.MethodChannelBind, stun.RawAttribute{Type: stun.AttrChannelNumber, Value: ch},
		xorPeer{xor})
}

type xorPeer struct{ a *stun.XORMappedAddress }

func (x xorPeer) AddTo(m *stun.Message) error { return x.a.AddToAs(m, stun.AttrXORPeerAddress) }

func (s *session) request(method stun.Method, attrs ...stun.Setter) error {
	for try := 0; ; try++ {
		s.mu.Lock()
		nonce, realm, integrity := s.nonce, s.realm, s.integrity
		s.mu.Unlock()
		setters := append([]stun.Setter{stun.TransactionID, stun.NewType(method, stun.ClassRequest)}, attrs...)
		setters = append(setters, s.user, realm, nonce, integrity, stun.Fingerprint)
		msg, err := stun.Build(setters...)
		if err != nil {
			return err
		}
		res, err := s.client.PerformTransaction(msg, net.UDPAddrFromAddrPort(s.server), false)
		if err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		if res.Msg.Type.Class != stun.ClassErrorResponse {
			return nil
		}
		var code stun.ErrorCodeAttribute
		_ = code.GetFrom(res.Msg)
		if code.Code == stun.CodeStaleNonce && try == 0 {
			continue // noteNonce has the new one
		}
		return fmt.Errorf("%s: error %d %s", method, code.Code, code.Reason)
	}
}

// send writes one ChannelData message on channel; frame has 4 bytes of
// room before the payload.
func (s *session) send(frame []byte) error {
	binary.BigEndian.PutUint16(frame[0:2], channel)
	binary.BigEndian.PutUint16(frame[2:4], uint16(len(frame)-4))
	_, err := s.conn.WriteToUDPAddrPort(frame, s.server)
	return err
}

// close deallocates (a Refresh with lifetime 0, waited for when wait is
// set) and closes the socket. The socket closes before pion's relay
// connection does, so that the deallocation pion's Close sends in turn,
// not waited for, never leaves: the server sees one per allocation.
func (s *session) close(wait bool) error {
	var err error
	if s.relay != nil && wait {
		err = s.refresh(0)
	}
	_ = s.conn.Close()
	if s.relay != nil {
		_ = s.relay.Close()
	}
	s.client.Close()
	<-s.done
	return err
}
