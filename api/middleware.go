package api

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/oauth"
)

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection to a WebSocket upgrade; the upgrade is
// recorded as 101.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("api: the connection cannot be hijacked")
	}
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

// ServeHTTP is the outermost layer: request id, recovery, access log and
// metrics around routing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := requestID(r.Header.Get("X-Request-Id"))
	w.Header().Set("X-Request-Id", id)
	s.Headers.set(w.Header(), r.URL.Path, s.hsts)
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
	sw := &statusWriter{ResponseWriter: w}

	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			err := fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			if sw.status == 0 {
				s.writeError(sw, r, err)
			} else {
				s.Logger.ErrorContext(r.Context(), "panic after response started", "err", err)
			}
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		s.metrics.observe(r.Method, route, sw.status, elapsed)
		s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("route", route), slog.String("path", vidivo.RedactPath(r.URL.Path)),
			slog.Int("status", sw.status), slog.Int("bytes", sw.bytes),
			slog.Duration("duration", elapsed), slog.String("remote", s.clientAddr(r)))
	}()
	s.route(sw, r)
}

// route dispatches to the mux, answering unknown routes and wrong methods in
// the JSON error format instead of the mux's plain text.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// Ask the mux what it would have said: 405 (with Allow) or 404.
	probe := &headerProbe{header: http.Header{}}
	h, _ := s.mux.Handler(r)
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.writeError(w, r, vidivo.Errorf(vidivo.EMETHODNOTALLOWED, "method %s is not allowed here", r.Method))
		return
	}
	if probe.status == http.StatusMovedPermanently || probe.status == http.StatusTemporaryRedirect {
		w.Header().Set("Location", probe.header.Get("Location"))
		w.WriteHeader(probe.status)
		return
	}
	if s.Pages != nil && !isAPIPath(r.URL.Path) {
		s.Pages.ServeHTTP(w, r)
		return
	}
	s.writeError(w, r, vidivo.Errorf(vidivo.ENOTFOUND, "no such route: %s %s", r.Method, r.URL.Path))
}

// headerProbe captures what a handler would answer without sending it.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(code int)        { p.status = code }

// requestID keeps a caller-supplied id when it is short and plain, so ids
// can be followed across services, and makes a new one otherwise.
func requestID(in string) string {
	if in != "" && len(in) <= 64 && strings.IndexFunc(in, func(c rune) bool {
		return !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
	}) < 0 {
		return in
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// clientIP is the peer address of the request (see Server.clientAddr for
// the client's, behind a proxy).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// handlerFunc is a handler that returns its error for one place to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkRequestText(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// accountRoles are the roles of real accounts (not call-scoped guests).
var accountRoles = []vidivo.Role{vidivo.RoleClient, vidivo.RoleHost, vidivo.RoleAdmin}

// authed requires a valid access token or personal access token whose
// caller has one of roles (admins pass any account-role check); with no
// roles, any valid token, guest tokens included, is enough. The caller is
// in the request context.
func (s *Server) authed(h handlerFunc, roles ...vidivo.Role) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		tok, ok := bearerToken(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vidivo"`)
			return vidivo.Errorf(vidivo.EUNAUTHORIZED, "missing bearer token")
		}
		// A personal access token is looked up in the store, so this uses
		// the request's context. An OAuth app's token acts only within its
		// scopes (routeScopes).
		var (
			c   vidivo.Caller
			err error
		)
		if s.OAuth != nil && oauth.IsAccessToken(tok) {
			c, r, err = s.oauthCaller(w, r, tok)
		} else {
			c, err = s.Auth.AuthenticateContext(r.Context(), tok)
		}
		if err != nil {
			if vidivo.ErrorCode(err) != vidivo.EINSUFFICIENTSCOPE {
				w.Header().Set("WWW-Authenticate", `Bearer realm="vidivo", error="invalid_token"`)
			}
			return err
		}
		if len(roles) > 0 && !c.Can(roles...) {
			return vidivo.Errorf(vidivo.EFORBIDDEN, "this action needs the %s role", roleList(roles))
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), callerKey, c)))
	})
}

// CallerFrom returns the authenticated caller of a request that passed
// through an authenticated route.
func CallerFrom(ctx context.Context) vidivo.Caller {
	c, _ := ctx.Value(callerKey).(vidivo.Caller)
	return c
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

func roleList(roles []vidivo.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, " or ")
}
