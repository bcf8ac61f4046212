package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	signaling "github.com/vidivo/vidivo/signal"
)

// newAPI is the pion API every peer connection is made with: VP8 only and
// no interceptors (no NACK, RTCP reports or congestion control), so the
// generator spends its CPU on the media the relay carries and nothing
// else; the relay forwards packets opaque either way.
func newAPI() (*webrtc.API, error) {
	var me webrtc.MediaEngine
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
		PayloadType:        96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("register VP8: %w", err)
	}
	var se webrtc.SettingEngine
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelError
	lf.Writer = os.Stderr
	se.LoggerFactory = lf
	// pion waits 2 s before accepting relay candidates by default.
	se.SetRelayAcceptanceMinWait(0)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithMediaEngine(&me), webrtc.WithSettingEngine(se),
		webrtc.WithInterceptorRegistry(&interceptor.Registry{})), nil
}

// counters are one directed stream's, kept per peer across reconnections
// (a renegotiated link goes on counting, so a reconnect shows as loss).
type counters struct {
	sent      atomic.Int64 // frames written to the track, and the next frame's index
	recv      atomic.Int64 // frames received (RTP marker bit)
	recvBytes atomic.Int64 // RTP bytes received

	mu   sync.Mutex
	seen []uint64        // bitmap of the frame indices received
	lat  []time.Duration // one-way latencies of frames received while recording
}

// recording makes receivers keep frame latencies (during a step's hold).
var recording atomic.Bool

// maxFrames bounds a stream's bitmap (a day at 30 frames a second fits).
const maxFrames = 1 << 22

// got records frame idx, sent at sentNano, as received.
func (c *counters) got(idx int64, sentNano int64) {
	if idx < 0 || idx >= maxFrames {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w := int(idx / 64)
	for len(c.seen) <= w {
		c.seen = append(c.seen, 0)
	}
	c.seen[w] |= 1 << (idx % 64)
	if recording.Load() {
		c.lat = append(c.lat, time.Duration(time.Now().UnixNano()-sentNano))
	}
}

// receivedIn counts the frames with an index in [lo, hi) received.
func (c *counters) receivedIn(lo, hi int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := int64(0)
	for i := lo; i < hi && i/64 < int64(len(c.seen)); i++ {
		if c.seen[i/64]&(1<<(i%64)) != 0 {
			n++
		}
	}
	return n
}

// takeLatencies returns the latencies recorded and forgets them.
func (c *counters) takeLatencies() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.lat
	c.lat = nil
	return l
}

// stampSize is the tail every frame carries: its index and the time it
// was sent (UnixNano), so the receiver knows which frames of a step's
// window arrived, and how late.
const stampSize = 16

// frameSize is the payload of one frame at kbps and fps: at least the
// stamp, and so that the frame's last RTP packet (the one with the marker
// bit) holds the whole stamp. pion packetizes VP8 into fragments of
// 1200 - 12 (RTP header) - 4 (VP8 descriptor with picture id) bytes.
func frameSize(kbps, fps int) int {
	const fragment = 1200 - 12 - 4
	n := max(stampSize, kbps*1000/8/fps)
	if r := n % fragment; r > 0 && r < stampSize {
		n += stampSize
	}
	return n
}

// participant is one person of a session: a signaling socket, one pion
// peer connection per other participant (full mesh, relay-only), a VP8
// track sent on each, and the frames received from each.
type participant struct {
	id      string
	api     *webrtc.API
	cfg     webrtc.Configuration
	ws      *websocket.Conn
	payload []byte // one frame's payload, random; its tail is stamped before each write
	fps     int

	mu    sync.Mutex
	links map[string]*link     // peer id → current connection
	stats map[string]*counters // peer id → counters
	done  chan struct{}        // closed by close
	wg    sync.WaitGroup       // the reader and the sender
	errs  atomic.Int64         // signaling errors handled (logged once each kind)
}

// link is the connection to one other participant.
type link struct {
	peer      string
	pc        *webrtc.PeerConnection
	track     *webrtc.TrackLocalStaticSample
	c         *counters
	connected atomic.Bool
	pending   []webrtc.ICECandidateInit // before the remote description; reader only
}

// newParticipant builds a participant from a grant; relay-only ICE with
// the grant's UDP TURN URL (a browser would gather TCP too, but media
// flows over UDP on loopback and one allocation per link is the
// realistic load).
func newParticipant(api *webrtc.API, g grant, payload []byte, fps int) *participant {
	var urls []string
	for _, u := range g.TURNCredentials.URLs {
		if !strings.Contains(u, "transport=tcp") {
			urls = append(urls, u)
		}
	}
	if len(urls) == 0 {
		urls = g.TURNCredentials.URLs
	}
	return &participant{id: g.ParticipantID, api: api, payload: append([]byte(nil), payload...), fps: fps,
		cfg: webrtc.Configuration{
			ICEServers: []webrtc.ICEServer{{URLs: urls, Username: g.TURNCredentials.Username,
				Credential: g.TURNCredentials.Credential}},
			ICETransportPolicy: webrtc.ICETransportPolicyRelay,
			BundlePolicy:       webrtc.BundlePolicyMaxBundle,
		},
		links: map[string]*link{}, stats: map[string]*counters{}, done: make(chan struct{})}
}

// connect dials the signaling socket and starts the reader and the
// sender.
func (p *participant) connect(ctx context.Context, wsURL string) error {
	ws, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		return fmt.Errorf("dial /signal/ws: %w", err)
	}
	ws.SetReadLimit(1 << 20)
	p.ws = ws
	p.wg.Add(2)
	go p.read()
	go p.sendLoop()
	return nil
}

// send writes one client message addressed to one participant.
func (p *participant) send(typ, to string, payload any) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return
	}
	msg, err := json.Marshal(signaling.Message{Type: typ, To: to, Payload: raw})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.ws.Write(ctx, websocket.MessageText, msg); err != nil {
		p.logf("send %s: %v", typ, err)
	}
}

func (p *participant) logf(format string, args ...any) {
	select {
	case <-p.done:
		return // closing: sockets end
	default:
	}
	if p.errs.Add(1) <= 3 {
		fmt.Fprintf(os.Stderr, "participant %s: %s\n", p.id, fmt.Sprintf(format, args...))
	}
}

// read handles the socket's messages in order, as the room page does: a
// description is applied before the candidates that follow it.
func (p *participant) read() {
	defer p.wg.Done()
	for {
		_, data, err := p.ws.Read(context.Background())
		if err != nil {
			p.logf("signaling socket ended: %v", err)
			return
		}
		var m signaling.Message
		if err := json.Unmarshal(data, &m); err != nil {
			p.logf("unparseable message %q", data)
			continue
		}
		if err := p.handle(m); err != nil {
			p.logf("%s from %s: %v", m.Type, m.From, err)
		}
	}
}

func (p *participant) handle(m signaling.Message) error {
	switch m.Type {
	case signaling.TypePeerJoined:
		// Connected anew: a fresh negotiation, and the larger id offers
		// (web/static/session-room.js).
		p.closeLink(m.From)
		l, err := p.linkFor(m.From)
		if err != nil || p.id < m.From {
			return err
		}
		offer, err := l.pc.CreateOffer(nil)
		if err != nil {
			return err
		}
		if err := l.pc.SetLocalDescription(offer); err != nil {
			return err
		}
		p.send(signaling.TypeOffer, m.From, l.pc.LocalDescription())
	case signaling.TypePeerLeft:
		p.closeLink(m.From)
	case signaling.TypeOffer, signaling.TypeAnswer:
		l, err := p.linkFor(m.From)
		if err != nil {
			return err
		}
		var desc webrtc.SessionDescription
		if err := json.Unmarshal(m.Payload, &desc); err != nil {
			return err
		}
		if err := l.pc.SetRemoteDescription(desc); err != nil {
			return err
		}
		for _, c := range l.pending {
			_ = l.pc.AddICECandidate(c)
		}
		l.pending = nil
		if desc.Type != webrtc.SDPTypeOffer {
			return nil
		}
		answer, err := l.pc.CreateAnswer(nil)
		if err != nil {
			return err
		}
		if err := l.pc.SetLocalDescription(answer); err != nil {
			return err
		}
		p.send(signaling.TypeAnswer, m.From, l.pc.LocalDescription())
	case signaling.TypeICECandidate:
		l, err := p.linkFor(m.From)
		if err != nil {
			return err
		}
		var c webrtc.ICECandidateInit
		if err := json.Unmarshal(m.Payload, &c); err != nil {
			return err
		}
		if l.pc.RemoteDescription() == nil {
			l.pending = append(l.pending, c)
			return nil
		}
		return l.pc.AddICECandidate(c)
	case signaling.TypeError:
		return fmt.Errorf("the relay refused a message: %s", m.Payload)
	}
	return nil
}

// linkFor returns the connection to peer, making it (with this
// participant's track on it) if there is none.
func (p *participant) linkFor(peer string) (*link, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l := p.links[peer]; l != nil {
		return l, nil
	}
	c := p.stats[peer]
	if c == nil {
		c = &counters{}
		p.stats[peer] = c
	}
	pc, err := p.api.NewPeerConnection(p.cfg)
	if err != nil {
		return nil, fmt.Errorf("new peer connection: %w", err)
	}
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
		"video", p.id)
	if err == nil {
		_, err = pc.AddTrack(track)
	}
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("add track: %w", err)
	}
	l := &link{peer: peer, pc: pc, track: track, c: c}
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand != nil {
			p.send(signaling.TypeICECandidate, peer, cand.ToJSON())
		}
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected && !relayed(pc) {
			nonRelay.Add(1)
		}
		l.connected.Store(s == webrtc.PeerConnectionStateConnected)
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { go receive(tr, c) })
	p.links[peer] = l
	return l, nil
}

// nonRelay counts connections whose selected candidate pair is not relay
// to relay: the bench would then not measure the TURN relay.
var nonRelay atomic.Int64

func relayed(pc *webrtc.PeerConnection) bool {
	for _, s := range pc.GetSenders() {
		if t := s.Transport(); t != nil {
			pair, err := t.ICETransport().GetSelectedCandidatePair()
			return err == nil && pair != nil && pair.Local.Typ == webrtc.ICECandidateTypeRelay &&
				pair.Remote.Typ == webrtc.ICECandidateTypeRelay
		}
	}
	return false
}

// receive counts a remote track's frames (the RTP marker bit ends one)
// and bytes until the track ends; a frame's last packet ends with its
// stamp.
func receive(tr *webrtc.TrackRemote, c *counters) {
	buf := make([]byte, 1600)
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		c.recvBytes.Add(int64(n))
		if n < 12 || buf[1]&0x80 == 0 {
			continue
		}
		c.recv.Add(1)
		end := n
		if buf[0]&0x20 != 0 { // padding: its length is the last byte
			end -= int(buf[n-1])
		}
		if end-stampSize >= 12 {
			c.got(int64(binary.BigEndian.Uint64(buf[end-stampSize:])), int64(binary.BigEndian.Uint64(buf[end-8:])))
		}
	}
}

func (p *participant) closeLink(peer string) {
	p.mu.Lock()
	l := p.links[peer]
	delete(p.links, peer)
	p.mu.Unlock()
	if l != nil {
		l.pc.Close()
	}
}

// sendLoop writes one frame a tick on every connected link's track. A
// tick the loop could not keep up with is skipped (time.Ticker), which
// shows as a sending rate under -fps: the generator is behind.
func (p *participant) sendLoop() {
	defer p.wg.Done()
	frame := time.Second / time.Duration(p.fps)
	t := time.NewTicker(frame)
	defer t.Stop()
	var ls []*link
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		ls = ls[:0]
		p.mu.Lock()
		for _, l := range p.links {
			ls = append(ls, l)
		}
		p.mu.Unlock()
		for _, l := range ls {
			if !l.connected.Load() {
				continue
			}
			// The packetizer copies the payload, so one buffer serves
			// every link.
			tail := p.payload[len(p.payload)-stampSize:]
			binary.BigEndian.PutUint64(tail, uint64(l.c.sent.Load()))
			binary.BigEndian.PutUint64(tail[8:], uint64(time.Now().UnixNano()))
			if err := l.track.WriteSample(media.Sample{Data: p.payload, Duration: frame}); err == nil {
				l.c.sent.Add(1)
			}
		}
	}
}

// counters returns peer's counters (nil before any link to it).
func (p *participant) counters(peer string) *counters {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats[peer]
}

// close ends the sender, every peer connection and the socket, and waits
// for the goroutines.
func (p *participant) close() {
	close(p.done)
	p.mu.Lock()
	ls := p.links
	p.links = map[string]*link{}
	p.mu.Unlock()
	for _, l := range ls {
		l.pc.Close()
	}
	if p.ws != nil {
		p.ws.Close(websocket.StatusNormalClosure, "bench done")
	}
	p.wg.Wait()
}
