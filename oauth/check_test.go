package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

func TestCheckRedirectURI(t *testing.T) {
	tests := []struct {
		uri string
		ok  bool
	}{
		{"https://app.example/callback", true},
		{"https://app.example:8443/cb?x=1", true},
		{"http://127.0.0.1:5555/cb", true},
		{"http://[::1]:5555/cb", true},
		{"http://localhost/cb", true},
		{"http://app.example/cb", false},
		{"https://app.example/cb#frag", false},
		{"https://app.example/cb#", false},
		{"https://user:pw@app.example/cb", false},
		{"/callback", false},
		{"app.example/cb", false},
		{"javascript:alert(1)", false},
		{"ftp://app.example/cb", false},
		{"", false},
		{"https://app.example/" + strings.Repeat("a", MaxRedirectURILen), false},
	}
	for _, tt := range tests {
		if got := CheckRedirectURI(tt.uri) == ""; got != tt.ok {
			t.Errorf("CheckRedirectURI(%q) ok = %v, want %v (%s)", tt.uri, got, tt.ok, CheckRedirectURI(tt.uri))
		}
	}
}

func challengeOf(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestCheckChallenge(t *testing.T) {
	good := challengeOf(strings.Repeat("v", 43))
	tests := []struct {
		challenge, method string
		ok                bool
	}{
		{good, "S256", true},
		{good, "plain", false},
		{good, "", false}, // a missing method means plain
		{good, "s256", false},
		{"", "S256", false},
		{good[:42], "S256", false},
		{good[:42] + "=", "S256", false},
		{good[:42] + "+", "S256", false},
	}
	for _, tt := range tests {
		if got := CheckChallenge(tt.challenge, tt.method) == ""; got != tt.ok {
			t.Errorf("CheckChallenge(%q, %q) ok = %v, want %v", tt.challenge, tt.method, got, tt.ok)
		}
	}
}

func TestVerifyPKCE(t *testing.T) {
	verifier := "abcdefghijklmnopqrstuvwxyz0123456789-._~ABCDEFG"
	challenge := challengeOf(verifier)
	tests := []struct {
		name, verifier string
		ok             bool
	}{
		{"matching", verifier, true},
		{"missing", "", false},
		{"another verifier", verifier[:len(verifier)-1] + "H", false},
		{"too short", verifier[:42], false},
		{"too long", strings.Repeat("a", 129), false},
		{"bad characters", verifier[:len(verifier)-1] + "+", false},
		{"the challenge itself (plain)", challenge, false},
	}
	for _, tt := range tests {
		if got := VerifyPKCE(tt.verifier, challenge) == ""; got != tt.ok {
			t.Errorf("%s: VerifyPKCE ok = %v, want %v", tt.name, got, tt.ok)
		}
	}
}

func TestCheckState(t *testing.T) {
	tests := []struct {
		state string
		ok    bool
	}{
		{"", true},
		{"xyz-123_~.!", true},
		{strings.Repeat("s", MaxStateLen), true},
		{strings.Repeat("s", MaxStateLen+1), false},
		{"a\nb", false},
		{"é", false},
	}
	for _, tt := range tests {
		if got := CheckState(tt.state) == ""; got != tt.ok {
			t.Errorf("CheckState(%q) ok = %v, want %v", tt.state, got, tt.ok)
		}
	}
}

func TestScopes(t *testing.T) {
	s, unknown := ParseScopes("webhooks:write users:read users:read bogus")
	if s.String() != "users:read webhooks:write" || len(unknown) != 1 || unknown[0] != "bogus" {
		t.Fatalf("ParseScopes = %q, %v", s, unknown)
	}
	if !(Scopes{ScopeUsersRead}).Within(s) || (Scopes{ScopeCallsRead}).Within(s) {
		t.Error("Within is wrong")
	}
	if got := s.Intersect(Scopes{ScopeWebhooksWrite, ScopeCallsRead}).String(); got != "webhooks:write" {
		t.Errorf("Intersect = %q", got)
	}
	if got := s.Union(Scopes{ScopeCallsRead}).String(); got != "users:read calls:read webhooks:write" {
		t.Errorf("Union = %q", got)
	}
	for _, sc := range AllScopes {
		if Describe(sc) == "" {
			t.Errorf("scope %s has no description", sc)
		}
	}
}

func TestTokenShapes(t *testing.T) {
	tok, err := newSecret(AccessPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if !IsAccessToken(tok) || IsAccessToken(tok[:len(tok)-1]) || IsAccessToken(RefreshPrefix+tok[len(AccessPrefix):]) {
		t.Errorf("IsAccessToken misjudges %q", tok)
	}
	if !secretMatches(tok, Hash(tok)) || secretMatches(tok+"x", Hash(tok)) || secretMatches(tok, "") {
		t.Error("secretMatches is wrong")
	}
}
