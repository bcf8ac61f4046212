package apitest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

var (
	fileContractOnce sync.Once
	fileContract     *Contract
	fileContractErr  error
)

// specContract returns the Contract for ../openapi.yaml, built once and
// shared by the parallel tests, as the API tests share theirs.
func specContract(t *testing.T) *Contract {
	t.Helper()
	fileContractOnce.Do(func() {
		spec, err := os.ReadFile("../openapi.yaml")
		if err != nil {
			fileContractErr = err
			return
		}
		fileContract, fileContractErr = NewContract(spec)
	})
	if fileContractErr != nil {
		t.Fatalf("NewContract: %v", fileContractErr)
	}
	return fileContract
}

// Call-link bodies as the seed docs show them, with a valid ULID and a real
// ten-character short code.
const (
	linkID       = "01JN2X7N1Q6J0TSCVYZ9AEMGHK"
	callLinkJSON = `{"id":"` + linkID + `","short_code":"k3J9xQ2mPz","url":"https://vidivo.app/c/k3J9xQ2mPz",` +
		`"host_id":"01JN2X4K8M3F7QPZRVWT6YBHCE","rate_per_minute":"2.50","window_size_minutes":10,` +
		`"expires_at":"2026-03-22T00:00:00Z","max_uses":1,"use_count":0,"label":"Session with Alex",` +
		`"is_active":true,"created_at":"2026-03-15T10:00:00Z"}`
	linkJSON = `{"id":"` + linkID + `","short_code":"k3J9xQ2mPz","url":"https://vidivo.app/c/k3J9xQ2mPz",` +
		`"host_id":"01JN2X4K8M3F7QPZRVWT6YBHCE","rate_per_minute":"2.50","window_size_minutes":10,` +
		`"expires_at":"2026-03-22T00:00:00Z","max_uses":1,"use_count":0,"label":"Session with Alex",` +
		`"scheduled_start":null,"scheduled_end":null,"is_active":true,"created_at":"2026-03-15T10:00:00Z"}`
	linkListItemJSON = `{"id":"` + linkID + `","short_code":"k3J9xQ2mPz","url":"https://vidivo.app/c/k3J9xQ2mPz",` +
		`"rate_per_minute":"2.50","window_size_minutes":10,"expires_at":"2026-03-22T00:00:00Z","max_uses":1,` +
		`"use_count":0,"label":"Session with Alex","is_active":true,"created_at":"2026-03-15T10:00:00Z"}`
	publicLinkJSON = `{"link":{"short_code":"k3J9xQ2mPz","url":"https://vidivo.app/c/k3J9xQ2mPz",` +
		`"host":{"display_name":"Jane Smith"},"rate_per_minute":"2.50","window_size_minutes":10,` +
		`"is_active":true,"scheduled_start":null,"scheduled_end":null}}`
	linkInfoJSON = `{"short_code":"k3J9xQ2mPz","host":{"display_name":"Jane Smith",` +
		`"avatar_url":"https://cdn.vidivo.app/avatars/01JN2X4K.jpg","username":"janecoach"},` +
		`"rate_per_minute":"2.50","window_size_minutes":10,"is_active":true}`
)

const (
	userJSON = `{"id":"01JN2X4K8M3F7QPZRVWT6YBHCE","email":"jane@example.com","username":"janecoach",` +
		`"display_name":"Jane Smith","avatar_url":"https://cdn.vidivo.app/avatars/01JN2X4K.jpg",` +
		`"role":"host","timezone":"Europe/Berlin","created_at":"2026-03-15T10:00:00Z"}`
	sessionJSON = `{"user":` + userJSON + `,"access_token":"eyJhbGciOiJSUzI1NiJ9...",` +
		`"refresh_token":"rt_01JN2X4K8M3F7QPZRVWT6YBHCE","token_type":"Bearer","expires_in":900}`
	signupJSON = `{"email":"jane@example.com","password":"correct-horse-battery","username":"janecoach",` +
		`"display_name":"Jane Smith","role":"host"}`
)

// Call bodies as the handlers write them.
const (
	callID     = "01JN2X6M0P5H9SRBTXY8ZDKEFG"
	turnJSON   = `{"urls":["turn:turn.vidivo.app:3478","turns:turn.vidivo.app:5349"],"username":"1710090000:01JN2X7Q2R6J0TSCVYZ9AEMGHM","credential":"kC8cgbQ5AcSOswvXC3V/0p9nRyw="}`
	joinedJSON = `{"call":{"id":"` + callID + `","status":"waiting","short_code":"k3J9xQ2mPz",` +
		`"host":{"id":"01JN2X4K8M3F7QPZRVWT6YBHCE","display_name":"Jane Smith"},"rate_per_minute":"2.50",` +
		`"window_size_minutes":10,"created_at":"2026-03-15T14:00:00Z"},"signaling_token":"st_eyJ4IjoxfQ.c2ln",` +
		`"turn_credentials":` + turnJSON + `,"guest_token":"eyJhbGciOiJSUzI1NiJ9..."}`
	hostJoinedJSON = `{"call":{"id":"` + callID + `","status":"active"},"signaling_token":"st_eyJ4IjoxfQ.c2ln",` +
		`"turn_credentials":` + turnJSON + `}`

	// signalingTokenJSON answers POST /v1/calls/{id}/signaling-token.
	signalingTokenJSON = `{"signaling_token":"st_eyJ4IjoxfQ.c2ln","turn_credentials":` + turnJSON + `}`

	endedJSON = `{"call":{"id":"` + callID + `","status":"completed","duration_seconds":450,"billed_minutes":8,` +
		`"total_charged":"20.00","currency":"usd","ended_at":"2026-03-15T14:07:30Z"}}`
	// callFields are a call's fields but charges: history lists calls
	// without them, GET /v1/calls/{id} with.
	callFields = `"id":"` + callID + `","status":"waiting","short_code":"k3J9xQ2mPz",` +
		`"host_id":"01JN2X4K8M3F7QPZRVWT6YBHCE","guest_name":null,"rate_per_minute":"2.50","window_size_minutes":10,` +
		`"created_at":"2026-03-15T14:00:00Z","ringing_at":null,"active_at":null,"ended_at":null,"end_reason":null,` +
		`"duration_seconds":0,"billed_minutes":0,"total_charged":"0.00","currency":"usd"`
	chargesJSON    = `[{"kind":"hold","window":0,"amount":"25.00","state":"succeeded","created_at":"2026-03-15T14:00:00Z"}]`
	callItemJSON   = `{` + callFields + `}`
	callDetailJSON = `{` + callFields + `,"charges":` + chargesJSON + `}`
	callGetJSON    = `{"call":` + callDetailJSON + `}`
)

// Scheduling bodies as the handlers write them.
const (
	bookingID        = "01JN2X8P3S7K1TVDWZAB0FNHJQ"
	availabilityJSON = `{"timezone":"Europe/Berlin","weekly":[{"day":"monday","intervals":[{"start":"09:00","end":"12:00"},` +
		`{"start":"13:00","end":"24:00"}]}],"overrides":[{"date":"2026-03-18","intervals":[]}],"slot_minutes":30,` +
		`"buffer_before_minutes":0,"buffer_after_minutes":10,"min_notice_minutes":120,"max_days_ahead":30,` +
		`"rate_per_minute":"2.50","window_size_minutes":10,"require_payment_method":true,"max_upcoming_bookings_per_guest":2}`
	defaultAvailabilityJSON = `{"timezone":"UTC","weekly":[],"overrides":[],"slot_minutes":60,"buffer_before_minutes":0,` +
		`"buffer_after_minutes":0,"min_notice_minutes":0,"max_days_ahead":60,"rate_per_minute":null,"window_size_minutes":null,` +
		`"require_payment_method":false,"max_upcoming_bookings_per_guest":3}`
	slotsJSON = `{"host":{"display_name":"Jane Smith","username":"janecoach","timezone":"UTC","rate_per_minute":"2.50",` +
		`"window_size_minutes":10},"slots":[{"date":"2026-03-16","start_time":"09:00","end_time":"10:00","available":true,` +
		`"start":"2026-03-16T09:00:00Z","end":"2026-03-16T10:00:00Z"},{"date":"2026-03-16","start_time":"23:00",` +
		`"end_time":"24:00","available":false,"start":"2026-03-16T23:00:00Z","end":"2026-03-17T00:00:00Z"}]}`
	scheduledCallJSON = `{"id":"` + bookingID + `","host":{"id":"01JN2X4K8M3F7QPZRVWT6YBHCE","username":"janecoach",` +
		`"display_name":"Jane Smith"},"guest":{"id":"01JN2X5M9N4G8RQAZXWY7ZCDFH","username":"alexdoe","display_name":"Alex Doe"},` +
		`"scheduled_at":"2026-03-16T14:00:00Z","duration_minutes":30,"ends_at":"2026-03-16T14:30:00Z",` +
		`"note":"Career coaching session","status":"confirmed","join_url":"https://vidivo.test/join/` + bookingID + `",` +
		`"calendar_url":"https://vidivo.test/v1/schedule/` + bookingID + `/calendar",` + noTrackingJSON + `}`
	noTrackingJSON   = `"tracking":{"utm_source":null,"utm_medium":null,"utm_campaign":null,"utm_content":null,"utm_term":null}`
	canceledCallJSON = `{"id":"` + bookingID + `","host":{"id":"01JN2X4K8M3F7QPZRVWT6YBHCE","username":"janecoach",` +
		`"display_name":"Jane Smith"},"guest":{"id":"01JN2X5M9N4G8RQAZXWY7ZCDFH","username":"alexdoe","display_name":"Alex Doe"},` +
		`"scheduled_at":"2026-03-16T14:00:00Z","duration_minutes":30,"ends_at":"2026-03-16T14:30:00Z",` +
		`"note":null,"status":"canceled","join_url":"https://vidivo.test/join/` + bookingID + `",` +
		`"calendar_url":"https://vidivo.test/v1/schedule/` + bookingID + `/calendar",` +
		`"canceled_by":"01JN2X5M9N4G8RQAZXWY7ZCDFH","rescheduled":true,"tracking":{"utm_source":"newsletter",` +
		`"utm_medium":"email","utm_campaign":null,"utm_content":null,"utm_term":null}}`
	icsBody = "BEGIN:VCALENDAR\r\nPRODID:-//Vidivo//Vidivo Calls//EN\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\n" +
		"METHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:" + bookingID + "@vidivo\r\nSEQUENCE:0\r\nSTATUS:CONFIRMED\r\n" +
		"END:VEVENT\r\nEND:VCALENDAR\r\n"
)

// Integration bodies (Calendly-style) as the handlers write them.
const (
	eventTypeID   = "01JN2XA0B1C2D3E4F5G6H7J8K9"
	eventTypeJSON = `{"id":"` + eventTypeID + `","uri":"https://vidivo.test/v1/event_types/` + eventTypeID + `",` +
		`"name":"30 minute coaching","slug":"coaching-30","duration_minutes":30,"active":true,` +
		`"scheduling_url":"https://vidivo.test/schedule/janecoach/coaching-30",` +
		`"created_at":"2026-03-15T10:00:00Z","updated_at":"2026-03-15T10:00:00Z"}`
	availableTimesJSON = `{"collection":[{"status":"available","invitees_remaining":1,"start_time":"2026-03-16T09:00:00Z",` +
		`"scheduling_url":"https://vidivo.test/schedule/janecoach/coaching-30/2026-03-16T09:00:00Z?month=2026-03&date=2026-03-16"}]}`
	availabilityScheduleJSON = `{"uri":"https://vidivo.test/v1/user_availability_schedules/01JN2X4K8M3F7QPZRVWT6YBHCE",` +
		`"default":true,"name":"Working hours","user":"https://vidivo.test/v1/users/01JN2X4K8M3F7QPZRVWT6YBHCE",` +
		`"timezone":"Europe/Berlin","rules":[{"type":"wday","wday":"monday","intervals":[{"from":"09:00","to":"12:00"},` +
		`{"from":"13:00","to":"24:00"}]},{"type":"wday","wday":"tuesday","intervals":[]},` +
		`{"type":"date","date":"2026-12-24","intervals":[]}]}`
	busyTimesJSON = `{"collection":[{"type":"vidivo","start_time":"2026-03-16T14:00:00Z","end_time":"2026-03-16T14:30:00Z",` +
		`"buffered_start_time":"2026-03-16T13:50:00Z","buffered_end_time":"2026-03-16T14:35:00Z"}]}`
)

// testExchange is one hand-built request and response.
type testExchange struct {
	method, url string
	reqBody     string
	status      int
	contentType string
	header      http.Header // extra response headers
	body        string
}

// checkExchange runs e through c.Check as a test server's client would.
func checkExchange(c *Contract, e testExchange) error {
	req := httptest.NewRequest(e.method, e.url, strings.NewReader(e.reqBody))
	h := http.Header{}
	if e.contentType != "" {
		h.Set("Content-Type", e.contentType)
	}
	for k, vs := range e.header {
		h[k] = vs
	}
	return c.Check(req, []byte(e.reqBody), e.status, h, []byte(e.body))
}

func TestNewContract(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, spec string
	}{
		{"not yaml", "openapi: [3.1.0"},
		{"invalid document", "openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n"},
		{"undecodable media type", `openapi: 3.1.0
info: {title: x, version: "1"}
paths:
  /x:
    get:
      responses:
        "200":
          description: ok
          content:
            application/vnd.example:
              schema: {type: object}
`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewContract([]byte(tt.spec)); err == nil {
				t.Fatal("NewContract succeeded, want an error")
			}
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	const host = "http://127.0.0.1:34567"
	spec, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		ex      testExchange
		wantErr string // "" means the exchange must pass
	}{
		{
			name: "signup 201 session",
			ex:   testExchange{method: "POST", url: host + "/v1/auth/signup", reqBody: signupJSON, status: 201, contentType: "application/json", body: sessionJSON},
		},
		{
			name: "signup 201 without access_token",
			ex: testExchange{method: "POST", url: host + "/v1/auth/signup", reqBody: signupJSON, status: 201, contentType: "application/json",
				body: strings.Replace(sessionJSON, `"access_token":"eyJhbGciOiJSUzI1NiJ9...",`, "", 1)},
			wantErr: "access_token",
		},
		{
			name: "signup 201 with token_type other than Bearer",
			ex: testExchange{method: "POST", url: host + "/v1/auth/signup", status: 201, contentType: "application/json",
				body: strings.Replace(sessionJSON, `"Bearer"`, `"bearer"`, 1)},
			wantErr: "token_type",
		},
		{
			name: "signup 429 with Retry-After",
			ex: testExchange{method: "POST", url: host + "/v1/auth/signup", status: 429, contentType: "application/json",
				header: http.Header{"Retry-After": {"30"}}, body: `{"error":{"code":"rate_limited","message":"too many requests"}}`},
		},
		{
			name: "signup 429 without Retry-After",
			ex: testExchange{method: "POST", url: host + "/v1/auth/signup", status: 429, contentType: "application/json",
				body: `{"error":{"code":"rate_limited","message":"too many requests"}}`},
			wantErr: "Retry-After",
		},
		{
			name:    "unknown path",
			ex:      testExchange{method: "GET", url: host + "/v1/nope", status: 200, contentType: "application/json", body: `{}`},
			wantErr: "/v1/nope",
		},
		{
			name:    "wrong method",
			ex:      testExchange{method: "DELETE", url: host + "/v1/users/me", status: 204},
			wantErr: "DELETE /v1/users/me",
		},
		{
			name: "get me with query string",
			ex:   testExchange{method: "GET", url: host + "/v1/users/me?x=1", status: 200, contentType: "application/json", body: `{"user":` + userJSON + `}`},
		},
		{
			name: "user with undocumented property",
			ex: testExchange{method: "GET", url: host + "/v1/users/me", status: 200, contentType: "application/json",
				body: `{"user":` + strings.Replace(userJSON, `{`, `{"password_hash":"x",`, 1) + `}`},
			wantErr: "password_hash",
		},
		{
			name: "user with bad ULID",
			ex: testExchange{method: "GET", url: host + "/v1/users/me", status: 200, contentType: "application/json",
				body: `{"user":` + strings.Replace(userJSON, "01JN2X4K8M3F7QPZRVWT6YBHCE", "01JN2X4K8M3F7QPZRVWT6YBHCI", 1) + `}`},
			wantErr: "id",
		},
		{
			name: "user with avatar_url null",
			ex: testExchange{method: "PATCH", url: host + "/v1/users/me", reqBody: `{"avatar_url":null}`, status: 200, contentType: "application/json",
				body: `{"user":` + strings.Replace(userJSON, `"https://cdn.vidivo.app/avatars/01JN2X4K.jpg"`, "null", 1) + `}`},
		},
		{
			name: "user with avatar_url a number",
			ex: testExchange{method: "GET", url: host + "/v1/users/me", status: 200, contentType: "application/json",
				body: `{"user":` + strings.Replace(userJSON, `"https://cdn.vidivo.app/avatars/01JN2X4K.jpg"`, "7", 1) + `}`},
			wantErr: "avatar_url",
		},
		{
			name: "validation error with details",
			ex: testExchange{method: "POST", url: host + "/v1/auth/signup", reqBody: `{}`, status: 400, contentType: "application/json; charset=utf-8",
				body: `{"error":{"code":"validation_error","message":"request is invalid","details":[{"field":"email","issue":"is required"}]}}`},
		},
		{
			name: "error with unknown code",
			ex: testExchange{method: "GET", url: host + "/v1/users/me", status: 401, contentType: "application/json",
				body: `{"error":{"code":"token_expired","message":"expired"}}`},
			wantErr: "code",
		},
		{
			name: "logout 204 without body",
			ex:   testExchange{method: "POST", url: host + "/v1/auth/logout", reqBody: `{"refresh_token":"x"}`, status: 204},
		},
		{
			name:    "logout 204 with a body",
			ex:      testExchange{method: "POST", url: host + "/v1/auth/logout", status: 204, contentType: "application/json", body: `{}`},
			wantErr: "without a body",
		},
		{
			name: "metrics text/plain",
			ex: testExchange{method: "GET", url: host + "/metrics", status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8; escaping=underscores",
				body: "# HELP vidivo_http_requests_total HTTP requests.\n# TYPE vidivo_http_requests_total counter\nvidivo_http_requests_total 1\n"},
		},
		{
			name:    "metrics as JSON",
			ex:      testExchange{method: "GET", url: host + "/metrics", status: 200, contentType: "application/json", body: `{}`},
			wantErr: "application/json",
		},
		{
			name: "openapi.yaml application/yaml",
			ex:   testExchange{method: "GET", url: host + "/v1/openapi.yaml", status: 200, contentType: "application/yaml", body: string(spec)},
		},
		{
			name: "jwks",
			ex: testExchange{method: "GET", url: host + "/.well-known/jwks.json", status: 200, contentType: "application/json",
				body: `{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"k1","n":"0vx7agoebGc","e":"AQAB"}]}`},
		},
		{
			name: "healthz",
			ex:   testExchange{method: "GET", url: host + "/healthz", status: 200, contentType: "application/json", body: `{"status":"ok"}`},
		},
		{
			name: "readyz 503",
			ex: testExchange{method: "GET", url: host + "/readyz", status: 503, contentType: "application/json",
				body: `{"status":"not_ready","reason":"database unreachable"}`},
		},
		{
			name:    "readyz 503 without reason",
			ex:      testExchange{method: "GET", url: host + "/readyz", status: 503, contentType: "application/json", body: `{"status":"not_ready"}`},
			wantErr: "reason",
		},
		{
			name: "create link 201",
			ex:   testExchange{method: "POST", url: host + "/v1/links", status: 201, contentType: "application/json", body: `{"link":` + linkJSON + `}`},
		},
		{
			name: "create link 201 unlimited, never expiring, unlabelled, scheduled",
			ex: testExchange{method: "POST", url: host + "/v1/links", status: 201, contentType: "application/json",
				body: `{"link":` + strings.NewReplacer(`"2026-03-22T00:00:00Z"`, "null", `"max_uses":1`, `"max_uses":null`,
					`"Session with Alex"`, "null", `"scheduled_start":null`, `"scheduled_start":"2026-03-15T14:00:00Z"`,
					`"scheduled_end":null`, `"scheduled_end":"2026-03-15T15:00:00Z"`).Replace(linkJSON) + `}`},
		},
		{
			name: "create link 201 without scheduled_start",
			ex: testExchange{method: "POST", url: host + "/v1/links", status: 201, contentType: "application/json",
				body: `{"link":` + strings.Replace(linkJSON, `"scheduled_start":null,`, "", 1) + `}`},
			wantErr: `property "scheduled_start" is missing`,
		},
		{
			name:    "create link 201 without envelope",
			ex:      testExchange{method: "POST", url: host + "/v1/links", status: 201, contentType: "application/json", body: linkJSON},
			wantErr: `property "link" is missing`,
		},
		{
			name: "create link 201 with rate of one decimal",
			ex: testExchange{method: "POST", url: host + "/v1/links", status: 201, contentType: "application/json",
				body: `{"link":` + strings.Replace(linkJSON, `"2.50"`, `"2.5"`, 1) + `}`},
			wantErr: "rate_per_minute",
		},
		{
			name: "create link 201 with rate as a number",
			ex: testExchange{method: "POST", url: host + "/v1/links", status: 201, contentType: "application/json",
				body: `{"link":` + strings.Replace(linkJSON, `"2.50"`, `2.5`, 1) + `}`},
			wantErr: "rate_per_minute",
		},
		{
			name: "create link 201 with a six-character short code",
			ex: testExchange{method: "POST", url: host + "/v1/links", status: 201, contentType: "application/json",
				body: `{"link":` + strings.Replace(linkJSON, `"short_code":"k3J9xQ2mPz"`, `"short_code":"abc123"`, 1) + `}`},
			wantErr: "short_code",
		},
		{
			name: "create link 201 with window of 61 minutes",
			ex: testExchange{method: "POST", url: host + "/v1/links", status: 201, contentType: "application/json",
				body: `{"link":` + strings.Replace(linkJSON, `"window_size_minutes":10`, `"window_size_minutes":61`, 1) + `}`},
			wantErr: "window_size_minutes",
		},
		{
			name: "create link 201 with negative use_count",
			ex: testExchange{method: "POST", url: host + "/v1/links", status: 201, contentType: "application/json",
				body: `{"link":` + strings.Replace(linkJSON, `"use_count":0`, `"use_count":-1`, 1) + `}`},
			wantErr: "use_count",
		},
		{
			name: "create link 402 stripe_not_connected",
			ex: testExchange{method: "POST", url: host + "/v1/links", status: 402, contentType: "application/json",
				body: `{"error":{"code":"stripe_not_connected","message":"finish Stripe onboarding first"}}`},
		},
		{
			name: "list links 200",
			ex: testExchange{method: "GET", url: host + "/v1/links?limit=20&active=true", status: 200, contentType: "application/json",
				body: `{"links":[` + linkListItemJSON + `],"pagination":{"cursor":null,"has_more":false,"limit":20}}`},
		},
		{
			name: "list links 200 with a cursor",
			ex: testExchange{method: "GET", url: host + "/v1/links?limit=1", status: 200, contentType: "application/json",
				body: `{"links":[` + linkListItemJSON + `],"pagination":{"cursor":"` + linkID + `","has_more":true,"limit":1}}`},
		},
		{
			name: "list links 200 with a full link",
			ex: testExchange{method: "GET", url: host + "/v1/links", status: 200, contentType: "application/json",
				body: `{"links":[` + linkJSON + `],"pagination":{"cursor":null,"has_more":false,"limit":20}}`},
			wantErr: `property "host_id" is unsupported`,
		},
		{
			name:    "list links 200 without pagination",
			ex:      testExchange{method: "GET", url: host + "/v1/links", status: 200, contentType: "application/json", body: `{"links":[]}`},
			wantErr: "pagination",
		},
		{
			name: "get link 200 public",
			ex:   testExchange{method: "GET", url: host + "/v1/links/k3J9xQ2mPz", status: 200, contentType: "application/json", body: publicLinkJSON},
		},
		{
			name: "get link 200 owner",
			ex: testExchange{method: "GET", url: host + "/v1/links/k3J9xQ2mPz", status: 200, contentType: "application/json",
				body: `{"link":` + strings.Replace(linkJSON, `"host_id":"01JN2X4K8M3F7QPZRVWT6YBHCE",`,
					`"host_id":"01JN2X4K8M3F7QPZRVWT6YBHCE","host":{"display_name":"Jane Smith"},`, 1) + `}`},
		},
		{
			name: "get link 200 owner without host",
			ex: testExchange{method: "GET", url: host + "/v1/links/k3J9xQ2mPz", status: 200, contentType: "application/json",
				body: `{"link":` + linkJSON + `}`},
			wantErr: `property "host" is missing`,
		},
		{
			name: "get link 200 public leaking use_count",
			ex: testExchange{method: "GET", url: host + "/v1/links/k3J9xQ2mPz", status: 200, contentType: "application/json",
				body: strings.Replace(publicLinkJSON, `"is_active":true`, `"is_active":true,"use_count":3`, 1)},
			wantErr: `property "use_count" is unsupported`,
		},
		{
			name: "get link 410 link_exhausted",
			ex: testExchange{method: "GET", url: host + "/v1/links/k3J9xQ2mPz", status: 410, contentType: "application/json",
				body: `{"error":{"code":"link_exhausted","message":"this link has reached its maximum number of uses"}}`},
		},
		{
			name: "delete link 204",
			ex:   testExchange{method: "DELETE", url: host + "/v1/links/" + linkID, status: 204},
		},
		{
			name: "create call link 201",
			ex:   testExchange{method: "POST", url: host + "/v1/calls/links", status: 201, contentType: "application/json", body: callLinkJSON},
		},
		{
			name:    "create call link 201 with schedule",
			ex:      testExchange{method: "POST", url: host + "/v1/calls/links", status: 201, contentType: "application/json", body: linkJSON},
			wantErr: `property "scheduled_start" is unsupported`,
		},
		{
			name: "create call link 201 in an envelope",
			ex: testExchange{method: "POST", url: host + "/v1/calls/links", status: 201, contentType: "application/json",
				body: `{"link":` + callLinkJSON + `}`},
			wantErr: `property "link" is unsupported`,
		},
		{
			name: "list call links 200",
			ex: testExchange{method: "GET", url: host + "/v1/calls/links", status: 200, contentType: "application/json",
				body: `[` + callLinkJSON + `,` + strings.Replace(callLinkJSON, `"is_active":true`, `"is_active":false`, 1) + `]`},
		},
		{
			name: "create call link 201 unlimited and unlabelled",
			ex: testExchange{method: "POST", url: host + "/v1/calls/links", status: 201, contentType: "application/json",
				body: strings.NewReplacer(`"max_uses":1`, `"max_uses":null`, `"Session with Alex"`, "null").Replace(callLinkJSON)},
		},
		{
			name: "create call link 201 with expires_at not RFC 3339",
			ex: testExchange{method: "POST", url: host + "/v1/calls/links", status: 201, contentType: "application/json",
				body: strings.Replace(callLinkJSON, `"2026-03-22T00:00:00Z"`, `"2026-03-22 00:00"`, 1)},
			wantErr: "expires_at",
		},
		{
			name: "create call link 201 with max_uses 0",
			ex: testExchange{method: "POST", url: host + "/v1/calls/links", status: 201, contentType: "application/json",
				body: strings.Replace(callLinkJSON, `"max_uses":1`, `"max_uses":0`, 1)},
			wantErr: "max_uses",
		},
		{
			name: "list call links 200 empty",
			ex:   testExchange{method: "GET", url: host + "/v1/calls/links", status: 200, contentType: "application/json", body: `[]`},
		},
		{
			name: "delete call link 204",
			ex:   testExchange{method: "DELETE", url: host + "/v1/calls/links/" + linkID, status: 204},
		},
		{
			name: "call link info 200",
			ex:   testExchange{method: "GET", url: host + "/v1/calls/links/k3J9xQ2mPz/info", status: 200, contentType: "application/json", body: linkInfoJSON},
		},
		{
			name: "call link info 200 without avatar",
			ex: testExchange{method: "GET", url: host + "/v1/calls/links/k3J9xQ2mPz/info", status: 200, contentType: "application/json",
				body: strings.Replace(linkInfoJSON, `"https://cdn.vidivo.app/avatars/01JN2X4K.jpg"`, "null", 1)},
		},
		{
			name: "call link info 200 without username",
			ex: testExchange{method: "GET", url: host + "/v1/calls/links/k3J9xQ2mPz/info", status: 200, contentType: "application/json",
				body: strings.Replace(linkInfoJSON, `,"username":"janecoach"`, "", 1)},
			wantErr: "username",
		},
		{
			name: "call link info 410 link_expired",
			ex: testExchange{method: "GET", url: host + "/v1/calls/links/k3J9xQ2mPz/info", status: 410, contentType: "application/json",
				body: `{"error":{"code":"link_expired","message":"this link has expired"}}`},
		},
		{
			name: "active call link 200",
			ex:   testExchange{method: "GET", url: host + "/v1/calls/links/active/janecoach", status: 200, contentType: "application/json", body: linkInfoJSON},
		},
		{
			// The literal "active" segment routes to getActiveCallLink, not
			// to getCallLinkInfo with a short code of "active".
			name:    "active call link routes by its literal segment",
			ex:      testExchange{method: "GET", url: host + "/v1/calls/links/active/janecoach", status: 200, contentType: "application/json", body: `{}`},
			wantErr: "getActiveCallLink",
		},
		{
			name:    "get on a call link id",
			ex:      testExchange{method: "GET", url: host + "/v1/calls/links/" + linkID, status: 200, contentType: "application/json", body: callLinkJSON},
			wantErr: "GET /v1/calls/links/" + linkID,
		},
		{
			name: "join 201",
			ex:   testExchange{method: "POST", url: host + "/v1/calls/join/k3J9xQ2mPz", status: 201, contentType: "application/json", body: joinedJSON},
		},
		{
			name: "join 201 replayed",
			ex: testExchange{method: "POST", url: host + "/v1/calls/join/k3J9xQ2mPz", status: 201, contentType: "application/json",
				header: http.Header{"Idempotent-Replayed": {"true"}}, body: joinedJSON},
		},
		{
			// "join" is a fixed segment: it wins over /v1/calls/{id}/end.
			name:    "join routes by its literal segment",
			ex:      testExchange{method: "POST", url: host + "/v1/calls/join/end", status: 200, contentType: "application/json", body: endedJSON},
			wantErr: "joinCall",
		},
		{
			name: "join 201 without guest_token",
			ex: testExchange{method: "POST", url: host + "/v1/calls/join/k3J9xQ2mPz", status: 201, contentType: "application/json",
				body: strings.Replace(joinedJSON, `,"guest_token":"eyJhbGciOiJSUzI1NiJ9..."`, "", 1)},
			wantErr: "guest_token",
		},
		{
			name: "join 201 with a signaling token without st_",
			ex: testExchange{method: "POST", url: host + "/v1/calls/join/k3J9xQ2mPz", status: 201, contentType: "application/json",
				body: strings.Replace(joinedJSON, `"st_`, `"xx_`, 1)},
			wantErr: "signaling_token",
		},
		{
			name: "join 201 with an unknown status",
			ex: testExchange{method: "POST", url: host + "/v1/calls/join/k3J9xQ2mPz", status: 201, contentType: "application/json",
				body: strings.Replace(joinedJSON, `"waiting"`, `"pending"`, 1)},
			wantErr: "status",
		},
		{
			name: "join 402 stripe_error",
			ex: testExchange{method: "POST", url: host + "/v1/calls/join/k3J9xQ2mPz", status: 402, contentType: "application/json",
				body: `{"error":{"code":"stripe_error","message":"the card was declined"}}`},
		},
		{
			name: "host-join 201",
			ex:   testExchange{method: "POST", url: host + "/v1/calls/" + callID + "/host-join", status: 201, contentType: "application/json", body: hostJoinedJSON},
		},
		{
			name:    "host-join 201 with a join body",
			ex:      testExchange{method: "POST", url: host + "/v1/calls/" + callID + "/host-join", status: 201, contentType: "application/json", body: joinedJSON},
			wantErr: "hostJoinCall",
		},
		{
			name: "signaling token 201",
			ex: testExchange{method: "POST", url: host + "/v1/calls/" + callID + "/signaling-token", status: 201, contentType: "application/json",
				body: signalingTokenJSON},
		},
		{
			name: "signaling token 201 with a host-join body",
			ex: testExchange{method: "POST", url: host + "/v1/calls/" + callID + "/signaling-token", status: 201, contentType: "application/json",
				body: hostJoinedJSON},
			wantErr: "createSignalingToken",
		},
		{
			name: "signaling token 201 without turn_credentials",
			ex: testExchange{method: "POST", url: host + "/v1/calls/" + callID + "/signaling-token", status: 201, contentType: "application/json",
				body: `{"signaling_token":"st_eyJ4IjoxfQ.c2ln"}`},
			wantErr: "turn_credentials",
		},
		{
			name: "signaling token 409 for an ended call",
			ex: testExchange{method: "POST", url: host + "/v1/calls/" + callID + "/signaling-token", status: 409, contentType: "application/json",
				body: `{"error":{"code":"conflict","message":"the call already ended (completed)"}}`},
		},
		{
			name: "signaling token 403",
			ex: testExchange{method: "POST", url: host + "/v1/calls/" + callID + "/signaling-token", status: 403, contentType: "application/json",
				body: `{"error":{"code":"forbidden","message":"you are not a participant in this call"}}`},
		},
		{
			name: "signaling socket 101",
			ex: testExchange{method: "GET", url: host + "/signal/ws?token=st_eyJ4IjoxfQ.c2ln&call=" + callID, status: 101,
				header: http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Accept": {"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}}},
		},
		{
			name:    "signaling socket 101 with a body",
			ex:      testExchange{method: "GET", url: host + "/signal/ws?token=st_eyJ4IjoxfQ.c2ln", status: 101, contentType: "application/json", body: `{}`},
			wantErr: "without a body",
		},
		{
			name: "signaling socket 401",
			ex: testExchange{method: "GET", url: host + "/signal/ws?token=st_bogus", status: 401, contentType: "application/json",
				body: `{"error":{"code":"unauthorized","message":"invalid or expired signaling token"}}`},
		},
		{
			name: "signaling socket 403 for a foreign origin",
			ex: testExchange{method: "GET", url: host + "/signal/ws?token=st_eyJ4IjoxfQ.c2ln", status: 403, contentType: "application/json",
				body: `{"error":{"code":"forbidden","message":"origin not allowed"}}`},
		},
		{
			name: "signaling socket 409 for an ended call",
			ex: testExchange{method: "GET", url: host + "/signal/ws?token=st_eyJ4IjoxfQ.c2ln", status: 409, contentType: "application/json",
				body: `{"error":{"code":"conflict","message":"the call has ended"}}`},
		},
		{
			name: "signaling socket 503 while shutting down",
			ex: testExchange{method: "GET", url: host + "/signal/ws?token=st_eyJ4IjoxfQ.c2ln", status: 503, contentType: "application/json",
				body: `{"error":{"code":"internal","message":"server shutting down"}}`},
		},
		{
			name: "signaling socket 503 without the error envelope",
			ex: testExchange{method: "GET", url: host + "/signal/ws?token=st_eyJ4IjoxfQ.c2ln", status: 503, contentType: "application/json",
				body: `{"status":"shutting down"}`},
			wantErr: "error",
		},
		{
			name:    "signaling socket with POST",
			ex:      testExchange{method: "POST", url: host + "/signal/ws?token=st_eyJ4IjoxfQ.c2ln", status: 101},
			wantErr: "POST /signal/ws",
		},
		{
			name: "end 200",
			ex:   testExchange{method: "POST", url: host + "/v1/calls/" + callID + "/end", reqBody: `{"reason":"user_ended"}`, status: 200, contentType: "application/json", body: endedJSON},
		},
		{
			name: "end 200 replayed",
			ex: testExchange{method: "POST", url: host + "/v1/calls/" + callID + "/end", status: 200, contentType: "application/json",
				header: http.Header{"Idempotent-Replayed": {"true"}}, body: endedJSON},
		},
		{
			name: "end 200 with total_charged a number",
			ex: testExchange{method: "POST", url: host + "/v1/calls/" + callID + "/end", status: 200, contentType: "application/json",
				body: strings.Replace(endedJSON, `"20.00"`, `20`, 1)},
			wantErr: "total_charged",
		},
		{
			name: "end 200 with currency in capitals",
			ex: testExchange{method: "POST", url: host + "/v1/calls/" + callID + "/end", status: 200, contentType: "application/json",
				body: strings.Replace(endedJSON, `"usd"`, `"USD"`, 1)},
			wantErr: "currency",
		},
		{
			name: "end 409 conflict",
			ex: testExchange{method: "POST", url: host + "/v1/calls/" + callID + "/end", status: 409, contentType: "application/json",
				body: `{"error":{"code":"conflict","message":"the call already ended (completed)"}}`},
		},
		{
			name: "get call 200",
			ex:   testExchange{method: "GET", url: host + "/v1/calls/" + callID, status: 200, contentType: "application/json", body: callGetJSON},
		},
		{
			name: "get call 200 ended, no charges yet",
			ex: testExchange{method: "GET", url: host + "/v1/calls/" + callID, status: 200, contentType: "application/json",
				body: strings.NewReplacer(`"guest_name":null`, `"guest_name":"Alex"`, `"ended_at":null`, `"ended_at":"2026-03-15T14:05:00Z"`,
					`"end_reason":null`, `"end_reason":"no_show"`, `"status":"waiting"`, `"status":"missed"`,
					`"charges":`+chargesJSON, `"charges":[]`).Replace(callGetJSON)},
		},
		{
			name: "get call 200 without charges",
			ex: testExchange{method: "GET", url: host + "/v1/calls/" + callID, status: 200, contentType: "application/json",
				body: `{"call":` + callItemJSON + `}`},
			wantErr: "charges",
		},
		{
			name: "get call 200 with an unknown end_reason",
			ex: testExchange{method: "GET", url: host + "/v1/calls/" + callID, status: 200, contentType: "application/json",
				body: strings.Replace(callGetJSON, `"end_reason":null`, `"end_reason":"hung_up"`, 1)},
			wantErr: "end_reason",
		},
		{
			name: "get call 200 with a charge of an unknown kind",
			ex: testExchange{method: "GET", url: host + "/v1/calls/" + callID, status: 200, contentType: "application/json",
				body: strings.Replace(callGetJSON, `"kind":"hold"`, `"kind":"refund"`, 1)},
			wantErr: "kind",
		},
		{
			name: "call history 200",
			ex: testExchange{method: "GET", url: host + "/v1/calls/history?page=1&per_page=20&status=waiting", status: 200, contentType: "application/json",
				body: `{"calls":[` + callItemJSON + `],"pagination":{"page":1,"per_page":20,"total":1}}`},
		},
		{
			// "history" is a fixed segment: it wins over /v1/calls/{id}.
			name: "call history routes by its literal segment",
			ex: testExchange{method: "GET", url: host + "/v1/calls/history", status: 200, contentType: "application/json",
				body: callGetJSON},
			wantErr: "listCallHistory",
		},
		{
			name: "call history 200 with charges",
			ex: testExchange{method: "GET", url: host + "/v1/calls/history", status: 200, contentType: "application/json",
				body: `{"calls":[` + callDetailJSON + `],"pagination":{"page":1,"per_page":20,"total":1}}`},
		},
		{
			name:    "call history 200 without pagination",
			ex:      testExchange{method: "GET", url: host + "/v1/calls/history", status: 200, contentType: "application/json", body: `{"calls":[]}`},
			wantErr: "pagination",
		},
		{
			name: "list call links still routes with GET /v1/calls/{id} documented",
			ex:   testExchange{method: "GET", url: host + "/v1/calls/links", status: 200, contentType: "application/json", body: `[]`},
		},
		{
			name: "get availability 200 defaults",
			ex: testExchange{method: "GET", url: host + "/v1/users/me/availability", status: 200, contentType: "application/json",
				body: defaultAvailabilityJSON},
		},
		{
			name: "put availability 200",
			ex: testExchange{method: "PUT", url: host + "/v1/users/me/availability", reqBody: availabilityJSON, status: 200,
				contentType: "application/json", body: availabilityJSON},
		},
		{
			name: "get availability 200 without window_size_minutes",
			ex: testExchange{method: "GET", url: host + "/v1/users/me/availability", status: 200, contentType: "application/json",
				body: strings.Replace(defaultAvailabilityJSON, `,"window_size_minutes":null`, "", 1)},
			wantErr: "window_size_minutes",
		},
		{
			name: "get availability 200 without the per-guest cap",
			ex: testExchange{method: "GET", url: host + "/v1/users/me/availability", status: 200, contentType: "application/json",
				body: strings.Replace(defaultAvailabilityJSON, `,"max_upcoming_bookings_per_guest":3`, "", 1)},
			wantErr: "max_upcoming_bookings_per_guest",
		},
		{
			name: "get availability 200 with a rate of one decimal",
			ex: testExchange{method: "GET", url: host + "/v1/users/me/availability", status: 200, contentType: "application/json",
				body: strings.Replace(availabilityJSON, `"2.50"`, `"2.5"`, 1)},
			wantErr: "rate_per_minute",
		},
		{
			name: "get availability 200 with a capitalised day",
			ex: testExchange{method: "GET", url: host + "/v1/users/me/availability", status: 200, contentType: "application/json",
				body: strings.Replace(availabilityJSON, `"monday"`, `"Monday"`, 1)},
			wantErr: "day",
		},
		{
			name: "get availability 200 with an interval starting at 24:00",
			ex: testExchange{method: "GET", url: host + "/v1/users/me/availability", status: 200, contentType: "application/json",
				body: strings.Replace(availabilityJSON, `"start":"09:00"`, `"start":"24:00"`, 1)},
			wantErr: "start",
		},
		{
			name: "put availability 400",
			ex: testExchange{method: "PUT", url: host + "/v1/users/me/availability", status: 400, contentType: "application/json",
				body: `{"error":{"code":"validation_error","message":"weekly[0].intervals[1].end: must be after start",` +
					`"details":[{"field":"weekly[0].intervals[1].end","issue":"must be after start"}]}}`},
		},
		{
			name: "schedule slots 200",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/janecoach?start_date=2026-03-16&end_date=2026-03-16", status: 200,
				contentType: "application/json", body: slotsJSON},
		},
		{
			name: "schedule slots 200 unpriced, no slots",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/janecoach?start_date=2026-03-16&end_date=2026-03-22", status: 200,
				contentType: "application/json", body: `{"host":{"display_name":"Jane Smith","username":"janecoach","timezone":"UTC",` +
					`"rate_per_minute":null,"window_size_minutes":null},"slots":[]}`},
		},
		{
			name: "schedule slots 200 with a date-time date",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/janecoach?start_date=2026-03-16&end_date=2026-03-16", status: 200,
				contentType: "application/json", body: strings.Replace(slotsJSON, `"date":"2026-03-16"`, `"date":"2026-03-16T00:00:00Z"`, 1)},
			wantErr: "date",
		},
		{
			name: "schedule slots 200 with a start_time of 24:00",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/janecoach?start_date=2026-03-16&end_date=2026-03-16", status: 200,
				contentType: "application/json", body: strings.Replace(slotsJSON, `"start_time":"23:00"`, `"start_time":"24:00"`, 1)},
			wantErr: "start_time",
		},
		{
			name: "schedule slots 200 without start",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/janecoach?start_date=2026-03-16&end_date=2026-03-16", status: 200,
				contentType: "application/json", body: strings.Replace(slotsJSON, `"start":"2026-03-16T09:00:00Z",`, "", 1)},
			wantErr: "start",
		},
		{
			// "mine" is a fixed segment: it wins over /v1/schedule/{username}.
			name: "my scheduled calls route by their literal segment",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/mine", status: 200, contentType: "application/json",
				body: slotsJSON},
			wantErr: "listMyScheduledCalls",
		},
		{
			name: "a username routes to the slots",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/janecoach", status: 200, contentType: "application/json",
				body: `{"scheduled_calls":[],"pagination":{"page":1,"per_page":20,"total":0}}`},
			wantErr: "getScheduleSlots",
		},
		{
			name: "schedule slots 404",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/nobody?start_date=2026-03-16&end_date=2026-03-16", status: 404,
				contentType: "application/json", body: `{"error":{"code":"not_found","message":"host not found"}}`},
		},
		{
			name: "book 201",
			ex: testExchange{method: "POST", url: host + "/v1/schedule/book", status: 201, contentType: "application/json",
				body: `{"scheduled_call":` + scheduledCallJSON + `}`},
		},
		{
			name: "book 201 without the envelope",
			ex: testExchange{method: "POST", url: host + "/v1/schedule/book", status: 201, contentType: "application/json",
				body: scheduledCallJSON},
			wantErr: "bookScheduledCall",
		},
		{
			name: "book 201 without note",
			ex: testExchange{method: "POST", url: host + "/v1/schedule/book", status: 201, contentType: "application/json",
				body: `{"scheduled_call":` + strings.Replace(scheduledCallJSON, `"note":"Career coaching session",`, "", 1) + `}`},
			wantErr: "note",
		},
		{
			name: "book 201 with status pending",
			ex: testExchange{method: "POST", url: host + "/v1/schedule/book", status: 201, contentType: "application/json",
				body: `{"scheduled_call":` + strings.Replace(scheduledCallJSON, `"confirmed"`, `"pending"`, 1) + `}`},
			wantErr: "status",
		},
		{
			name: "book 409",
			ex: testExchange{method: "POST", url: host + "/v1/schedule/book", status: 409, contentType: "application/json",
				body: `{"error":{"code":"conflict","message":"this time slot is already booked"}}`},
		},
		{
			name: "my scheduled calls 200",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/mine?page=1&per_page=20", status: 200, contentType: "application/json",
				body: `{"scheduled_calls":[` + scheduledCallJSON + `,` + canceledCallJSON + `,` +
					strings.Replace(canceledCallJSON, `"rescheduled":true`, `"cancel_reason":"Schedule conflict"`, 1) +
					`],"pagination":{"page":1,"per_page":20,"total":3}}`},
		},
		{
			name: "my scheduled calls 200 with rescheduled a string",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/mine", status: 200, contentType: "application/json",
				body: `{"scheduled_calls":[` + strings.Replace(canceledCallJSON, `"rescheduled":true`, `"rescheduled":"true"`, 1) +
					`],"pagination":{"page":1,"per_page":20,"total":1}}`},
			wantErr: "rescheduled",
		},
		{
			name: "my scheduled calls 200 without pagination",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/mine", status: 200, contentType: "application/json",
				body: `{"scheduled_calls":[]}`},
			wantErr: "pagination",
		},
		{
			name: "cancel 204",
			ex:   testExchange{method: "PUT", url: host + "/v1/schedule/" + bookingID + "/cancel", reqBody: `{"reason":"Schedule conflict"}`, status: 204},
		},
		{
			name: "cancel 204 with a body",
			ex: testExchange{method: "PUT", url: host + "/v1/schedule/" + bookingID + "/cancel", status: 204, contentType: "application/json",
				body: `{"scheduled_call":` + canceledCallJSON + `}`},
			wantErr: "without a body",
		},
		{
			name: "cancel 409",
			ex: testExchange{method: "PUT", url: host + "/v1/schedule/" + bookingID + "/cancel", status: 409, contentType: "application/json",
				body: `{"error":{"code":"conflict","message":"a booking that has started cannot be canceled"}}`},
		},
		{
			name: "reschedule 201",
			ex: testExchange{method: "POST", url: host + "/v1/schedule/" + bookingID + "/reschedule", status: 201, contentType: "application/json",
				body: `{"scheduled_call":` + scheduledCallJSON + `}`},
		},
		{
			name: "calendar 200",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/" + bookingID + "/calendar", status: 200, contentType: "text/calendar; charset=utf-8",
				header: http.Header{"Content-Disposition": {"attachment; filename=vidivo-call.ics"}, "Cache-Control": {"no-store"}}, body: icsBody},
		},
		{
			name: "calendar 200 without Content-Disposition",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/" + bookingID + "/calendar", status: 200, contentType: "text/calendar; charset=utf-8",
				header: http.Header{"Cache-Control": {"no-store"}}, body: icsBody},
			wantErr: "Content-Disposition",
		},
		{
			name: "calendar 200 as JSON",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/" + bookingID + "/calendar", status: 200, contentType: "application/json",
				header: http.Header{"Content-Disposition": {"attachment; filename=vidivo-call.ics"}, "Cache-Control": {"no-store"}},
				body:   `{"scheduled_call":` + scheduledCallJSON + `}`},
			wantErr: "Content-Type",
		},
		{
			name: "calendar 403",
			ex: testExchange{method: "GET", url: host + "/v1/schedule/" + bookingID + "/calendar", status: 403, contentType: "application/json",
				body: `{"error":{"code":"forbidden","message":"you are not a participant in this booking"}}`},
		},
		{
			name: "scheduled join 201",
			ex:   testExchange{method: "POST", url: host + "/v1/calls/" + bookingID + "/join", status: 201, contentType: "application/json", body: hostJoinedJSON},
		},
		{
			name: "scheduled join 201 waiting",
			ex: testExchange{method: "POST", url: host + "/v1/calls/" + bookingID + "/join", reqBody: `{"payment_method_id":"pm_card_visa","guest_name":"Alex"}`,
				status: 201, contentType: "application/json", body: strings.Replace(hostJoinedJSON, `"active"`, `"waiting"`, 1)},
		},
		{
			name: "scheduled join routes by its trailing segment",
			ex: testExchange{method: "POST", url: host + "/v1/calls/" + bookingID + "/join", status: 201, contentType: "application/json",
				body: joinedJSON},
			wantErr: "joinScheduledCall",
		},
		{
			// A link join still wins with "join" as the first segment.
			name: "join a link still routes to joinCall",
			ex: testExchange{method: "POST", url: host + "/v1/calls/join/abc", status: 201, contentType: "application/json",
				body: hostJoinedJSON},
			wantErr: "joinCall (",
		},
		{
			// The server dispatches "join" as the first segment before
			// "join" as the last, and so does the document.
			name: "a link whose short code is join routes to joinCall",
			ex: testExchange{method: "POST", url: host + "/v1/calls/join/join", status: 201, contentType: "application/json",
				body: hostJoinedJSON},
			wantErr: "joinCall (",
		},
		{
			name: "scheduled join 402 stripe_error",
			ex: testExchange{method: "POST", url: host + "/v1/calls/" + bookingID + "/join", status: 402, contentType: "application/json",
				body: `{"error":{"code":"stripe_error","message":"the card was declined"}}`},
		},
		{
			name: "scheduled join 409",
			ex: testExchange{method: "POST", url: host + "/v1/calls/" + bookingID + "/join", status: 409, contentType: "application/json",
				body: `{"error":{"code":"conflict","message":"this call opens at 2026-03-16T13:55:00Z"}}`},
		},
		{
			name: "create event type 201",
			ex: testExchange{method: "POST", url: host + "/v1/event_types", reqBody: `{"name":"30 minute coaching","slug":"coaching-30","duration_minutes":30}`,
				status: 201, contentType: "application/json", body: `{"resource":` + eventTypeJSON + `}`},
		},
		{
			name: "create event type 201 without the envelope",
			ex: testExchange{method: "POST", url: host + "/v1/event_types", status: 201, contentType: "application/json",
				body: eventTypeJSON},
			wantErr: "resource",
		},
		{
			name: "create event type 201 with an upper-case slug",
			ex: testExchange{method: "POST", url: host + "/v1/event_types", status: 201, contentType: "application/json",
				body: `{"resource":` + strings.Replace(eventTypeJSON, `"slug":"coaching-30"`, `"slug":"Coaching-30"`, 1) + `}`},
			wantErr: "slug",
		},
		{
			name: "create event type 201 without scheduling_url",
			ex: testExchange{method: "POST", url: host + "/v1/event_types", status: 201, contentType: "application/json",
				body: `{"resource":` + strings.Replace(eventTypeJSON, `"scheduling_url":"https://vidivo.test/schedule/janecoach/coaching-30",`, "", 1) + `}`},
			wantErr: "scheduling_url",
		},
		{
			name: "create event type 409",
			ex: testExchange{method: "POST", url: host + "/v1/event_types", status: 409, contentType: "application/json",
				body: `{"error":{"code":"conflict","message":"you already have an event type with this slug","details":[{"field":"slug","issue":"is taken"}]}}`},
		},
		{
			name: "list event types 200",
			ex: testExchange{method: "GET", url: host + "/v1/event_types?user=janecoach&active=true", status: 200, contentType: "application/json",
				body: `{"collection":[` + eventTypeJSON + `,` + strings.Replace(eventTypeJSON, `"active":true`, `"active":false`, 1) + `],"pagination":{"count":2}}`},
		},
		{
			name: "list event types 200 empty",
			ex: testExchange{method: "GET", url: host + "/v1/event_types", status: 200, contentType: "application/json",
				body: `{"collection":[],"pagination":{"count":0}}`},
		},
		{
			name: "list event types 200 without pagination",
			ex: testExchange{method: "GET", url: host + "/v1/event_types", status: 200, contentType: "application/json",
				body: `{"collection":[]}`},
			wantErr: "pagination",
		},
		{
			name: "list event types 401",
			ex: testExchange{method: "GET", url: host + "/v1/event_types", status: 401, contentType: "application/json",
				body: `{"error":{"code":"unauthorized","message":"missing bearer token"}}`},
		},
		{
			name: "get event type 200",
			ex: testExchange{method: "GET", url: host + "/v1/event_types/" + eventTypeID, status: 200, contentType: "application/json",
				body: `{"resource":` + eventTypeJSON + `}`},
		},
		{
			name: "an event type id routes to getEventType",
			ex: testExchange{method: "GET", url: host + "/v1/event_types/" + eventTypeID, status: 200, contentType: "application/json",
				body: `{"collection":[],"pagination":{"count":0}}`},
			wantErr: "getEventType",
		},
		{
			name: "update event type 200",
			ex: testExchange{method: "PATCH", url: host + "/v1/event_types/" + eventTypeID, reqBody: `{"active":false}`, status: 200,
				contentType: "application/json", body: `{"resource":` + strings.Replace(eventTypeJSON, `"active":true`, `"active":false`, 1) + `}`},
		},
		{
			name: "update event type 403",
			ex: testExchange{method: "PATCH", url: host + "/v1/event_types/" + eventTypeID, status: 403, contentType: "application/json",
				body: `{"error":{"code":"forbidden","message":"this is another host's event type"}}`},
		},
		{
			name: "available times 200",
			ex: testExchange{method: "GET", url: host + "/v1/event_type_available_times?event_type=" + eventTypeID +
				"&start_time=2026-03-16T00:00:00Z&end_time=2026-03-17T00:00:00Z", status: 200, contentType: "application/json", body: availableTimesJSON},
		},
		{
			name: "available times 200 empty",
			ex: testExchange{method: "GET", url: host + "/v1/event_type_available_times", status: 200, contentType: "application/json",
				body: `{"collection":[]}`},
		},
		{
			name: "available times 200 for a group",
			ex: testExchange{method: "GET", url: host + "/v1/event_type_available_times", status: 200, contentType: "application/json",
				body: strings.Replace(availableTimesJSON, `"invitees_remaining":1`, `"invitees_remaining":2`, 1)},
			wantErr: "invitees_remaining",
		},
		{
			name: "available times 200 with an unavailable time",
			ex: testExchange{method: "GET", url: host + "/v1/event_type_available_times", status: 200, contentType: "application/json",
				body: strings.Replace(availableTimesJSON, `"available"`, `"unavailable"`, 1)},
			wantErr: "status",
		},
		{
			name: "available times 400",
			ex: testExchange{method: "GET", url: host + "/v1/event_type_available_times?event_type=x", status: 400, contentType: "application/json",
				body: `{"error":{"code":"validation_error","message":"end_time: must be at most 7 days after start_time","details":[{"field":"end_time","issue":"must be at most 7 days after start_time"}]}}`},
		},
		{
			name: "availability schedules 200",
			ex: testExchange{method: "GET", url: host + "/v1/user_availability_schedules?user=janecoach", status: 200, contentType: "application/json",
				body: `{"collection":[` + availabilityScheduleJSON + `]}`},
		},
		{
			name: "availability schedules 200 with none",
			ex: testExchange{method: "GET", url: host + "/v1/user_availability_schedules?user=janecoach", status: 200, contentType: "application/json",
				body: `{"collection":[]}`},
			wantErr: "collection",
		},
		{
			name: "availability schedules 200 with a wday rule carrying a date",
			ex: testExchange{method: "GET", url: host + "/v1/user_availability_schedules?user=janecoach", status: 200, contentType: "application/json",
				body: `{"collection":[` + strings.Replace(availabilityScheduleJSON, `"wday":"tuesday",`, `"wday":"tuesday","date":"2026-03-17",`, 1) + `]}`},
			wantErr: "rules",
		},
		{
			name: "availability schedules 200 with a rule of another type",
			ex: testExchange{method: "GET", url: host + "/v1/user_availability_schedules?user=janecoach", status: 200, contentType: "application/json",
				body: `{"collection":[` + strings.Replace(availabilityScheduleJSON, `"type":"date"`, `"type":"weekly"`, 1) + `]}`},
			wantErr: "rules",
		},
		{
			name: "availability schedules 200 with start and end intervals",
			ex: testExchange{method: "GET", url: host + "/v1/user_availability_schedules?user=janecoach", status: 200, contentType: "application/json",
				body: `{"collection":[` + strings.Replace(availabilityScheduleJSON, `{"from":"09:00","to":"12:00"}`, `{"start":"09:00","end":"12:00"}`, 1) + `]}`},
			wantErr: "rules",
		},
		{
			name: "availability schedule 200",
			ex: testExchange{method: "GET", url: host + "/v1/user_availability_schedules/01JN2X4K8M3F7QPZRVWT6YBHCE", status: 200, contentType: "application/json",
				body: `{"resource":` + availabilityScheduleJSON + `}`},
		},
		{
			name: "busy times 200",
			ex: testExchange{method: "GET", url: host + "/v1/user_busy_times?user=janecoach&start_time=2026-03-16T00:00:00Z&end_time=2026-03-17T00:00:00Z",
				status: 200, contentType: "application/json", body: busyTimesJSON},
		},
		{
			name: "busy times 200 naming the guest",
			ex: testExchange{method: "GET", url: host + "/v1/user_busy_times", status: 200, contentType: "application/json",
				body: strings.Replace(busyTimesJSON, `"type":"vidivo",`, `"type":"vidivo","guest":"alexdoe",`, 1)},
			wantErr: "guest",
		},
		{
			name: "busy times 200 of another calendar",
			ex: testExchange{method: "GET", url: host + "/v1/user_busy_times", status: 200, contentType: "application/json",
				body: strings.Replace(busyTimesJSON, `"type":"vidivo"`, `"type":"calendly"`, 1)},
			wantErr: "type",
		},
		{
			name: "busy times 404",
			ex: testExchange{method: "GET", url: host + "/v1/user_busy_times?user=nobody", status: 404, contentType: "application/json",
				body: `{"error":{"code":"not_found","message":"host not found"}}`},
		},
		{
			name: "payout onboarding 200",
			ex: testExchange{method: "POST", url: host + "/v1/users/me/payouts/onboarding", status: 200, contentType: "application/json",
				body: `{"url":"https://vidivo.test/settings/payouts?done=1"}`},
		},
		{
			name: "payout status 200 before onboarding",
			ex: testExchange{method: "GET", url: host + "/v1/users/me/payouts", status: 200, contentType: "application/json",
				body: `{"connected":false,"account_id":null}`},
		},
		{
			name: "payout status 200 connected",
			ex: testExchange{method: "GET", url: host + "/v1/users/me/payouts", status: 200, contentType: "application/json",
				body: `{"connected":true,"account_id":"acct_sbx_01JN2X4K8M3F7QPZRVWT6YBHCE"}`},
		},
		{
			name: "payout status 200 without account_id",
			ex: testExchange{method: "GET", url: host + "/v1/users/me/payouts", status: 200, contentType: "application/json",
				body: `{"connected":false}`},
			wantErr: "account_id",
		},
		{
			name: "notification stream 200",
			ex: testExchange{method: "GET", url: host + "/v1/notifications/stream", status: 200, contentType: "text/event-stream",
				body: ": connected\n\nevent: call.incoming\ndata: {\"call_id\":\"" + callID + "\",\"guest_name\":null,\"rate_per_minute\":\"2.50\",\"window_size_minutes\":10,\"short_code\":\"k3J9xQ2mPz\"}\n\n"},
		},
		{
			name: "404 through default",
			ex: testExchange{method: "GET", url: host + "/healthz", status: 404, contentType: "application/json",
				body: `{"error":{"code":"not_found","message":"not found"}}`},
		},
		{
			name: "404 through default with a non-error body",
			ex: testExchange{method: "GET", url: host + "/healthz", status: 404, contentType: "application/json",
				body: `{"status":"ok"}`},
			wantErr: "error",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := specContract(t)
			err := checkExchange(c, tt.ex)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Check: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Check passed, want an error mentioning %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Check error = %v, want it to mention %q", err, tt.wantErr)
			case err != nil:
				t.Logf("Check error, as wanted: %v", err)
			}
		})
	}
}

// TestCheckEveryDefault checks that a 404 Error passes on every documented
// operation through its default response.
func TestCheckEveryDefault(t *testing.T) {
	t.Parallel()
	c := specContract(t)
	const body = `{"error":{"code":"not_found","message":"not found"}}`
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			t.Run(method+" "+path, func(t *testing.T) {
				t.Parallel()
				err := checkExchange(c, testExchange{method: method, url: "http://127.0.0.1:1" + path, status: 404, contentType: "application/json", body: body})
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
			})
		}
	}
}

// TestCheckWithoutDefault checks, on a path with a parameter, that a
// text/calendar body validates and that a status the operation does not
// list fails when it has no default response.
func TestCheckWithoutDefault(t *testing.T) {
	t.Parallel()
	c, err := NewContract([]byte(`openapi: 3.1.0
info: {title: x, version: "1"}
servers: [{url: /}]
paths:
  /things/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            text/calendar:
              schema: {type: string}
`))
	if err != nil {
		t.Fatalf("NewContract: %v", err)
	}
	ok := testExchange{method: "GET", url: "http://127.0.0.1:9/things/abc", status: 200, contentType: "text/calendar; charset=utf-8", body: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"}
	if err := checkExchange(c, ok); err != nil {
		t.Errorf("200 text/calendar: Check: %v", err)
	}
	bad := ok
	bad.status = 500
	if err := checkExchange(c, bad); err == nil || !strings.Contains(err.Error(), "status is not supported") {
		t.Errorf("500 without default: Check error = %v, want status is not supported", err)
	}
}

// TestSchemaExamples checks every component schema's examples against the
// schema: doc.Validate checks media-type examples but not these.
func TestSchemaExamples(t *testing.T) {
	t.Parallel()
	c := specContract(t)
	for name, ref := range c.doc.Components.Schemas {
		if ref == nil || ref.Value == nil {
			continue
		}
		for i, ex := range ref.Value.Examples {
			if err := ref.Value.VisitJSON(ex, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
				t.Errorf("schema %s example %d does not match it: %v", name, i, err)
			}
		}
	}
}
