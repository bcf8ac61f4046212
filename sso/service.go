package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/auth"
	"github.com/vidivo/vidivo/token"
)

// Store is the storage the service needs.
type Store interface {
	// CreateSSOUser stores u (setting its ID and CreatedAt), its link to
	// the partner and the token's use in one transaction. Returns
	// EUNAUTHORIZED for a token used before and ECONFLICT naming the
	// field when the email or username is taken.
	CreateSSOUser(ctx context.Context, u *vidivo.User, passwordHash string, acct vidivo.SSOAccount, use vidivo.SSOTokenUse) error
	// StartSSOSession records the token's use, finds the account with
	// email that issuer created and stores rt as a new session of it with
	// its logout URL (none when empty), in one transaction. Returns
	// EUNAUTHORIZED for a token used before and ENOTFOUND for no account.
	StartSSOSession(ctx context.Context, use vidivo.SSOTokenUse, issuer, email string, rt *vidivo.RefreshToken, logoutURL string) (*vidivo.User, error)
	// SSOLogoutURL returns the logout URL of the session holding the
	// refresh token with hash. Returns ENOTFOUND when it has none.
	SSOLogoutURL(ctx context.Context, refreshHash string) (string, error)
}

// Service signs partner apps' users up and in.
type Service struct {
	Store Store
	// Auth issues the sessions' tokens and hashes the accounts' unusable
	// passwords, as for any account.
	Auth     *auth.Service
	Partners Partners
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Account is an account that a partner's sign-up token created.
type Account struct {
	User         *vidivo.User
	Issuer       string
	BusinessName string
}

// usernameAttempts bounds the usernames tried for one sign-up.
const usernameAttempts = 6

// Errors the partner guide documents.
var (
	errEmailTaken = vidivo.Errorf(vidivo.EFORBIDDEN, "Validation failed: User email has already been taken")
	errNoAccount  = vidivo.Errorf(vidivo.ENOTFOUND, "Validation failed: no account with this email was created by this partner (iss)")
)

// Signup creates a host account from a partner's sign-up token: the
// email, name (display name), business name and time zone its claims
// give, a username derived from the name, and no password anyone knows
// (the account signs in by the partner's login token). Returns
// EUNAUTHORIZED for a token that fails Verify or was used before,
// EVALIDATION for bad claims and EFORBIDDEN when the email is taken.
func (s *Service) Signup(ctx context.Context, raw string) (*Account, error) {
	tok, err := s.Partners.Verify(raw, s.now())
	if err != nil {
		return nil, err
	}
	in, err := signupClaims(&tok.Claims)
	if err != nil {
		return nil, err
	}
	hash, err := s.unusablePassword()
	if err != nil {
		return nil, err
	}
	base := usernameBase(in.Name, in.Email)
	acct := vidivo.SSOAccount{Issuer: tok.Issuer, BusinessName: in.BusinessName}
	for attempt := 0; ; attempt++ {
		u := &vidivo.User{Email: in.Email, Username: usernameCandidate(base, attempt), DisplayName: in.Name,
			Role: vidivo.RoleHost, Timezone: in.Zone}
		err := s.Store.CreateSSOUser(ctx, u, hash, acct, tok.Use)
		switch {
		case err == nil:
			return &Account{User: u, Issuer: acct.Issuer, BusinessName: acct.BusinessName}, nil
		case conflictOn(err, "email"):
			return nil, errEmailTaken
		case conflictOn(err, "username") && attempt+1 < usernameAttempts:
			continue // someone has this name: try another
		}
		return nil, err
	}
}

// Login starts a browser session for the account that the partner's login
// token names (by email, among the accounts this partner created),
// remembering the token's logout_redirect_url for the session's log-out.
// Returns EUNAUTHORIZED for a token that fails Verify or was used before,
// EVALIDATION for bad claims and ENOTFOUND when this partner created no
// account with the email.
func (s *Service) Login(ctx context.Context, raw string) (*auth.Session, error) {
	tok, err := s.Partners.Verify(raw, s.now())
	if err != nil {
		return nil, err
	}
	email, err := loginClaims(&tok.Claims)
	if err != nil {
		return nil, err
	}
	plain, hash, err := token.NewRefresh()
	if err != nil {
		return nil, fmt.Errorf("sso: new refresh token: %w", err)
	}
	ttl := s.Auth.RefreshTTL
	if ttl == 0 {
		ttl = auth.DefaultRefreshTTL
	}
	rt := &vidivo.RefreshToken{Hash: hash, ExpiresAt: s.now().Add(ttl)}
	u, err := s.Store.StartSSOSession(ctx, tok.Use, tok.Issuer, email, rt, tok.LogoutRedirectURL)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, errNoAccount
	}
	if err != nil {
		return nil, err
	}
	access, expiresIn, err := s.Auth.Tokens.Issue(vidivo.Caller{Subject: u.ID, Role: u.Role})
	if err != nil {
		return nil, fmt.Errorf("sso: issue access token: %w", err)
	}
	return &auth.Session{User: u, AccessToken: access, RefreshToken: plain, ExpiresIn: expiresIn}, nil
}

// LogoutURL returns the partner's logout_redirect_url of the session
// holding refreshToken; ok is false for a session a partner did not start
// or that named none.
func (s *Service) LogoutURL(ctx context.Context, refreshToken string) (dest string, ok bool, err error) {
	dest, err = s.Store.SSOLogoutURL(ctx, token.HashRefresh(refreshToken))
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return dest, true, nil
}

// unusablePassword hashes a random password that is never shown: the
// account has a well-formed hash, so a password log-in is refused like
// any wrong password, until the user sets one of their own.
func (s *Service) unusablePassword() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("sso: random password: %w", err)
	}
	hash, err := s.Auth.Hasher.Hash(base64.RawURLEncoding.EncodeToString(b))
	if err != nil {
		return "", fmt.Errorf("sso: hash password: %w", err)
	}
	return hash, nil
}

// conflictOn reports whether err is ECONFLICT naming field.
func conflictOn(err error, field string) bool {
	if vidivo.ErrorCode(err) != vidivo.ECONFLICT {
		return false
	}
	for _, d := range vidivo.ErrorDetails(err) {
		if d.Field == field {
			return true
		}
	}
	return false
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}
