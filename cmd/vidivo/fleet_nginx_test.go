package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"
	"github.com/pion/webrtc/v4"

	"github.com/vidivo/vidivo/jobs"
	"github.com/vidivo/vidivo/nginxtest"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// fleetNginxTimeout bounds one engine's run of TestFleetBehindNginx: about
// 25 s, or up to a minute more when River must rescue a job (jobRescueBound).
const fleetNginxTimeout = 130 * time.Second

// jobRescueBound is how long after the kill a job the killed instance was
// running — or had run, but not yet marked completed — may stay
// "running" before River's rescuer (every 30 s, on the leader) runs it
// again: jobs.RescueStuckJobsAfter, the rescuer's interval, and a new
// leader's election.
const jobRescueBound = jobs.RescueStuckJobsAfter + 30*time.Second + 15*time.Second

// The billing timings of the fleet test. With one-minute windows and a
// renewal lead of 165 s, host-join renews windows 1 and 2 at once (their
// renewals fall due before the call began) and window 3 fifteen seconds
// later: a renewal the queue runs after the kill, on the instance that
// is left.
const (
	fleetRenewLead   = 165 * time.Second
	fleetPeerGrace   = 20 * time.Second
	fleetRatePerMin  = 250 // cents: "2.50" a minute
	fleetLaterWindow = 3
)

// TestFleetBehindNginx is issue 14's fleet end-to-end test: two `vidivo
// serve` processes on one database and NATS behind nginx running
// docs/nginx-fleet.conf (package nginxtest), round-robin; every request,
// event stream and WebSocket goes through nginx, and nginx's upstream
// header says which instance served it.
//
// The host's notification stream lands on instance X, the guest's join on
// Y, and the stream rings. The host joins on Y; both peers' TURN
// allocations are then on Y's embedded server. The guest's signaling
// socket lands on X and the host's on Y; two relay-only pion peers
// connect through Y's TURN and pass DataChannel messages. Windows 1 and 2
// are renewed. Then X is killed -9 — it holds the host's stream and the
// guest's socket: the guest reconnects through nginx (to Y), the host
// sees it rejoin, the media still flows, the host's stream reconnects
// with Last-Event-ID, and window 3 is renewed by Y's queue. The host ends
// the call: it is settled exactly (captured = billed minutes × rate), no
// hold is left open, and every renewal and settlement job ran to
// completion once.
func TestFleetBehindNginx(t *testing.T) {
	t.Parallel()
	nc, err := nats.Connect(natsTestURL, nats.Timeout(2*time.Second), nats.Name("vidivo-fleet-nginx-test"))
	if err != nil {
		t.Fatalf("NATS is not reachable at %s: %v", natsTestURL, err)
	}
	nc.Close()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), fleetNginxTimeout)
			defer cancel()
			runFleetBehindNginx(ctx, t, engine)
		})
	}
}

func runFleetBehindNginx(ctx context.Context, t *testing.T, engine string) {
	f := startNginxFleet(ctx, t, engine)
	begun := time.Now()

	// The host, through nginx.
	var host struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AccessToken string `json:"access_token"`
	}
	f.must(t, 201, "POST", "/v1/auth/signup", "", map[string]string{"email": "fleet@example.com", "password": "correct horse battery",
		"username": "fleetnginx", "display_name": "Fleet Host", "role": "host"}, &host)
	f.must(t, 200, "POST", "/v1/users/me/payouts/onboarding", host.AccessToken, nil, nil)
	var link struct {
		Link struct {
			ShortCode string `json:"short_code"`
		} `json:"link"`
	}
	f.must(t, 201, "POST", "/v1/links", host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 1}, &link)

	// The host's console stream lands on X.
	stream := f.openStream(ctx, t, host.AccessToken, "", "")
	x := stream.upstream
	y := f.other(x)
	t.Logf("the host's stream is on %s (X); the other instance is %s (Y)", x, y)

	// The guest joins on Y, and X's stream rings.
	var joined struct {
		grant
		Call struct {
			ID string `json:"id"`
		} `json:"call"`
		GuestToken string `json:"guest_token"`
	}
	f.landNextOn(t, y)
	if up := f.must(t, 201, "POST", "/v1/calls/join/"+link.Link.ShortCode, "",
		map[string]string{"payment_method_id": "pm_card_visa", "guest_name": "Alex"}, &joined); up != y {
		t.Fatalf("the join landed on %s, want Y %s", up, y)
	}
	callID := joined.Call.ID
	ring := stream.next(ctx, t)
	if ring.name != "call.incoming" || !strings.Contains(ring.data, `"call_id":"`+callID+`"`) || ring.id == "" {
		t.Fatalf("X's stream got %+v, want call.incoming for %s with an id", ring, callID)
	}
	f.waitCall(ctx, t, callID, host.AccessToken, "ringing", func(c nginxCall) bool { return c.Status == "ringing" })
	f.streamCapIsFleetWide(ctx, t, host.AccessToken, stream)

	// The host joins on Y: both TURN allocations will be on Y's server.
	f.landNextOn(t, y)
	var hostGrant grant
	if up := f.must(t, 201, "POST", "/v1/calls/"+callID+"/host-join", host.AccessToken, nil, &hostGrant); up != y {
		t.Fatalf("host-join landed on %s, want Y %s", up, y)
	}
	if g, h := joined.TURNCredentials.URLs, hostGrant.TURNCredentials.URLs; len(g) == 0 || strings.Join(g, ",") != strings.Join(h, ",") {
		t.Fatalf("TURN URLs: guest %v, host %v; want Y's server for both", g, h)
	}
	guestID, hostID := joined.participant(), hostGrant.participant()

	// Relay-only peers; the guest signals through X, the host through Y.
	errs := make(chan error, 16)
	guest := newE2EPeer(t, "guest", joined.grant, errs)
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
	f.landNextOn(t, x)
	if up := f.connectPeer(ctx, t, guest, callID); up != x {
		t.Fatalf("the guest's socket landed on %s, want X %s", up, x)
	}
	f.landNextOn(t, y)
	if up := f.connectPeer(ctx, t, hostPeer, callID); up != y {
		t.Fatalf("the host's socket landed on %s, want Y %s", up, y)
	}
	if m := waitFor(ctx, t, "peer_joined at the guest", guest.joined, errs, guest, hostPeer); m.From != hostID {
		t.Errorf("the guest's peer_joined is from %s, want the host %s", m.From, hostID)
	}
	if m := waitFor(ctx, t, "peer_joined at the host", hostPeer.joined, errs, guest, hostPeer); m.From != guestID {
		t.Errorf("the host's peer_joined is from %s, want the guest %s", m.From, guestID)
	}
	if got := waitFor(ctx, t, "the guest's message at the host", hostPeer.got, errs, guest, hostPeer); got != "hello from the guest" {
		t.Errorf("host got %q", got)
	}
	if got := waitFor(ctx, t, "the host's message at the guest", guest.got, errs, guest, hostPeer); got != "hello from the host" {
		t.Errorf("guest got %q", got)
	}
	assertRelayPair(t, guest, hostPeer)

	// Renewals: windows 1 and 2 fall due at once.
	f.waitCall(ctx, t, callID, host.AccessToken, "windows 0–2 held", func(c nginxCall) bool { return c.heldWindows() >= 3 })

	// kill -9 X, which holds the host's stream and the guest's socket.
	if err := f.instances[x].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	f.dead = x
	t.Logf("killed X %s %v after the start", x, killed.Sub(begun).Round(time.Millisecond))
	select {
	case <-guest.done:
	case <-ctx.Done():
		t.Fatal("the guest's socket on the killed instance did not end")
	}
	stream.waitEnded(ctx, t)

	// The guest reconnects through nginx, which sends it to Y; the host
	// sees it rejoin, and the media, relayed by Y, still flows.
	if up := f.connectPeer(ctx, t, guest, callID); up != y {
		t.Fatalf("the guest's new socket landed on %s, want Y %s", up, y)
	}
	if m := waitFor(ctx, t, "the guest's rejoining at the host", hostPeer.joined, errs, guest, hostPeer); m.From != guestID {
		t.Errorf("the host's peer_joined is from %s, want the guest %s", m.From, guestID)
	}
	t.Logf("the guest rejoined through nginx %v after the kill", time.Since(killed).Round(time.Millisecond))
	if err := dc.SendText("still here"); err != nil {
		t.Fatalf("guest: send after the kill: %v", err)
	}
	if got := waitFor(ctx, t, "the guest's message at the host after the kill", hostPeer.got, errs, guest, hostPeer); got != "still here" {
		t.Errorf("host got %q after the kill", got)
	}
	if got := waitFor(ctx, t, "the host's answer after the kill", guest.got, errs, guest, hostPeer); got != "hello from the host" {
		t.Errorf("guest got %q after the kill", got)
	}

	// The host's console reconnects through nginx with Last-Event-ID.
	again := f.openStream(ctx, t, host.AccessToken, ring.id, "after the kill")
	if again.upstream != y {
		t.Errorf("the host's new stream landed on %s, want Y %s", again.upstream, y)
	}

	// Y's queue renews window 3 when it falls due.
	f.waitCall(ctx, t, callID, host.AccessToken, "window 3 held", func(c nginxCall) bool { return c.heldWindows() > fleetLaterWindow })
	t.Logf("window %d held %v after the kill", fleetLaterWindow, time.Since(killed).Round(time.Millisecond))

	// The host ends the call through nginx; both sockets are closed.
	var end struct {
		Call nginxCall `json:"call"`
	}
	f.must(t, 200, "POST", "/v1/calls/"+callID+"/end", host.AccessToken, map[string]string{"reason": "host_ended"}, &end)
	if end.Call.Status != "completed" {
		t.Fatalf("end: %+v", end.Call)
	}
	for _, p := range []*e2ePeer{guest, hostPeer} {
		select {
		case <-p.done:
		case <-ctx.Done():
			t.Fatalf("%s: the server did not close the socket after the call ended", p.name)
		}
		var ce websocket.CloseError
		if !errors.As(p.closeErr, &ce) || ce.Code != websocket.StatusNormalClosure || !strings.Contains(ce.Reason, "call ended") {
			t.Errorf("%s: socket ended with %v, want close 1000 saying the call ended", p.name, p.closeErr)
		}
	}
	f.audit(ctx, t, callID, host.AccessToken, killed)
	t.Logf("%s: the whole run took %v", engine, time.Since(begun).Round(time.Millisecond))
}

// nginxFleet is two instances behind nginx.
type nginxFleet struct {
	proxy     *nginxtest.Proxy
	via       *server            // requests to nginx
	instances map[string]*server // by address, as nginx names them
	dbURL     string
	dead      string // the killed instance, once it is
}

// startNginxFleet starts nginx on two free loopback ports, then the two
// instances on them (the first migrates and makes the keys) with nginx's
// URL as their public URL and nginx as their trusted proxy.
func startNginxFleet(ctx context.Context, t *testing.T, engine string) *nginxFleet {
	t.Helper()
	addrs := []string{freeLoopbackAddr(t), freeLoopbackAddr(t)}
	proxy, err := nginxtest.Start(nginxtest.Config{Upstreams: addrs, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		proxy.Stop()
		if t.Failed() {
			t.Logf("nginx's error log:\n%s\nnginx's access log:\n%s", proxy.ErrorLog(), proxy.AccessLog())
		}
	})
	f := &nginxFleet{proxy: proxy, via: &server{base: proxy.URL}, instances: map[string]*server{}, dbURL: sqldbtest.URL(t, engine)}
	// Each instance runs its own TURN server with relay address 127.0.0.1;
	// loopback peers are allowed for the test (see TestE2ETwoInstancesOverNATS).
	env := []string{"VIDIVO_NATS_URL=" + natsTestURL, "VIDIVO_DATABASE_URL=" + f.dbURL, "VIDIVO_PUBLIC_URL=" + proxy.URL,
		"VIDIVO_TRUSTED_PROXIES=127.0.0.1/32", "VIDIVO_TURN_ALLOW_PEERS=127.0.0.0/8",
		"VIDIVO_PEER_GRACE=" + fleetPeerGrace.String(), "VIDIVO_RENEW_LEAD=" + fleetRenewLead.String()}
	dir := t.TempDir() // one data dir: one set of keys and TURN secret
	for i, addr := range addrs {
		f.instances[addr] = startInstance(ctx, t, fmt.Sprintf("instance %d (%s)", i+1, addr), dir, append(env, "VIDIVO_ADDR="+addr)...)
	}
	return f
}

// freeLoopbackAddr returns a loopback address with a port free now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// other is the instance that is not addr.
func (f *nginxFleet) other(addr string) string {
	for a := range f.instances {
		if a != addr {
			return a
		}
	}
	return ""
}

// upstreamOf is the instance that served a response through nginx: the
// last one nginx tried.
func upstreamOf(h http.Header) string {
	ups := strings.Split(h.Get(nginxtest.UpstreamHeader), ",")
	return strings.TrimSpace(ups[len(ups)-1])
}

// do sends a request through nginx and returns its status and the
// instance that served it.
func (f *nginxFleet) do(t *testing.T, method, path, tok string, body, out any) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.proxy.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s through nginx: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode, upstreamOf(resp.Header)
}

// must is do that fails the test unless the status is want; it returns
// the instance that served the request.
func (f *nginxFleet) must(t *testing.T, want int, method, path, tok string, body, out any) string {
	t.Helper()
	code, up := f.do(t, method, path, tok, body, out)
	if code != want {
		t.Fatalf("%s %s through nginx = %d (from %s), want %d", method, path, code, up, want)
	}
	return up
}

// landNextOn makes nginx's round-robin send the next request to addr:
// nginx (one worker, equal weights) alternates, so it asks /healthz until
// the other instance has answered. The test is nginx's only client.
func (f *nginxFleet) landNextOn(t *testing.T, addr string) {
	t.Helper()
	for range 4 {
		if _, up := f.do(t, "GET", "/healthz", "", nil, nil); up != addr {
			return
		}
	}
	t.Fatalf("nginx sent four requests in a row to %s", addr)
}

// connectPeer dials p's signaling socket through nginx (a reconnection
// when p had one) and starts reading it; it returns the instance the
// socket landed on.
func (f *nginxFleet) connectPeer(ctx context.Context, t *testing.T, p *e2ePeer, callID string) string {
	t.Helper()
	ws, resp, err := websocket.Dial(ctx, wsURL(f.via, p.token, callID), nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("%s: dial /signal/ws through nginx: status %d: %v", p.name, status, err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	ws.SetReadLimit(1 << 20)
	// The previous socket's reader, if any, has ended (done is closed).
	p.ws, p.done, p.closeErr = ws, make(chan struct{}), nil
	go p.read()
	return upstreamOf(resp.Header)
}

// assertRelayPair checks that each peer's selected ICE pair is relay to
// relay: the media goes through TURN.
func assertRelayPair(t *testing.T, peers ...*e2ePeer) {
	t.Helper()
	for _, p := range peers {
		pair, err := p.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
		if err != nil || pair == nil {
			t.Fatalf("%s: selected candidate pair: %v, %v", p.name, pair, err)
		}
		if pair.Local.Typ != webrtc.ICECandidateTypeRelay || pair.Remote.Typ != webrtc.ICECandidateTypeRelay {
			t.Errorf("%s: selected pair %s, want relay to relay", p.name, pair)
		}
	}
}

// nginxCall is the part of a call the test reads.
type nginxCall struct {
	Status        string `json:"status"`
	EndReason     string `json:"end_reason"`
	BilledMinutes int64  `json:"billed_minutes"`
	TotalCharged  string `json:"total_charged"`
	Charges       []struct {
		Kind   string `json:"kind"`
		Window int    `json:"window"`
		Amount string `json:"amount"`
		State  string `json:"state"`
	} `json:"charges"`
}

// heldWindows counts the call's holds placed.
func (c nginxCall) heldWindows() int {
	n := 0
	for _, ch := range c.Charges {
		if ch.Kind == "hold" && ch.State == "succeeded" {
			n++
		}
	}
	return n
}

// waitCall reads the call through nginx until ok says so.
func (f *nginxFleet) waitCall(ctx context.Context, t *testing.T, id, tok, what string, ok func(nginxCall) bool) nginxCall {
	t.Helper()
	for {
		var got struct {
			Call nginxCall `json:"call"`
		}
		f.must(t, 200, "GET", "/v1/calls/"+id, tok, nil, &got)
		if ok(got.Call) {
			return got.Call
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: the call is %+v", what, got.Call)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// sseEvent is one server-sent event.
type sseEvent struct{ id, name, data string }

// sseStream is a notification stream through nginx, read by one
// goroutine.
type sseStream struct {
	upstream string
	events   chan sseEvent
	ended    chan struct{}
	close    func() // ends the request
}

// openStream opens the host's notification stream through nginx
// (resuming after lastID when given) and waits for it to start.
func (f *nginxFleet) openStream(ctx context.Context, t *testing.T, tok, lastID, when string) *sseStream {
	t.Helper()
	sctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(sctx, http.MethodGet, f.proxy.URL+"/v1/notifications/stream", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream through nginx %s: %v %v", when, resp, err)
	}
	r := bufio.NewReader(resp.Body)
	if line, err := r.ReadString('\n'); err != nil || line != ": connected\n" {
		t.Fatalf("the stream %s did not start: %q %v", when, line, err)
	}
	s := &sseStream{upstream: upstreamOf(resp.Header), events: make(chan sseEvent, 16), ended: make(chan struct{}), close: cancel}
	go func() {
		defer close(s.ended)
		defer resp.Body.Close()
		var ev sseEvent
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch line = strings.TrimSuffix(line, "\n"); {
			case line == "":
				if ev.name != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return s
}

func (s *sseStream) next(ctx context.Context, t *testing.T) sseEvent {
	t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case <-s.ended:
		t.Fatal("the stream ended waiting for an event")
	case <-ctx.Done():
		t.Fatal("no event on the stream in time")
	}
	return sseEvent{}
}

func (s *sseStream) waitEnded(ctx context.Context, t *testing.T) {
	t.Helper()
	select {
	case <-s.ended:
	case <-ctx.Done():
		t.Fatal("the stream on the killed instance did not end")
	}
}

// streamCapIsFleetWide opens streams through nginx, on both instances,
// up to the cap of 5 a user (first the one open already); a sixth is
// refused on either instance, and closing the extra ones frees their
// places.
func (f *nginxFleet) streamCapIsFleetWide(ctx context.Context, t *testing.T, tok string, first *sseStream) {
	t.Helper()
	on := map[string]int{first.upstream: 1}
	var extra []*sseStream
	for range 4 {
		s := f.openStream(ctx, t, tok, "", "up to the cap")
		on[s.upstream]++
		extra = append(extra, s)
	}
	if len(on) != 2 {
		t.Errorf("streams by instance: %v, want both", on)
	}
	for range 2 { // round-robin: one try on each instance
		if code, up := f.do(t, "GET", "/v1/notifications/stream", tok, nil, nil); code != http.StatusTooManyRequests {
			t.Errorf("a sixth stream on %s = %d, want 429 (streams by instance: %v)", up, code, on)
		}
	}
	for _, s := range extra {
		s.close()
		<-s.ended
	}
}

// audit checks the ended call through the API and the database: settled
// exactly (captured = billed minutes × rate, every hold captured or
// released once, no hold left authorized at the gateway, no hold placed
// twice), and each of its renewal and settlement jobs completed once.
func (f *nginxFleet) audit(ctx context.Context, t *testing.T, id, tok string, killed time.Time) {
	t.Helper()
	c := f.waitCall(ctx, t, id, tok, "the settlement", func(c nginxCall) bool {
		settled := map[int]bool{}
		for _, ch := range c.Charges {
			if ch.Kind == "capture" || ch.Kind == "release" {
				settled[ch.Window] = ch.State == "succeeded"
			}
		}
		for _, ch := range c.Charges {
			if ch.Kind == "hold" && ch.State == "succeeded" && !settled[ch.Window] {
				return false
			}
		}
		return true
	})
	var captured int64
	settles := map[int]int{}
	var ledger []string
	for _, ch := range c.Charges {
		ledger = append(ledger, fmt.Sprintf("%s/%d/%s/%s", ch.Kind, ch.Window, ch.Amount, ch.State))
		if ch.State != "succeeded" {
			t.Errorf("ledger entry %s/%d is %s", ch.Kind, ch.Window, ch.State)
		}
		switch ch.Kind {
		case "capture":
			captured += cents(t, ch.Amount)
			settles[ch.Window]++
		case "release":
			settles[ch.Window]++
		}
	}
	t.Logf("ledger: %s", strings.Join(ledger, " "))
	if c.Status != "completed" || c.EndReason != "host_ended" || c.BilledMinutes < 1 {
		t.Errorf("call: %+v, want completed, host_ended, billed", c)
	}
	if want := c.BilledMinutes * fleetRatePerMin; captured != want || cents(t, c.TotalCharged) != want {
		t.Errorf("captured %d cents, total_charged %s; want %d minutes × %d = %d", captured, c.TotalCharged, c.BilledMinutes, fleetRatePerMin, want)
	}
	for w := 0; w < c.heldWindows(); w++ {
		if settles[w] != 1 {
			t.Errorf("window %d's hold was captured or released %d times, want once", w, settles[w])
		}
	}

	pool, engine, err := sqldb.OpenJobPool(ctx, f.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	q := func(query string) string { // the test's queries take the call id once
		if engine == "postgres" {
			return strings.Replace(query, "?", "$1", 1)
		}
		return query
	}
	var open, retried int
	if err := pool.QueryRowContext(ctx, "SELECT count(*) FROM sandbox_holds WHERE status = 'requires_capture'").Scan(&open); err != nil {
		t.Fatal(err)
	}
	if open != 0 {
		t.Errorf("%d holds are still authorized at the gateway", open)
	}
	// A hold asked for again under a new attempt key would be a second
	// hold for one window.
	if err := pool.QueryRowContext(ctx, q("SELECT count(*) FROM call_charges WHERE call_id = ? AND idempotency_key LIKE 'call/%/hold/%/%'"), id).Scan(&retried); err != nil {
		t.Fatal(err)
	}
	if retried != 0 {
		t.Errorf("%d holds were placed again under a new attempt", retried)
	}
	f.auditJobs(ctx, t, pool, engine, id, c.heldWindows(), killed)
}

// auditJobs checks River's table: one renewal job per renewed window and
// one settlement, each completed; a renewal not yet due (the chain runs
// ahead of the call's end) is only still waiting. A job the killed
// instance was running, or had run without River recording it yet, is
// left "running" until River's rescuer runs it again (attempt 2, within
// jobRescueBound of the kill); the work is idempotent — the ledger above
// shows each hold placed and settled once — so the job then completes
// doing nothing.
func (f *nginxFleet) auditJobs(ctx context.Context, t *testing.T, pool *sql.DB, engine, id string, held int, killed time.Time) {
	t.Helper()
	args := "args"
	if engine == "sqlite" {
		args = "json(args)" // River's SQLite driver keeps JSONB
	}
	deadline := killed.Add(jobRescueBound)
	for {
		type job struct {
			state   string
			attempt int
		}
		renewals, settles := map[int][]job{}, []job{}
		rows, err := pool.QueryContext(ctx, "SELECT kind, state, attempt, "+args+" FROM river_job WHERE kind IN ('call_renew_hold', 'call_settle')")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var (
				kind, state string
				attempt     int
				raw         []byte
				a           struct {
					CallID string `json:"call_id"`
					Window int    `json:"window"`
				}
			)
			if err := rows.Scan(&kind, &state, &attempt, &raw); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &a); err != nil {
				t.Fatal(err)
			}
			if a.CallID != id {
				continue
			}
			if kind == "call_settle" {
				settles = append(settles, job{state, attempt})
			} else {
				renewals[a.Window] = append(renewals[a.Window], job{state, attempt})
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		var problems []string
		for w := 1; w < held; w++ {
			if js := renewals[w]; len(js) != 1 || js[0].state != "completed" {
				problems = append(problems, fmt.Sprintf("renewal of window %d: %v, want one completed", w, js))
			}
		}
		for w, js := range renewals {
			if w >= held && (len(js) != 1 || (js[0].state != "scheduled" && js[0].state != "available" && js[0].state != "completed")) {
				problems = append(problems, fmt.Sprintf("renewal of window %d, not held: %v, want one waiting or done (nothing)", w, js))
			}
		}
		if len(settles) != 1 || settles[0].state != "completed" {
			problems = append(problems, fmt.Sprintf("settlement: %v, want one completed", settles))
		}
		for w, js := range renewals {
			for _, j := range js {
				if j.attempt > 2 {
					problems = append(problems, fmt.Sprintf("renewal of window %d ran %d times, want at most twice (once more if rescued)", w, j.attempt))
				}
			}
		}
		if len(problems) == 0 {
			t.Logf("jobs (state, attempts): renewals %v, settlement %v; %v after the kill", renewals, settles, time.Since(killed).Round(time.Second))
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("River's jobs for the call:\n%s", strings.Join(problems, "\n"))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cents reads a "12.50" amount.
func cents(t *testing.T, amount string) int64 {
	t.Helper()
	var whole, frac int64
	if _, err := fmt.Sscanf(amount, "%d.%02d", &whole, &frac); err != nil {
		t.Fatalf("amount %q: %v", amount, err)
	}
	return whole*100 + frac
}
