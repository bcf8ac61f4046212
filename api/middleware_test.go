package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/auth"
	"github.com/vidivo/vidivo/ratelimit"
	"github.com/vidivo/vidivo/token"
)

// testServer is a Server with a token issuer and extra routes, for testing
// middleware in isolation (no database needed).
func testServer(t *testing.T, logs *bytes.Buffer) (*Server, *token.Issuer) {
	t.Helper()
	keys, err := token.GenerateKeySet()
	if err != nil {
		t.Fatal(err)
	}
	issuer := &token.Issuer{Keys: keys, Issuer: "http://vidivo.test", Audience: "vidivo", TTL: time.Minute}
	s := &Server{
		Auth:   &auth.Service{Tokens: issuer},
		Logger: slog.New(LogHandler{slog.NewJSONHandler(logs, nil)}),
	}
	s.Routes()
	s.mux.Handle("GET /test/host-only", s.authed(func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, map[string]string{"subject": CallerFrom(r.Context()).Subject})
		return nil
	}, vidivo.RoleHost))
	s.mux.Handle("GET /test/any-token", s.authed(func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, map[string]string{"call": CallerFrom(r.Context()).CallID})
		return nil
	}))
	s.mux.Handle("GET /test/panic", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		panic("database password is hunter2")
	}))
	s.mux.Handle("GET /test/internal", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return errors.New("pq: relation users does not exist")
	}))
	return s, issuer
}

func serve(s *Server, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func errorCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil {
		t.Fatalf("body %q is not the error envelope: %v", w.Body, err)
	}
	return eb.Error.Code
}

func TestRequireRole(t *testing.T) {
	t.Parallel()
	s, issuer := testServer(t, &bytes.Buffer{})
	tok := func(c vidivo.Caller) string {
		t.Helper()
		tk, _, err := issuer.Issue(c)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	guest := vidivo.Caller{Subject: "g1", Role: vidivo.RoleGuest, CallID: "call-1"}
	for _, tc := range []struct {
		name   string
		path   string
		caller vidivo.Caller
		status int
	}{
		{"host passes host check", "/test/host-only", vidivo.Caller{Subject: "h", Role: vidivo.RoleHost}, 200},
		{"admin passes host check", "/test/host-only", vidivo.Caller{Subject: "a", Role: vidivo.RoleAdmin}, 200},
		{"client fails host check", "/test/host-only", vidivo.Caller{Subject: "c", Role: vidivo.RoleClient}, 403},
		{"guest fails host check", "/test/host-only", guest, 403},
		{"guest passes token-only check", "/test/any-token", guest, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.path, nil)
			r.Header.Set("Authorization", "Bearer "+tok(tc.caller))
			w := serve(s, r)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d; %s", w.Code, tc.status, w.Body)
			}
			if tc.status == 403 && errorCode(t, w) != vidivo.EFORBIDDEN {
				t.Errorf("code = %q", errorCode(t, w))
			}
		})
	}
	r := httptest.NewRequest("GET", "/test/any-token", nil)
	r.Header.Set("Authorization", "Bearer "+tok(guest))
	if w := serve(s, r); !strings.Contains(w.Body.String(), `"call-1"`) {
		t.Errorf("guest caller not in context: %s", w.Body)
	}
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s, _ := testServer(t, &logs)
	for _, path := range []string{"/test/panic", "/test/internal"} {
		w := serve(s, httptest.NewRequest("GET", path, nil))
		if w.Code != 500 || errorCode(t, w) != vidivo.EINTERNAL {
			t.Fatalf("%s = %d %s", path, w.Code, w.Body)
		}
		body := w.Body.String()
		if strings.Contains(body, "hunter2") || strings.Contains(body, "relation") || strings.Contains(body, "goroutine") {
			t.Errorf("%s leaks internals: %s", path, body)
		}
	}
	// The details go to the log instead, with the request id.
	if !strings.Contains(logs.String(), "hunter2") || !strings.Contains(logs.String(), "relation users") {
		t.Errorf("internal errors were not logged:\n%s", logs.String())
	}
}

func TestEveryLogLineHasRequestID(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s, _ := testServer(t, &logs)
	r := httptest.NewRequest("GET", "/test/internal", nil)
	r.Header.Set("X-Request-Id", "req-42")
	serve(s, r)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) < 2 { // the error and the access log line
		t.Fatalf("want at least 2 log lines, got %q", logs.String())
	}
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if rec["request_id"] != "req-42" {
			t.Errorf("log line without the request id: %s", line)
		}
	}
}

func TestRateLimitPerAccount(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	s := &Server{Limiter: ratelimit.New(2, func() time.Time { return now })}
	try := func(ip, email string) error {
		r := httptest.NewRequest("POST", "/v1/auth/login", nil)
		r.RemoteAddr = ip + ":5555"
		return s.limit(httptest.NewRecorder(), r, email)
	}
	// One account attacked from many addresses is still limited.
	for i, ip := range []string{"10.0.0.1", "10.0.0.2"} {
		if err := try(ip, "jane@example.com"); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if code := vidivo.ErrorCode(try("10.0.0.3", "JANE@example.com")); code != vidivo.ERATELIMITED {
		t.Errorf("third attempt on one account = %q, want rate_limited", code)
	}
	// Another account from a fresh address is unaffected.
	if err := try("10.0.0.4", "sam@example.com"); err != nil {
		t.Errorf("other account: %v", err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/v1/auth/login", nil)
	r.RemoteAddr = "10.0.0.1:1"
	s.limit(w, r, "x@example.com")
	if err := s.limit(w, r, "y@example.com"); vidivo.ErrorCode(err) != vidivo.ERATELIMITED || w.Header().Get("Retry-After") == "" {
		t.Errorf("per-IP limit: %v, Retry-After %q", err, w.Header().Get("Retry-After"))
	}
}
