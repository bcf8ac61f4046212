package api_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// orgFuzzEnv is a server with an organization whose owner holds a
// personal access token, so fuzzed requests reach the store on every
// accounts route.
type orgFuzzEnv struct {
	fuzzEnv
	org, pat string
}

func orgFuzzEnvs(f *testing.F) []orgFuzzEnv {
	f.Helper()
	var envs []orgFuzzEnv
	for _, engine := range sqldbtest.Engines() {
		e := apitest.New(f, engine, nil)
		fe := orgFuzzEnv{fuzzEnv: fuzzEnv{engine: engine, e: e}}
		fe.host = mustDoF(f, e, "", "POST", "/v1/auth/signup",
			`{"email":"fuzz@example.com","password":"0123456789","username":"fuzzer","display_name":"F","role":"host"}`)["access_token"].(string)
		fe.pat = mustDoF(f, e, fe.host, "POST", "/v1/personal_access_tokens", `{"name":"fuzz"}`)["personal_access_token"].(map[string]any)["token"].(string)
		fe.org = mustDoF(f, e, fe.pat, "POST", "/v1/organizations", `{"name":"Fuzz"}`)["resource"].(map[string]any)["id"].(string)
		envs = append(envs, fe)
	}
	return envs
}

// FuzzAccountsBodies throws arbitrary bodies at the accounts routes that
// decode JSON: a documented answer or a 4xx in the error format, never a
// 500, on every engine.
func FuzzAccountsBodies(f *testing.F) {
	for _, seed := range []string{
		`{"name":"CI"}`, `{"name":"CI","expires_at":"2099-01-01T00:00:00Z"}`, `{"name":"x","expires_at":"2026-13-01T00:00:00Z"}`,
		`{"name":"x","expires_at":null}`, `{"name":"\u0000"}`, `{"name":"a\u0000b","expires_at":"\u0000"}`, `{"name":1}`,
		`{"email":"a@b.co","role":"member"}`, `{"email":"a\u0000@b.co","role":"member\u0000"}`, `{"email":"a@b.co","role":"owner"}`,
		`{"email":["a@b.co"],"role":{}}`, `{`, `[]`, `null`, `"x"`, "{\"name\":\"\xff\"}", `{"a":1}{"b":2}`, `{"name":1e400}`,
	} {
		f.Add(seed)
	}
	envs := orgFuzzEnvs(f)
	f.Fuzz(func(t *testing.T, body string) {
		for _, fe := range envs {
			for _, route := range []struct{ method, path string }{
				{"POST", "/v1/personal_access_tokens"}, {"POST", "/v1/organizations"},
				{"POST", "/v1/organizations/" + fe.org + "/invitations"},
			} {
				r := httptest.NewRequest(route.method, route.path, strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", "Bearer "+fe.pat)
				checkFuzzAnswer(t, fe.fuzzEnv, r, body)
			}
		}
	})
}

// FuzzAccountsTargets puts arbitrary text in the accounts routes' path ids
// and query parameters: 404 for a path that names nothing, 400 for a bad
// parameter, never a 500.
func FuzzAccountsTargets(f *testing.F) {
	for _, seed := range []string{
		"", "x", "\x00", "a\x00b", "\xff", "01JD3V6Y7Q8R9S0T1V2W3X4Y5Z", "01JD3V6Y7Q8R9S0T1V2W3X4Y5\x00",
		"https://vidivo.test/v1/organizations/\x00", "https://vidivo.test/v1/users/01JD3V6Y7Q8R9S0T1V2W3X4Y5Z",
		strings.Repeat("A", 43), strings.Repeat("\x00", 43), "abc.def", "..", "%", "\u2028", "-1", "1e3", "99999999999999999999",
	} {
		f.Add(seed)
	}
	envs := orgFuzzEnvs(f)
	f.Fuzz(func(t *testing.T, s string) {
		p, q := url.PathEscape(s), url.QueryEscape(s)
		for _, fe := range envs {
			for _, route := range []struct{ method, target string }{
				{"DELETE", "/v1/personal_access_tokens/" + p}, {"GET", "/v1/organizations/" + p},
				{"GET", "/v1/organizations/" + p + "/invitations"}, {"DELETE", "/v1/organizations/" + fe.org + "/invitations/" + p},
				{"POST", "/v1/organization_invitations/" + p + "/accept"}, {"GET", "/v1/organization_invitations/" + p},
				{"GET", "/v1/organization_memberships?organization=" + q}, {"GET", "/v1/organization_memberships?user=" + q},
				{"GET", "/v1/organization_memberships?organization=" + fe.org + "&count=" + q + "&page_token=" + q},
				{"GET", "/v1/organizations/" + fe.org + "/invitations?count=" + q + "&page_token=" + q},
				{"GET", "/v1/organization_memberships/" + p}, {"DELETE", "/v1/organization_memberships/" + p},
			} {
				r := httptest.NewRequest(route.method, route.target, strings.NewReader("{}"))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", "Bearer "+fe.pat)
				checkFuzzAnswer(t, fe.fuzzEnv, r, s)
			}
		}
	})
}
