package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"
	"github.com/oklog/ulid/v2"

	"github.com/vidivo/vidivo/token"
)

// wait is how long a test waits for something that should happen.
const wait = 5 * time.Second

// natsURL is the NATS server the multi-instance tests use.
const natsURL = "nats://127.0.0.1:4222"

// testBundle is one instance: a Hub served by an httptest server.
type testBundle struct {
	hub    *Hub
	srv    *httptest.Server
	minter *token.SignalingMinter
	events *recorder
}

func testMinter() *token.SignalingMinter {
	return &token.SignalingMinter{Secret: []byte("signaling test secret")}
}

// setup starts a Hub with short timers and an Events recorder; opts
// adjust its Config.
func setup(t *testing.T, opts ...func(*Config)) *testBundle {
	t.Helper()
	return setupWith(t, testMinter(), nil, opts...)
}

func setupWith(t *testing.T, minter *token.SignalingMinter, broker Broker, opts ...func(*Config)) *testBundle {
	t.Helper()
	ev := newRecorder()
	cfg := Config{
		Tokens:       minter,
		Broker:       broker,
		Events:       ev,
		Grace:        50 * time.Millisecond,
		WriteTimeout: 2 * time.Second,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	h := New(cfg)
	mux := http.NewServeMux()
	mux.Handle("GET /signal/ws", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	return &testBundle{hub: h, srv: srv, minter: minter, events: ev}
}

// twoInstances starts two Hubs linked by a broker of the given kind:
// "local" (one shared LocalBroker) or "nats" (one NATS connection each).
func twoInstances(t *testing.T, kind string, opts ...func(*Config)) (*testBundle, *testBundle) {
	t.Helper()
	minter := testMinter()
	switch kind {
	case "local":
		b := NewLocalBroker()
		return setupWith(t, minter, b, opts...), setupWith(t, minter, b, opts...)
	case "nats":
		return setupWith(t, minter, natsBroker(t), opts...), setupWith(t, minter, natsBroker(t), opts...)
	}
	t.Fatalf("unknown broker kind %q", kind)
	return nil, nil
}

// natsBroker connects to the local NATS server; the test fails, saying how
// to start it, if it is not running.
func natsBroker(t *testing.T) *NATSBroker {
	t.Helper()
	nc, err := nats.Connect(natsURL, nats.Timeout(2*time.Second), nats.Name("vidivo-signaling-test"))
	if err != nil {
		t.Fatalf("NATS is not reachable at %s: %v\nStart it with:\n  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log", natsURL, err)
	}
	b := NewNATSBroker(nc)
	t.Cleanup(func() {
		b.Close()
		nc.Close()
	})
	return b
}

func newCall() string { return ulid.Make().String() }

func (b *testBundle) wsURL(tok string) string {
	return "ws" + strings.TrimPrefix(b.srv.URL, "http") + "/signal/ws?token=" + url.QueryEscape(tok)
}

// connect dials as participant of call and starts reading.
func (b *testBundle) connect(t *testing.T, call, participant, role string) *client {
	t.Helper()
	c := b.dialToken(t, b.minter.Mint(call, participant, role), nil)
	c.start()
	return c
}

// dialToken dials with tok and hdr; the caller starts reading.
func (b *testBundle) dialToken(t *testing.T, tok string, hdr http.Header) *client {
	t.Helper()
	c := b.dialNoCleanup(t, tok, hdr)
	t.Cleanup(func() { c.ws.CloseNow() })
	return c
}

// dialNoCleanup is dialToken for callers that close the connection
// themselves (and want it garbage once closed).
func (b *testBundle) dialNoCleanup(t *testing.T, tok string, hdr http.Header) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, b.wsURL(tok), &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: status %d: %v", status, err)
	}
	ws.SetReadLimit(1 << 20)
	return &client{ws: ws, msgs: make(chan Message, 256), end: make(chan error, 1)}
}

// client is a test participant reading in its own goroutine.
type client struct {
	ws   *websocket.Conn
	msgs chan Message
	end  chan error
	once sync.Once
}

func (c *client) start() {
	c.once.Do(func() {
		go func() {
			for {
				_, data, err := c.ws.Read(context.Background())
				if err != nil {
					c.end <- err
					return
				}
				var m Message
				if err := json.Unmarshal(data, &m); err != nil {
					m = Message{Type: "unparseable: " + string(data)}
				}
				c.msgs <- m
			}
		}()
	})
}

// next returns the next message, failing the test after wait.
func (c *client) next(t *testing.T) Message {
	t.Helper()
	select {
	case m := <-c.msgs: // messages first: the reader queues them before the end
		return m
	default:
	}
	select {
	case m := <-c.msgs:
		return m
	case err := <-c.end:
		if len(c.msgs) > 0 {
			c.end <- err
			return <-c.msgs
		}
		c.end <- err
		t.Fatalf("connection ended while waiting for a message: %v", err)
	case <-time.After(wait):
		t.Fatalf("no message within %v", wait)
	}
	return Message{}
}

// expect returns the next message, failing unless it has typ and from.
func (c *client) expect(t *testing.T, typ, from string) Message {
	t.Helper()
	m := c.next(t)
	if m.Type != typ || m.From != from {
		t.Fatalf("got message type=%q from=%q payload=%s, want type=%q from=%q", m.Type, m.From, m.Payload, typ, from)
	}
	return m
}

// expectError returns the code of the next message, which must be an error.
func (c *client) expectError(t *testing.T) ErrorPayload {
	t.Helper()
	m := c.expect(t, TypeError, "")
	var p ErrorPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		t.Fatalf("error payload %s: %v", m.Payload, err)
	}
	return p
}

// quiet fails if a message arrives within d.
func (c *client) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m := <-c.msgs:
		t.Fatalf("unexpected message type=%q from=%q payload=%s", m.Type, m.From, m.Payload)
	case <-time.After(d):
	}
}

// closed waits for the server to close the connection, skipping messages,
// and returns the close code and reason.
func (c *client) closed(t *testing.T) (websocket.StatusCode, string) {
	t.Helper()
	_, code, reason := c.rest(t)
	return code, reason
}

// rest waits for the server to close the connection and returns the
// messages that came before, and the close code and reason (-1 if the
// connection broke without a close frame).
func (c *client) rest(t *testing.T) ([]Message, websocket.StatusCode, string) {
	t.Helper()
	var msgs []Message
	deadline := time.After(wait)
	for {
		select {
		case m := <-c.msgs:
			msgs = append(msgs, m)
		case err := <-c.end:
			c.end <- err
			// The reader queues every message before the end.
			for len(c.msgs) > 0 {
				msgs = append(msgs, <-c.msgs)
			}
			var ce websocket.CloseError
			if !errors.As(err, &ce) {
				return msgs, -1, err.Error()
			}
			return msgs, ce.Code, ce.Reason
		case <-deadline:
			t.Fatalf("connection not closed within %v", wait)
		}
	}
}

func (c *client) send(t *testing.T, m any) {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	c.sendRaw(t, string(data))
}

func (c *client) sendRaw(t *testing.T, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// recorder is an Events that records what it is told.
type recorder struct {
	connected chan string
	gone      chan [2]string
}

func newRecorder() *recorder {
	return &recorder{connected: make(chan string, 64), gone: make(chan [2]string, 64)}
}

func (r *recorder) PeersConnected(_ context.Context, callID string) { r.connected <- callID }
func (r *recorder) PeerGone(_ context.Context, callID, participant string) {
	r.gone <- [2]string{callID, participant}
}

// waitFor polls cond until it holds, failing the test after wait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// jsonEqual reports whether two JSON documents are equal as values.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return string(xs) == string(ys)
}
