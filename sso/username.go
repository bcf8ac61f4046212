package sso

import (
	"crypto/rand"
	"strings"

	"github.com/vidivo/vidivo"
)

// usernameBase derives a username from a person's name, or the email's
// local part when the name has too few Latin letters and digits: lower
// case, other characters turned into single hyphens, at most 24
// characters so that a suffix still fits the 32 allowed.
func usernameBase(name, email string) string {
	if base := slug(name); len(base) >= 3 {
		return base
	}
	local, _, _ := strings.Cut(email, "@")
	if base := slug(local); len(base) >= 3 {
		return base
	}
	return "host"
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
		if b.Len() >= 24 {
			break
		}
	}
	return strings.TrimRight(b.String()[:min(b.Len(), 24)], "-")
}

// usernameCandidate is the attempt-th username tried for base: base
// itself first (if allowed), then base with a random suffix.
func usernameCandidate(base string, attempt int) string {
	if attempt == 0 && vidivo.CheckUsername(base) == "" {
		return base
	}
	return base + "-" + randomSuffix()
}

const suffixAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func randomSuffix() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = suffixAlphabet[int(b[i])%len(suffixAlphabet)]
	}
	return string(b)
}
