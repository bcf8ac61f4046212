// Package oauth is Vidivo's OAuth 2.0 authorization server for third-party
// apps: registering apps, the authorization code grant with PKCE (RFC 6749,
// RFC 7636, S256 only), refresh tokens rotated with reuse detection,
// revocation (RFC 7009) and the scopes access tokens carry.
//
// It is written on the standard library rather than a framework: fosite
// needs its own storage model (whole serialized requests per token
// signature) and a large dependency tree, and zitadel/oidc's op package is
// an OpenID provider with its own router, signing keys and log-in flow; our
// needs are the code grant, refresh and revocation only, over our own
// sessions, consent page and stores. Every protocol check is a small
// function here with a table test (check_test.go, service_test.go).
package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/vidivo/vidivo"
)

// Client types (RFC 6749 §2.1).
const (
	Confidential = "confidential"
	Public       = "public"
)

// App is a registered third-party application. Its ID is its client_id.
type App struct {
	ID           string
	UserID       string
	Name         string
	ClientType   string
	SecretHash   string
	RedirectURIs []string
	Scopes       Scopes
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Authorization is a user's consent to an app, for the scopes allowed.
type Authorization struct {
	ID        string
	UserID    string
	App       *App
	Scopes    Scopes
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Code is an authorization code, kept by its hash.
type Code struct {
	ID              string
	Hash            string
	AuthorizationID string
	AppID           string
	UserID          string
	RedirectURI     string
	Scopes          Scopes
	Challenge       string
	CreatedAt       time.Time
	ExpiresAt       time.Time
	UsedAt          *time.Time
}

// Token kinds.
const (
	KindAccess  = "access"
	KindRefresh = "refresh"
)

// Token is an issued access or refresh token, kept by its hash. A family
// is every token descended from one code.
type Token struct {
	Hash            string
	Kind            string
	FamilyID        string
	AuthorizationID string
	Scopes          Scopes
	ExpiresAt       time.Time
	UsedAt          *time.Time
	RevokedAt       *time.Time

	// Read with the token: its app, the app's current scopes, and the
	// user with their current role.
	AppID     string
	AppScopes Scopes
	UserID    string
	Role      vidivo.Role
}

// Grant is a consent given on the consent page: the authorization
// (created or widened) and the code it issues.
type Grant struct {
	UserID string
	AppID  string
	Scopes Scopes
	Code   *Code
}

// ErrReused is what a store returns when a code or refresh token was
// already used; it has revoked the tokens of its family by then.
var ErrReused = errors.New("oauth: already used")

// Store keeps apps, authorizations, codes and tokens.
type Store interface {
	// CreateOAuthApp stores app (setting ID and times). ECONFLICT past
	// MaxAppsPerUser; ENOTFOUND when the user does not exist.
	CreateOAuthApp(ctx context.Context, app *App) error
	// OAuthApps lists userID's apps in creation order.
	OAuthApps(ctx context.Context, userID string) ([]*App, error)
	// OAuthApp returns the app id; ENOTFOUND if none.
	OAuthApp(ctx context.Context, id string) (*App, error)
	// UpdateOAuthApp writes app's name, redirect URIs, scopes and secret
	// hash (setting UpdatedAt) if app.UserID owns it; ENOTFOUND otherwise.
	UpdateOAuthApp(ctx context.Context, app *App) error
	// DeleteOAuthApp deletes userID's app id with its authorizations and
	// tokens; ENOTFOUND if userID has no such app.
	DeleteOAuthApp(ctx context.Context, userID, id string) error

	// Grant creates or widens the user's authorization of the app and
	// stores its code, in one transaction (setting the code's ID and
	// AuthorizationID).
	Grant(ctx context.Context, g *Grant) error
	// CodeByHash returns a code with its app and user; ENOTFOUND if none.
	CodeByHash(ctx context.Context, hash string) (*Code, error)
	// RedeemCode marks the code used (if unused) and stores tokens, whose
	// family is the code's id, in one transaction. A code already used
	// answers ErrReused after revoking its family's tokens.
	RedeemCode(ctx context.Context, hash string, now time.Time, tokens []*Token) error
	// TokenByHash returns a token with its app and user; ENOTFOUND if
	// none.
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	// RotateRefresh marks the refresh token used (if unused, unrevoked and
	// unexpired at now) and stores next in its family, in one transaction.
	// A token already used answers ErrReused after revoking its family.
	RotateRefresh(ctx context.Context, hash string, now time.Time, next []*Token) error
	// RevokeFamily revokes every token of a family.
	RevokeFamily(ctx context.Context, familyID string, now time.Time) error

	// OAuthAuthorizations lists userID's authorizations with their apps.
	OAuthAuthorizations(ctx context.Context, userID string) ([]*Authorization, error)
	// DeleteOAuthAuthorization deletes userID's authorization id with its
	// codes and tokens; ENOTFOUND if userID has no such authorization.
	DeleteOAuthAuthorization(ctx context.Context, userID, id string) error

	// SweepOAuth deletes codes and tokens that expired before before,
	// except refresh tokens of a family that still holds a usable refresh
	// token at now: a replay of one of those must still be seen as reuse
	// and revoke the family. It answers how many rows it deleted.
	SweepOAuth(ctx context.Context, before, now time.Time) (int64, error)
}

// Error is an OAuth protocol error (RFC 6749 §4.1.2.1, §5.2), answered in
// the protocol's own format so standard clients understand it.
type Error struct {
	Code        string
	Description string
}

func (e *Error) Error() string { return "oauth: " + e.Code + ": " + e.Description }

// The protocol's error codes.
const (
	ErrInvalidRequest          = "invalid_request"
	ErrInvalidClient           = "invalid_client"
	ErrInvalidGrant            = "invalid_grant"
	ErrUnauthorizedClient      = "unauthorized_client"
	ErrUnsupportedGrantType    = "unsupported_grant_type"
	ErrUnsupportedResponseType = "unsupported_response_type"
	ErrInvalidScope            = "invalid_scope"
	ErrAccessDenied            = "access_denied"
	ErrServerError             = "server_error"
	// ErrRateLimited is ours (RFC 6749 §8.5 allows extensions): the
	// client's address sent too many token or revocation requests, 429
	// with Retry-After.
	ErrRateLimited = "rate_limited"
)

func protoErr(code, desc string) *Error { return &Error{Code: code, Description: desc} }

// Status is the HTTP status of a token or revocation endpoint error:
// 401 for a client that failed to authenticate, 400 otherwise.
func (e *Error) Status() int {
	if e.Code == ErrInvalidClient {
		return 401
	}
	if e.Code == ErrServerError {
		return 500
	}
	if e.Code == ErrRateLimited {
		return 429
	}
	return 400
}
