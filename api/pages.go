package api

import (
	"net/http"
	"strings"
)

// isAPIPath reports whether path belongs to the API, whose unknown routes
// answer in the JSON error format rather than as pages.
func isAPIPath(path string) bool {
	return path == "/v1" || strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/.well-known/")
}

// LimitSignup applies the API's sign-up limit to a request, so the sign-up
// page shares the API's budget. It answers ERATELIMITED (having set
// Retry-After on w) when the client's address is over it.
func (s *Server) LimitSignup(w http.ResponseWriter, r *http.Request) error {
	return s.limitSignup(w, r)
}

// LimitLogin applies the API's log-in limits (per address, and per account
// and address) to a request, so the log-in page shares the API's budgets.
func (s *Server) LimitLogin(w http.ResponseWriter, r *http.Request, login string) error {
	return s.limitLogin(w, r, login)
}

// LimitPublic applies the API's limit on anonymous requests to a request,
// so the join page shares the budget of joins by link. It answers
// ERATELIMITED (having set Retry-After on w) when the client's address is
// over it.
func (s *Server) LimitPublic(w http.ResponseWriter, r *http.Request) error {
	return allow(w, s.limits.public, limitKey(s.clientAddr(r)), "requests")
}
