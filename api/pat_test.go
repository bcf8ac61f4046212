package api_test

import (
	"database/sql"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/auth"
)

type patBody struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Token      string  `json:"token"`
	CreatedAt  string  `json:"created_at"`
	ExpiresAt  *string `json:"expires_at"`
	LastUsedAt *string `json:"last_used_at"`
}

type patEnvelope struct {
	PersonalAccessToken patBody `json:"personal_access_token"`
}

type patListBody struct {
	PersonalAccessTokens []patBody `json:"personal_access_tokens"`
}

var patRE = regexp.MustCompile(`^vdv_pat_[A-Za-z0-9_-]{43}$`)

// mustCreatePAT creates a token for the holder of tok and returns it.
func mustCreatePAT(t *testing.T, e *apitest.Env, tok, name string) patBody {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/personal_access_tokens", Token: tok, Body: map[string]any{"name": name}})
	resp.WantStatus(t, http.StatusCreated)
	var out patEnvelope
	resp.Decode(t, &out)
	return out.PersonalAccessToken
}

func listPATs(t *testing.T, e *apitest.Env, tok string) []patBody {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/personal_access_tokens", Token: tok})
	resp.WantStatus(t, http.StatusOK)
	var out patListBody
	resp.Decode(t, &out)
	return out.PersonalAccessTokens
}

func TestPersonalAccessTokens(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := mustSignup(t, e, "janecoach", "host")
		exp := e.Clock.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)

		resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/personal_access_tokens", Token: host.AccessToken,
			Body: map[string]any{"name": " Reporting script ", "expires_at": exp}})
		resp.WantStatus(t, http.StatusCreated)
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
		var created patEnvelope
		resp.Decode(t, &created)
		pat := created.PersonalAccessToken
		if !patRE.MatchString(pat.Token) || pat.Name != "Reporting script" || pat.ExpiresAt == nil || *pat.ExpiresAt != exp ||
			pat.LastUsedAt != nil || !vidivo.IsID(pat.ID) {
			t.Fatalf("created = %+v", pat)
		}
		// The value is stored only as its hash.
		var plain, hashed int
		if err := e.DB.WithTx(t.Context(), func(tx *sql.Tx) error {
			q := "SELECT count(*) FROM personal_access_tokens WHERE token_hash = "
			if e.DB.Engine() == "postgres" {
				q += "$1"
			} else {
				q += "?"
			}
			if err := tx.QueryRowContext(t.Context(), q, pat.Token).Scan(&plain); err != nil {
				return err
			}
			return tx.QueryRowContext(t.Context(), q, auth.HashPAT(pat.Token)).Scan(&hashed)
		}); err != nil || plain != 0 || hashed != 1 {
			t.Errorf("stored: %d rows by value, %d by hash (%v); want 0 and 1", plain, hashed, err)
		}

		// The token acts as its owner on the API's routes.
		me := e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: pat.Token})
		me.WantStatus(t, http.StatusOK)
		var u userEnvelope
		me.Decode(t, &u)
		if u.User.ID != host.User.ID || u.User.Role != "host" {
			t.Errorf("me with a PAT = %+v", u)
		}
		e.Do(apitest.Req{Method: "POST", Path: "/v1/event_types", Token: pat.Token,
			Body: map[string]any{"name": "Intro", "slug": "intro", "duration_minutes": 15}}).WantStatus(t, http.StatusCreated)

		// Listed without its value; last_used_at is set by the use.
		list := listPATs(t, e, host.AccessToken)
		if len(list) != 1 || list[0].ID != pat.ID || list[0].Token != "" || list[0].LastUsedAt == nil {
			t.Fatalf("list = %+v", list)
		}
		firstUse := *list[0].LastUsedAt

		// Used again within the minute: last_used_at stays; after it, moves.
		e.Clock.Add(30 * time.Second)
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: pat.Token}).WantStatus(t, http.StatusOK)
		if got := *listPATs(t, e, pat.Token)[0].LastUsedAt; got != firstUse {
			t.Errorf("last_used_at after 30 s = %s, want %s", got, firstUse)
		}
		e.Clock.Add(time.Minute)
		if got := *listPATs(t, e, pat.Token)[0].LastUsedAt; got == firstUse {
			t.Errorf("last_used_at after 90 s = %s, want later", got)
		}

		// A PAT can create another; deleting one stops it at once.
		second := mustCreatePAT(t, e, pat.Token, "CI")
		if second.ExpiresAt != nil {
			t.Errorf("no expiry asked, got %v", *second.ExpiresAt)
		}
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/personal_access_tokens/" + second.ID, Token: host.AccessToken}).
			WantStatus(t, http.StatusNoContent)
		resp = e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: second.Token})
		resp.WantError(t, http.StatusUnauthorized, vidivo.EUNAUTHORIZED)
		if !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
		}
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/personal_access_tokens/" + second.ID, Token: host.AccessToken}).
			WantError(t, http.StatusNotFound, vidivo.ENOTFOUND)

		// Past its expiry the first one is refused too.
		e.Clock.Add(31 * 24 * time.Hour)
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: pat.Token}).WantError(t, http.StatusUnauthorized, vidivo.EUNAUTHORIZED)
	})
}

func TestPersonalAccessTokenRules(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := mustSignup(t, e, "janecoach", "host")
		other := mustSignup(t, e, "alexclient", "client")
		now := e.Clock.Now().UTC()

		for _, tc := range []struct {
			name  string
			body  any
			field string
		}{
			{"no name", map[string]any{}, "name"},
			{"blank name", map[string]any{"name": "   "}, "name"},
			{"long name", map[string]any{"name": strings.Repeat("x", 101)}, "name"},
			{"control characters", map[string]any{"name": "a\u0007b"}, "name"},
			{"past expiry", map[string]any{"name": "x", "expires_at": now.Add(-time.Minute).Format(time.RFC3339)}, "expires_at"},
			{"too far", map[string]any{"name": "x", "expires_at": now.Add(400 * 24 * time.Hour).Format(time.RFC3339)}, "expires_at"},
			{"not a time", map[string]any{"name": "x", "expires_at": "next week"}, "expires_at"},
			{"unknown field", map[string]any{"name": "x", "scopes": []string{"all"}}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/personal_access_tokens", Token: host.AccessToken, Body: tc.body})
				body := resp.WantError(t, http.StatusBadRequest, vidivo.EVALIDATION)
				if tc.field != "" && (len(body.Error.Details) == 0 || body.Error.Details[0].Field != tc.field) {
					t.Errorf("details = %+v, want %s", body.Error.Details, tc.field)
				}
			})
		}
		if n := len(listPATs(t, e, host.AccessToken)); n != 0 {
			t.Fatalf("%d tokens after refused requests, want 0", n)
		}

		// Guests and the anonymous cannot have tokens; a made-up PAT is refused.
		guest, _, err := e.Tokens.Issue(vidivo.Caller{Subject: "01JN2X6M0P5H9SRBTXY8ZDKEFH", Role: vidivo.RoleGuest, CallID: "01JN2X6M0P5H9SRBTXY8ZDKEFG"})
		if err != nil {
			t.Fatal(err)
		}
		e.Do(apitest.Req{Method: "POST", Path: "/v1/personal_access_tokens", Token: guest, Body: map[string]any{"name": "x"}}).
			WantError(t, http.StatusForbidden, vidivo.EFORBIDDEN)
		e.Do(apitest.Req{Method: "POST", Path: "/v1/personal_access_tokens", Body: map[string]any{"name": "x"}}).
			WantError(t, http.StatusUnauthorized, vidivo.EUNAUTHORIZED)
		forged := "vdv_pat_" + strings.Repeat("A", 43)
		e.Do(apitest.Req{Method: "GET", Path: "/v1/personal_access_tokens", Token: forged}).
			WantError(t, http.StatusUnauthorized, vidivo.EUNAUTHORIZED)

		// Another account's token cannot be deleted, nor seen.
		mine := mustCreatePAT(t, e, host.AccessToken, "mine")
		for _, id := range []string{mine.ID, "not-an-id"} {
			e.Do(apitest.Req{Method: "DELETE", Path: "/v1/personal_access_tokens/" + id, Token: other.AccessToken}).
				WantError(t, http.StatusNotFound, vidivo.ENOTFOUND)
		}
		if list := listPATs(t, e, other.AccessToken); len(list) != 0 {
			t.Errorf("other's list = %+v", list)
		}

		// At most 50 per account.
		for i := 1; i < vidivo.MaxPATsPerUser; i++ {
			mustCreatePAT(t, e, host.AccessToken, "t")
		}
		e.Do(apitest.Req{Method: "POST", Path: "/v1/personal_access_tokens", Token: host.AccessToken, Body: map[string]any{"name": "one more"}}).
			WantError(t, http.StatusConflict, vidivo.ECONFLICT)
	})
}
