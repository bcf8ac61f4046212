package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/auth"
)

// The cookies of a browser session. All are HttpOnly: scripts never see a
// token (nothing in localStorage), and SameSite keeps other sites'
// requests from carrying them.
const (
	// cookieRefresh holds the session's refresh token: it outlives many
	// access tokens and is rotated when one expires.
	cookieRefresh = "vidivo_session"
	// cookieAccess holds the current access token (15 minutes).
	cookieAccess = "vidivo_access"
	// cookieCSRF holds the token that forms and scripts send back.
	cookieCSRF = "vidivo_csrf"
	// csrfField is the form field, csrfHeader the header of scripts.
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
)

// setSession stores a new session in the browser.
func (s *Server) setSession(w http.ResponseWriter, sess *auth.Session) {
	ttl := s.Auth.RefreshTTL
	if ttl == 0 {
		ttl = auth.DefaultRefreshTTL
	}
	s.setCookie(w, cookieRefresh, sess.RefreshToken, "/", ttl)
	s.setCookie(w, cookieAccess, sess.AccessToken, "/", sess.ExpiresIn)
}

// clearSession removes the session's cookies.
func (s *Server) clearSession(w http.ResponseWriter) {
	s.setCookie(w, cookieRefresh, "", "/", -1)
	s.setCookie(w, cookieAccess, "", "/", -1)
}

func (s *Server) setCookie(w http.ResponseWriter, name, value, path string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}
	if maxAge < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}

// caller returns the signed-in account of a request: its access token, or
// if that has expired, a rotation of its refresh token (the new pair is set
// on w). ok is false for visitors without a usable session.
func (s *Server) caller(w http.ResponseWriter, r *http.Request) (vidivo.Caller, bool) {
	if c, err := r.Cookie(cookieAccess); err == nil && c.Value != "" {
		if caller, err := s.Auth.Authenticate(c.Value); err == nil && !caller.IsGuest() {
			return caller, true
		}
	}
	rc, err := r.Cookie(cookieRefresh)
	if err != nil || rc.Value == "" {
		return vidivo.Caller{}, false
	}
	sess, err := s.sessions.refresh(r.Context(), s.Auth, rc.Value, s.now())
	if err != nil {
		s.clearSession(w)
		return vidivo.Caller{}, false
	}
	s.setSession(w, sess)
	return vidivo.Caller{Subject: sess.User.ID, Role: sess.User.Role}, true
}

// optionalUser returns the signed-in user, or nil for a visitor.
func (s *Server) optionalUser(w http.ResponseWriter, r *http.Request) *vidivo.User {
	caller, ok := s.caller(w, r)
	if !ok {
		return nil
	}
	u, err := s.Users.UserByID(r.Context(), caller.Subject)
	if err != nil {
		return nil
	}
	return u
}

// requireUser returns the signed-in user with one of roles, or redirects a
// visitor to the log-in page (coming back here after) and answers false.
// A signed-in user without the role gets EFORBIDDEN.
func (s *Server) requireUser(w http.ResponseWriter, r *http.Request, roles ...vidivo.Role) (*vidivo.User, bool, error) {
	u := s.optionalUser(w, r)
	if u == nil {
		http.Redirect(w, r, loginURL(r.URL.RequestURI()), http.StatusSeeOther)
		return nil, false, nil
	}
	caller := vidivo.Caller{Subject: u.ID, Role: u.Role}
	if len(roles) > 0 && !caller.Can(roles...) {
		return nil, false, vidivo.Errorf(vidivo.EFORBIDDEN, "this page is for %s accounts", roles[0])
	}
	return u, true, nil
}

// refresher rotates refresh tokens for page sessions. A page and its
// scripts may present the same expired session at once; rotating it twice
// would look like a stolen token being reused and end the session, so the
// first rotation's result answers the others for a short while.
type refresher struct {
	mu     sync.Mutex
	recent map[string]rotated
}

type rotated struct {
	sess *auth.Session
	at   time.Time
}

// rotationGrace is how long a rotated token's successor answers for it.
const rotationGrace = 30 * time.Second

func newRefresher() *refresher { return &refresher{recent: map[string]rotated{}} }

func (rf *refresher) refresh(ctx context.Context, a *auth.Service, plain string, now time.Time) (*auth.Session, error) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	for k, v := range rf.recent {
		if now.Sub(v.at) > rotationGrace {
			delete(rf.recent, k)
		}
	}
	if v, ok := rf.recent[plain]; ok {
		return v.sess, nil
	}
	sess, err := a.Refresh(ctx, plain)
	if err != nil {
		return nil, err
	}
	rf.recent[plain] = rotated{sess: sess, at: now}
	return sess, nil
}

// csrfToken returns the browser's CSRF token, creating its cookie on first
// use. Forms send it back in csrfField, scripts in csrfHeader.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(cookieCSRF); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: cookieCSRF, Value: tok, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteStrictMode})
	// Later reads in this request see the same token.
	r.AddCookie(&http.Cookie{Name: cookieCSRF, Value: tok})
	return tok
}

// checkCSRF verifies a state-changing request's CSRF token against the
// browser's cookie. Returns EFORBIDDEN when it is missing or wrong.
func (s *Server) checkCSRF(r *http.Request) error {
	c, err := r.Cookie(cookieCSRF)
	sent := r.Header.Get(csrfHeader)
	if sent == "" {
		sent = r.PostFormValue(csrfField)
	}
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(sent)) != 1 {
		return vidivo.Errorf(vidivo.EFORBIDDEN, "this form has expired; reload the page and try again")
	}
	return nil
}

// safeNext keeps a post-login redirect on this site: a path, never a URL
// to another host.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || (len(next) > 1 && (next[1] == '/' || next[1] == '\\')) {
		return "/dashboard"
	}
	return next
}
