// Package signaling is the WebRTC signaling relay behind GET /signal/ws.
//
// A participant connects with a signaling token (package token), which
// names one call and one participant. The Hub relays offer, answer and
// ice_candidate messages between the participants of a call without
// reading their payloads, announces peer_joined and peer_left, and tells
// the calls layer (Events) when everyone is present and when someone has
// been gone too long. Several instances share presence and messages
// through a Broker (NATS in production). The protocol is written down in
// docs/signaling.md.
//
// Each connection follows galene's model: one reader goroutine, one writer
// goroutine with write deadlines, and one loop (the handler's goroutine)
// that owns the connection's state, pings after silence and decides when
// it ends; closeStatus maps why it ended to a close code.
package signaling

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/oklog/ulid/v2"
	"golang.org/x/time/rate"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/token"
)

// Events receives call-level signaling facts (the calls service implements
// it). Calls run in their own goroutine, never under the Hub's lock, and
// may repeat: implementations must be idempotent.
type Events interface {
	// PeersConnected reports that all expected participants are present (2
	// for a 1:1 call). It is reported by one instance, the one holding the
	// newest of those connections, each time the room becomes complete.
	PeersConnected(ctx context.Context, callID string)
	// PeerGone reports that a participant has been absent longer than
	// Grace; the lead then ends the call with reason "timeout". It is
	// reported by the instance the participant left from.
	PeerGone(ctx context.Context, callID, participant string)
}

// Config configures a Hub. Zero fields take the defaults named.
type Config struct {
	// Tokens verifies signaling tokens. Required.
	Tokens *token.SignalingMinter
	// Broker links the Hubs of all instances; nil means this Hub alone
	// (in-process).
	Broker Broker
	// Origins lists the allowed Origin header values, as
	// scheme://host[:port] (a URL's path is ignored, so the public URL will
	// do). A request without Origin (not a browser) is allowed; empty means
	// any origin.
	Origins []string
	// Events receives PeersConnected and PeerGone; nil means nobody.
	Events Events
	// Expected reports how many participants make a call complete; nil
	// means 2.
	Expected func(callID string) int
	// Admit, if set, is asked before the upgrade whether the token's
	// participant may connect now (e.g. the call exists and has not
	// ended). Its *vidivo.Error codes are rendered as HTTP errors. It is
	// asked again once the socket is in its room, and a refusal then
	// closes the socket (1008 with the error's message).
	Admit func(ctx context.Context, s token.Signaling) error

	// MaxParticipants caps a room (default 8).
	MaxParticipants int
	// MaxMessageBytes caps one message (default 64 KiB).
	MaxMessageBytes int64
	// RateLimit and RateBurst are each connection's token bucket for
	// messages it sends (default 50/s, burst 100).
	RateLimit rate.Limit
	RateBurst int
	// PingInterval is how long a connection may be silent before the
	// server pings it (default 20 s); PongTimeout is how long it may be
	// silent before it is dead (default 45 s; at least PingInterval).
	PingInterval time.Duration
	PongTimeout  time.Duration
	// WriteTimeout bounds each write to a client (default 10 s).
	WriteTimeout time.Duration
	// Grace is how long a participant may be gone before PeerGone
	// (default 60 s).
	Grace time.Duration
	// HeartbeatInterval is how often the Hub tells the other instances
	// which participants it holds (default 2 s); PresenceTTL is how long
	// an instance may be silent about a call before its participants there
	// are announced gone (default 3 heartbeats; at least 2), which bounds
	// how long a crashed instance's sockets count as present.
	HeartbeatInterval time.Duration
	PresenceTTL       time.Duration
	// Logger receives refusals (debug) and failures; nil means
	// slog.Default().
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.MaxParticipants <= 0 {
		c.MaxParticipants = 8
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 64 << 10
	}
	if c.RateLimit == 0 {
		c.RateLimit = 50
	}
	if c.RateBurst <= 0 {
		c.RateBurst = 100
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 20 * time.Second
	}
	if c.PongTimeout <= 0 {
		c.PongTimeout = 45 * time.Second
	}
	if c.PongTimeout <= c.PingInterval {
		// A client must get a ping before it can be found dead.
		c.PongTimeout = 2*c.PingInterval + c.PingInterval/4
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Grace <= 0 {
		c.Grace = 60 * time.Second
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = defaultHeartbeat
	}
	if c.PresenceTTL < 2*c.HeartbeatInterval {
		c.PresenceTTL = presenceTTLBeats * c.HeartbeatInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Hub is one instance's signaling relay. Make one with New, serve it at
// GET /signal/ws, and Close it on shutdown.
type Hub struct {
	cfg      Config
	broker   Broker
	instance string
	epoch    time.Time
	origins  map[string]bool
	log      *slog.Logger
	ctx      context.Context // for Events; cancelled by Close
	cancel   context.CancelFunc

	mu           sync.Mutex
	rooms        map[string]*room
	ended        map[string]time.Time // call → until when to refuse it
	closed       bool
	unsubControl func()

	conns     sync.WaitGroup // serving connections
	tasks     sync.WaitGroup // Events calls
	beats     sync.WaitGroup // the heartbeats goroutine
	stopBeats chan struct{}
}

// New returns a Hub and starts its heartbeats. It subscribes to the
// broker's control topic; if that fails the Hub still serves, but
// CloseCall from other instances does not reach it (the failure is
// logged).
func New(cfg Config) *Hub {
	cfg.defaults()
	h := &Hub{
		cfg:      cfg,
		broker:   cfg.Broker,
		instance: ulid.Make().String(),
		epoch:    time.Now(),
		log:      cfg.Logger.With("component", "signaling"),
		rooms:    make(map[string]*room),
		ended:    make(map[string]time.Time),

		stopBeats: make(chan struct{}),
	}
	if h.broker == nil {
		h.broker = NewLocalBroker()
	}
	if len(cfg.Origins) > 0 {
		h.origins = make(map[string]bool, len(cfg.Origins))
		for _, o := range cfg.Origins {
			if n, ok := normalizeOrigin(o); ok {
				h.origins[n] = true
			} else {
				h.log.Error("ignoring malformed allowed origin", "origin", o)
			}
		}
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	unsub, err := h.broker.Subscribe(controlTopic, h.deliver)
	if err != nil {
		h.log.Error("subscribe to control topic", "err", err)
	}
	h.unsubControl = unsub
	h.beats.Add(1)
	go h.heartbeats()
	return h
}

// ServeHTTP is the GET /signal/ws handler. Before upgrading it refuses a
// foreign Origin (403 forbidden); an invalid, expired or tampered token, or
// one for another call than the optional "call" query parameter (401
// unauthorized, one message for all); whatever Admit refuses; a call that
// ended or is full (409 conflict); and a Hub that is closing (503). Refusals
// are JSON: {"error":{"code":…,"message":…}}.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.originAllowed(r.Header.Get("Origin")) {
		h.refuse(w, r, vidivo.Errorf(vidivo.EFORBIDDEN, "origin not allowed"))
		return
	}
	q := r.URL.Query()
	claims, err := h.cfg.Tokens.Verify(q.Get("token"))
	if err == nil && q.Has("call") && q.Get("call") != claims.CallID {
		// Same error as a bad token, so a token says nothing about other calls.
		_, err = h.cfg.Tokens.Verify("")
	}
	if err == nil && h.cfg.Admit != nil {
		err = h.cfg.Admit(r.Context(), claims)
	}
	if err == nil {
		err = h.admissible(claims.CallID, claims.Participant)
	}
	if err != nil {
		h.refuse(w, r, err)
		return
	}

	c := newConn(h, claims)
	ws, err := websocket.Accept(smallBuffers{w}, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // Origin was checked above, against our own list.
		OnPongReceived:     c.pong,
		OnPingReceived:     func(ctx context.Context, p []byte) bool { c.pong(ctx, p); return true },
	})
	if err != nil {
		h.log.DebugContext(r.Context(), "websocket accept failed", "err", err)
		return // Accept has written the response.
	}
	ws.SetReadLimit(h.cfg.MaxMessageBytes)
	c.ws = ws
	c.lastSeen.Store(h.mono())
	if err := h.register(c); err != nil {
		// Lost a race with CloseCall, a full room or a newer connection.
		code, reason := closeStatus(err)
		ws.Close(code, reason)
		return
	}
	if h.cfg.Admit != nil {
		// Asked again now that the socket is in its room: a change between
		// the first answer and here (a host removed the participant, whose
		// Remove found no socket to close yet) would otherwise let it in.
		if err := h.cfg.Admit(r.Context(), claims); err != nil {
			c.kick(err)
		}
	}
	go c.serve()
}

// refuse writes a handshake refusal. Internal errors are logged and shown
// only as "internal error".
func (h *Hub) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status := httpStatus(err)
	code, msg := vidivo.ErrorCode(err), vidivo.ErrorMessage(err)
	switch {
	case status == http.StatusServiceUnavailable:
		msg = "server shutting down"
	case code == vidivo.EINTERNAL:
		h.log.ErrorContext(r.Context(), "signaling handshake failed", "err", err)
	default:
		h.log.DebugContext(r.Context(), "signaling handshake refused", "code", code, "msg", msg)
	}
	body, _ := json.Marshal(map[string]ErrorPayload{"error": {Code: code, Message: msg}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// originAllowed reports whether a request with this Origin header may
// connect.
func (h *Hub) originAllowed(origin string) bool {
	if origin == "" || h.origins == nil {
		return true
	}
	n, ok := normalizeOrigin(origin)
	return ok && h.origins[n]
}

// normalizeOrigin reduces an origin or URL to lower-case scheme://host[:port].
func normalizeOrigin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// CloseCall ends a call's signaling on every instance: its connections
// close with 1000 and "call ended: <reason>" (reason is why, e.g.
// "completed"; one that already starts with "call ended" is sent as it
// is), pending PeerGone timers stop,
// and its tokens are refused (409) until they would have expired anyway.
// It returns an error if the broker could not carry the news to the other
// instances; this instance is done either way.
func (h *Hub) CloseCall(ctx context.Context, callID, reason string) error {
	h.endCall(callID, reason)
	data, _ := json.Marshal(envelope{Kind: kindClose, Instance: h.instance, Call: callID, Reason: reason})
	if err := h.broker.Publish(controlTopic, data); err != nil {
		return fmt.Errorf("signaling: close call %s on other instances: %w", callID, err)
	}
	return nil
}

// Close closes every connection with 1001 ("server shutting down"), waits
// for their goroutines and for running Events calls, and stops listening
// to the broker. It does not close the broker.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	for _, r := range h.rooms {
		for _, c := range r.locals {
			c.kick(ErrShutdown)
		}
		for p, g := range r.gone {
			g.t.Stop()
			delete(r.gone, p)
		}
	}
	h.mu.Unlock()
	h.conns.Wait()
	close(h.stopBeats)
	h.beats.Wait()
	if h.unsubControl != nil {
		h.unsubControl()
	}
	h.cancel()
	h.tasks.Wait()
	return nil
}

// Stats counts what a Hub holds: rooms, local connections, participants
// it knows to be present (on any instance), pending PeerGone timers, and
// ended calls it still refuses.
type Stats struct {
	Rooms, Conns, Present, Timers, Ended int
}

// Stats returns the Hub's current counts.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Stats{Rooms: len(h.rooms), Ended: len(h.ended)}
	for _, r := range h.rooms {
		s.Conns += len(r.locals)
		s.Present += len(r.present)
		s.Timers += len(r.gone)
	}
	return s
}

// mono is the Hub's monotonic clock in nanoseconds.
func (h *Hub) mono() int64 { return int64(time.Since(h.epoch)) }

func (h *Hub) expected(callID string) int {
	if h.cfg.Expected != nil {
		if n := h.cfg.Expected(callID); n > 0 {
			return n
		}
	}
	return 2
}

// publish sends an envelope to the other instances; a failure is logged:
// presence then heals when clients reconnect.
func (h *Hub) publish(env *envelope) {
	env.Instance = h.instance
	data, err := json.Marshal(env)
	if err == nil {
		err = h.broker.Publish(callTopic(env.Call), data)
	}
	if err != nil {
		h.log.Warn("signaling publish failed", "call", env.Call, "kind", env.Kind, "err", err)
	}
}

// fire runs an Events call in its own goroutine. Call with h.mu held.
func (h *Hub) fire(f func(ctx context.Context)) {
	if h.cfg.Events == nil || h.closed {
		return
	}
	h.tasks.Add(1)
	go func() {
		defer h.tasks.Done()
		f(h.ctx)
	}()
}
