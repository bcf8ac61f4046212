// Package auth runs accounts' sign-up, log-in and sessions: it checks
// passwords, issues access tokens, rotates refresh tokens and issues and
// checks personal access tokens.
package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/password"
	"github.com/vidivo/vidivo/token"
)

// DefaultRefreshTTL is how long a session lasts without being refreshed.
const DefaultRefreshTTL = 30 * 24 * time.Hour

// Service signs users up and in.
type Service struct {
	Users  vidivo.UserStore
	Tokens *token.Issuer
	Hasher password.Hasher
	// RefreshTTL is the lifetime of a refresh token; zero means
	// DefaultRefreshTTL.
	RefreshTTL time.Duration
	// PATStore keeps personal access tokens; nil means Users when it keeps
	// them too (the SQL store does), so every service built on one store
	// accepts them.
	PATStore vidivo.PATStore
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Session is what a successful sign-up, log-in or refresh returns.
type Session struct {
	User         *vidivo.User
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
}

var errBadLogin = vidivo.Errorf(vidivo.EUNAUTHORIZED, "invalid email or password")

// Signup creates an account and its first session. Returns EVALIDATION for
// bad input and ECONFLICT when the email or username is taken.
func (s *Service) Signup(ctx context.Context, in vidivo.Signup) (*Session, error) {
	plain, rt, err := s.newRefresh()
	if err != nil {
		return nil, err
	}
	u, err := s.create(ctx, in, (*vidivo.Signup).Validate, rt)
	if err != nil {
		return nil, err
	}
	return s.session(u, plain)
}

// CreateAccount creates an account without a session, for operators (the
// CLI): any role, admin included, may be given.
func (s *Service) CreateAccount(ctx context.Context, in vidivo.Signup) (*vidivo.User, error) {
	return s.create(ctx, in, (*vidivo.Signup).ValidateAnyRole, nil)
}

// create normalizes and validates in, hashes its password and stores the
// account, with the session's first refresh token if one is given.
func (s *Service) create(ctx context.Context, in vidivo.Signup, validate func(*vidivo.Signup) error, first *vidivo.RefreshToken) (*vidivo.User, error) {
	in.Normalize()
	if err := validate(&in); err != nil {
		return nil, err
	}
	hash, err := s.Hasher.Hash(in.Password)
	if err != nil {
		return nil, fmt.Errorf("auth: hash password: %w", err)
	}
	u := &vidivo.User{Email: in.Email, Username: in.Username, DisplayName: in.DisplayName, Role: in.Role, Timezone: "UTC"}
	if err := s.Users.CreateUser(ctx, u, hash, first); err != nil {
		return nil, err
	}
	return u, nil
}

// Login checks an email (or username) and password and starts a session.
// A wrong password and an unknown email answer the same EUNAUTHORIZED after
// the same work; text no account could have (empty, too long, control
// characters) is EVALIDATION.
func (s *Service) Login(ctx context.Context, email, pw string) (*Session, error) {
	if err := checkLogin(email, pw); err != nil {
		return nil, err
	}
	u, hash, err := s.Users.UserByLogin(ctx, email)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		s.Hasher.DummyVerify(pw)
		return nil, errBadLogin
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.Hasher.Verify(pw, hash)
	if err != nil {
		return nil, fmt.Errorf("auth: verify password: %w", err)
	}
	if !ok {
		return nil, errBadLogin
	}
	plain, rt, err := s.newRefresh()
	if err != nil {
		return nil, err
	}
	rt.UserID = u.ID
	if err := s.Users.CreateRefreshToken(ctx, rt); err != nil {
		return nil, err
	}
	return s.session(u, plain)
}

// Refresh rotates a refresh token: the old one stops working and a new one
// is returned with a fresh access token. Reusing a rotated token revokes the
// whole session. Returns EUNAUTHORIZED for any unusable token.
func (s *Service) Refresh(ctx context.Context, plain string) (*Session, error) {
	next, rt, err := s.newRefresh()
	if err != nil {
		return nil, err
	}
	userID, err := s.Users.RotateRefreshToken(ctx, token.HashRefresh(plain), rt)
	if err != nil {
		return nil, err
	}
	u, err := s.Users.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.session(u, next)
}

// Logout ends the caller's session that the refresh token belongs to. A
// token of another user's session is left alone.
func (s *Service) Logout(ctx context.Context, caller vidivo.Caller, plain string) error {
	return s.Users.RevokeRefreshToken(ctx, token.HashRefresh(plain), caller.Subject)
}

// Authenticate verifies an access token or a personal access token and
// returns its caller, for callers without a request's context.
func (s *Service) Authenticate(tok string) (vidivo.Caller, error) {
	return s.AuthenticateContext(context.Background(), tok)
}

// AuthenticateContext verifies a bearer token: a personal access token
// (by its prefix) acts with its owner's current role; anything else must
// be a signed access token. Every failure is EUNAUTHORIZED.
func (s *Service) AuthenticateContext(ctx context.Context, tok string) (vidivo.Caller, error) {
	if IsPAT(tok) {
		return s.authenticatePAT(ctx, tok)
	}
	return s.Tokens.Verify(tok)
}

func (s *Service) newRefresh() (string, *vidivo.RefreshToken, error) {
	plain, hash, err := token.NewRefresh()
	if err != nil {
		return "", nil, fmt.Errorf("auth: new refresh token: %w", err)
	}
	ttl := s.RefreshTTL
	if ttl == 0 {
		ttl = DefaultRefreshTTL
	}
	return plain, &vidivo.RefreshToken{Hash: hash, ExpiresAt: s.now().Add(ttl)}, nil
}

func (s *Service) session(u *vidivo.User, refresh string) (*Session, error) {
	access, expiresIn, err := s.Tokens.Issue(vidivo.Caller{Subject: u.ID, Role: u.Role})
	if err != nil {
		return nil, fmt.Errorf("auth: issue access token: %w", err)
	}
	return &Session{User: u, AccessToken: access, RefreshToken: refresh, ExpiresIn: expiresIn}, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// checkLogin refuses log-in input before any lookup. The email is looked
// up, not stored: it only has to be text a database can compare (the one
// text rule), not a valid address.
func checkLogin(email, pw string) error {
	var errs []vidivo.FieldError
	if fe := vidivo.CheckText("email", email, vidivo.TextRule{Required: true, Max: vidivo.MaxEmailLen}); fe != nil {
		errs = append(errs, *fe)
	}
	if pw == "" {
		errs = append(errs, vidivo.FieldError{Field: "password", Issue: "is required"})
	}
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	return nil
}
