package api_test

import (
	"net/http"
	"testing"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
)

type userEnvelope struct {
	User struct {
		ID          string  `json:"id"`
		DisplayName string  `json:"display_name"`
		AvatarURL   *string `json:"avatar_url"`
		Role        string  `json:"role"`
		Timezone    string  `json:"timezone"`
	} `json:"user"`
}

func TestMe(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		s := mustSignup(t, e, "janecoach", "host")
		patch := func(body any) *apitest.Response {
			return e.Do(apitest.Req{Method: "PATCH", Path: "/v1/users/me", Body: body, Token: s.AccessToken})
		}
		get := func() userEnvelope {
			resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: s.AccessToken})
			resp.WantStatus(t, http.StatusOK)
			var u userEnvelope
			resp.Decode(t, &u)
			return u
		}
		if u := get(); u.User.ID != s.User.ID || u.User.Role != "host" {
			t.Fatalf("me = %+v", u)
		}

		resp := patch(map[string]any{"display_name": " Jane S. ", "timezone": "Europe/Berlin",
			"avatar_url": "https://cdn.vidivo.app/avatars/01JN2X4K.jpg"})
		resp.WantStatus(t, http.StatusOK)
		var u userEnvelope
		resp.Decode(t, &u)
		if u.User.DisplayName != "Jane S." || u.User.Timezone != "Europe/Berlin" || u.User.AvatarURL == nil {
			t.Errorf("patched = %+v", u)
		}
		if got := get(); got.User.Timezone != "Europe/Berlin" {
			t.Errorf("GET after PATCH = %+v", got)
		}
		// An empty patch changes nothing; null clears the avatar.
		patch(map[string]any{}).WantStatus(t, http.StatusOK)
		patch(map[string]any{"avatar_url": nil}).WantStatus(t, http.StatusOK)
		if got := get(); got.User.AvatarURL != nil || got.User.DisplayName != "Jane S." {
			t.Errorf("after clearing avatar = %+v", got)
		}

		for _, tc := range []struct {
			name  string
			body  any
			field string
		}{
			{"unknown zone", map[string]any{"timezone": "Mars/Olympus"}, "timezone"},
			{"Local zone", map[string]any{"timezone": "Local"}, "timezone"},
			{"empty zone", map[string]any{"timezone": ""}, "timezone"},
			{"zone as number", map[string]any{"timezone": 5}, "timezone"},
			{"empty display name", map[string]any{"display_name": "  "}, "display_name"},
			{"relative avatar", map[string]any{"avatar_url": "/a.jpg"}, "avatar_url"},
			{"javascript avatar", map[string]any{"avatar_url": "javascript:alert(1)"}, "avatar_url"},
			{"avatar as number", map[string]any{"avatar_url": 7}, "avatar_url"},
			{"role is not editable", map[string]any{"role": "admin"}, "role"},
			{"email is not editable", map[string]any{"email": "x@example.com"}, "email"},
		} {
			eb := patch(tc.body).WantError(t, http.StatusBadRequest, "validation_error")
			if len(eb.Error.Details) == 0 || eb.Error.Details[0].Field != tc.field {
				t.Errorf("%s: details = %+v, want field %q", tc.name, eb.Error.Details, tc.field)
			}
		}
		if got := get(); got.User.Role != "host" || got.User.Timezone != "Europe/Berlin" {
			t.Errorf("a rejected PATCH changed the user: %+v", got)
		}
	})
}

func TestRoleChecks(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	s := mustSignup(t, e, "alex", "client")

	// A guest token is a real access token, scoped to one call: it is not
	// an account and may not read one.
	guest, _, err := e.Tokens.Issue(vidivo.Caller{Subject: "01JN2X6M0P5H9SRBTXY8ZDKEFH", Role: vidivo.RoleGuest, CallID: "01JN2X6M0P5H9SRBTXY8ZDKEFG"})
	if err != nil {
		t.Fatal(err)
	}
	e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: guest}).WantError(t, http.StatusForbidden, "forbidden")
	e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/logout", Token: guest, Body: map[string]string{"refresh_token": s.RefreshToken}}).
		WantError(t, http.StatusForbidden, "forbidden")

	// A token whose account is gone is refused.
	ghost, _, err := e.Tokens.Issue(vidivo.Caller{Subject: "01JN2X4K8M3F7QPZRVWT6YBHCE", Role: vidivo.RoleClient})
	if err != nil {
		t.Fatal(err)
	}
	e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: ghost}).WantError(t, http.StatusUnauthorized, "unauthorized")

	// An admin made by an operator passes account checks.
	if _, err := e.DB.SetUserRole(t.Context(), s.User.ID, vidivo.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	admin, _, err := e.Tokens.Issue(vidivo.Caller{Subject: s.User.ID, Role: vidivo.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: admin})
	var u userEnvelope
	resp.Decode(t, &u)
	if u.User.Role != "admin" {
		t.Errorf("role = %q, want admin", u.User.Role)
	}
}
