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

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/auth"
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

func TestSecurityHeadersFraming(t *testing.T) {
	t.Parallel()
	embed := SecurityHeaders{EmbedPaths: []string{"/embed/"}, EmbedOrigins: []string{"https://coach.example", "https://b.example"}}
	deny := map[string]string{"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}
	tests := []struct {
		name      string
		publicURL string
		headers   SecurityHeaders
		path      string
		want      map[string]string // "" means absent
	}{
		{name: "http: no HSTS", publicURL: "http://localhost:8080", path: "/healthz",
			want: merge(deny, map[string]string{"Strict-Transport-Security": ""})},
		{name: "https: HSTS", publicURL: "https://vidivo.example", path: "/healthz",
			want: merge(deny, map[string]string{"Strict-Transport-Security": "max-age=31536000"})},
		{name: "embed path framed by the allowed origins", publicURL: "http://x", headers: embed, path: "/embed/jane",
			want: map[string]string{"X-Frame-Options": "", "Content-Security-Policy": "frame-ancestors 'self' https://coach.example https://b.example"}},
		{name: "embed root", publicURL: "http://x", headers: embed, path: "/embed", want: map[string]string{"X-Frame-Options": ""}},
		{name: "other paths still denied", publicURL: "http://x", headers: embed, path: "/embedded", want: deny},
		{name: "API denied", publicURL: "http://x", headers: embed, path: "/v1/users/me", want: deny},
		{name: "embed path without origins denied", publicURL: "http://x",
			headers: SecurityHeaders{EmbedPaths: []string{"/embed/"}}, path: "/embed/jane", want: deny},
		{name: "a root allow-list is ignored", publicURL: "http://x",
			headers: SecurityHeaders{EmbedPaths: []string{"/"}, EmbedOrigins: []string{"https://a.example"}}, path: "/v1/users/me", want: deny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &Server{PublicURL: tt.publicURL, Headers: tt.headers, Logger: slog.New(slog.DiscardHandler)}
			s.Routes()
			w := serve(s, httptest.NewRequest("GET", tt.path, nil))
			want := merge(map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}, tt.want)
			got := map[string]string{}
			for k := range want {
				got[k] = w.Header().Get(k)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("GET %s (status %d) headers (-want +got):\n%s", tt.path, w.Code, diff)
			}
		})
	}
}

// merge returns a copy of a with b's entries added or replaced.
func merge(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
