package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/vidivo/vidivo"
)

// ssoRoutes serves partner single sign-on (docs/sso.md). Signup answers
// the partner's server in JSON; login is opened in the user's browser,
// sets the session's cookies and goes to the dashboard. Errors use the
// partner guide's shape: {"status": code, "error": message}.
func (s *Server) ssoRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /sso/signup", s.handleSSOSignup)
	m.HandleFunc("GET /sso/login", s.handleSSOLogin)
}

// ssoSignup is the answer to a sign-up token.
type ssoSignup struct {
	User         *vidivo.User `json:"user"`
	BusinessName string       `json:"business_name"`
}

func (s *Server) handleSSOSignup(w http.ResponseWriter, r *http.Request) {
	ssoHeaders(w)
	if s.SSO == nil {
		s.ssoError(w, r, errNoPartners)
		return
	}
	a, err := s.SSO.Signup(r.Context(), r.URL.Query().Get("token"))
	if err != nil {
		s.ssoError(w, r, err)
		return
	}
	writeSSOJSON(w, http.StatusCreated, ssoSignup{User: a.User, BusinessName: a.BusinessName})
}

func (s *Server) handleSSOLogin(w http.ResponseWriter, r *http.Request) {
	ssoHeaders(w)
	if s.SSO == nil {
		s.ssoError(w, r, errNoPartners)
		return
	}
	sess, err := s.SSO.Login(r.Context(), r.URL.Query().Get("token"))
	if err != nil {
		s.ssoError(w, r, err)
		return
	}
	s.setSession(w, sess)
	// No body: the browser follows the Location at once.
	w.Header().Set("Location", "/dashboard")
	w.WriteHeader(http.StatusSeeOther)
}

var errNoPartners = vidivo.Errorf(vidivo.ENOTFOUND, "single sign-on is not set up on this service (no partners)")

// ssoHeaders keeps the token, which is in the URL, out of caches and
// Referer headers.
func ssoHeaders(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

// ssoErrorBody is the partner guide's error shape; validation errors also
// name the claims at fault.
type ssoErrorBody struct {
	Status  string              `json:"status"`
	Error   string              `json:"error"`
	Details []vidivo.FieldError `json:"details,omitempty"`
}

func (s *Server) ssoError(w http.ResponseWriter, r *http.Request, err error) {
	code := vidivo.ErrorCode(err)
	body := ssoErrorBody{Status: code, Error: vidivo.ErrorMessage(err), Details: vidivo.ErrorDetails(err)}
	if code == vidivo.EINTERNAL {
		s.Logger.ErrorContext(r.Context(), "sso failed", "path", vidivo.RedactPath(r.URL.Path), "err", err)
	}
	if code == vidivo.EVALIDATION {
		issues := make([]string, len(body.Details))
		for i, d := range body.Details {
			issues[i] = d.Field + " " + d.Issue
		}
		body.Error = "Validation failed: " + strings.Join(issues, "; ")
	}
	writeSSOJSON(w, statusOf(code), body)
}

func writeSSOJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ssoLogoutURL is where logging out of the session holding refreshToken
// sends the browser: the partner's logout_redirect_url when a partner's
// login token started it, else the start page.
func (s *Server) ssoLogoutURL(ctx context.Context, refreshToken string) string {
	if s.SSO == nil {
		return "/"
	}
	dest, ok, err := s.SSO.LogoutURL(ctx, refreshToken)
	if err != nil {
		s.Logger.WarnContext(ctx, "sso logout url", "err", err)
	}
	if !ok {
		return "/"
	}
	return dest
}
