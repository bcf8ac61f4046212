package api_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vidivo/vidivo/api/apitest"
)

type jwks struct {
	Keys []struct {
		Kty, Use, Alg, Kid, N, E string
	} `json:"keys"`
}

// publicKey reads the server's signing key from its JWKS endpoint.
func publicKey(t *testing.T, e *apitest.Env) *rsa.PublicKey {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "GET", Path: "/.well-known/jwks.json"})
	resp.WantStatus(t, http.StatusOK)
	var set jwks
	resp.Decode(t, &set)
	if len(set.Keys) == 0 {
		t.Fatal("JWKS has no keys")
	}
	k := set.Keys[0]
	if k.Kty != "RSA" || k.Alg != "RS256" || k.Use != "sig" || k.Kid == "" {
		t.Fatalf("JWKS key = %+v", k)
	}
	n, err1 := base64.RawURLEncoding.DecodeString(k.N)
	ex, err2 := base64.RawURLEncoding.DecodeString(k.E)
	if err1 != nil || err2 != nil {
		t.Fatalf("JWKS n/e not base64url: %v %v", err1, err2)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(ex).Int64())}
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)

	e.Do(apitest.Req{Method: "GET", Path: "/healthz"}).WantStatus(t, http.StatusOK)
	ready := e.Do(apitest.Req{Method: "GET", Path: "/readyz"})
	ready.WantStatus(t, http.StatusOK)
	if !strings.Contains(string(ready.Body), `"ready"`) {
		t.Errorf("readyz body = %s", ready.Body)
	}
	// The published key verifies the tokens the server signs.
	tok := mustSignup(t, e, "jwks", "client").AccessToken
	signed, sig, _ := strings.Cut(tok[strings.Index(tok, ".")+1:], ".")
	signed = tok[:strings.Index(tok, ".")+1] + signed
	rawSig, _ := base64.RawURLEncoding.DecodeString(sig)
	digest := sha256.Sum256([]byte(signed))
	if err := rsa.VerifyPKCS1v15(publicKey(t, e), crypto.SHA256, digest[:], rawSig); err != nil {
		t.Errorf("JWKS key does not verify an issued token: %v", err)
	}

	spec := e.Do(apitest.Req{Method: "GET", Path: "/v1/openapi.yaml"})
	spec.WantStatus(t, http.StatusOK)
	if !strings.HasPrefix(string(spec.Body), "openapi: 3.1") {
		t.Errorf("spec starts %q", spec.Body[:min(40, len(spec.Body))])
	}

	mustSignup(t, e, "alex", "client")
	// The metrics listener is not the public one: serve its handler here.
	rec := httptest.NewRecorder()
	e.Server.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	metrics := &apitest.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	metrics.WantStatus(t, http.StatusOK)
	for _, want := range []string{
		`vidivo_http_requests_total{method="POST",route="POST /v1/auth/signup",status="201"} 2`,
		`vidivo_http_request_duration_seconds_bucket{method="GET",route="GET /healthz",status="200"`,
	} {
		if !strings.Contains(string(metrics.Body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestReadyzWhenDatabaseIsDown(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	e.DB.Close()
	resp := e.Do(apitest.Req{Method: "GET", Path: "/readyz"})
	resp.WantStatus(t, http.StatusServiceUnavailable)
	if strings.Contains(string(resp.Body), "sql") {
		t.Errorf("readyz leaks internals: %s", resp.Body)
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	for _, path := range []string{"/nope", "/v1/users/someone", "/v1/auth"} {
		e.Do(apitest.Req{Method: "GET", Path: path, Unrouted: true}).WantError(t, http.StatusNotFound, "not_found")
	}
	resp := e.Do(apitest.Req{Method: "DELETE", Path: "/v1/users/me", Unrouted: true})
	resp.WantError(t, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "PATCH") {
		t.Errorf("Allow = %q", allow)
	}
	e.Do(apitest.Req{Method: "GET", Path: "/v1/auth/login", Unrouted: true}).WantError(t, http.StatusMethodNotAllowed, "method_not_allowed")
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	resp := e.Do(apitest.Req{Method: "GET", Path: "/healthz", Header: http.Header{"X-Request-Id": {"trace-123"}}})
	if got := resp.Header.Get("X-Request-Id"); got != "trace-123" {
		t.Errorf("X-Request-Id = %q, want the caller's", got)
	}
	resp = e.Do(apitest.Req{Method: "GET", Path: "/healthz", Header: http.Header{"X-Request-Id": {"bad id with spaces"}}})
	if got := resp.Header.Get("X-Request-Id"); len(got) != 24 {
		t.Errorf("X-Request-Id = %q, want a fresh 24-char id", got)
	}
}
