package api_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo/api/apitest"
)

// TestSecurityHeadersEverywhere: every kind of response carries the
// hardening headers; the test server's public URL is https, so HSTS too.
func TestSecurityHeadersEverywhere(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	want := map[string]string{
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "no-referrer",
		"X-Frame-Options":           "DENY",
		"Content-Security-Policy":   "frame-ancestors 'none'",
		"Strict-Transport-Security": "max-age=31536000",
	}
	tests := []struct {
		name   string
		req    apitest.Req
		status int
	}{
		{"healthz", apitest.Req{Method: "GET", Path: "/healthz"}, http.StatusOK},
		{"readyz", apitest.Req{Method: "GET", Path: "/readyz"}, http.StatusOK},
		{"API", apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: signupBody("jane", "host")}, http.StatusCreated},
		{"API error", apitest.Req{Method: "GET", Path: "/v1/users/me"}, http.StatusUnauthorized},
		{"bad JSON", apitest.Req{Method: "POST", Path: "/v1/auth/login", Body: "{"}, http.StatusBadRequest},
		{"unknown route", apitest.Req{Method: "GET", Path: "/nope", Unrouted: true}, http.StatusNotFound},
		{"wrong method", apitest.Req{Method: "DELETE", Path: "/healthz", Unrouted: true}, http.StatusMethodNotAllowed},
		{"spec", apitest.Req{Method: "GET", Path: "/v1/openapi.yaml"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := e.Do(tt.req)
			resp.WantStatus(t, tt.status)
			got := map[string]string{}
			for k := range want {
				got[k] = resp.Header.Get(k)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s %s headers (-want +got):\n%s", tt.req.Method, tt.req.Path, diff)
			}
		})
	}
}

// TestMetricsNotPublic: the public listener does not serve /metrics (the
// Server's MetricsHandler does, on a listener of its own:
// TestOperationalEndpoints).
func TestMetricsNotPublic(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	e.Do(apitest.Req{Method: "GET", Path: "/metrics"}).WantError(t, http.StatusNotFound, "not_found")
}
