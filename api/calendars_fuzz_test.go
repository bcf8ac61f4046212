package api_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzCalendarBodies throws arbitrary bodies at POST and PATCH
// /v1/calendar_connections on every engine: a documented success or a 4xx
// in the error format, never a 500. The seeds name no host that needs DNS.
func FuzzCalendarBodies(f *testing.F) {
	for _, seed := range []string{
		`{"kind":"ics","url":"http://127.0.0.1:1/cal.ics","check_for_conflicts":true}`,
		`{"kind":"caldav","url":"http://127.0.0.1:1/","username":"u","password":"p","add_bookings":true}`,
		`{"kind":"ics","url":"http://169.254.169.254/latest/meta-data"}`,
		`{"kind":"caldav","url":"ftp://127.0.0.1/","username":"\u0000"}`,
		"{\"kind\":\"\xff\",\"url\":\"http://[::1]/\"}",
		`{"kind":"ics","url":"http://10.0.0.1/x.ics","when_failing":"sometimes"}`,
		`{"calendars":[{"id":"x","check_for_conflicts":"yes"}]}`,
		`{"url":1,"kind":[]}`, `{`, `null`, `{}`,
	} {
		f.Add(seed)
	}
	envs := fuzzEnvs(f)
	f.Fuzz(func(t *testing.T, body string) {
		for _, fe := range envs {
			for _, route := range []struct{ method, target string }{
				{"POST", "/v1/calendar_connections"},
				{"PATCH", "/v1/calendar_connections/01JD3V6Y7Q8R9S0T1V2W3X4Y5Z"},
			} {
				r := httptest.NewRequest(route.method, route.target, strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", "Bearer "+fe.host)
				checkFuzzAnswer(t, fe, r, body)
			}
		}
	})
}

// FuzzCalendarTargets puts arbitrary text in the calendar routes' path ids:
// 404 or 400, never a 500.
func FuzzCalendarTargets(f *testing.F) {
	for _, seed := range []string{"", "x", "\x00", "01JD3V6Y7Q8R9S0T1V2W3X4Y5Z", "01JD3V6Y7Q8R9S0T1V2W3X4Y5\x00", "\xff", ".."} {
		f.Add(seed)
	}
	envs := fuzzEnvs(f)
	f.Fuzz(func(t *testing.T, s string) {
		p := url.PathEscape(s)
		for _, fe := range envs {
			for _, route := range []struct{ method, target string }{
				{"GET", "/v1/calendar_connections/" + p}, {"DELETE", "/v1/calendar_connections/" + p},
				{"PATCH", "/v1/calendar_connections/" + p},
			} {
				r := httptest.NewRequest(route.method, route.target, strings.NewReader("{}"))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Authorization", "Bearer "+fe.host)
				checkFuzzAnswer(t, fe, r, s)
			}
		}
	})
}
