package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api"
	"github.com/vidivo/vidivo/auth"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/calls"
	"github.com/vidivo/vidivo/jobs"
	"github.com/vidivo/vidivo/notify"
	"github.com/vidivo/vidivo/oauth"
	"github.com/vidivo/vidivo/orgs"
	"github.com/vidivo/vidivo/password"
	"github.com/vidivo/vidivo/sandbox"
	"github.com/vidivo/vidivo/sessions"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/testclock"
	"github.com/vidivo/vidivo/token"
	"github.com/vidivo/vidivo/turn"
	"github.com/vidivo/vidivo/webhook"
	"github.com/vidivo/vidivo/webhooks"
)

// Issuer and Audience of the access tokens test servers issue, and the
// public URL they build links with.
const (
	PublicURL = "https://vidivo.test"
	Issuer    = "http://vidivo.test"
	Audience  = "vidivo"
)

// Clock is a settable clock shared by a test server's parts.
type Clock = testclock.Clock

// Env is a running API server on a real store, and a client for it whose
// every exchange is checked against the OpenAPI spec.
type Env struct {
	t      testing.TB
	URL    string
	Server *api.Server
	DB     *sqldb.DB
	Keys   *token.KeySet
	Tokens *token.Issuer
	Clock  *Clock
	// Calls is the calls service behind the server; tests drive its jobs
	// (renewals, no-shows, settlement) at the injected time.
	Calls   *calls.Service
	Gateway *sandbox.Gateway
	Jobs    *jobs.Runner
	Hub     *notify.Hub
}

// Opts tunes New; nil means defaults.
type Opts struct {
	// AuthRateLimit is the sign-up/log-in limit per minute; 0 means off.
	AuthRateLimit int
	// PublicRateLimit is the limit of anonymous requests per minute and
	// client address; 0 means off.
	PublicRateLimit int
}

var (
	keysOnce sync.Once
	keys     *token.KeySet
	keysErr  error

	contractOnce sync.Once
	contract     *Contract
	contractErr  error
)

// TestKeys returns one RSA key set shared by the test binary (generating
// keys is slow).
func TestKeys(tb testing.TB) *token.KeySet {
	tb.Helper()
	keysOnce.Do(func() { keys, keysErr = token.GenerateKeySet() })
	if keysErr != nil {
		tb.Fatalf("generate keys: %v", keysErr)
	}
	return keys
}

func sharedContract(tb testing.TB) *Contract {
	tb.Helper()
	contractOnce.Do(func() { contract, contractErr = NewContract(api.OpenAPISpec) })
	if contractErr != nil {
		tb.Fatalf("load OpenAPI spec: %v", contractErr)
	}
	return contract
}

// New starts a server on a fresh database of engine.
func New(tb testing.TB, engine string, opts *Opts) *Env {
	tb.Helper()
	if opts == nil {
		opts = &Opts{}
	}
	clock := testclock.New(time.Now().UTC().Truncate(time.Second))
	ctx := context.Background()
	url := sqldbtest.URL(tb, engine)
	pool, _, err := sqldb.OpenJobPool(ctx, url)
	if err != nil {
		tb.Fatalf("job pool: %v", err)
	}
	tb.Cleanup(func() { pool.Close() })
	// Tests work jobs themselves (Env.Jobs); the store only enqueues.
	runner, err := jobs.New(jobs.Config{Engine: engine, Pool: pool})
	if err != nil {
		tb.Fatalf("jobs: %v", err)
	}
	if err := runner.Migrate(ctx); err != nil {
		tb.Fatalf("jobs migrate: %v", err)
	}
	db := sqldbtest.Open(tb, url, &sqldb.Opts{Jobs: runner})
	db.Now = clock.Now
	issuer := &token.Issuer{Keys: TestKeys(tb), Issuer: Issuer, Audience: Audience, TTL: 15 * time.Minute, Now: clock.Now}
	gateway := &sandbox.Gateway{Store: db}
	hub := &notify.Hub{}
	discard := slog.New(slog.DiscardHandler)
	callSvc := &calls.Service{Store: db, Gateway: gateway, Notifier: api.Ringer{Hub: hub}, Now: clock.Now, Logger: discard}
	srv := &api.Server{
		Auth: &auth.Service{
			Users: db, Tokens: issuer, Now: clock.Now,
			// Real argon2id with small parameters, to keep tests quick.
			Hasher: password.Hasher{Params: password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}},
		},
		Users:     db,
		Links:     db,
		PublicURL: PublicURL,
		CursorKey: []byte("test cursor key"),
		Now:       clock.Now,
		Ready:     db.Ready,
		JWKS:      issuer.Keys.JWKS(),
		Limits:    api.Limits{Auth: opts.AuthRateLimit, Public: opts.PublicRateLimit},
		Logger:    discard,

		Calls:       callSvc,
		CallStore:   db,
		Idempotency: db,
		GuestTokens: &token.Issuer{Keys: issuer.Keys, Issuer: Issuer, Audience: Audience, TTL: 12 * time.Hour, Now: clock.Now},
		Signaling:   &token.SignalingMinter{Secret: []byte("test signaling secret"), Now: clock.Now},
		TURN:        &turn.Minter{Secret: []byte("test turn secret"), URLs: []string{"turn:127.0.0.1:3478"}},
		Notify:      hub,
		Gateway:     gateway,
		Payouts:     db,
		Booking:     &booking.Service{Store: db, Gateway: gateway, PublicURL: PublicURL, Now: clock.Now},
		EventTypes:  db,
		Orgs:        &orgs.Service{Store: db, Users: db, Now: clock.Now},
		Events:      &booking.Events{Store: db, Orgs: db, PublicURL: PublicURL},
		Webhooks: &webhooks.Service{Store: db, Orgs: db, Guard: WebhookGuard, Sender: webhook.NewClient(WebhookGuard),
			PublicURL: PublicURL, Now: clock.Now, Logger: discard},
		OAuth:     &oauth.Service{Store: db, Now: clock.Now},
		Calendars: NewCalendars(db, clock),
		Sessions: &sessions.Service{Store: db, Gateway: gateway, Refunds: gateway,
			Signaling: &token.SignalingMinter{Secret: []byte("test signaling secret"), Now: clock.Now},
			TURN:      &turn.Minter{Secret: []byte("test turn secret"), URLs: []string{"turn:127.0.0.1:3478"}},
			EntryKey:  []byte("test session entry key"), PublicURL: PublicURL, PlatformFeePercent: 10,
			Now: clock.Now, Logger: discard},
	}
	srv.Routes()
	hs := httptest.NewServer(srv)
	tb.Cleanup(hs.Close)
	return &Env{t: tb, URL: hs.URL, Server: srv, DB: db, Keys: issuer.Keys, Tokens: issuer, Clock: clock,
		Calls: callSvc, Gateway: gateway, Jobs: runner, Hub: hub}
}

// Response is a completed exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the body into v, failing the test if it is not JSON.
func (r *Response) Decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %d response %q: %v", r.Status, r.Body, err)
	}
}

// ErrorBody is the documented error envelope.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Field string `json:"field"`
			Issue string `json:"issue"`
		} `json:"details"`
	} `json:"error"`
}

// Req is one request to send.
type Req struct {
	Method string
	Path   string
	// Body is sent as JSON unless it is a string or []byte, sent as is.
	Body   any
	Token  string
	Header http.Header
	// From is the local IP address to send from, such as "127.0.0.2"
	// (any 127/8 address reaches the server), so that a test can act as
	// clients at several addresses; empty means the system's choice.
	From string
	// Unrouted marks a request that deliberately hits no documented
	// operation (an unknown path or method): its response is not checked
	// against the spec.
	Unrouted bool
}

// Do sends a request and checks the exchange against the OpenAPI spec.
func (e *Env) Do(r Req) *Response {
	e.t.Helper()
	var body []byte
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			e.t.Fatalf("marshal request: %v", err)
		}
	}
	req, err := http.NewRequest(r.Method, e.URL+r.Path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	resp, err := clientFrom(r.From).Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read response: %v", err)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: got}
	if r.Unrouted {
		return out
	}
	if err := sharedContract(e.t).Check(req, body, out.Status, out.Header, out.Body); err != nil {
		e.t.Errorf("%s %s → %d %s\nbreaks the OpenAPI contract: %v", r.Method, r.Path, out.Status, truncate(got), err)
	}
	return out
}

// WantError asserts the response is the documented error with status and
// code, and returns it.
func (r *Response) WantError(tb testing.TB, status int, code string) *ErrorBody {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status = %d, want %d; body %s", r.Status, status, truncate(r.Body))
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Fatalf("Content-Type = %q, want application/json", ct)
	}
	var eb ErrorBody
	r.Decode(tb, &eb)
	if eb.Error.Code != code {
		tb.Fatalf("error code = %q, want %q; body %s", eb.Error.Code, code, truncate(r.Body))
	}
	if eb.Error.Message == "" {
		tb.Fatalf("error has no message: %s", r.Body)
	}
	return &eb
}

// WantStatus asserts the status code.
func (r *Response) WantStatus(tb testing.TB, status int) {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status = %d, want %d; body %s", r.Status, status, truncate(r.Body))
	}
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// clientFrom returns a client that sends from the local IP address from;
// "" is http.DefaultClient.
func clientFrom(from string) *http.Client {
	if from == "" {
		return http.DefaultClient
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}
