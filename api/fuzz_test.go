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
	} {
		f.Add(seed)
	}
	e := apitest.New(f, "sqlite", nil)
	s := mustSignupF(f, e)
	f.Fuzz(func(t *testing.T, body string) {
		for _, route := range []struct{ method, path string }{
			{"POST", "/v1/auth/signup"}, {"POST", "/v1/auth/login"}, {"POST", "/v1/auth/refresh"},
			{"POST", "/v1/auth/logout"}, {"PATCH", "/v1/users/me"},
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
