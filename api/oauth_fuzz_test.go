package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/oauth"
)

// oauthFuzzEnv is a fuzzEnv with a confidential app of its host's, whose
// client_id replaces CLIENT in the seeds.
type oauthFuzzEnv struct {
	fuzzEnv
	clientID, secret, userID string
}

func oauthFuzzEnvs(f *testing.F) []oauthFuzzEnv {
	f.Helper()
	var out []oauthFuzzEnv
	for _, fe := range fuzzEnvs(f) {
		app := mustDoF(f, fe.e, fe.host, "POST", "/v1/oauth_applications",
			`{"name":"Fuzz CRM","redirect_uris":["https://crm.example/cb"],"scopes":["users:read","webhooks:write"]}`)["oauth_application"].(map[string]any)
		me := mustDoF(f, fe.e, fe.host, "GET", "/v1/users/me", "")["user"].(map[string]any)
		out = append(out, oauthFuzzEnv{fuzzEnv: fe, clientID: app["client_id"].(string), secret: app["client_secret"].(string),
			userID: me["id"].(string)})
	}
	return out
}

func (fe oauthFuzzEnv) fill(s string) string {
	return strings.NewReplacer("CLIENT", fe.clientID, "SECRET", fe.secret).Replace(s)
}

// FuzzOAuthForms throws arbitrary form bodies and Basic credentials at
// POST /oauth/token and /oauth/revoke on every engine: a success or a 4xx
// in OAuth's error format, never a 500.
func FuzzOAuthForms(f *testing.F) {
	for _, seed := range []struct{ body, basic string }{
		{"grant_type=authorization_code&code=vdv_oac_x&redirect_uri=https%3A%2F%2Fcrm.example%2Fcb&code_verifier=" + strings.Repeat("a", 43) + "&client_id=CLIENT&client_secret=SECRET", ""},
		{"grant_type=refresh_token&refresh_token=vdv_ort_" + strings.Repeat("A", 43) + "&scope=users:read", "CLIENT:SECRET"},
		{"grant_type=refresh_token&refresh_token=x&scope=%00", "CLIENT:"},
		{"token=vdv_oat_x&token_type_hint=access_token", "CLIENT:SECRET"},
		{"token=x&token=y&client_id=CLIENT", ""},
		{"grant_type=client_credentials", "%zz:%zz"},
		{"client_id=%FF&grant_type=%E2%80", ""},
		{"%", ""}, {"", ""}, {"a=b;c=d", "x"}, {"client_id=CLIENT&client_secret=SECRET", "other:SECRET"},
	} {
		f.Add(seed.body, seed.basic)
	}
	envs := oauthFuzzEnvs(f)
	f.Fuzz(func(t *testing.T, body, basic string) {
		for _, fe := range envs {
			for _, path := range []string{"/oauth/token", "/oauth/revoke"} {
				r := httptest.NewRequest("POST", path, strings.NewReader(fe.fill(body)))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if basic != "" {
					id, secret, _ := strings.Cut(fe.fill(basic), ":")
					r.SetBasicAuth(id, secret)
				}
				checkOAuthFuzzAnswer(t, fe, r, body+" | "+basic)
			}
		}
	})
}

// checkOAuthFuzzAnswer serves r and fails on a 5xx or an error body not in
// OAuth's format.
func checkOAuthFuzzAnswer(t *testing.T, fe oauthFuzzEnv, r *http.Request, input string) {
	t.Helper()
	w := httptest.NewRecorder()
	fe.e.Server.ServeHTTP(w, r)
	if w.Code >= 500 {
		t.Fatalf("%s: %s %s with %q → %d %s", fe.engine, r.Method, r.URL, input, w.Code, w.Body)
	}
	if w.Code >= 400 {
		var b oauthErrBody
		if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || b.Error == "" || b.Description == "" {
			t.Fatalf("%s: %s with %q → %d, not in OAuth's error format: %s", fe.engine, r.URL, input, w.Code, w.Body)
		}
	}
}

// FuzzOAuthAuthorize checks arbitrary /oauth/authorize query strings as
// the consent page does (the check, then Allow) on every engine: an error
// goes back to the app's registered redirect URI or is a 4xx shown on the
// page; an Allow lands on the registered redirect URI. Never a 500.
func FuzzOAuthAuthorize(f *testing.F) {
	for _, seed := range []string{
		"response_type=code&client_id=CLIENT&redirect_uri=https%3A%2F%2Fcrm.example%2Fcb&scope=users%3Aread&state=s&code_challenge=" +
			strings.Repeat("A", 43) + "&code_challenge_method=S256",
		"response_type=token&client_id=CLIENT&redirect_uri=https%3A%2F%2Fcrm.example%2Fcb",
		"response_type=code&client_id=CLIENT&redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
		"response_type=code&client_id=CLIENT&scope=admin%00&code_challenge_method=plain",
		"client_id=01JD3V6Y7Q8R9S0T1V2W3X4Y5Z", "client_id=%FF", "client_id=CLIENT&state=%E2%80%AE", "", "%", ";;",
	} {
		f.Add(seed)
	}
	envs := oauthFuzzEnvs(f)
	f.Fuzz(func(t *testing.T, query string) {
		for _, fe := range envs {
			v, _ := url.ParseQuery(fe.fill(query))
			req := oauth.AuthorizeRequestFrom(v)
			svc := fe.e.Server.OAuth
			if _, err := svc.CheckAuthorize(context.Background(), req); err != nil {
				wantAuthorizeError(t, fe, err, query)
				continue
			}
			dest, err := svc.Approve(context.Background(), fe.userID, req)
			if err != nil {
				wantAuthorizeError(t, fe, err, query)
				continue
			}
			if !strings.HasPrefix(dest, "https://crm.example/cb?") {
				t.Fatalf("%s: %q was allowed to %s", fe.engine, query, dest)
			}
		}
	})
}

// wantAuthorizeError fails unless err goes back to the registered
// redirect URI or is a 4xx in the API's terms.
func wantAuthorizeError(t *testing.T, fe oauthFuzzEnv, err error, input string) {
	t.Helper()
	var re *oauth.RedirectError
	if errors.As(err, &re) {
		if re.URI != "https://crm.example/cb" || re.Err.Code == oauth.ErrServerError {
			t.Fatalf("%s: %q → %v to %s", fe.engine, input, re.Err, re.URI)
		}
		return
	}
	if st := vidivo.HTTPStatus(vidivo.ErrorCode(err)); st < 400 || st >= 500 {
		t.Fatalf("%s: %q → %d %v", fe.engine, input, st, err)
	}
}

// FuzzOAuthAppBodies throws arbitrary JSON at the apps API (create and
// update) on every engine: a success or a 4xx in the error format.
func FuzzOAuthAppBodies(f *testing.F) {
	for _, seed := range []string{
		`{"name":"CRM","redirect_uris":["https://crm.example/cb"],"scopes":["users:read"],"client_type":"public"}`,
		`{"name":"CRM","redirect_uris":["http://127.0.0.1:8080/cb","https://a.example/#frag"],"scopes":[]}`,
		`{"name":"","redirect_uris":[],"scopes":["admin"],"client_type":""}`,
		`{"redirect_uris":["javascript:alert(1)"]}`, `{"client_type":"confidential"}`,
		"{\"name\":\"\\u0000\xff\"}", `{"scopes":"users:read"}`, `{"name":null}`, `{`, `[]`, `null`,
	} {
		f.Add(seed)
	}
	envs := oauthFuzzEnvs(f)
	f.Fuzz(func(t *testing.T, body string) {
		for _, fe := range envs {
			for _, route := range []struct{ method, path string }{
				{"POST", "/v1/oauth_applications"}, {"PATCH", "/v1/oauth_applications/" + fe.clientID},
			} {
				r := httptest.NewRequest(route.method, route.path, strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", "Bearer "+fe.host)
				checkFuzzAnswer(t, fe.fuzzEnv, r, body)
			}
		}
	})
}
