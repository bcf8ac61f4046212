package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/oauth"
)

var _ oauth.Store = (*DB)(nil)

const oauthAppColumns = `id, user_id, name, client_type, secret_hash, redirect_uris, scopes, created_at, updated_at`

var errNoOAuthApp = vidivo.Errorf(vidivo.ENOTFOUND, "OAuth application not found")

// CreateOAuthApp implements oauth.Store. The owner's row is locked first,
// so two creations racing for one user cannot both pass the count.
func (db *DB) CreateOAuthApp(ctx context.Context, app *oauth.App) error {
	now := db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var id string
		q := db.d.rebind(`SELECT id FROM users WHERE id = ?` + db.d.forUpdate())
		if err := tx.QueryRowContext(ctx, q, app.UserID).Scan(&id); err != nil {
			if errNoRows(err) {
				return vidivo.Errorf(vidivo.ENOTFOUND, "user not found")
			}
			return err
		}
		var n int
		q = db.d.rebind(`SELECT count(*) FROM oauth_applications WHERE user_id = ?`)
		if err := tx.QueryRowContext(ctx, q, app.UserID).Scan(&n); err != nil {
			return err
		}
		if n >= oauth.MaxAppsPerUser {
			return vidivo.Errorf(vidivo.ECONFLICT, "you can have at most %d OAuth applications; delete one first", oauth.MaxAppsPerUser)
		}
		id = newID(now)
		q = db.d.rebind(`INSERT INTO oauth_applications (` + oauthAppColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if _, err := tx.ExecContext(ctx, q, id, app.UserID, app.Name, app.ClientType, nullString(app.SecretHash),
			strings.Join(app.RedirectURIs, "\n"), app.Scopes.String(), ts(now), ts(now)); err != nil {
			return err
		}
		app.ID, app.CreatedAt, app.UpdatedAt = id, now, now
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqldb: create OAuth application: %w", err)
	}
	return nil
}

// OAuthApps implements oauth.Store.
func (db *DB) OAuthApps(ctx context.Context, userID string) ([]*oauth.App, error) {
	q := db.d.rebind(`SELECT ` + oauthAppColumns + ` FROM oauth_applications WHERE user_id = ? ORDER BY id`)
	rows, err := db.db.QueryContext(ctx, q, userID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: OAuth applications: %w", err)
	}
	defer rows.Close()
	out := []*oauth.App{}
	for rows.Next() {
		app, err := scanOAuthApp(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: OAuth applications: %w", err)
		}
		out = append(out, app)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: OAuth applications: %w", err)
	}
	return out, nil
}

// OAuthApp implements oauth.Store.
func (db *DB) OAuthApp(ctx context.Context, id string) (*oauth.App, error) {
	q := db.d.rebind(`SELECT ` + oauthAppColumns + ` FROM oauth_applications WHERE id = ?`)
	app, err := scanOAuthApp(db.db.QueryRowContext(ctx, q, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: OAuth application: %w", err)
	}
	return app, nil
}

// UpdateOAuthApp implements oauth.Store.
func (db *DB) UpdateOAuthApp(ctx context.Context, app *oauth.App) error {
	now := db.now()
	q := db.d.rebind(`UPDATE oauth_applications SET name = ?, redirect_uris = ?, scopes = ?, secret_hash = ?, updated_at = ?
		WHERE id = ? AND user_id = ?`)
	res, err := db.db.ExecContext(ctx, q, app.Name, strings.Join(app.RedirectURIs, "\n"), app.Scopes.String(),
		nullString(app.SecretHash), ts(now), app.ID, app.UserID)
	if err != nil {
		return fmt.Errorf("sqldb: update OAuth application: %w", err)
	}
	if err := oneRow(res, errNoOAuthApp); err != nil {
		return fmt.Errorf("sqldb: update OAuth application: %w", err)
	}
	app.UpdatedAt = now
	return nil
}

// oneRow answers notFound when res changed no row.
func oneRow(res sql.Result, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// DeleteOAuthApp implements oauth.Store. Tokens, codes and authorizations
// go first, explicitly, so nothing depends on cascades being enabled.
func (db *DB) DeleteOAuthApp(ctx context.Context, userID, id string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var owner string
		q := db.d.rebind(`SELECT user_id FROM oauth_applications WHERE id = ?` + db.d.forUpdate())
		if err := tx.QueryRowContext(ctx, q, id).Scan(&owner); err != nil || owner != userID {
			if err == nil || errNoRows(err) {
				return errNoOAuthApp
			}
			return err
		}
		auths := `SELECT id FROM oauth_authorizations WHERE app_id = ?`
		for _, stmt := range []string{
			`DELETE FROM oauth_tokens WHERE authorization_id IN (` + auths + `)`,
			`DELETE FROM oauth_codes WHERE authorization_id IN (` + auths + `)`,
			`DELETE FROM oauth_authorizations WHERE app_id = ?`,
			`DELETE FROM oauth_applications WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, db.d.rebind(stmt), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqldb: delete OAuth application: %w", err)
	}
	return nil
}

func scanOAuthApp(row scanner) (*oauth.App, error) {
	var (
		app              oauth.App
		secret           sql.NullString
		uris, scopes     string
		created, updated scanTime
	)
	if err := row.Scan(&app.ID, &app.UserID, &app.Name, &app.ClientType, &secret, &uris, &scopes, &created, &updated); err != nil {
		if errNoRows(err) {
			return nil, errNoOAuthApp
		}
		return nil, err
	}
	app.SecretHash, app.RedirectURIs = secret.String, strings.Split(uris, "\n")
	app.Scopes, _ = oauth.ParseScopes(scopes)
	app.CreatedAt, app.UpdatedAt = created.Time, updated.Time
	return &app, nil
}

// Grant implements oauth.Store: the authorization is inserted or widened
// (its scopes the union of every consent) and the code stored with it.
// The app's row is locked first, so a deletion racing with a consent
// either comes after it (and removes what it wrote) or makes it
// ENOTFOUND; two first consents racing meet at the unique (user, app).
func (db *DB) Grant(ctx context.Context, g *oauth.Grant) error {
	now := db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var appID string
		q := db.d.rebind(`SELECT id FROM oauth_applications WHERE id = ?` + db.d.forUpdate())
		if err := tx.QueryRowContext(ctx, q, g.AppID).Scan(&appID); err != nil {
			if errNoRows(err) {
				return errNoOAuthApp
			}
			return fmt.Errorf("lock app: %w", err)
		}
		q = db.d.rebind(`INSERT INTO oauth_authorizations (id, user_id, app_id, scopes, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, app_id) DO NOTHING`)
		if _, err := tx.ExecContext(ctx, q, newID(now), g.UserID, g.AppID, g.Scopes.String(), ts(now), ts(now)); err != nil {
			return fmt.Errorf("insert authorization: %w", err)
		}
		var authID, scopes string
		q = db.d.rebind(`SELECT id, scopes FROM oauth_authorizations WHERE user_id = ? AND app_id = ?` + db.d.forUpdate())
		if err := tx.QueryRowContext(ctx, q, g.UserID, g.AppID).Scan(&authID, &scopes); err != nil {
			return fmt.Errorf("read authorization: %w", err)
		}
		had, _ := oauth.ParseScopes(scopes)
		if union := had.Union(g.Scopes); union.String() != scopes {
			q = db.d.rebind(`UPDATE oauth_authorizations SET scopes = ?, updated_at = ? WHERE id = ?`)
			if _, err := tx.ExecContext(ctx, q, union.String(), ts(now), authID); err != nil {
				return fmt.Errorf("widen authorization: %w", err)
			}
		}
		c := g.Code
		c.ID, c.AuthorizationID, c.AppID, c.UserID = newID(now), authID, g.AppID, g.UserID
		q = db.d.rebind(`INSERT INTO oauth_codes (code_hash, id, authorization_id, redirect_uri, scopes, code_challenge, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if _, err := tx.ExecContext(ctx, q, c.Hash, c.ID, authID, c.RedirectURI, c.Scopes.String(), c.Challenge,
			ts(c.CreatedAt), ts(c.ExpiresAt)); err != nil {
			return fmt.Errorf("insert code: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqldb: OAuth grant: %w", err)
	}
	return nil
}

// CodeByHash implements oauth.Store.
func (db *DB) CodeByHash(ctx context.Context, hash string) (*oauth.Code, error) {
	q := db.d.rebind(`SELECT c.id, c.code_hash, c.authorization_id, a.app_id, a.user_id, c.redirect_uri, c.scopes,
		c.code_challenge, c.created_at, c.expires_at, c.used_at
		FROM oauth_codes c JOIN oauth_authorizations a ON a.id = c.authorization_id WHERE c.code_hash = ?`)
	var (
		c                  oauth.Code
		scopes             string
		created, exp, used scanTime
	)
	err := db.db.QueryRowContext(ctx, q, hash).Scan(&c.ID, &c.Hash, &c.AuthorizationID, &c.AppID, &c.UserID,
		&c.RedirectURI, &scopes, &c.Challenge, &created, &exp, &used)
	if errNoRows(err) {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "code not found")
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: OAuth code: %w", err)
	}
	c.Scopes, _ = oauth.ParseScopes(scopes)
	c.CreatedAt, c.ExpiresAt, c.UsedAt = created.Time, exp.Time, used.ptr()
	return &c, nil
}

// RedeemCode implements oauth.Store. The use is a compare-and-set
// (used_at IS NULL): of two exchanges of one code exactly one wins, and
// the other revokes what the winner got (RFC 6749 §4.1.2).
func (db *DB) RedeemCode(ctx context.Context, hash string, now time.Time, tokens []*oauth.Token) error {
	reused := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		q := db.d.rebind(`UPDATE oauth_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL RETURNING id`)
		var family string
		err := tx.QueryRowContext(ctx, q, ts(now), hash).Scan(&family)
		if err == nil {
			for _, t := range tokens {
				t.FamilyID = family
			}
			return db.insertOAuthTokens(ctx, tx, now, tokens)
		}
		if !errNoRows(err) {
			return fmt.Errorf("use code: %w", err)
		}
		q = db.d.rebind(`SELECT id FROM oauth_codes WHERE code_hash = ?`)
		if err := tx.QueryRowContext(ctx, q, hash).Scan(&family); err != nil {
			if errNoRows(err) { // its authorization was revoked meanwhile
				return vidivo.Errorf(vidivo.ENOTFOUND, "code not found")
			}
			return fmt.Errorf("look up code: %w", err)
		}
		reused = true
		return db.revokeFamily(ctx, tx, family, now)
	})
	if err != nil {
		return fmt.Errorf("sqldb: redeem OAuth code: %w", err)
	}
	if reused {
		return oauth.ErrReused
	}
	return nil
}

func (db *DB) insertOAuthTokens(ctx context.Context, tx *sql.Tx, now time.Time, tokens []*oauth.Token) error {
	q := db.d.rebind(`INSERT INTO oauth_tokens (token_hash, kind, family_id, authorization_id, scopes, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	for _, t := range tokens {
		if _, err := tx.ExecContext(ctx, q, t.Hash, t.Kind, t.FamilyID, t.AuthorizationID, t.Scopes.String(), ts(now), ts(t.ExpiresAt)); err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
	}
	return nil
}

func (db *DB) revokeFamily(ctx context.Context, tx *sql.Tx, family string, now time.Time) error {
	q := db.d.rebind(`UPDATE oauth_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL`)
	if _, err := tx.ExecContext(ctx, q, ts(now), family); err != nil {
		return fmt.Errorf("revoke family: %w", err)
	}
	return nil
}

const oauthTokenByHash = `SELECT t.token_hash, t.kind, t.family_id, t.authorization_id, t.scopes, t.expires_at,
	t.used_at, t.revoked_at, p.id, p.scopes, u.id, u.role
	FROM oauth_tokens t
	JOIN oauth_authorizations a ON a.id = t.authorization_id
	JOIN oauth_applications p ON p.id = a.app_id
	JOIN users u ON u.id = a.user_id
	WHERE t.token_hash = ?`

// TokenByHash implements oauth.Store. It runs on every request an access
// token authenticates, so it is one prepared query.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*oauth.Token, error) {
	row, err := db.queryRowHot(ctx, oauthTokenByHash, hash)
	if err != nil {
		return nil, fmt.Errorf("sqldb: OAuth token: %w", err)
	}
	var (
		t                  oauth.Token
		scopes, appScopes  string
		exp, used, revoked scanTime
	)
	err = row.Scan(&t.Hash, &t.Kind, &t.FamilyID, &t.AuthorizationID, &scopes, &exp, &used, &revoked,
		&t.AppID, &appScopes, &t.UserID, &t.Role)
	if errNoRows(err) {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "token not found")
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: OAuth token: %w", err)
	}
	t.Scopes, _ = oauth.ParseScopes(scopes)
	t.AppScopes, _ = oauth.ParseScopes(appScopes)
	t.ExpiresAt, t.UsedAt, t.RevokedAt = exp.Time, used.ptr(), revoked.ptr()
	return &t, nil
}

// RotateRefresh implements oauth.Store, as RotateRefreshToken does for
// sessions: a compare-and-set on used_at, and a replay of a used token
// revokes its family.
func (db *DB) RotateRefresh(ctx context.Context, hash string, now time.Time, next []*oauth.Token) error {
	reused := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		q := db.d.rebind(`UPDATE oauth_tokens SET used_at = ?
			WHERE token_hash = ? AND kind = 'refresh' AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?
			RETURNING family_id`)
		var family string
		err := tx.QueryRowContext(ctx, q, ts(now), hash, ts(now)).Scan(&family)
		if err == nil {
			for _, t := range next {
				t.FamilyID = family
			}
			return db.insertOAuthTokens(ctx, tx, now, next)
		}
		if !errNoRows(err) {
			return fmt.Errorf("use refresh token: %w", err)
		}
		var used scanTime
		q = db.d.rebind(`SELECT family_id, used_at FROM oauth_tokens WHERE token_hash = ?`)
		err = tx.QueryRowContext(ctx, q, hash).Scan(&family, &used)
		if errNoRows(err) || (err == nil && !used.Valid) {
			return vidivo.Errorf(vidivo.ENOTFOUND, "refresh token not usable") // expired or revoked
		}
		if err != nil {
			return fmt.Errorf("look up refresh token: %w", err)
		}
		reused = true
		return db.revokeFamily(ctx, tx, family, now)
	})
	if err != nil {
		return fmt.Errorf("sqldb: rotate OAuth refresh token: %w", err)
	}
	if reused {
		return oauth.ErrReused
	}
	return nil
}

// RevokeFamily implements oauth.Store.
func (db *DB) RevokeFamily(ctx context.Context, family string, now time.Time) error {
	err := db.tx(ctx, func(tx *sql.Tx) error { return db.revokeFamily(ctx, tx, family, now) })
	if err != nil {
		return fmt.Errorf("sqldb: revoke OAuth tokens: %w", err)
	}
	return nil
}

// OAuthAuthorizations implements oauth.Store.
func (db *DB) OAuthAuthorizations(ctx context.Context, userID string) ([]*oauth.Authorization, error) {
	q := db.d.rebind(`SELECT a.id, a.user_id, a.scopes, a.created_at, a.updated_at, ` + prefixed("p", oauthAppColumns) + `
		FROM oauth_authorizations a JOIN oauth_applications p ON p.id = a.app_id
		WHERE a.user_id = ? ORDER BY a.id`)
	rows, err := db.db.QueryContext(ctx, q, userID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: OAuth authorizations: %w", err)
	}
	defer rows.Close()
	out := []*oauth.Authorization{}
	for rows.Next() {
		var (
			a                oauth.Authorization
			scopes           string
			created, updated scanTime
		)
		app, err := scanOAuthApp(scanFunc(func(dest ...any) error {
			return rows.Scan(append([]any{&a.ID, &a.UserID, &scopes, &created, &updated}, dest...)...)
		}))
		if err != nil {
			return nil, fmt.Errorf("sqldb: OAuth authorizations: %w", err)
		}
		a.App, a.CreatedAt, a.UpdatedAt = app, created.Time, updated.Time
		a.Scopes, _ = oauth.ParseScopes(scopes)
		out = append(out, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: OAuth authorizations: %w", err)
	}
	return out, nil
}

// scanFunc adapts a function to scanner.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

var errNoAuthorization = vidivo.Errorf(vidivo.ENOTFOUND, "OAuth authorization not found")

// DeleteOAuthAuthorization implements oauth.Store: the authorization, its
// codes and its tokens go in one transaction, so its tokens stop at once.
func (db *DB) DeleteOAuthAuthorization(ctx context.Context, userID, id string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var owner string
		q := db.d.rebind(`SELECT user_id FROM oauth_authorizations WHERE id = ?` + db.d.forUpdate())
		if err := tx.QueryRowContext(ctx, q, id).Scan(&owner); err != nil || owner != userID {
			if err == nil || errNoRows(err) {
				return errNoAuthorization
			}
			return err
		}
		for _, stmt := range []string{
			`DELETE FROM oauth_tokens WHERE authorization_id = ?`,
			`DELETE FROM oauth_codes WHERE authorization_id = ?`,
			`DELETE FROM oauth_authorizations WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, db.d.rebind(stmt), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errNoAuthorization) {
		return fmt.Errorf("sqldb: delete OAuth authorization: %w", err)
	}
	return err
}

// SweepOAuth implements oauth.Store. A refresh token (used or not) stays
// while its family holds a refresh token that is unused, unrevoked and
// unexpired at now: that family's grant lives, and RotateRefresh must
// still find a replayed token to revoke it. Access tokens and codes have
// no such use once expired (an expired code is refused before its reuse is
// checked).
func (db *DB) SweepOAuth(ctx context.Context, before, now time.Time) (int64, error) {
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for _, st := range []struct {
			q    string
			args []any
		}{
			{`DELETE FROM oauth_codes WHERE expires_at < ?`, []any{ts(before)}},
			{`DELETE FROM oauth_tokens WHERE expires_at < ? AND (kind = 'access' OR NOT EXISTS (
				SELECT 1 FROM oauth_tokens l WHERE l.family_id = oauth_tokens.family_id AND l.kind = 'refresh'
				AND l.used_at IS NULL AND l.revoked_at IS NULL AND l.expires_at > ?))`, []any{ts(before), ts(now)}},
		} {
			res, err := tx.ExecContext(ctx, db.d.rebind(st.q), st.args...)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqldb: sweep OAuth codes and tokens: %w", err)
	}
	return n, nil
}
