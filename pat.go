package vidivo

import (
	"context"
	"strings"
	"time"
)

// Limits on personal access tokens.
const (
	MaxPATNameLen = 100
	// MaxPATsPerUser bounds a user's tokens, so listing them needs no
	// paging and a leaked session cannot mint tokens without end.
	MaxPATsPerUser = 50
	// MaxPATLifetime is the furthest ahead a token's expiry may be set.
	MaxPATLifetime = 366 * 24 * time.Hour
	// PATTouchInterval is how stale last_used_at may get: a token used
	// many times a minute is written at most once a minute.
	PATTouchInterval = time.Minute
)

// PersonalAccessToken lets an integration act as its owner through the
// API. Only its hash is stored; the value is shown once, at creation.
type PersonalAccessToken struct {
	ID         string
	UserID     string
	Name       string
	Hash       string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
}

// PATCreate is the input that creates a token.
type PATCreate struct {
	Name      string
	ExpiresAt *time.Time
}

// Validate trims and checks the input at now. Returns EVALIDATION naming
// every bad field: name (1-100 characters), expires_at (in the future, at
// most MaxPATLifetime ahead).
func (in *PATCreate) Validate(now time.Time) error {
	in.Name = strings.TrimSpace(in.Name)
	var errs []FieldError
	if fe := CheckText("name", in.Name, TextRule{Required: true, Max: MaxPATNameLen}); fe != nil {
		errs = append(errs, *fe)
	}
	if in.ExpiresAt != nil {
		switch {
		case !in.ExpiresAt.After(now):
			errs = append(errs, FieldError{"expires_at", "must be in the future"})
		case in.ExpiresAt.Sub(now) > MaxPATLifetime:
			errs = append(errs, FieldError{"expires_at", "must be at most 366 days from now"})
		}
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// PATStore keeps personal access tokens.
type PATStore interface {
	// CreatePAT stores t for t.UserID (setting ID and CreatedAt). Returns
	// ECONFLICT when the user already has MaxPATsPerUser tokens, ENOTFOUND
	// when the user does not exist.
	CreatePAT(ctx context.Context, t *PersonalAccessToken) error
	// PATs lists userID's tokens in creation order.
	PATs(ctx context.Context, userID string) ([]*PersonalAccessToken, error)
	// DeletePAT revokes userID's token id: it stops working at once.
	// Returns ENOTFOUND if userID has no such token.
	DeletePAT(ctx context.Context, userID, id string) error
	// PATByHash returns the token with hash and its owner's current role;
	// ENOTFOUND if none.
	PATByHash(ctx context.Context, hash string) (*PersonalAccessToken, Role, error)
	// TouchPAT sets last_used_at to now unless it was set within
	// PATTouchInterval before now.
	TouchPAT(ctx context.Context, id string, now time.Time) error
}
