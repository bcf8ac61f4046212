package apitest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
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

const (
	userJSON = `{"id":"01JN2X4K8M3F7QPZRVWT6YBHCE","email":"jane@example.com","username":"janecoach",` +
		`"display_name":"Jane Smith","avatar_url":"https://cdn.vidivo.app/avatars/01JN2X4K.jpg",` +
		`"role":"host","timezone":"Europe/Berlin","created_at":"2026-03-15T10:00:00Z"}`
	sessionJSON = `{"user":` + userJSON + `,"access_token":"eyJhbGciOiJSUzI1NiJ9...",` +
		`"refresh_token":"rt_01JN2X4K8M3F7QPZRVWT6YBHCE","token_type":"Bearer","expires_in":900}`
	signupJSON = `{"email":"jane@example.com","password":"correct-horse-battery","username":"janecoach",` +
		`"display_name":"Jane Smith","role":"host"}`
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
