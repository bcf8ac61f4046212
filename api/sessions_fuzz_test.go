package api_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// sessionFuzzEnv is a server with a host (payouts connected) and one
// session with a paying guest, so fuzzed requests reach the store.
type sessionFuzzEnv struct {
	fuzzEnv
	session, participant, token string
}

func sessionFuzzEnvs(f *testing.F) []sessionFuzzEnv {
	f.Helper()
	var envs []sessionFuzzEnv
	for _, engine := range sqldbtest.Engines() {
		e := apitest.New(f, engine, nil)
		fe := sessionFuzzEnv{fuzzEnv: fuzzEnv{engine: engine, e: e}}
		fe.host = mustDoF(f, e, "", "POST", "/v1/auth/signup",
			`{"email":"fuzz@example.com","password":"0123456789","username":"fuzzer","display_name":"F","role":"host"}`)["access_token"].(string)
		mustDoF(f, e, fe.host, "POST", "/v1/users/me/payouts/onboarding", "")
		start := e.Clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
		end := e.Clock.Now().Add(49 * time.Hour).Format(time.RFC3339)
		s := mustDoF(f, e, fe.host, "POST", "/v1/sessions", `{"session_name":"S","start_time":"`+start+`","end_time":"`+end+
			`","participants":[{"display_name":"H","role":"host"},{"display_name":"G","role":"guest","fee":{"amount":"5","currency":"usd"}}]}`)["resource"].(map[string]any)
		fe.session = s["id"].(string)
		p := s["participants"].([]any)[1].(map[string]any)
		fe.participant = p["participant_id"].(string)
		fe.token = strings.TrimPrefix(p["entry_url"].(string), apitest.PublicURL+"/s/")
		envs = append(envs, fe)
	}
	return envs
}

// FuzzSessionBodies throws arbitrary bodies at the sessions routes that
// decode JSON: a documented answer or a 4xx in the error format, never a
// 500, on every engine.
func FuzzSessionBodies(f *testing.F) {
	for _, seed := range []string{
		`{"session_name":"S","start_time":"2099-01-01T10:00:00Z","end_time":"2099-01-01T11:00:00Z","participants":[{"display_name":"H","role":"host"}]}`,
		`{"session_name":"\u0000","participants":[{"display_name":"\u0000","role":"host","email":"a\u0000@b.co"}]}`,
		`{"participants":[{"display_name":"G","role":"guest","fee":{"amount":"1e3","currency":"usd"}}]}`,
		`{"participants":[{"display_name":"G","role":"guest","fee":{"amount":"99999999999","currency":"\u0000"}}]}`,
		`{"display_name":"G","role":"guest","fee":{"amount":"0.5","currency":"usd"}}`, `{"display_name":"G","role":"host","fee":null}`,
		`{"start_time":"2099-01-01T10:00:00Z"}`, `{"end_time":""}`, `{"picture":null}`, `{"picture":"https://x/\u0000"}`,
		`{"payment_method_id":"pm_card_visa"}`, `{"payment_method_id":"pm_card_chargeDeclined"}`, `{"payment_method_id":"\u0000"}`,
		`{"payment_method_id":1}`, `{`, `[]`, `null`, `"x"`, "{\"session_name\":\"\xff\"}", `{"a":1}{"b":2}`, `{"start_time":1e400}`,
	} {
		f.Add(seed)
	}
	envs := sessionFuzzEnvs(f)
	f.Fuzz(func(t *testing.T, body string) {
		for _, fe := range envs {
			for _, route := range []struct{ method, path string }{
				{"POST", "/v1/sessions"}, {"PATCH", "/v1/sessions/" + fe.session},
				{"POST", "/v1/sessions/" + fe.session + "/participants"},
				{"POST", "/v1/sessions/entry/" + fe.token + "/pay"},
			} {
				r := httptest.NewRequest(route.method, route.path, strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", "Bearer "+fe.host)
				checkFuzzAnswer(t, fe.fuzzEnv, r, body)
			}
		}
	})
}

// FuzzSessionTargets puts arbitrary text in the sessions routes' path
// ids, entry tokens and query parameters: 404 or 400, never a 500.
func FuzzSessionTargets(f *testing.F) {
	for _, seed := range []string{
		"", "x", "\x00", "a\x00b", "\xff", "01JD3V6Y7Q8R9S0T1V2W3X4Y5Z", strings.Repeat("A", 43), strings.Repeat("\x00", 43),
		"2099-01-01T00:00:00Z", "2099-13-01T00:00:00Z", "-1", "0", "101", "99999999999999999999", "abc.def", "%", "\u2028",
	} {
		f.Add(seed)
	}
	envs := sessionFuzzEnvs(f)
	f.Fuzz(func(t *testing.T, s string) {
		p, q := url.PathEscape(s), url.QueryEscape(s)
		for _, fe := range envs {
			for _, route := range []struct{ method, target string }{
				{"GET", "/v1/sessions/" + p}, {"DELETE", "/v1/sessions/" + p + "/participants/" + p},
				{"POST", "/v1/sessions/" + fe.session + "/participants/" + p + "/reissue"},
				{"GET", "/v1/sessions/entry/" + p}, {"POST", "/v1/sessions/entry/" + p + "/join"},
				{"GET", "/v1/sessions/entry/" + p + "/invite.ics"},
				{"GET", "/v1/sessions?start=" + q}, {"GET", "/v1/sessions?end=" + q}, {"GET", "/v1/sessions?count=" + q},
				{"GET", "/v1/sessions?page_token=" + q}, {"GET", "/v1/sessions/payments?count=" + q},
			} {
				r := httptest.NewRequest(route.method, route.target, nil)
				r.Header.Set("Authorization", "Bearer "+fe.host)
				checkFuzzAnswer(t, fe.fuzzEnv, r, s)
			}
		}
	})
}
