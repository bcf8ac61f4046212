package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/token"
)

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestTokenTampering sends forged and stale access tokens to a protected
// route; each must be refused with 401 unauthorized.
func TestTokenTampering(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	s := mustSignup(t, e, "alex", "client")
	header, payload, _ := strings.Cut(s.AccessToken, ".")
	payload, sig, _ := strings.Cut(payload, ".")

	var claims map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	var hdr map[string]any
	raw, _ = base64.RawURLEncoding.DecodeString(header)
	json.Unmarshal(raw, &hdr)

	// HS256 signed with the server's public key as the HMAC secret: the
	// classic algorithm-confusion forgery.
	pubDER, err := x509.MarshalPKIXPublicKey(publicKey(t, e))
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs256 := func(secret []byte) string {
		h := b64(map[string]any{"alg": "HS256", "typ": "JWT", "kid": hdr["kid"]})
		body := b64(claims)
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(h + "." + body))
		return h + "." + body + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	admin := map[string]any{}
	for k, v := range claims {
		admin[k] = v
	}
	admin["role"] = "admin"

	otherKeys, err := token.GenerateKeySet()
	if err != nil {
		t.Fatal(err)
	}
	sign := func(keys *token.KeySet, iss, aud string) string {
		i := &token.Issuer{Keys: keys, Issuer: iss, Audience: aud, TTL: time.Minute, Now: e.Clock.Now}
		tok, _, err := i.Issue(vidivo.Caller{Subject: s.User.ID, Role: vidivo.RoleClient})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	flip := []byte(sig)
	flip[10] ^= 'A' ^ 'B'

	for _, tc := range []struct{ name, tok string }{
		{"alg none", b64(map[string]any{"alg": "none", "typ": "JWT"}) + "." + payload + "."},
		{"alg none with kid", b64(map[string]any{"alg": "none", "kid": hdr["kid"]}) + "." + payload + "."},
		{"HS256 with public key PEM", hs256(pubPEM)},
		{"HS256 with public key DER", hs256(pubDER)},
		{"bad signature", header + "." + payload + "." + string(flip)},
		{"role raised to admin", header + "." + b64(admin) + "." + sig},
		{"signed by another key", sign(otherKeys, apitest.Issuer, apitest.Audience)},
		{"wrong issuer", sign(e.Keys, "https://evil.example", apitest.Audience)},
		{"wrong audience", sign(e.Keys, apitest.Issuer, "someone-else")},
		{"truncated", header + "." + payload},
		{"garbage", "not.a.jwt"},
		{"refresh token as access token", s.RefreshToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: tc.tok}).
				WantError(t, http.StatusUnauthorized, "unauthorized")
		})
	}

	t.Run("missing or malformed header", func(t *testing.T) {
		for _, h := range []string{"", "Bearer", "Bearer ", "Basic " + s.AccessToken, s.AccessToken} {
			resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Header: http.Header{"Authorization": {h}}})
			resp.WantError(t, http.StatusUnauthorized, "unauthorized")
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%q: no WWW-Authenticate header", h)
			}
		}
	})

	// Last, as it moves the shared clock: the token expires after 15 minutes.
	t.Run("expired", func(t *testing.T) {
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: s.AccessToken}).WantStatus(t, http.StatusOK)
		e.Clock.Add(16 * time.Minute)
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: s.AccessToken}).
			WantError(t, http.StatusUnauthorized, "unauthorized")
	})
}
