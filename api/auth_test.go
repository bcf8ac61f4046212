package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// session is the documented body of signup, login and refresh.
type session struct {
	User struct {
		ID          string  `json:"id"`
		Email       string  `json:"email"`
		Username    string  `json:"username"`
		DisplayName string  `json:"display_name"`
		AvatarURL   *string `json:"avatar_url"`
		Role        string  `json:"role"`
		Timezone    string  `json:"timezone"`
		CreatedAt   string  `json:"created_at"`
	} `json:"user"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

func signupBody(username, role string) map[string]any {
	return map[string]any{
		"email": username + "@example.com", "password": "correct horse battery",
		"username": username, "display_name": "Jane Smith", "role": role,
	}
}

// mustSignup creates an account and returns its session.
func mustSignup(t *testing.T, e *apitest.Env, username, role string) session {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: signupBody(username, role)})
	resp.WantStatus(t, http.StatusCreated)
	var s session
	resp.Decode(t, &s)
	return s
}

// forEngine runs f against a fresh server on every engine under test.
func forEngine(t *testing.T, opts *apitest.Opts, f func(t *testing.T, e *apitest.Env)) {
	t.Helper()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f(t, apitest.New(t, engine, opts))
		})
	}
}

func TestSignup(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		s := mustSignup(t, e, "janecoach", "host")
		u := s.User
		if u.Email != "janecoach@example.com" || u.Username != "janecoach" || u.DisplayName != "Jane Smith" ||
			u.Role != "host" || u.Timezone != "UTC" || u.AvatarURL != nil || len(u.ID) != 26 {
			t.Errorf("user = %+v", u)
		}
		if _, err := time.Parse(time.RFC3339, u.CreatedAt); err != nil || !strings.HasSuffix(u.CreatedAt, "Z") {
			t.Errorf("created_at = %q, want RFC 3339 UTC", u.CreatedAt)
		}
		if s.TokenType != "Bearer" || s.ExpiresIn != 900 || s.RefreshToken == "" {
			t.Errorf("session = %+v", s)
		}
		if !strings.HasPrefix(s.AccessToken, "eyJhbGciOiJSUzI1NiI") {
			t.Errorf("access token %q is not an RS256 JWT", s.AccessToken)
		}
		me := e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: s.AccessToken})
		me.WantStatus(t, http.StatusOK)

		// Email and username are unique case-insensitively.
		dup := signupBody("other", "client")
		dup["email"] = "JaneCoach@Example.COM"
		eb := e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: dup}).WantError(t, http.StatusConflict, "conflict")
		if len(eb.Error.Details) != 1 || eb.Error.Details[0].Field != "email" {
			t.Errorf("details = %+v, want email", eb.Error.Details)
		}
		dup = signupBody("JANECOACH", "client")
		dup["email"] = "new@example.com"
		eb = e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: dup}).WantError(t, http.StatusConflict, "conflict")
		if len(eb.Error.Details) != 1 || eb.Error.Details[0].Field != "username" {
			t.Errorf("details = %+v, want username", eb.Error.Details)
		}
	})
}

func TestSignupValidation(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	with := func(k string, v any) map[string]any {
		b := signupBody("valid_user", "client")
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	for _, tc := range []struct {
		name  string
		body  any
		field string
	}{
		{"short password", with("password", "short1234"), "password"},
		{"missing password", with("password", nil), "password"},
		{"username too short", with("username", "ab"), "username"},
		{"username with space", with("username", "jane doe"), "username"},
		{"username too long", with("username", strings.Repeat("a", 33)), "username"},
		{"username with dot", with("username", "jane.doe"), "username"},
		{"bad email", with("email", "not-an-email"), "email"},
		{"email with name", with("email", "Jane <jane@example.com>"), "email"},
		{"missing email", with("email", nil), "email"},
		{"missing display name", with("display_name", nil), "display_name"},
		{"display name with newline", with("display_name", "Jane\nSmith"), "display_name"},
		{"admin role", with("role", "admin"), "role"},
		{"guest role", with("role", "guest"), "role"},
		{"missing role", with("role", nil), "role"},
		{"unknown field", with("is_admin", true), "is_admin"},
		{"password as number", with("password", 1234567890123), "password"},
		{"role as array", with("role", []string{"host"}), "role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eb := e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: tc.body}).
				WantError(t, http.StatusBadRequest, "validation_error")
			found := false
			for _, d := range eb.Error.Details {
				found = found || d.Field == tc.field
			}
			if !found {
				t.Errorf("details %+v do not name %q", eb.Error.Details, tc.field)
			}
		})
	}
}

func TestMalformedBodies(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	for _, tc := range []struct {
		name   string
		body   string
		header http.Header
		status int
		code   string
	}{
		{"broken JSON", `{"email": "a@b.co",`, nil, 400, "validation_error"},
		{"not JSON", `hello`, nil, 400, "validation_error"},
		{"empty body", ``, jsonCT, 400, "validation_error"},
		{"array", `[1,2]`, nil, 400, "validation_error"},
		{"string", `"x"`, nil, 400, "validation_error"},
		{"two objects", `{} {}`, nil, 400, "validation_error"},
		{"text/plain", `{}`, http.Header{"Content-Type": {"text/plain"}}, 415, "unsupported_media_type"},
		{"form", `a=b`, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, 415, "unsupported_media_type"},
		{"oversized", `{"display_name":"` + strings.Repeat("x", 70<<10) + `"}`, nil, 413, "payload_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/v1/auth/signup", "/v1/auth/login", "/v1/auth/refresh"} {
				e.Do(apitest.Req{Method: "POST", Path: path, Body: tc.body, Header: tc.header}).
					WantError(t, tc.status, tc.code)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		mustSignup(t, e, "alex", "client")
		resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/login",
			Body: map[string]string{"email": "Alex@example.com", "password": "correct horse battery"}})
		resp.WantStatus(t, http.StatusOK)
		var s session
		resp.Decode(t, &s)
		if s.User.Username != "alex" || s.AccessToken == "" || s.RefreshToken == "" || s.TokenType != "Bearer" {
			t.Errorf("login session = %+v", s)
		}

		wrong := e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/login",
			Body: map[string]string{"email": "alex@example.com", "password": "wrong password!"}}).
			WantError(t, http.StatusUnauthorized, "unauthorized")
		unknown := e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/login",
			Body: map[string]string{"email": "nobody@example.com", "password": "correct horse battery"}}).
			WantError(t, http.StatusUnauthorized, "unauthorized")
		if wrong.Error.Message != unknown.Error.Message {
			t.Errorf("messages differ: %q vs %q (they must not reveal which emails exist)", wrong.Error.Message, unknown.Error.Message)
		}
		eb := e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/login", Body: map[string]string{"email": "alex@example.com"}}).
			WantError(t, http.StatusBadRequest, "validation_error")
		if len(eb.Error.Details) != 1 || eb.Error.Details[0].Field != "password" {
			t.Errorf("details = %+v", eb.Error.Details)
		}
	})
}

func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		s := mustSignup(t, e, "alex", "client")
		refresh := func(tok string) *apitest.Response {
			return e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refresh_token": tok}})
		}
		resp := refresh(s.RefreshToken)
		resp.WantStatus(t, http.StatusOK)
		var s2 session
		resp.Decode(t, &s2)
		if s2.RefreshToken == s.RefreshToken || s2.User.ID != s.User.ID || s2.AccessToken == "" {
			t.Fatalf("refresh did not rotate: %+v", s2)
		}
		// The rotated-out token is refused, and its reuse revokes the
		// family: the new token dies too.
		refresh(s.RefreshToken).WantError(t, http.StatusUnauthorized, "unauthorized")
		refresh(s2.RefreshToken).WantError(t, http.StatusUnauthorized, "unauthorized")

		// Another session of the same user is unaffected.
		resp = e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/login",
			Body: map[string]string{"email": "alex@example.com", "password": "correct horse battery"}})
		var s3 session
		resp.Decode(t, &s3)
		refresh(s3.RefreshToken).WantStatus(t, http.StatusOK)

		refresh("rt_not-a-real-token").WantError(t, http.StatusUnauthorized, "unauthorized")
		e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{}}).
			WantError(t, http.StatusBadRequest, "validation_error")
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		s := mustSignup(t, e, "alex", "client")
		other := mustSignup(t, e, "sam", "client")
		body := map[string]string{"refresh_token": s.RefreshToken}

		e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/logout", Body: body}).
			WantError(t, http.StatusUnauthorized, "unauthorized")
		// Someone else's access token cannot end this session.
		e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/logout", Body: body, Token: other.AccessToken}).
			WantStatus(t, http.StatusNoContent)
		e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/logout", Body: map[string]string{"refresh_token": other.RefreshToken}, Token: other.AccessToken}).
			WantStatus(t, http.StatusNoContent)

		resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/logout", Body: body, Token: s.AccessToken})
		resp.WantStatus(t, http.StatusNoContent)
		if len(resp.Body) != 0 {
			t.Errorf("204 with body %q", resp.Body)
		}
		e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/refresh", Body: body}).
			WantError(t, http.StatusUnauthorized, "unauthorized")
		e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refresh_token": other.RefreshToken}}).
			WantError(t, http.StatusUnauthorized, "unauthorized")
		e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/logout", Body: map[string]string{}, Token: s.AccessToken}).
			WantError(t, http.StatusBadRequest, "validation_error")
	})
}
