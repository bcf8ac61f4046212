package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// fuzzEnv is a server on one engine with a host (link, availability, an
// event type) and a client with a booking, so fuzzed requests reach the
// store on every route that takes text.
type fuzzEnv struct {
	engine       string
	e            *apitest.Env
	host, client string // access tokens
	code         string // the host's link
	booking      string // the client's booking with the host
	eventType    string
}

// fuzzEnvs starts one fuzzEnv per engine under test: SQLite always, and
// PostgreSQL when VIDIVO_TEST_DATABASE_URL is set (CI sets it), since
// PostgreSQL refuses text SQLite stores (NUL, invalid UTF-8).
func fuzzEnvs(f *testing.F) []fuzzEnv {
	f.Helper()
	var envs []fuzzEnv
	for _, engine := range sqldbtest.Engines() {
		e := apitest.New(f, engine, nil)
		fe := fuzzEnv{engine: engine, e: e}
		fe.host = mustDoF(f, e, "", "POST", "/v1/auth/signup",
			`{"email":"fuzz@example.com","password":"0123456789","username":"fuzzer","display_name":"F","role":"host"}`)["access_token"].(string)
		mustDoF(f, e, fe.host, "POST", "/v1/users/me/payouts/onboarding", "")
		link := mustDoF(f, e, fe.host, "POST", "/v1/links", `{"rate_per_minute":"2.50","window_size_minutes":10}`)
		fe.code = link["link"].(map[string]any)["short_code"].(string)
		week := `{"timezone":"UTC","rate_per_minute":"2.00","window_size_minutes":10,"weekly":[` +
			`{"day":"monday","intervals":[{"start":"00:00","end":"24:00"}]},{"day":"tuesday","intervals":[{"start":"00:00","end":"24:00"}]},` +
			`{"day":"wednesday","intervals":[{"start":"00:00","end":"24:00"}]},{"day":"thursday","intervals":[{"start":"00:00","end":"24:00"}]},` +
			`{"day":"friday","intervals":[{"start":"00:00","end":"24:00"}]},{"day":"saturday","intervals":[{"start":"00:00","end":"24:00"}]},` +
			`{"day":"sunday","intervals":[{"start":"00:00","end":"24:00"}]}]}`
		mustDoF(f, e, fe.host, "PUT", "/v1/users/me/availability", week)
		et := mustDoF(f, e, fe.host, "POST", "/v1/event_types", `{"name":"Intro","slug":"intro","duration_minutes":30}`)
		fe.eventType = et["resource"].(map[string]any)["id"].(string)
		fe.client = mustDoF(f, e, "", "POST", "/v1/auth/signup",
			`{"email":"guest@example.com","password":"0123456789","username":"guest","display_name":"G","role":"client"}`)["access_token"].(string)
		at := e.Clock.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 3).Add(10 * time.Hour)
		b := mustDoF(f, e, fe.client, "POST", "/v1/schedule/book",
			`{"host_username":"fuzzer","scheduled_at":"`+at.Format(time.RFC3339)+`","duration_minutes":30}`)
		fe.booking = b["scheduled_call"].(map[string]any)["id"].(string)
		envs = append(envs, fe)
	}
	return envs
}

// FuzzRequestBodies throws arbitrary bodies at the routes that decode JSON,
// on every engine. Whatever arrives, the answer is a documented success or
// a 4xx in the error format: never a 500, never a panic.
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
		// NUL (which PostgreSQL refuses in text) in every free-text field.
		`{"email":"a\u0000@b.co","password":"0123456789","username":"abc","display_name":"A","role":"client"}`,
		`{"email":"a@b.co","password":"0123456789","username":"ab\u0000c","display_name":"A\u0000","role":"client"}`,
		`{"email":"fuzz@example.com\u0000","password":"0123456789"}`,
		`{"refresh_token":"rt_\u0000"}`,
		`{"display_name":"x\u0000","avatar_url":"https://x.io/\u0000","timezone":"UTC\u0000"}`,
		`{"rate_per_minute":"2.50","window_size_minutes":10,"label":"a\u0000b"}`,
		`{"rate_per_minute":"2.50\u0000","window_size_minutes":10,"label":"a\r\nb"}`,
		`{"payment_method_id":"pm_card_visa\u0000","guest_name":"A","guest_email":"a@b.co"}`,
		`{"payment_method_id":"pm_card_visa","guest_name":"A\u0000","guest_email":"a@b.co\u0000"}`,
		`{"host_username":"fuzzer\u0000","scheduled_at":"2026-03-16T14:00:00Z","duration_minutes":30,"note":"n\u0000"}`,
		`{"host_username":"fuzzer","scheduled_at":"2026-03-16T14:00:00Z\u0000","event_type":"intro\u0000","payment_method_id":"pm\u0000"}`,
		`{"reason":"r\u0000"}`, `{"reason":"\u001b[31m"}`, `{"guest_name":"\u0000"}`,
		`{"name":"I\u0000","slug":"in\u0000tro","duration_minutes":15}`,
		`{"timezone":"UTC","weekly":[{"day":"monday\u0000","intervals":[{"start":"09:00\u0000","end":"17:00"}]}]}`,
		`{"timezone":"UTC","overrides":[{"date":"2026-03-16\u0000","intervals":[]}],"a\u0000":1}`,
		"{\"note\":\"\u0085\u007f\"}", `{"scheduled_at":"2026-03-16T14:00:00Z","duration_minutes":30,"note":"\ud800"}`,
	} {
		f.Add(seed)
	}
	envs := fuzzEnvs(f)
	f.Fuzz(func(t *testing.T, body string) {
		for _, fe := range envs {
			for _, route := range []struct{ method, path, tok string }{
				{"POST", "/v1/auth/signup", ""}, {"POST", "/v1/auth/login", ""}, {"POST", "/v1/auth/refresh", ""},
				{"POST", "/v1/auth/logout", fe.host}, {"PATCH", "/v1/users/me", fe.host},
				{"POST", "/v1/links", fe.host}, {"POST", "/v1/calls/links", fe.host}, {"POST", "/v1/calls/join/" + fe.code, ""},
				{"PUT", "/v1/users/me/availability", fe.host}, {"POST", "/v1/schedule/book", fe.client},
				{"POST", "/v1/event_types", fe.host}, {"PATCH", "/v1/event_types/" + fe.eventType, fe.host},
				{"POST", "/v1/schedule/" + fe.booking + "/reschedule", fe.client},
				{"POST", "/v1/calls/" + fe.booking + "/join", fe.client},
				{"PUT", "/v1/schedule/" + fe.booking + "/cancel", fe.client},
			} {
				r := httptest.NewRequest(route.method, route.path, strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				if route.tok != "" {
					r.Header.Set("Authorization", "Bearer "+route.tok)
				}
				checkFuzzAnswer(t, fe, r, body)
			}
		}
	})
}

// FuzzRequestTargets puts arbitrary text in path ids and query parameters,
// on every engine: a path that cannot name anything is 404, a bad
// parameter 400, never a 500.
func FuzzRequestTargets(f *testing.F) {
	for _, seed := range []string{
		"", "x", "\x00", "a\x00b", "\xff", "01JD3V6Y7Q8R9S0T1V2W3X4Y5Z", "01JD3V6Y7Q8R9S0T1V2W3X4Y5\x00", "k3J9xQ2mPz",
		"k3J9xQ2m\x00z", "9223372036854775807", "-9223372036854775808", "99999999999999999999", "1e3", "fuzzer\x00",
		"https://vidivo.test/v1/users/\x00", "https://vidivo.test/v1/event_types/\x00", "..", "%", "\u2028", "\x1b[0m",
	} {
		f.Add(seed)
	}
	envs := fuzzEnvs(f)
	f.Fuzz(func(t *testing.T, s string) {
		p, q := url.PathEscape(s), url.QueryEscape(s)
		for _, fe := range envs {
			for _, route := range []struct{ method, target, tok string }{
				{"GET", "/v1/links/" + p, ""}, {"DELETE", "/v1/links/" + p, fe.host}, {"GET", "/v1/calls/links/" + p + "/info", ""},
				{"GET", "/v1/calls/links/active/" + p, ""}, {"GET", "/v1/calls/" + p, fe.host},
				{"POST", "/v1/calls/" + p + "/end", fe.host}, {"POST", "/v1/calls/join/" + p, ""},
				{"GET", "/v1/schedule/" + p, ""}, {"GET", "/v1/schedule/" + p + "/calendar", fe.client},
				{"PUT", "/v1/schedule/" + p + "/cancel", fe.client}, {"GET", "/v1/event_types/" + p, ""},
				{"GET", "/v1/user_availability_schedules/" + p, ""},
				{"GET", "/v1/user_availability_schedules?user=" + q, ""}, {"GET", "/v1/event_types?user=" + q, ""},
				{"GET", "/v1/event_types?organization=" + q, ""}, {"GET", "/v1/user_busy_times?user=" + q, ""},
				{"GET", "/v1/event_type_available_times?event_type=" + q, ""},
				{"GET", "/v1/schedule/fuzzer?event_type=" + q + "&from=" + q, ""},
				{"GET", "/v1/calls/history?page=" + q + "&per_page=" + q + "&status=" + q, fe.host},
				{"GET", "/v1/schedule/mine?page=" + q + "&per_page=100", fe.client},
				{"GET", "/v1/links?cursor=" + q + "&limit=" + q, fe.host},
			} {
				r := httptest.NewRequest(route.method, route.target, strings.NewReader("{}"))
				r.Header.Set("Content-Type", "application/json")
				if route.tok != "" {
					r.Header.Set("Authorization", "Bearer "+route.tok)
				}
				checkFuzzAnswer(t, fe, r, s)
			}
		}
	})
}

// checkFuzzAnswer serves r and fails unless the answer is below 500 and,
// when an error, in the documented format.
func checkFuzzAnswer(t *testing.T, fe fuzzEnv, r *http.Request, input string) {
	t.Helper()
	w := httptest.NewRecorder()
	fe.e.Server.ServeHTTP(w, r)
	if w.Code >= 500 {
		t.Fatalf("%s: %s %s with %q → %d %s", fe.engine, r.Method, r.URL, input, w.Code, w.Body)
	}
	if w.Code >= 400 {
		var eb apitest.ErrorBody
		if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			t.Fatalf("%s: %s %s with %q → %d with a body not in the error format: %s", fe.engine, r.Method, r.URL, input, w.Code, w.Body)
		}
	}
}

// mustDoF sends one set-up request and returns its decoded JSON object.
func mustDoF(f *testing.F, e *apitest.Env, tok, method, path, body string) map[string]any {
	f.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	w := httptest.NewRecorder()
	e.Server.ServeHTTP(w, r)
	if w.Code >= 300 {
		f.Fatalf("%s %s = %d %s", method, path, w.Code, w.Body)
	}
	out := map[string]any{}
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			f.Fatalf("%s %s: decode %s: %v", method, path, w.Body, err)
		}
	}
	return out
}
