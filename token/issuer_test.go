package token_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	vidivo "github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/token"
)

const (
	msgInvalid = "invalid or expired token"
	msgExpired = "token expired"
)

func TestIssueVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	k := keys(t)
	iss := newIssuer(k.ksA)
	tests := []struct {
		name   string
		caller vidivo.Caller
	}{
		{"client", vidivo.Caller{Subject: "user-1", Role: vidivo.RoleClient}},
		{"host", vidivo.Caller{Subject: "user-2", Role: vidivo.RoleHost}},
		{"admin", vidivo.Caller{Subject: "user-3", Role: vidivo.RoleAdmin}},
		{"guest", vidivo.Caller{Subject: "guest-9", Role: vidivo.RoleGuest, CallID: "call-7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, expiresIn, err := iss.Issue(tt.caller)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			if expiresIn != testTTL {
				t.Errorf("expiresIn = %v, want %v", expiresIn, testTTL)
			}
			got, err := iss.Verify(tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(tt.caller, got); diff != "" {
				t.Errorf("Verify caller mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIssueTokenShape decodes an issued token by hand and checks the header
// and claims the package promises.
func TestIssueTokenShape(t *testing.T) {
	t.Parallel()
	k := keys(t)
	iss := newIssuer(k.ksA)
	tests := []struct {
		name       string
		caller     vidivo.Caller
		wantCallID any // nil: claim must be absent
	}{
		{"user has no call_id", vidivo.Caller{Subject: "u1", Role: vidivo.RoleHost}, nil},
		{"guest has call_id", vidivo.Caller{Subject: "g1", Role: vidivo.RoleGuest, CallID: "c1"}, "c1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, _, err := iss.Issue(tt.caller)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			parts := strings.Split(tok, ".")
			if len(parts) != 3 {
				t.Fatalf("token has %d parts, want 3", len(parts))
			}
			var header map[string]any
			decodeSegment(t, parts[0], &header)
			wantHeader := map[string]any{"alg": "RS256", "typ": "JWT", "kid": k.kidA}
			if diff := cmp.Diff(wantHeader, header); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			var cl map[string]any
			decodeSegment(t, parts[1], &cl)
			jti, _ := cl["jti"].(string)
			if b, err := base64.RawURLEncoding.DecodeString(jti); err != nil || len(b) != 16 {
				t.Errorf("jti = %q, want base64url of 16 bytes", jti)
			}
			delete(cl, "jti")
			want := map[string]any{
				"iss":  testIss,
				"aud":  testAud, // a single string, not an array
				"sub":  tt.caller.Subject,
				"iat":  float64(testNow.Unix()),
				"exp":  float64(testNow.Add(testTTL).Unix()),
				"role": string(tt.caller.Role),
			}
			if tt.wantCallID != nil {
				want["call_id"] = tt.wantCallID
			}
			if diff := cmp.Diff(want, cl); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIssueUniqueJTI(t *testing.T) {
	t.Parallel()
	iss := newIssuer(keys(t).ksA)
	c := vidivo.Caller{Subject: "u1", Role: vidivo.RoleClient}
	a, _, errA := iss.Issue(c)
	b, _, errB := iss.Issue(c)
	if errA != nil || errB != nil {
		t.Fatalf("Issue: %v, %v", errA, errB)
	}
	if a == b {
		t.Error("two tokens issued at the same instant are identical; jti is not random")
	}
}

func decodeSegment(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("decoding segment: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding segment JSON: %v", err)
	}
}

func TestIssueRejects(t *testing.T) {
	t.Parallel()
	k := keys(t)
	tests := []struct {
		name   string
		issuer func() *token.Issuer
		caller vidivo.Caller
	}{
		{"guest without call id", func() *token.Issuer { return newIssuer(k.ksA) },
			vidivo.Caller{Subject: "g1", Role: vidivo.RoleGuest}},
		{"client with call id", func() *token.Issuer { return newIssuer(k.ksA) },
			vidivo.Caller{Subject: "u1", Role: vidivo.RoleClient, CallID: "c1"}},
		{"admin with call id", func() *token.Issuer { return newIssuer(k.ksA) },
			vidivo.Caller{Subject: "u1", Role: vidivo.RoleAdmin, CallID: "c1"}},
		{"empty role", func() *token.Issuer { return newIssuer(k.ksA) },
			vidivo.Caller{Subject: "u1"}},
		{"unknown role", func() *token.Issuer { return newIssuer(k.ksA) },
			vidivo.Caller{Subject: "u1", Role: "superuser"}},
		{"empty subject", func() *token.Issuer { return newIssuer(k.ksA) },
			vidivo.Caller{Role: vidivo.RoleClient}},
		{"zero TTL", func() *token.Issuer { i := newIssuer(k.ksA); i.TTL = 0; return i },
			vidivo.Caller{Subject: "u1", Role: vidivo.RoleClient}},
		{"nil keys", func() *token.Issuer { return newIssuer(nil) },
			vidivo.Caller{Subject: "u1", Role: vidivo.RoleClient}},
		{"empty issuer", func() *token.Issuer { i := newIssuer(k.ksA); i.Issuer = ""; return i },
			vidivo.Caller{Subject: "u1", Role: vidivo.RoleClient}},
		{"empty audience", func() *token.Issuer { i := newIssuer(k.ksA); i.Audience = ""; return i },
			vidivo.Caller{Subject: "u1", Role: vidivo.RoleClient}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, _, err := tt.issuer().Issue(tt.caller)
			if err == nil {
				t.Fatalf("Issue(%+v) = %q, want error", tt.caller, tok)
			}
		})
	}
}

// TestVerifyHandBuilt feeds Verify tokens built by hand, including the known
// attacks. The accepted cases prove the builder itself makes tokens Verify
// would take, so each rejection is down to the one thing the case changes.
func TestVerifyHandBuilt(t *testing.T) {
	t.Parallel()
	k := keys(t)
	iss := newIssuer(k.ksA)
	rs256, hs256 := jwt.SigningMethodRS256, jwt.SigningMethodHS256

	pubDER, err := x509.MarshalPKIXPublicKey(&k.keyA.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	pubPKCS1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.keyA.PublicKey)})

	valid := sign(t, rs256, k.keyA, k.kidA, validClaims())
	validParts := strings.Split(valid, ".")
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}

	tests := []struct {
		name    string
		tok     string
		wantErr bool
		wantMsg string // checked when wantErr
		want    vidivo.Caller
	}{
		{name: "control: hand-built valid token", tok: valid,
			want: vidivo.Caller{Subject: "user-1", Role: vidivo.RoleClient}},
		{name: "control: guest token",
			tok:  sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { c["role"], c["call_id"] = "guest", "call-1" })),
			want: vidivo.Caller{Subject: "user-1", Role: vidivo.RoleGuest, CallID: "call-1"}},
		{name: "control: aud as array containing ours",
			tok:  sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { c["aud"] = []string{"other", testAud} })),
			want: vidivo.Caller{Subject: "user-1", Role: vidivo.RoleClient}},
		{name: "control: expired within leeway",
			tok:  sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-token.Leeway + time.Second).Unix() })),
			want: vidivo.Caller{Subject: "user-1", Role: vidivo.RoleClient}},

		{name: "alg none, no signature", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, k.kidA, validClaims())},
		{name: "alg none, original signature kept", wantErr: true, wantMsg: msgInvalid,
			tok: enc(map[string]string{"alg": "none", "typ": "JWT", "kid": k.kidA}) + "." + validParts[1] + "." + validParts[2]},
		{name: "alg NoNe spelling", wantErr: true, wantMsg: msgInvalid,
			tok: enc(map[string]string{"alg": "NoNe", "typ": "JWT", "kid": k.kidA}) + "." + validParts[1] + "."},
		{name: "HS256 keyed with public key PKIX PEM", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, hs256, pubPEM, k.kidA, validClaims())},
		{name: "HS256 keyed with public key PKIX DER", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, hs256, pubDER, k.kidA, validClaims())},
		{name: "HS256 keyed with public key PKCS1 PEM", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, hs256, pubPKCS1PEM, k.kidA, validClaims())},
		{name: "RS512 with the right key", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, jwt.SigningMethodRS512, k.keyA, k.kidA, validClaims())},
		{name: "PS256 with the right key", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, jwt.SigningMethodPS256, k.keyA, k.kidA, validClaims())},
		{name: "expired beyond leeway", wantErr: true, wantMsg: msgExpired,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-token.Leeway - time.Second).Unix() }))},
		{name: "no exp", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { delete(c, "exp") }))},
		{name: "issued in the future", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { c["iat"] = testNow.Add(time.Minute).Unix() }))},
		{name: "not yet valid", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { c["nbf"] = testNow.Add(time.Minute).Unix() }))},
		{name: "wrong issuer", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { c["iss"] = "https://evil.test" }))},
		{name: "no issuer", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { delete(c, "iss") }))},
		{name: "wrong audience", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { c["aud"] = "other-service" }))},
		{name: "audience array without ours", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { c["aud"] = []string{"a", "b"} }))},
		{name: "no audience", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { delete(c, "aud") }))},
		{name: "bad signature", wantErr: true, wantMsg: msgInvalid,
			tok: validParts[0] + "." + validParts[1] + "." + flipFirstChar(validParts[2])},
		{name: "empty signature", wantErr: true, wantMsg: msgInvalid,
			tok: validParts[0] + "." + validParts[1] + "."},
		{name: "tampered payload: role escalated", wantErr: true, wantMsg: msgInvalid,
			tok: validParts[0] + "." + enc(with(func(c jwt.MapClaims) { c["role"] = "admin" })) + "." + validParts[2]},
		{name: "tampered payload: expiry extended", wantErr: true, wantMsg: msgInvalid,
			tok: validParts[0] + "." + enc(with(func(c jwt.MapClaims) { c["exp"] = testNow.Add(24 * time.Hour).Unix() })) + "." + validParts[2]},
		{name: "tampered header: kid swapped", wantErr: true, wantMsg: msgInvalid,
			tok: enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": k.kidB}) + "." + validParts[1] + "." + validParts[2]},
		{name: "signed by another key set", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyB, k.kidB, validClaims())},
		{name: "signed by another key claiming our kid", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyB, k.kidA, validClaims())},
		{name: "unknown kid", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, "no-such-kid", validClaims())},
		{name: "missing kid", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, "", validClaims())},
		{name: "unknown role", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { c["role"] = "superuser" }))},
		{name: "missing role", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { delete(c, "role") }))},
		{name: "guest without call_id", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { c["role"] = "guest" }))},
		{name: "client with call_id", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { c["call_id"] = "call-1" }))},
		{name: "empty subject", wantErr: true, wantMsg: msgInvalid,
			tok: sign(t, rs256, k.keyA, k.kidA, with(func(c jwt.MapClaims) { delete(c, "sub") }))},
		{name: "empty string", wantErr: true, wantMsg: msgInvalid, tok: ""},
		{name: "two segments", wantErr: true, wantMsg: msgInvalid, tok: validParts[0] + "." + validParts[1]},
		{name: "four segments", wantErr: true, wantMsg: msgInvalid, tok: valid + ".x"},
		{name: "not base64", wantErr: true, wantMsg: msgInvalid, tok: "!!!.???.***"},
		{name: "oversized", wantErr: true, wantMsg: msgInvalid, tok: valid + strings.Repeat("A", 10000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := iss.Verify(tt.tok)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Verify: unexpected error %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("caller (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify accepted the token as %+v, want rejection", got)
			}
			if diff := cmp.Diff(vidivo.Caller{}, got); diff != "" {
				t.Errorf("rejected token still yielded a caller:\n%s", diff)
			}
			var ve *vidivo.Error
			if !errors.As(err, &ve) {
				t.Fatalf("error %v does not wrap *vidivo.Error", err)
			}
			if ve.Code != vidivo.EUNAUTHORIZED {
				t.Errorf("code = %q, want %q", ve.Code, vidivo.EUNAUTHORIZED)
			}
			if ve.Message != tt.wantMsg {
				t.Errorf("message = %q, want %q", ve.Message, tt.wantMsg)
			}
			if got := vidivo.ErrorMessage(err); got != tt.wantMsg {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.wantMsg)
			}
		})
	}
}

// flipFirstChar changes the first character of a base64url segment, which
// changes the decoded bytes.
func flipFirstChar(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// TestVerifyClock checks that Verify reads the injected clock.
func TestVerifyClock(t *testing.T) {
	t.Parallel()
	k := keys(t)
	tok, _, err := newIssuer(k.ksA).Issue(vidivo.Caller{Subject: "u1", Role: vidivo.RoleClient})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		at      time.Time
		wantMsg string // "" means accepted
	}{
		{"at issue", testNow, ""},
		{"just before expiry", testNow.Add(testTTL - time.Second), ""},
		{"inside leeway", testNow.Add(testTTL + token.Leeway - time.Second), ""},
		{"past leeway", testNow.Add(testTTL + token.Leeway + time.Second), msgExpired},
		{"a day later", testNow.Add(24 * time.Hour), msgExpired},
		{"before issue beyond leeway", testNow.Add(-token.Leeway - time.Second), msgInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newIssuer(k.ksA)
			v.Now = func() time.Time { return tt.at }
			_, err := v.Verify(tok)
			if got := msgOf(err); got != tt.wantMsg {
				t.Errorf("Verify at %v: message %q (err %v), want %q", tt.at, got, err, tt.wantMsg)
			}
		})
	}
}

func msgOf(err error) string {
	if err == nil {
		return ""
	}
	return vidivo.ErrorMessage(err)
}

// TestVerifyKeyRotation checks that every key of a set verifies while only
// the first signs.
func TestVerifyKeyRotation(t *testing.T) {
	t.Parallel()
	k := keys(t)
	both, err := token.LoadKeySet("", k.pemB8+k.pemA8) // B signs, A still verifies
	if err != nil {
		t.Fatal(err)
	}
	if got := both.SigningKeyID(); got != k.kidB {
		t.Errorf("SigningKeyID = %q, want first block's %q", got, k.kidB)
	}
	c := vidivo.Caller{Subject: "u1", Role: vidivo.RoleHost}
	oldTok, _, err := newIssuer(k.ksA).Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	newTok, _, err := newIssuer(both).Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		verifier *token.KeySet
		tok      string
		wantErr  bool
	}{
		{"rotated set verifies token of old key", both, oldTok, false},
		{"rotated set verifies its own token", both, newTok, false},
		{"new key's token verifies where only the new key is", k.ksB, newTok, false},
		{"old set rejects new key's token", k.ksA, newTok, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := newIssuer(tt.verifier).Verify(tt.tok)
			if (err != nil) != tt.wantErr {
				t.Errorf("Verify error = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyMisconfiguredIsInternal(t *testing.T) {
	t.Parallel()
	iss := &token.Issuer{Issuer: testIss, Audience: testAud} // no Keys
	_, err := iss.Verify("a.b.c")
	if err == nil {
		t.Fatal("Verify with nil Keys succeeded")
	}
	if code := vidivo.ErrorCode(err); code != vidivo.EINTERNAL {
		t.Errorf("code = %q, want %q", code, vidivo.EINTERNAL)
	}
}
