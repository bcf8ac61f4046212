package sqldb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/vidivo/vidivo"
)

var errBadRefresh = vidivo.Errorf(vidivo.EUNAUTHORIZED, "invalid or expired refresh token")

// CreateRefreshToken implements vidivo.UserStore.
func (db *DB) CreateRefreshToken(ctx context.Context, t *vidivo.RefreshToken) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		return db.insertRefreshToken(ctx, tx, t, newID(db.now()))
	})
	if err != nil {
		return fmt.Errorf("sqldb: create refresh token: %w", err)
	}
	return nil
}

func (db *DB) insertRefreshToken(ctx context.Context, tx *sql.Tx, t *vidivo.RefreshToken, family string) error {
	if t.FamilyID == "" {
		t.FamilyID = family
	}
	q := db.d.rebind(`INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`)
	if _, err := tx.ExecContext(ctx, q, t.Hash, t.FamilyID, t.UserID, ts(db.now()), ts(t.ExpiresAt)); err != nil {
		return fmt.Errorf("insert refresh token: %w", err)
	}
	return nil
}

// RotateRefreshToken implements vidivo.UserStore. The use is a
// compare-and-set (used_at IS NULL), so of two concurrent rotations of one
// token exactly one succeeds; the other is treated as reuse.
func (db *DB) RotateRefreshToken(ctx context.Context, oldHash string, next *vidivo.RefreshToken) (string, error) {
	var (
		userID string
		reused bool
	)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		q := db.d.rebind(`UPDATE refresh_tokens SET used_at = ?
			WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?
			RETURNING family_id, user_id`)
		var family string
		err := tx.QueryRowContext(ctx, q, ts(now), oldHash, ts(now)).Scan(&family, &userID)
		if err == nil {
			next.FamilyID, next.UserID = family, userID
			return db.insertRefreshToken(ctx, tx, next, family)
		}
		if !errNoRows(err) {
			return fmt.Errorf("use refresh token: %w", err)
		}
		// Not usable: find out whether it is a replay of a used token.
		var used scanTime
		q = db.d.rebind(`SELECT family_id, used_at FROM refresh_tokens WHERE token_hash = ?`)
		err = tx.QueryRowContext(ctx, q, oldHash).Scan(&family, &used)
		if errNoRows(err) {
			return errBadRefresh
		}
		if err != nil {
			return fmt.Errorf("look up refresh token: %w", err)
		}
		if !used.Valid {
			return errBadRefresh // expired or revoked
		}
		reused = true
		q = db.d.rebind(`UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL`)
		if _, err := tx.ExecContext(ctx, q, ts(now), family); err != nil {
			return fmt.Errorf("revoke family: %w", err)
		}
		return nil // commit the revocation
	})
	if err != nil {
		return "", fmt.Errorf("sqldb: rotate refresh token: %w", err)
	}
	if reused {
		return "", vidivo.Errorf(vidivo.EUNAUTHORIZED, "refresh token was already used; the session is revoked")
	}
	return userID, nil
}

// RevokeRefreshToken implements vidivo.UserStore.
func (db *DB) RevokeRefreshToken(ctx context.Context, hash, userID string) error {
	q := db.d.rebind(`UPDATE refresh_tokens SET revoked_at = ?
		WHERE revoked_at IS NULL AND user_id = ?
		AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = ?)`)
	if _, err := db.db.ExecContext(ctx, q, ts(db.now()), userID, hash); err != nil {
		return fmt.Errorf("sqldb: revoke refresh token: %w", err)
	}
	return nil
}
