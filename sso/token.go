package sso

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/vidivo/vidivo"
)

// The token window. A partner mints a token right before sending the user
// (the seed's snippet: exp = now + 900 s), so a token lives at most
// MaxLifetime; ClockSkew forgives a partner clock that runs a little ahead.
const (
	MaxLifetime = 15 * time.Minute
	ClockSkew   = 30 * time.Second
	// MaxTokenLen bounds what is parsed at all: real tokens are well
	// under 1 KiB.
	MaxTokenLen = 4096
)

// Claims are a partner token's claims: the registered iss, exp and iat,
// and the user's details.
type Claims struct {
	Email        string `json:"email"`
	Name         string `json:"name"`
	BusinessName string `json:"business_name"`
	TimeZone     string `json:"time_zone"`
	// LogoutRedirectURL is where logging out of a session started by this
	// token sends the user (login tokens).
	LogoutRedirectURL string `json:"logout_redirect_url"`
	jwt.RegisteredClaims
}

// Token is a verified partner token.
type Token struct {
	Claims
	// Use is this token's use, which the store records so that it cannot
	// be used again.
	Use vidivo.SSOTokenUse
}

// Errors of Verify. All are EUNAUTHORIZED: the token does not prove who
// the user is.
var (
	errNoToken         = unauthorized("the token parameter is required")
	errMalformed       = unauthorized("the token is not a well-formed HS256 JSON Web Token")
	errUnknownIssuer   = unauthorized("the token's issuer (iss) is not a partner of this service")
	errBadSignature    = unauthorized("the token's signature does not match its issuer's key")
	errNoExpiry        = unauthorized("the token has no expiry (exp)")
	errExpired         = unauthorized("the token has expired; make a new one")
	errTooLong         = unauthorized("the token expires more than 15 minutes after now; exp must be at most 15 minutes ahead")
	errNoIssuedAt      = unauthorized("the token has no issue time (iat)")
	errIssuedInFuture  = unauthorized("the token's issue time (iat) is in the future; check the partner server's clock")
	errNotYetValid     = unauthorized("the token is not valid yet (nbf)")
	errExpiresBeforeIs = unauthorized("the token expires (exp) before it was issued (iat)")
)

func unauthorized(msg string) *vidivo.Error { return vidivo.Errorf(vidivo.EUNAUTHORIZED, "%s", msg) }

// Verify checks a partner token at now: an HS256 JWT (no other algorithm:
// "none", RS256 and the rest are refused before any key is used) whose
// issuer is one of partners, signed with that issuer's key, issued no later
// than now and expiring after now but at most MaxLifetime ahead. It checks
// no user claims: Signup and Login do. Returns EUNAUTHORIZED for any
// token that fails.
func (p Partners) Verify(raw string, now time.Time) (*Token, error) {
	if raw == "" {
		return nil, errNoToken
	}
	if len(raw) > MaxTokenLen {
		return nil, errMalformed
	}
	var c Claims
	parser := jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithoutClaimsValidation())
	_, err := parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		key, ok := p[c.Issuer]
		if !ok {
			return nil, errUnknownIssuer
		}
		return key, nil
	})
	switch {
	case errors.Is(err, errUnknownIssuer):
		return nil, errUnknownIssuer
	case errors.Is(err, jwt.ErrTokenSignatureInvalid) && c.Issuer != "" && p[c.Issuer] != nil && isHS256(raw):
		return nil, errBadSignature
	case err != nil:
		return nil, errMalformed
	}
	if err := checkWindow(&c.RegisteredClaims, now); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(raw))
	use := vidivo.SSOTokenUse{Hash: hex.EncodeToString(sum[:]), Issuer: c.Issuer, ExpiresAt: c.ExpiresAt.Time.UTC()}
	return &Token{Claims: c, Use: use}, nil
}

// isHS256 reports whether a token's header names HS256, so that a token
// of another algorithm is called malformed rather than badly signed.
func isHS256(raw string) bool {
	t, _, err := jwt.NewParser().ParseUnverified(raw, &jwt.RegisteredClaims{})
	return err == nil && t.Method == jwt.SigningMethodHS256
}

// checkWindow applies the token's time rules at now.
func checkWindow(c *jwt.RegisteredClaims, now time.Time) error {
	switch {
	case c.ExpiresAt == nil:
		return errNoExpiry
	case c.IssuedAt == nil:
		return errNoIssuedAt
	case !now.Before(c.ExpiresAt.Time):
		return errExpired
	case c.ExpiresAt.Time.After(now.Add(MaxLifetime + ClockSkew)):
		return errTooLong
	case c.IssuedAt.Time.After(now.Add(ClockSkew)):
		return errIssuedInFuture
	case c.ExpiresAt.Time.Before(c.IssuedAt.Time):
		return errExpiresBeforeIs
	case c.NotBefore != nil && c.NotBefore.Time.After(now.Add(ClockSkew)):
		return errNotYetValid
	}
	return nil
}
