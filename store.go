package vidivo

import (
	"context"
	"time"
)

// RefreshToken is one opaque refresh token, stored by its hash. Tokens issued
// by rotating one another share a FamilyID: one login session.
type RefreshToken struct {
	Hash      string
	FamilyID  string
	UserID    string
	ExpiresAt time.Time
}

// UserStore keeps accounts and their refresh tokens.
type UserStore interface {
	// CreateUser inserts u, setting its ID and CreatedAt, together with the
	// session's first refresh token (whose UserID and FamilyID it fills in),
	// in one transaction. Returns ECONFLICT if the email or username is taken.
	CreateUser(ctx context.Context, u *User, passwordHash string, first *RefreshToken) error
	// UserByID returns ENOTFOUND if there is no such user.
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByLogin finds a user by email or username (either case) and
	// returns it with its password hash. Returns ENOTFOUND if none.
	UserByLogin(ctx context.Context, login string) (*User, string, error)
	// UpdateUser applies a validated update. Returns ENOTFOUND if none.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)
	// SetUserRole changes a user's role. Returns ENOTFOUND if none.
	SetUserRole(ctx context.Context, id string, role Role) (*User, error)

	// CreateRefreshToken starts a new session (a new family) for t.UserID,
	// filling in t.FamilyID.
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// RotateRefreshToken marks the token with oldHash used and stores next
	// in its family, atomically; it returns the owner's id. A token that is
	// unknown, expired or revoked returns EUNAUTHORIZED. A token that was
	// already used is a sign of theft: the whole family is revoked and
	// EUNAUTHORIZED returned.
	RotateRefreshToken(ctx context.Context, oldHash string, next *RefreshToken) (userID string, err error)
	// RevokeRefreshToken revokes the session (family) of the token with
	// hash if it belongs to userID. Revoking twice is not an error.
	RevokeRefreshToken(ctx context.Context, hash, userID string) error
}
