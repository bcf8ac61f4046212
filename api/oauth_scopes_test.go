package api

import (
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/vidivo/vidivo/oauth"
)

// TestRouteScopesNameRoutes: every entry of the scope table is a route,
// so a renamed route cannot silently close (or keep open) to apps.
func TestRouteScopesNameRoutes(t *testing.T) {
	s := &Server{OAuth: &oauth.Service{}}
	s.Routes()
	wild := regexp.MustCompile(`\{[a-z_]+\}`)
	for pattern, scope := range routeScopes {
		if !oauth.Known(scope) {
			t.Errorf("%s: unknown scope %q", pattern, scope)
		}
		method, path, _ := cut(pattern)
		r := httptest.NewRequest(method, wild.ReplaceAllString(path, "01J0000000000000000000000X"), nil)
		if _, got := s.mux.Handler(r); got != pattern {
			t.Errorf("scope table names %q, but the request routes to %q", pattern, got)
		}
	}
}

func cut(p string) (string, string, bool) {
	for i := range p {
		if p[i] == ' ' {
			return p[:i], p[i+1:], true
		}
	}
	return "", p, false
}
