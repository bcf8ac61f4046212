package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/vidivo/vidivo"
)

var _ vidivo.UserStore = (*DB)(nil)

const userColumns = `id, email, username, display_name, avatar_url, role, timezone, created_at, payouts_connected, payout_account_id`

// CreateUser implements vidivo.UserStore.
func (db *DB) CreateUser(ctx context.Context, u *vidivo.User, passwordHash string, first *vidivo.RefreshToken) error {
	now := db.now()
	u.ID, u.CreatedAt = newID(now), now
	if u.Timezone == "" {
		u.Timezone = "UTC"
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		q := db.d.rebind(`INSERT INTO users (id, email, username, display_name, avatar_url, role, timezone,
			password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		_, err := tx.ExecContext(ctx, q, u.ID, u.Email, u.Username, u.DisplayName, u.AvatarURL,
			string(u.Role), u.Timezone, passwordHash, ts(now), ts(now))
		if err != nil {
			return db.userConflict(err)
		}
		if first == nil {
			return nil
		}
		first.UserID = u.ID
		return db.insertRefreshToken(ctx, tx, first, newID(now))
	})
	if err != nil {
		return fmt.Errorf("sqldb: create user: %w", err)
	}
	return nil
}

// userConflict turns a unique violation on users into ECONFLICT naming the
// field that is taken.
func (db *DB) userConflict(err error) error {
	constraint, ok := db.d.uniqueViolation(err)
	if !ok {
		return err
	}
	switch {
	case strings.Contains(constraint, "email"):
		return &vidivo.Error{Code: vidivo.ECONFLICT, Message: "an account with this email already exists",
			Details: []vidivo.FieldError{{Field: "email", Issue: "is already registered"}}}
	case strings.Contains(constraint, "username"):
		return &vidivo.Error{Code: vidivo.ECONFLICT, Message: "this username is taken",
			Details: []vidivo.FieldError{{Field: "username", Issue: "is taken"}}}
	}
	return vidivo.Errorf(vidivo.ECONFLICT, "account already exists")
}

const userByIDQuery = `SELECT ` + userColumns + ` FROM users WHERE id = ?`

// UserByID implements vidivo.UserStore.
func (db *DB) UserByID(ctx context.Context, id string) (*vidivo.User, error) {
	row, err := db.queryRowHot(ctx, userByIDQuery, id)
	if err != nil {
		return nil, fmt.Errorf("sqldb: user by id: %w", err)
	}
	u, err := scanUser(row)
	if err != nil {
		return nil, fmt.Errorf("sqldb: user by id: %w", err)
	}
	return u, nil
}

// UserByLogin implements vidivo.UserStore.
func (db *DB) UserByLogin(ctx context.Context, login string) (*vidivo.User, string, error) {
	login = strings.ToLower(strings.TrimSpace(login))
	q := db.d.rebind(`SELECT ` + userColumns + `, password_hash FROM users WHERE email = ? OR username = ?`)
	var hash string
	u, err := scanUser(db.db.QueryRowContext(ctx, q, login, login), &hash)
	if err != nil {
		return nil, "", fmt.Errorf("sqldb: user by login: %w", err)
	}
	return u, hash, nil
}

// UpdateUser implements vidivo.UserStore.
func (db *DB) UpdateUser(ctx context.Context, id string, upd vidivo.UserUpdate) (*vidivo.User, error) {
	sets := []string{"updated_at = ?"}
	args := []any{ts(db.now())}
	if upd.DisplayName != nil {
		sets, args = append(sets, "display_name = ?"), append(args, *upd.DisplayName)
	}
	if upd.AvatarURL != nil {
		var avatar any // an empty URL clears the avatar
		if *upd.AvatarURL != "" {
			avatar = *upd.AvatarURL
		}
		sets, args = append(sets, "avatar_url = ?"), append(args, avatar)
	}
	if upd.Timezone != nil {
		sets, args = append(sets, "timezone = ?"), append(args, *upd.Timezone)
	}
	q := db.d.rebind(`UPDATE users SET ` + strings.Join(sets, ", ") + ` WHERE id = ? RETURNING ` + userColumns)
	u, err := scanUser(db.db.QueryRowContext(ctx, q, append(args, id)...))
	if err != nil {
		return nil, fmt.Errorf("sqldb: update user: %w", err)
	}
	return u, nil
}

// SetUserRole implements vidivo.UserStore.
func (db *DB) SetUserRole(ctx context.Context, id string, role vidivo.Role) (*vidivo.User, error) {
	if !role.Valid() {
		return nil, vidivo.Invalid(vidivo.FieldError{Field: "role", Issue: "must be client, host or admin"})
	}
	q := db.d.rebind(`UPDATE users SET role = ?, updated_at = ? WHERE id = ? RETURNING ` + userColumns)
	u, err := scanUser(db.db.QueryRowContext(ctx, q, string(role), ts(db.now()), id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: set user role: %w", err)
	}
	return u, nil
}

// userScan holds the scan destinations of userColumns.
type userScan struct {
	u       vidivo.User
	avatar  sql.NullString
	role    string
	created scanTime
}

func (s *userScan) dest() []any {
	return []any{&s.u.ID, &s.u.Email, &s.u.Username, &s.u.DisplayName, &s.avatar, &s.role, &s.u.Timezone,
		&s.created, &s.u.PayoutsConnected, &s.u.PayoutAccountID}
}

func (s *userScan) user() *vidivo.User {
	u := s.u
	if s.avatar.Valid {
		avatar := s.avatar.String
		u.AvatarURL = &avatar
	}
	u.Role, u.CreatedAt = vidivo.Role(s.role), s.created.Time
	return &u
}

// scanUser reads userColumns, then any extra destinations, from row.
// A missing row is ENOTFOUND.
func scanUser(row scanner, extra ...any) (*vidivo.User, error) {
	var s userScan
	if err := row.Scan(append(s.dest(), extra...)...); err != nil {
		if errNoRows(err) {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "user not found")
		}
		return nil, err
	}
	return s.user(), nil
}
