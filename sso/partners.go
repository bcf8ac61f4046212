// Package sso signs partner apps' users up and in with the partner's
// signed token (single sign-on): an HS256 JWT made with a key the
// operator shared with the partner. Verify holds the token rules (the
// algorithm, the issuer's key, the 15-minute window, the claims); Service
// creates accounts and sessions with them, spending each token once.
package sso

import (
	"fmt"
	"os"
	"strings"
	"unicode"
)

// MinKeyLen is the shortest partner key accepted: HS256 is only as strong
// as its key, and 32 bytes is SHA-256's own size.
const MinKeyLen = 32

// maxIssuerLen bounds an issuer name (the sso_accounts column does too).
const maxIssuerLen = 200

// Partners are the partner apps allowed to sign users up and in: each
// token issuer ("iss") and the key its tokens are signed with.
type Partners map[string][]byte

// ParsePartners reads VIDIVO_SSO_PARTNERS: comma-separated issuer=key
// pairs, or "@path" naming a file of them, one per line (blank lines and
// lines starting with # are skipped). Empty means no partners. Every
// error says which entry is wrong, never the key.
func ParsePartners(spec string) (Partners, error) {
	spec = strings.TrimSpace(spec)
	entries := strings.Split(spec, ",")
	source := "entry"
	if path, ok := strings.CutPrefix(spec, "@"); ok {
		b, err := os.ReadFile(strings.TrimSpace(path))
		if err != nil {
			return nil, fmt.Errorf("read partners file: %w", err)
		}
		entries, source = strings.Split(string(b), "\n"), "line"
	}
	out := Partners{}
	for i, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" || (source == "line" && strings.HasPrefix(e, "#")) {
			continue
		}
		iss, key, err := parsePartner(e)
		if err != nil {
			return nil, fmt.Errorf("%s %d: %w", source, i+1, err)
		}
		if _, dup := out[iss]; dup {
			return nil, fmt.Errorf("%s %d: issuer %q is listed twice", source, i+1, iss)
		}
		out[iss] = key
	}
	return out, nil
}

func parsePartner(entry string) (string, []byte, error) {
	iss, key, ok := strings.Cut(entry, "=")
	iss, key = strings.TrimSpace(iss), strings.TrimSpace(key)
	switch {
	case !ok:
		return "", nil, fmt.Errorf("want issuer=key")
	case iss == "" || len(iss) > maxIssuerLen || strings.IndexFunc(iss, badIssuerRune) >= 0:
		return "", nil, fmt.Errorf("issuer must be 1-%d printable characters without spaces", maxIssuerLen)
	case len(key) < MinKeyLen:
		return "", nil, fmt.Errorf("the key of issuer %q is shorter than %d bytes", iss, MinKeyLen)
	}
	return iss, []byte(key), nil
}

func badIssuerRune(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }
