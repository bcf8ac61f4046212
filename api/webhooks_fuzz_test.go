package api_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzWebhookBodies throws arbitrary bodies at POST
// /v1/webhook_subscriptions on every engine: a documented success or a
// 4xx in the error format, never a 500.
func FuzzWebhookBodies(f *testing.F) {
	for _, seed := range []string{
		`{"url":"https://hooks.example.com/x","events":["invitee.created"],"user":"https://vidivo.test/v1/users/01JD3V6Y7Q8R9S0T1V2W3X4Y5Z","scope":"user"}`,
		`{"url":"http://127.0.0.1:1/x","events":["call.started"],"organization":"https://vidivo.test/v1/organizations/01JD3V6Y7Q8R9S0T1V2W3X4Y5Z","scope":"organization"}`,
		`{"url":"https://[::1]/","events":[],"scope":"user","signing_key":"whsec_AAAA"}`,
		"{\"url\":\"https://h\\u0000.example/\",\"events\":[\"\xff\"],\"scope\":\"user\"}",
		`{"url":1,"events":"x"}`, `{`, `null`, `{"signing_key":""}`,
	} {
		f.Add(seed)
	}
	envs := fuzzEnvs(f)
	f.Fuzz(func(t *testing.T, body string) {
		for _, fe := range envs {
			r := httptest.NewRequest("POST", "/v1/webhook_subscriptions", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+fe.host)
			checkFuzzAnswer(t, fe, r, body)
		}
	})
}

// FuzzWebhookTargets puts arbitrary text in the webhook routes' path ids
// and query parameters: 404 or 400, never a 500.
func FuzzWebhookTargets(f *testing.F) {
	for _, seed := range []string{"", "x", "\x00", "01JD3V6Y7Q8R9S0T1V2W3X4Y5Z", "01JD3V6Y7Q8R9S0T1V2W3X4Y5\x00", "user",
		"organization", "https://vidivo.test/v1/users/\x00", "-1", "101", "\xff", ".."} {
		f.Add(seed)
	}
	envs := fuzzEnvs(f)
	f.Fuzz(func(t *testing.T, s string) {
		p, q := url.PathEscape(s), url.QueryEscape(s)
		for _, fe := range envs {
			for _, route := range []struct{ method, target string }{
				{"GET", "/v1/webhook_subscriptions/" + p}, {"DELETE", "/v1/webhook_subscriptions/" + p},
				{"GET", "/v1/webhook_subscriptions/" + p + "/deliveries?count=" + q + "&page_token=" + q},
				{"POST", "/v1/webhook_subscriptions/" + p + "/deliveries/" + p + "/redeliver"},
				{"GET", "/v1/webhook_subscriptions?scope=" + q + "&user=" + q + "&organization=" + q + "&count=" + q + "&page_token=" + q},
				{"GET", "/v1/webhook_subscriptions?scope=user&user=" + q},
				{"GET", "/v1/webhook_subscriptions?scope=organization&organization=" + q},
			} {
				r := httptest.NewRequest(route.method, route.target, strings.NewReader("{}"))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", "Bearer "+fe.host)
				checkFuzzAnswer(t, fe, r, s)
			}
		}
	})
}
