package token

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	vidivo "github.com/vidivo/vidivo"
)

// Leeway is the clock skew Verify tolerates when checking exp (a token is
// accepted up to Leeway after it expires) and iat (a token may claim to be
// issued up to Leeway in the future). It absorbs small clock differences
// between instances of the service.
const Leeway = 5 * time.Second

// maxTokenLen bounds the tokens Verify will parse; real tokens are well under
// 1 KiB.
const maxTokenLen = 8 << 10

// Issuer issues and verifies access tokens: RS256 JWTs signed by the first
// key of Keys, carrying iss, aud, sub, iat, exp, jti, role and, for guests,
// call_id.
//
// Set the exported fields before first use and do not change them afterwards:
// the first call to Issue or Verify validates them and builds the parser that
// every later call shares. An Issuer must not be copied after first use and
// is safe for concurrent use.
type Issuer struct {
	// Keys signs (first key) and verifies (any key, chosen by kid). Required.
	Keys *KeySet
	// Issuer is the iss claim written and required. Required.
	Issuer string
	// Audience is the aud claim written (a single string) and required.
	// Required.
	Audience string
	// TTL is how long an issued token is valid. Required by Issue; Verify
	// relies on the signed exp claim instead.
	TTL time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	once  sync.Once
	state issuerState
	err   error
}

// issuerState is what the first use of an Issuer derives from its fields.
type issuerState struct {
	now     func() time.Time
	parser  *jwt.Parser
	keyFunc jwt.Keyfunc
}

// claims is the claim set Verify decodes. RegisteredClaims accepts aud both
// as a string and as an array.
type claims struct {
	jwt.RegisteredClaims
	Role   vidivo.Role `json:"role"`
	CallID string      `json:"call_id"`
}

// init validates the fields and builds the shared parser, once.
func (i *Issuer) init() (*issuerState, error) {
	i.once.Do(func() {
		switch {
		case i.Keys == nil:
			i.err = errors.New("token: Issuer.Keys is nil")
			return
		case i.Issuer == "":
			i.err = errors.New("token: Issuer.Issuer is empty")
			return
		case i.Audience == "":
			i.err = errors.New("token: Issuer.Audience is empty")
			return
		}
		now := i.Now
		if now == nil {
			now = time.Now
		}
		i.state = issuerState{
			now: now,
			parser: jwt.NewParser(
				jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
				jwt.WithIssuer(i.Issuer),
				jwt.WithAudience(i.Audience),
				jwt.WithExpirationRequired(),
				jwt.WithIssuedAt(),
				jwt.WithTimeFunc(now),
				jwt.WithLeeway(Leeway),
				jwt.WithStrictDecoding(),
			),
			keyFunc: i.Keys.keyFunc,
		}
	})
	if i.err != nil {
		return nil, i.err
	}
	return &i.state, nil
}

// Issue returns a signed access token for c and how long it is valid (TTL).
//
// c must have a Subject and either an account role (c.Role.Valid()) and no
// CallID, or RoleGuest and a CallID; anything else is an error, as is an
// Issuer with missing fields or a TTL <= 0. Issue errors are internal errors,
// not *vidivo.Error values: they mean the caller misused the Issuer.
func (i *Issuer) Issue(c vidivo.Caller) (token string, expiresIn time.Duration, err error) {
	st, err := i.init()
	if err != nil {
		return "", 0, err
	}
	if i.TTL <= 0 {
		return "", 0, fmt.Errorf("token: Issuer.TTL is %v, must be positive", i.TTL)
	}
	if err := checkCaller(c); err != nil {
		return "", 0, fmt.Errorf("token: cannot issue: %w", err)
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", 0, fmt.Errorf("token: jti: %w", err)
	}
	now := st.now()
	mc := jwt.MapClaims{
		"iss":  i.Issuer,
		"aud":  i.Audience,
		"sub":  c.Subject,
		"iat":  now.Unix(),
		"exp":  now.Add(i.TTL).Unix(),
		"jti":  base64.RawURLEncoding.EncodeToString(jti[:]),
		"role": string(c.Role),
	}
	if c.IsGuest() {
		mc["call_id"] = c.CallID
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, mc) // sets typ: JWT
	t.Header["kid"] = i.Keys.signKID
	s, err := t.SignedString(i.Keys.signer)
	if err != nil {
		return "", 0, fmt.Errorf("token: sign: %w", err)
	}
	return s, i.TTL, nil
}

// Verify checks tok and returns the Caller it was issued for.
//
// It accepts only RS256 tokens whose header kid names a key of i.Keys, whose
// signature verifies with that key, whose iss and aud equal i.Issuer and
// i.Audience, which carry exp (not passed by more than Leeway) and an iat not
// more than Leeway in the future, and whose sub, role and call_id form a
// Caller Issue would accept.
//
// Every rejection returns an error wrapping a *vidivo.Error with code
// vidivo.EUNAUTHORIZED and the message "token expired" (signature valid but
// exp passed) or "invalid or expired token" (anything else); the cause is
// wrapped too, for logs, and is never part of the message. An Issuer with
// missing fields yields a plain (internal) error instead.
func (i *Issuer) Verify(tok string) (vidivo.Caller, error) {
	st, err := i.init()
	if err != nil {
		return vidivo.Caller{}, err
	}
	if len(tok) > maxTokenLen {
		return vidivo.Caller{}, unauthorized(errors.New("token too long"))
	}
	var cl claims
	if _, err := st.parser.ParseWithClaims(tok, &cl, st.keyFunc); err != nil {
		return vidivo.Caller{}, unauthorized(err)
	}
	c := vidivo.Caller{Subject: cl.Subject, Role: cl.Role, CallID: cl.CallID}
	if err := checkCaller(c); err != nil {
		return vidivo.Caller{}, unauthorized(err)
	}
	return c, nil
}

// checkCaller reports what is wrong with c as the subject of a token.
func checkCaller(c vidivo.Caller) error {
	switch {
	case c.Subject == "":
		return errors.New("empty subject")
	case c.Role == vidivo.RoleGuest:
		if c.CallID == "" {
			return errors.New("guest without call_id")
		}
	case c.Role.Valid():
		if c.CallID != "" {
			return fmt.Errorf("role %q with call_id", c.Role)
		}
	default:
		return fmt.Errorf("unknown role %q", c.Role)
	}
	return nil
}

// keyFunc returns the verification key named by the token's kid. The parser
// has already restricted alg to RS256; the check is repeated so this
// function never hands an RSA key to another algorithm.
func (k *KeySet) keyFunc(t *jwt.Token) (any, error) {
	if t.Method != jwt.SigningMethodRS256 {
		return nil, errors.New("unexpected signing method")
	}
	kid, _ := t.Header["kid"].(string)
	key := k.publicKey(kid)
	if key == nil {
		return nil, errors.New("unknown or missing kid")
	}
	return key, nil
}

// unauthorized wraps cause in the generic user-facing rejection.
func unauthorized(cause error) error {
	msg := "invalid or expired token"
	if errors.Is(cause, jwt.ErrTokenExpired) {
		msg = "token expired"
	}
	return fmt.Errorf("%w: %w", &vidivo.Error{Code: vidivo.EUNAUTHORIZED, Message: msg}, cause)
}
