package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"
	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"

	signaling "github.com/vidivo/vidivo/signal"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// e2eTimeout bounds each end-to-end test, from starting the servers to the
// last socket closing.
const e2eTimeout = 30 * time.Second

// natsTestURL is the NATS server the multi-instance test needs.
const natsTestURL = "nats://127.0.0.1:4222"

// TestE2ERelayOnlyCall is the end-to-end test: the real binary, a
// host and a guest that join a paid call through the API, signal through
// /signal/ws, connect two pion/webrtc peers that may use relay candidates
// of the embedded TURN server only (with the credentials the API handed
// out), pass a DataChannel message each way, and have their sockets
// closed by the server when the call ends.
func TestE2ERelayOnlyCall(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	s := startInstance(ctx, t, "vidivo", t.TempDir())
	exerciseCall(ctx, t, s, s)
}

// TestE2ETwoInstancesOverNATS runs two serve processes on one database
// and one data dir (so one set of keys and secrets), linked by NATS: the
// guest signals through instance A, the host through instance B, and the
// call's WebRTC connection, its end and the sockets' closing all cross
// from one instance to the other.
func TestE2ETwoInstancesOverNATS(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	nc, err := nats.Connect(natsTestURL, nats.Timeout(2*time.Second), nats.Name("vidivo-e2e-test"))
	if err != nil {
		t.Fatalf("NATS is not reachable at %s: %v\nStart it with:\n  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log", natsTestURL, err)
	}
	nc.Close()

	// PostgreSQL when the tests have one, else both processes on one SQLite
	// file in the shared data dir.
	// Each instance runs its own TURN server, both with relay address
	// 127.0.0.1: a TURN server opens its relay address on its own relay
	// ports only, so the guest's relay reaches the host's, on the other
	// server, only with loopback allowed (in a real fleet each instance
	// has its own public relay address).
	env := []string{"VIDIVO_NATS_URL=" + natsTestURL, "VIDIVO_TURN_ALLOW_PEERS=127.0.0.0/8"}
	if os.Getenv(sqldbtest.EnvPostgres) != "" {
		env = append(env, "VIDIVO_DATABASE_URL="+sqldbtest.URL(t, "postgres"))
	}
	dir := t.TempDir()
	// A first: it migrates and generates the keys B then reads.
	a := startInstance(ctx, t, "A", dir, env...)
	b := startInstance(ctx, t, "B", dir, env...)
	if a.base == b.base {
		t.Fatalf("both instances listen on %s", a.base)
	}
	exerciseCall(ctx, t, a, b)
}

// startInstance starts `vidivo serve` (this test binary re-executed) in
// dir with extra environment, and waits for it to say where it listens.
// Its log is shown if the test fails; it is killed when the test ends.
func startInstance(ctx context.Context, t *testing.T, name, dir string, env ...string) *server {
	t.Helper()
	args := []string{"serve", "--turn-addr", "127.0.0.1:0"}
	if !slices.ContainsFunc(env, func(v string) bool { return strings.HasPrefix(v, "VIDIVO_ADDR=") }) {
		args = append(args, "--addr", "127.0.0.1:0")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	// Settings the tests' own environment might carry are reset to their
	// defaults (an empty value is unset); env comes last and wins.
	cmd.Env = append(os.Environ(), "VIDIVO_RUN_MAIN=1", "VIDIVO_AUTH_RATE_LIMIT=0", "VIDIVO_LOG_LEVEL=info",
		"VIDIVO_PAYMENTS=sandbox", "VIDIVO_DATA_DIR=", "VIDIVO_DATABASE_URL=", "VIDIVO_PUBLIC_URL=", "VIDIVO_NATS_URL=",
		"VIDIVO_TURN_URLS=", "VIDIVO_TURN_PUBLIC_IP=", "VIDIVO_ALLOWED_ORIGINS=")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("log of instance %s:\n%s", name, stderr.String())
		}
	})

	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, out)
	}()
	select {
	case line := <-lines:
		m := regexp.MustCompile(`listening on (\S+) `).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("instance %s did not start: %q", name, line)
		}
		return &server{cmd: cmd, base: "http://" + m[1]}
	case <-ctx.Done():
		t.Fatalf("instance %s did not say where it listens in time", name)
	}
	return nil
}

// grant is what the API gives a participant to connect: a signaling token
// and TURN credentials.
type grant struct {
	SignalingToken  string `json:"signaling_token"`
	TURNCredentials struct {
		URLs       []string `json:"urls"`
		Username   string   `json:"username"`
		Credential string   `json:"credential"`
	} `json:"turn_credentials"`
}

// participant is the id a grant's TURN username ends with.
func (g grant) participant() string {
	_, id, _ := strings.Cut(g.TURNCredentials.Username, ":")
	return id
}

// exerciseCall runs a whole call: the host signs up on hostSrv and sells
// a call, an anonymous guest joins it on guestSrv, the host joins on
// hostSrv; each side signals through its own instance and connects a
// relay-only WebRTC peer; a DataChannel message goes each way; the guest
// ends the call and both sockets are closed by the server.
func exerciseCall(ctx context.Context, t *testing.T, guestSrv, hostSrv *server) {
	t.Helper()

	// The host: an account with payouts connected, and a link.
	var host struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AccessToken string `json:"access_token"`
	}
	if code := hostSrv.call(t, "POST", "/v1/auth/signup", "", map[string]string{"email": "jane@example.com", "password": "correct horse battery",
		"username": "janecoach", "display_name": "Jane Smith", "role": "host"}, &host); code != 201 {
		t.Fatalf("signup = %d", code)
	}
	if code := hostSrv.call(t, "POST", "/v1/users/me/payouts/onboarding", host.AccessToken, nil, nil); code != 200 {
		t.Fatalf("payout onboarding = %d", code)
	}
	var link struct {
		Link struct {
			ShortCode string `json:"short_code"`
		} `json:"link"`
	}
	if code := hostSrv.call(t, "POST", "/v1/links", host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10}, &link); code != 201 {
		t.Fatalf("create link = %d", code)
	}

	// The guest joins anonymously; the host joins.
	var joined struct {
		grant
		Call struct {
			ID string `json:"id"`
		} `json:"call"`
		GuestToken string `json:"guest_token"`
	}
	if code := guestSrv.call(t, "POST", "/v1/calls/join/"+link.Link.ShortCode, "", map[string]string{"payment_method_id": "pm_card_visa", "guest_name": "Alex"}, &joined); code != 201 {
		t.Fatalf("join = %d", code)
	}
	callID, guestGrant := joined.Call.ID, joined.grant
	var hostGrant grant
	if code := hostSrv.call(t, "POST", "/v1/calls/"+callID+"/host-join", host.AccessToken, nil, &hostGrant); code != 201 {
		t.Fatalf("host-join = %d", code)
	}
	guestID, hostID := guestGrant.participant(), hostGrant.participant()
	if guestID == "" || hostID != host.User.ID || len(guestGrant.TURNCredentials.URLs) == 0 || len(hostGrant.TURNCredentials.URLs) == 0 {
		t.Fatalf("grants: guest %+v, host %+v", guestGrant, hostGrant)
	}

	// Each side: a WebRTC peer limited to relay candidates, on its own
	// instance's signaling socket.
	errs := make(chan error, 16)
	guest := newE2EPeer(t, "guest", guestGrant, errs)
	hostPeer := newE2EPeer(t, "host", hostGrant, errs)
	guest.offerer = true
	dc, err := guest.pc.CreateDataChannel("chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	dc.OnOpen(func() {
		if err := dc.SendText("hello from the guest"); err != nil {
			guest.fail(fmt.Errorf("guest: send on the DataChannel: %w", err))
		}
	})
	dc.OnMessage(func(msg webrtc.DataChannelMessage) { guest.got <- string(msg.Data) })
	hostPeer.pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnMessage(func(msg webrtc.DataChannelMessage) {
			hostPeer.got <- string(msg.Data)
			if err := dc.SendText("hello from the host"); err != nil {
				hostPeer.fail(fmt.Errorf("host: send on the DataChannel: %w", err))
			}
		})
	})

	guest.connect(ctx, t, guestSrv, callID)
	hostPeer.connect(ctx, t, hostSrv, callID)

	// Each hears of the other; the guest's offer, the host's answer and
	// the trickled candidates cross the relay (and, on two instances,
	// NATS); the DataChannel opens over the TURN relays.
	for _, w := range []struct {
		p         *e2ePeer
		from, via string
	}{{guest, hostID, "host"}, {hostPeer, guestID, "guest"}} {
		m := waitFor(ctx, t, w.p.name+" peer_joined", w.p.joined, errs, guest, hostPeer)
		var pp signaling.PeerPayload
		if m.From != w.from || json.Unmarshal(m.Payload, &pp) != nil || pp.Role != w.via {
			t.Errorf("%s: peer_joined = %+v, want from %s with role %s", w.p.name, m, w.from, w.via)
		}
	}
	if got := waitFor(ctx, t, "the guest's message at the host", hostPeer.got, errs, guest, hostPeer); got != "hello from the guest" {
		t.Errorf("host got %q", got)
	}
	if got := waitFor(ctx, t, "the host's message at the guest", guest.got, errs, guest, hostPeer); got != "hello from the host" {
		t.Errorf("guest got %q", got)
	}

	for _, p := range []*e2ePeer{guest, hostPeer} {
		pair, err := p.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
		if err != nil || pair == nil {
			t.Fatalf("%s: selected candidate pair: %v, %v", p.name, pair, err)
		}
		if pair.Local.Typ != webrtc.ICECandidateTypeRelay || pair.Remote.Typ != webrtc.ICECandidateTypeRelay {
			t.Errorf("%s: selected pair %s, want relay to relay", p.name, pair)
		}
	}
	// What crossed the relay, with the server's "from" on each.
	for _, w := range []struct {
		p     *e2ePeer
		types []string
		from  string
	}{{guest, []string{signaling.TypeAnswer, signaling.TypeICECandidate}, hostID},
		{hostPeer, []string{signaling.TypeOffer, signaling.TypeICECandidate}, guestID}} {
		seen := w.p.seenFrom()
		for _, typ := range w.types {
			if seen[typ] != w.from {
				t.Errorf("%s: %s from %q, want from %s (saw %v)", w.p.name, typ, seen[typ], w.from, seen)
			}
		}
	}

	// The guest ends the call through the API of its instance: the server
	// closes both sockets, on both instances, with 1000 and the reason.
	var end struct {
		Call struct {
			Status string `json:"status"`
		} `json:"call"`
	}
	if code := guestSrv.call(t, "POST", "/v1/calls/"+callID+"/end", joined.GuestToken, map[string]string{"reason": "user_ended"}, &end); code != 200 || end.Call.Status != "completed" {
		t.Fatalf("end = %d %+v", code, end)
	}
	for _, p := range []*e2ePeer{guest, hostPeer} {
		select {
		case <-p.done:
		case <-ctx.Done():
			t.Fatalf("%s: the server did not close the socket after the call ended", p.name)
		}
		var ce websocket.CloseError
		if !errors.As(p.closeErr, &ce) || ce.Code != websocket.StatusNormalClosure || !strings.Contains(ce.Reason, "call ended") {
			t.Errorf("%s: socket ended with %v, want close 1000 with a reason saying the call ended", p.name, p.closeErr)
		}
	}
	// No new socket and no fresh token for an ended call.
	if code := hostSrv.call(t, "POST", "/v1/calls/"+callID+"/signaling-token", host.AccessToken, nil, nil); code != 409 {
		t.Errorf("signaling-token after the end = %d, want 409", code)
	}
	_, resp, err := websocket.Dial(ctx, wsURL(hostSrv, hostGrant.SignalingToken, callID), nil)
	if err == nil || resp == nil || resp.StatusCode != 409 {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Errorf("dial after the end: status %d, %v; want 409", status, err)
	}
}

func wsURL(s *server, tok, callID string) string {
	return "ws" + strings.TrimPrefix(s.base, "http") + "/signal/ws?token=" + url.QueryEscape(tok) + "&call=" + url.QueryEscape(callID)
}

// e2ePeer is one participant: a pion PeerConnection and its signaling
// socket, whose messages one goroutine reads and acts on in order.
type e2ePeer struct {
	name    string
	token   string // signaling token
	pc      *webrtc.PeerConnection
	ws      *websocket.Conn
	offerer bool // makes the offer when the other side joins

	errs   chan error
	joined chan signaling.Message
	got    chan string   // DataChannel messages received
	done   chan struct{} // closed when the socket ends; closeErr says how

	closeErr error

	mu   sync.Mutex
	seen map[string]string // message type → its from

	pending []webrtc.ICECandidateInit // before the remote description; reader only
}

// newE2EPeer builds a relay-only peer whose ICE servers are exactly the
// TURN credentials g from the API.
func newE2EPeer(t *testing.T, name string, g grant, errs chan error) *e2ePeer {
	t.Helper()
	logs := &syncBuffer{}
	lf := logging.NewDefaultLoggerFactory()
	lf.Writer, lf.DefaultLogLevel = logs, logging.LogLevelWarn
	var se webrtc.SettingEngine
	se.LoggerFactory = lf
	// pion waits 2 s before accepting relay candidates by default.
	se.SetRelayAcceptanceMinWait(0)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{
		ICEServers: []webrtc.ICEServer{{URLs: g.TURNCredentials.URLs, Username: g.TURNCredentials.Username,
			Credential: g.TURNCredentials.Credential}},
		ICETransportPolicy: webrtc.ICETransportPolicyRelay,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := &e2ePeer{name: name, token: g.SignalingToken, pc: pc, errs: errs, joined: make(chan signaling.Message, 4), got: make(chan string, 4),
		done: make(chan struct{}), seen: map[string]string{}}
	t.Cleanup(func() {
		pc.Close()
		if t.Failed() && logs.String() != "" {
			t.Logf("pion log of the %s:\n%s", name, logs.String())
		}
	})
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return // gathering finished
		}
		if err := p.send(signaling.TypeICECandidate, c.ToJSON()); err != nil {
			p.fail(fmt.Errorf("%s: send ice_candidate: %w", name, err))
		}
	})
	return p
}

// connect dials the signaling socket with the peer's own token (and the
// call it is for, which the server checks) and starts reading it. No
// Origin header: a non-browser client.
func (p *e2ePeer) connect(ctx context.Context, t *testing.T, s *server, callID string) {
	t.Helper()
	ws, resp, err := websocket.Dial(ctx, wsURL(s, p.token, callID), nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("%s: dial /signal/ws: status %d: %v", p.name, status, err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	ws.SetReadLimit(1 << 20)
	p.ws = ws
	go p.read()
}

// send writes one client message; the server sets "from".
func (p *e2ePeer) send(typ string, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	msg, err := json.Marshal(signaling.Message{Type: typ, Payload: raw})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.ws.Write(ctx, websocket.MessageText, msg)
}

// fail reports an error from a goroutine to the test.
func (p *e2ePeer) fail(err error) {
	select {
	case p.errs <- err:
	default:
	}
}

func (p *e2ePeer) seenFrom() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]string, len(p.seen))
	for k, v := range p.seen {
		out[k] = v
	}
	return out
}

// read handles the socket's messages in order until it ends.
func (p *e2ePeer) read() {
	defer close(p.done)
	for {
		_, data, err := p.ws.Read(context.Background())
		if err != nil {
			p.closeErr = err
			return
		}
		var m signaling.Message
		if err := json.Unmarshal(data, &m); err != nil {
			p.fail(fmt.Errorf("%s: unparseable message %q: %w", p.name, data, err))
			continue
		}
		p.mu.Lock()
		p.seen[m.Type] = m.From
		p.mu.Unlock()
		if err := p.handle(m); err != nil {
			p.fail(fmt.Errorf("%s: handle %s: %w", p.name, m.Type, err))
		}
	}
}

func (p *e2ePeer) handle(m signaling.Message) error {
	switch m.Type {
	case signaling.TypePeerJoined:
		select {
		case p.joined <- m:
		default:
		}
		if !p.offerer {
			return nil
		}
		offer, err := p.pc.CreateOffer(nil)
		if err != nil {
			return err
		}
		if err := p.pc.SetLocalDescription(offer); err != nil {
			return err
		}
		return p.send(signaling.TypeOffer, p.pc.LocalDescription())
	case signaling.TypeOffer:
		if err := p.setRemote(m.Payload); err != nil {
			return err
		}
		answer, err := p.pc.CreateAnswer(nil)
		if err != nil {
			return err
		}
		if err := p.pc.SetLocalDescription(answer); err != nil {
			return err
		}
		return p.send(signaling.TypeAnswer, p.pc.LocalDescription())
	case signaling.TypeAnswer:
		return p.setRemote(m.Payload)
	case signaling.TypeICECandidate:
		var c webrtc.ICECandidateInit
		if err := json.Unmarshal(m.Payload, &c); err != nil {
			return err
		}
		// Candidates may overtake the description they belong to (the
		// sender gathers while it sends): keep them until it is set.
		if p.pc.RemoteDescription() == nil {
			p.pending = append(p.pending, c)
			return nil
		}
		return p.pc.AddICECandidate(c)
	case signaling.TypeError:
		return fmt.Errorf("the relay refused a message: %s", m.Payload)
	}
	return nil // peer_left: nothing to do in this test
}

// setRemote sets the remote description and adds the candidates that
// came before it.
func (p *e2ePeer) setRemote(payload json.RawMessage) error {
	var desc webrtc.SessionDescription
	if err := json.Unmarshal(payload, &desc); err != nil {
		return err
	}
	if err := p.pc.SetRemoteDescription(desc); err != nil {
		return err
	}
	for _, c := range p.pending {
		if err := p.pc.AddICECandidate(c); err != nil {
			return err
		}
	}
	p.pending = nil
	return nil
}

// waitFor returns the next value on ch, failing the test on an error
// from the peers' goroutines or when ctx ends.
func waitFor[T any](ctx context.Context, t *testing.T, what string, ch <-chan T, errs <-chan error, peers ...*e2ePeer) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case err := <-errs:
		t.Fatalf("waiting for %s: %v", what, err)
	case <-ctx.Done():
		var states []string
		for _, p := range peers {
			states = append(states, fmt.Sprintf("%s: ICE %s, connection %s", p.name, p.pc.ICEConnectionState(), p.pc.ConnectionState()))
		}
		t.Fatalf("no %s in time (%s)", what, strings.Join(states, "; "))
	}
	var zero T
	return zero
}
