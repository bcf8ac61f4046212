package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
)

var errTokenUsed = vidivo.Errorf(vidivo.EUNAUTHORIZED, "this sign-on token was already used; ask the partner app for a new one")

// CreateSSOUser stores a new account made by a partner's sign-up token, in
// one transaction: the token's use (a second use fails here), the account
// (u's ID and CreatedAt are set) and its link to the partner. Returns
// EUNAUTHORIZED when the token was used before and ECONFLICT naming the
// field when the email or username is taken.
func (db *DB) CreateSSOUser(ctx context.Context, u *vidivo.User, passwordHash string, acct vidivo.SSOAccount, use vidivo.SSOTokenUse) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		if err := db.useSSOToken(ctx, tx, use, now); err != nil {
			return err
		}
		u.ID, u.CreatedAt = newID(now), now
		q := db.d.rebind(`INSERT INTO users (id, email, username, display_name, avatar_url, role, timezone,
			password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		_, err := tx.ExecContext(ctx, q, u.ID, u.Email, u.Username, u.DisplayName, u.AvatarURL,
			string(u.Role), u.Timezone, passwordHash, ts(now), ts(now))
		if err != nil {
			return db.userConflict(err)
		}
		q = db.d.rebind(`INSERT INTO sso_accounts (user_id, issuer, business_name, created_at) VALUES (?, ?, ?, ?)`)
		_, err = tx.ExecContext(ctx, q, u.ID, acct.Issuer, acct.BusinessName, ts(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqldb: create sso user: %w", err)
	}
	return nil
}

// StartSSOSession signs in the account with email that issuer created, in
// one transaction: the login token's use (a second use fails here), rt as
// the first refresh token of a new session (its UserID and FamilyID are
// set), and the session's logout URL when one is given. Returns
// EUNAUTHORIZED when the token was used before and ENOTFOUND when issuer
// created no account with email.
func (db *DB) StartSSOSession(ctx context.Context, use vidivo.SSOTokenUse, issuer, email string, rt *vidivo.RefreshToken, logoutURL string) (*vidivo.User, error) {
	var u *vidivo.User
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		if err := db.useSSOToken(ctx, tx, use, now); err != nil {
			return err
		}
		q := db.d.rebind(`SELECT ` + prefixed("u", userColumns) + ` FROM users u
			JOIN sso_accounts a ON a.user_id = u.id WHERE u.email = ? AND a.issuer = ?`)
		var err error
		if u, err = scanUser(tx.QueryRowContext(ctx, q, email, issuer)); err != nil {
			return err
		}
		rt.UserID = u.ID
		if err := db.insertRefreshToken(ctx, tx, rt, newID(now)); err != nil {
			return err
		}
		return db.rememberSSOSession(ctx, tx, u.ID, rt.FamilyID, logoutURL, now)
	})
	if err != nil {
		return nil, fmt.Errorf("sqldb: start sso session: %w", err)
	}
	return u, nil
}

// SSOLogoutURL returns where logging out of the session that the refresh
// token with hash belongs to sends the browser: the partner's
// logout_redirect_url. Returns ENOTFOUND for a session that no partner
// token started or that has no such URL.
func (db *DB) SSOLogoutURL(ctx context.Context, refreshHash string) (string, error) {
	q := db.d.rebind(`SELECT s.logout_redirect_url FROM sso_sessions s
		JOIN refresh_tokens r ON r.family_id = s.family_id WHERE r.token_hash = ?`)
	var dest string
	err := db.db.QueryRowContext(ctx, q, refreshHash).Scan(&dest)
	if errNoRows(err) {
		return "", vidivo.Errorf(vidivo.ENOTFOUND, "no partner logout address for this session")
	}
	if err != nil {
		return "", fmt.Errorf("sqldb: sso logout url: %w", err)
	}
	return dest, nil
}

// useSSOToken records a token's use; the primary key refuses a second one.
// Spent tokens that have expired are swept first: a token past its expiry
// is refused before it reaches the store, so forgetting it opens no replay.
func (db *DB) useSSOToken(ctx context.Context, tx *sql.Tx, use vidivo.SSOTokenUse, now time.Time) error {
	q := db.d.rebind(`DELETE FROM sso_token_uses WHERE expires_at < ?`)
	if _, err := tx.ExecContext(ctx, q, ts(now)); err != nil {
		return fmt.Errorf("sweep sso tokens: %w", err)
	}
	q = db.d.rebind(`INSERT INTO sso_token_uses (token_hash, issuer, expires_at) VALUES (?, ?, ?)`)
	_, err := tx.ExecContext(ctx, q, use.Hash, use.Issuer, ts(use.ExpiresAt))
	if _, dup := db.d.uniqueViolation(err); dup {
		return errTokenUsed
	}
	if err != nil {
		return fmt.Errorf("use sso token: %w", err)
	}
	return nil
}

// rememberSSOSession stores a session's logout URL, and forgets those of
// the user's sessions that have ended (revoked or expired), so the table
// holds about one row per live session.
func (db *DB) rememberSSOSession(ctx context.Context, tx *sql.Tx, userID, family, logoutURL string, now time.Time) error {
	q := db.d.rebind(`DELETE FROM sso_sessions WHERE user_id = ? AND NOT EXISTS (SELECT 1 FROM refresh_tokens r
		WHERE r.family_id = sso_sessions.family_id AND r.revoked_at IS NULL AND r.expires_at > ?)`)
	if _, err := tx.ExecContext(ctx, q, userID, ts(now)); err != nil {
		return fmt.Errorf("sweep sso sessions: %w", err)
	}
	if logoutURL == "" {
		return nil
	}
	q = db.d.rebind(`INSERT INTO sso_sessions (family_id, user_id, logout_redirect_url, created_at) VALUES (?, ?, ?, ?)`)
	if _, err := tx.ExecContext(ctx, q, family, userID, logoutURL, ts(now)); err != nil {
		return fmt.Errorf("remember sso session: %w", err)
	}
	return nil
}
