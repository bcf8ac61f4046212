package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
)

// PATPrefix starts every personal access token, so a leaked one is
// recognizable (secret scanners, logs) and told from an access token
// without parsing it.
const PATPrefix = "vdv_pat_"

// patRandomBytes is the token's entropy: 256 bits.
const patRandomBytes = 32

var errBadPAT = vidivo.Errorf(vidivo.EUNAUTHORIZED, "the personal access token is invalid, revoked or expired")

// IsPAT reports whether tok has a personal access token's shape.
func IsPAT(tok string) bool {
	rest, ok := strings.CutPrefix(tok, PATPrefix)
	return ok && len(rest) == base64.RawURLEncoding.EncodedLen(patRandomBytes)
}

// HashPAT is how a token is stored and looked up. One SHA-256 is enough:
// the value has 256 random bits, so there is nothing to guess.
func HashPAT(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func newPAT() (string, error) {
	var b [patRandomBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("auth: new personal access token: %w", err)
	}
	return PATPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func (s *Service) pats() (vidivo.PATStore, error) {
	if s.PATStore != nil {
		return s.PATStore, nil
	}
	if st, ok := s.Users.(vidivo.PATStore); ok {
		return st, nil
	}
	return nil, fmt.Errorf("auth: no personal access token store")
}

// CreatePAT issues a personal access token to userID and returns it with
// its value, which is not kept and cannot be shown again. Returns
// EVALIDATION for bad input and ECONFLICT past the per-user cap.
func (s *Service) CreatePAT(ctx context.Context, userID string, in vidivo.PATCreate) (*vidivo.PersonalAccessToken, string, error) {
	st, err := s.pats()
	if err != nil {
		return nil, "", err
	}
	if err := in.Validate(s.now()); err != nil {
		return nil, "", err
	}
	plain, err := newPAT()
	if err != nil {
		return nil, "", err
	}
	t := &vidivo.PersonalAccessToken{UserID: userID, Name: in.Name, Hash: HashPAT(plain), ExpiresAt: utc(in.ExpiresAt)}
	if err := st.CreatePAT(ctx, t); err != nil {
		return nil, "", err
	}
	return t, plain, nil
}

// PATs lists userID's tokens (without their values).
func (s *Service) PATs(ctx context.Context, userID string) ([]*vidivo.PersonalAccessToken, error) {
	st, err := s.pats()
	if err != nil {
		return nil, err
	}
	return st.PATs(ctx, userID)
}

// DeletePAT revokes one of userID's tokens. Returns ENOTFOUND for a token
// that is not theirs.
func (s *Service) DeletePAT(ctx context.Context, userID, id string) error {
	st, err := s.pats()
	if err != nil {
		return err
	}
	if !vidivo.IsID(id) {
		return vidivo.Errorf(vidivo.ENOTFOUND, "personal access token not found")
	}
	return st.DeletePAT(ctx, userID, id)
}

// authenticatePAT checks a personal access token and notes its use, at
// most once per PATTouchInterval so a busy integration does not write on
// every request.
func (s *Service) authenticatePAT(ctx context.Context, tok string) (vidivo.Caller, error) {
	st, err := s.pats()
	if err != nil {
		return vidivo.Caller{}, err
	}
	t, role, err := st.PATByHash(ctx, HashPAT(tok))
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return vidivo.Caller{}, errBadPAT
	}
	if err != nil {
		return vidivo.Caller{}, err
	}
	now := s.now()
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return vidivo.Caller{}, errBadPAT
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= vidivo.PATTouchInterval {
		if err := st.TouchPAT(ctx, t.ID, now); err != nil {
			return vidivo.Caller{}, err
		}
	}
	return vidivo.Caller{Subject: t.UserID, Role: role}, nil
}

// utc returns t in UTC at the stored precision (microseconds), so the
// answer shows what is kept.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}
