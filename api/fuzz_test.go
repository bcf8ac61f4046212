package api_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vidivo/vidivo/api/apitest"
)

// FuzzRequestBodies throws arbitrary bodies at the routes that decode JSON.
// Whatever arrives, the answer is a documented success or a 4xx in the
// error format: never a 500, never a panic.
func FuzzRequestBodies(f *testing.F) {
	for _, seed := range []string{
		`{"email":"a@b.co","password":"0123456789","username":"abc","display_name":"A","role":"client"}`,
		`{"display_name":"x","avatar_url":null,"timezone":"UTC"}`,
		`{"refresh_token":"rt_x"}`, `{"email":"a@b.co","password":"x"}`,
		`{`, `[]`, `null`, `"x"`, `{"role":["host"]}`, `{"avatar_url":{}}`, "{\"display_name\":\"\xff\"}",
		`{"timezone":"../../etc/passwd"}`, `{"a":1}{"b":2}`, `{"email":1e400}`,
		`{"rate_per_minute":"2.50","window_size_minutes":10,"expires_at":"2026-13-01T00:00:00Z"}`,
		`{"payment_method_id":"pm_card_visa","guest_email":"a@b"}`,
		`{"weekly":[{"day":"monday","intervals":[{"start":"24:00","end":"09:00"}]}]}`,
		`{"host_username":"fuzzer","scheduled_at":"2026-03-16T14:00:00Z","duration_minutes":30}`,
		`{"name":"Intro","slug":"intro","duration_minutes":15}`,
	} {
		f.Add(seed)
	}
	e := apitest.New(f, "sqlite", nil)
	s := mustSignupF(f, e)
	code := mustLinkF(f, e, s)
	f.Fuzz(func(t *testing.T, body string) {
		for _, route := range []struct{ method, path string }{
			{"POST", "/v1/auth/signup"}, {"POST", "/v1/auth/login"}, {"POST", "/v1/auth/refresh"},
			{"POST", "/v1/auth/logout"}, {"PATCH", "/v1/users/me"},
			{"POST", "/v1/links"}, {"POST", "/v1/calls/links"}, {"POST", "/v1/calls/join/" + code},
			{"PUT", "/v1/users/me/availability"}, {"POST", "/v1/schedule/book"}, {"POST", "/v1/event_types"},
		} {
			r := httptest.NewRequest(route.method, route.path, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+s)
			w := httptest.NewRecorder()
			e.Server.ServeHTTP(w, r)
			if w.Code >= 500 {
				t.Fatalf("%s %s %q → %d %s", route.method, route.path, body, w.Code, w.Body)
			}
			if w.Code >= 400 {
				var eb apitest.ErrorBody
				if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
					t.Fatalf("%s %s %q → %d with a body not in the error format: %s", route.method, route.path, body, w.Code, w.Body)
				}
			}
		}
	})
}

// mustLinkF connects the fuzz host's payouts and creates a link to join.
func mustLinkF(f *testing.F, e *apitest.Env, tok string) string {
	f.Helper()
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/v1/users/me/payouts/onboarding", ""},
		{"POST", "/v1/links", `{"rate_per_minute":"2.50","window_size_minutes":10}`},
	} {
		r := httptest.NewRequest(req.method, req.path, strings.NewReader(req.body))
		if req.body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		e.Server.ServeHTTP(w, r)
		if w.Code >= 300 {
			f.Fatalf("%s %s = %d %s", req.method, req.path, w.Code, w.Body)
		}
		var out struct {
			Link struct {
				ShortCode string `json:"short_code"`
			} `json:"link"`
		}
		if json.Unmarshal(w.Body.Bytes(), &out) == nil && out.Link.ShortCode != "" {
			return out.Link.ShortCode
		}
	}
	f.Fatal("no link created")
	return ""
}

func mustSignupF(f *testing.F, e *apitest.Env) string {
	f.Helper()
	r := httptest.NewRequest("POST", "/v1/auth/signup", strings.NewReader(
		`{"email":"fuzz@example.com","password":"0123456789","username":"fuzzer","display_name":"F","role":"host"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.Server.ServeHTTP(w, r)
	var s struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil || w.Code != 201 {
		f.Fatalf("signup = %d %s", w.Code, w.Body)
	}
	return s.AccessToken
}
