package oauth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// The prefixes of the secrets this server hands out, so a leaked one is
// recognizable (secret scanners, logs) and told apart without a lookup.
const (
	AccessPrefix  = "vdv_oat_"
	RefreshPrefix = "vdv_ort_"
	CodePrefix    = "vdv_oac_"
	SecretPrefix  = "vdv_ocs_"
)

// secretBytes is the entropy of every token, code and client secret.
const secretBytes = 32

// Limits on what an app registers.
const (
	MaxAppNameLen     = 100
	MaxRedirectURIs   = 10
	MaxRedirectURILen = 2000
	MaxStateLen       = 1000
	MaxAppsPerUser    = 50
)

// newSecret returns prefix and 256 random bits, base64url.
func newSecret(prefix string) (string, error) {
	var b [secretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("oauth: random: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Hash is how tokens, codes and client secrets are stored and looked up.
// One SHA-256 is enough: each has 256 random bits, nothing to guess.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// hasShape reports whether tok is prefix and 256 bits in base64url.
func hasShape(tok, prefix string) bool {
	rest, ok := strings.CutPrefix(tok, prefix)
	return ok && len(rest) == base64.RawURLEncoding.EncodedLen(secretBytes)
}

// IsAccessToken reports whether tok has an OAuth access token's shape.
func IsAccessToken(tok string) bool { return hasShape(tok, AccessPrefix) }

// secretMatches compares a presented client secret with the stored hash
// in constant time.
func secretMatches(presented, hash string) bool {
	return hash != "" && subtle.ConstantTimeCompare([]byte(Hash(presented)), []byte(hash)) == 1
}

// CheckRedirectURI returns what is wrong with a redirect URI an app
// registers, or "". It must be absolute, https (or http to a loopback
// address, for apps in development and native apps, RFC 8252 §7.3),
// without user info or fragment (RFC 6749 §3.1.2).
func CheckRedirectURI(raw string) string {
	if raw == "" || len(raw) > MaxRedirectURILen {
		return fmt.Sprintf("must be 1 to %d characters", MaxRedirectURILen)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "must be an absolute URL such as https://app.example/callback"
	}
	if u.User != nil {
		return "must not contain a user name or password"
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "must not contain a fragment (#)"
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		if isLoopback(u.Hostname()) {
			return ""
		}
		return "must use https (http only to 127.0.0.1, [::1] or localhost)"
	}
	return "must use https (http only to 127.0.0.1, [::1] or localhost)"
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckChallenge returns what is wrong with a PKCE code challenge and its
// method (RFC 7636 §4.2-4.3), or "". Only S256 is accepted: "plain" (and
// a missing method, which means plain) would give the code away to anyone
// who sees the authorization request.
func CheckChallenge(challenge, method string) string {
	if challenge == "" {
		return "code_challenge is required (PKCE with S256)"
	}
	if method != "S256" {
		return "code_challenge_method must be S256"
	}
	if len(challenge) != 43 || !isB64URL(challenge) {
		return "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)"
	}
	return ""
}

func isB64URL(s string) bool {
	return strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
}

// VerifyPKCE checks a code verifier against the S256 challenge made from
// it (RFC 7636 §4.6): 43-128 unreserved characters whose SHA-256, in
// base64url, equals the challenge.
func VerifyPKCE(verifier, challenge string) string {
	if verifier == "" {
		return "code_verifier is required"
	}
	if len(verifier) < 43 || len(verifier) > 128 ||
		strings.Trim(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != "" {
		return "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~"
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) != 1 {
		return "code_verifier does not match the code_challenge"
	}
	return ""
}

// CheckState returns what is wrong with a state value, or "": it is sent
// back as is, so it must be printable ASCII (RFC 6749 VSCHAR) and short.
func CheckState(state string) string {
	if len(state) > MaxStateLen {
		return fmt.Sprintf("state must be at most %d characters", MaxStateLen)
	}
	for i := 0; i < len(state); i++ {
		if state[i] < 0x20 || state[i] > 0x7e {
			return "state must be printable ASCII"
		}
	}
	return ""
}
