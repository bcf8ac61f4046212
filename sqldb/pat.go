package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
)

var _ vidivo.PATStore = (*DB)(nil)

const patColumns = `id, user_id, name, token_hash, created_at, expires_at, last_used_at`

// CreatePAT implements vidivo.PATStore. The owner's row is locked first, so
// two creations racing for one user cannot both pass the count.
func (db *DB) CreatePAT(ctx context.Context, t *vidivo.PersonalAccessToken) error {
	now := db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var id string
		q := db.d.rebind(`SELECT id FROM users WHERE id = ?` + db.d.forUpdate())
		if err := tx.QueryRowContext(ctx, q, t.UserID).Scan(&id); err != nil {
			if errNoRows(err) {
				return vidivo.Errorf(vidivo.ENOTFOUND, "user not found")
			}
			return err
		}
		var n int
		q = db.d.rebind(`SELECT count(*) FROM personal_access_tokens WHERE user_id = ?`)
		if err := tx.QueryRowContext(ctx, q, t.UserID).Scan(&n); err != nil {
			return err
		}
		if n >= vidivo.MaxPATsPerUser {
			return vidivo.Errorf(vidivo.ECONFLICT, "you can have at most %d personal access tokens; delete one first", vidivo.MaxPATsPerUser)
		}
		id = newID(now)
		q = db.d.rebind(`INSERT INTO personal_access_tokens (id, user_id, name, token_hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`)
		if _, err := tx.ExecContext(ctx, q, id, t.UserID, t.Name, t.Hash, ts(now), nullTS(t.ExpiresAt)); err != nil {
			return err
		}
		t.ID, t.CreatedAt, t.LastUsedAt = id, now, nil
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqldb: create personal access token: %w", err)
	}
	return nil
}

// PATs implements vidivo.PATStore.
func (db *DB) PATs(ctx context.Context, userID string) ([]*vidivo.PersonalAccessToken, error) {
	q := db.d.rebind(`SELECT ` + patColumns + ` FROM personal_access_tokens WHERE user_id = ? ORDER BY id`)
	rows, err := db.db.QueryContext(ctx, q, userID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: personal access tokens: %w", err)
	}
	defer rows.Close()
	out := []*vidivo.PersonalAccessToken{}
	for rows.Next() {
		t, err := scanPAT(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: personal access tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: personal access tokens: %w", err)
	}
	return out, nil
}

// DeletePAT implements vidivo.PATStore. The row goes: a revoked token is
// then as unknown as one never issued.
func (db *DB) DeletePAT(ctx context.Context, userID, id string) error {
	q := db.d.rebind(`DELETE FROM personal_access_tokens WHERE id = ? AND user_id = ?`)
	res, err := db.db.ExecContext(ctx, q, id, userID)
	if err != nil {
		return fmt.Errorf("sqldb: delete personal access token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return fmt.Errorf("sqldb: delete personal access token: %w", err)
		}
		return vidivo.Errorf(vidivo.ENOTFOUND, "personal access token not found")
	}
	return nil
}

const patByHashQuery = `SELECT ` + patColumnsT + `, u.role FROM personal_access_tokens t
	JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`

const patColumnsT = `t.id, t.user_id, t.name, t.token_hash, t.created_at, t.expires_at, t.last_used_at`

// PATByHash implements vidivo.PATStore. It runs on every request a token
// authenticates, so it is one prepared query.
func (db *DB) PATByHash(ctx context.Context, hash string) (*vidivo.PersonalAccessToken, vidivo.Role, error) {
	row, err := db.queryRowHot(ctx, patByHashQuery, hash)
	if err != nil {
		return nil, "", fmt.Errorf("sqldb: personal access token by hash: %w", err)
	}
	var role vidivo.Role
	t, err := scanPAT(row, &role)
	if err != nil {
		return nil, "", fmt.Errorf("sqldb: personal access token by hash: %w", err)
	}
	return t, role, nil
}

// TouchPAT implements vidivo.PATStore. The condition makes concurrent
// touches within one interval a single write.
func (db *DB) TouchPAT(ctx context.Context, id string, now time.Time) error {
	now = now.UTC().Truncate(time.Microsecond)
	q := db.d.rebind(`UPDATE personal_access_tokens SET last_used_at = ?
		WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`)
	if _, err := db.db.ExecContext(ctx, q, ts(now), id, ts(now.Add(-vidivo.PATTouchInterval))); err != nil {
		return fmt.Errorf("sqldb: touch personal access token: %w", err)
	}
	return nil
}

// scanPAT reads patColumns, then any extra destinations. A missing row is
// ENOTFOUND.
func scanPAT(row scanner, extra ...any) (*vidivo.PersonalAccessToken, error) {
	var (
		t                      vidivo.PersonalAccessToken
		created, expires, used scanTime
	)
	dest := append([]any{&t.ID, &t.UserID, &t.Name, &t.Hash, &created, &expires, &used}, extra...)
	if err := row.Scan(dest...); err != nil {
		if errNoRows(err) {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "personal access token not found")
		}
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = created.Time, expires.ptr(), used.ptr()
	return &t, nil
}
