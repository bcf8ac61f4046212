package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
)

var _ vidivo.LinkStore = (*DB)(nil)

const linkColumns = `id, short_code, host_id, rate_cents, window_minutes, expires_at, max_uses, use_count,
	label, scheduled_start, scheduled_end, deleted_at, created_at`

// prefixed qualifies every column of a column list with a table alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// linkWithHostQuery reads a link and its host in one query: the public
// join page is the hottest read in the product.
var linkWithHostQuery = `SELECT ` + prefixed("l", linkColumns) + `, ` + prefixed("u", userColumns) + `
	FROM links l JOIN users u ON u.id = l.host_id WHERE l.short_code = ?`

// shortCodeAttempts bounds retries on a short-code collision, which at
// 62^10 codes is already vanishingly rare.
const shortCodeAttempts = 5

// CreateLink implements vidivo.LinkStore.
func (db *DB) CreateLink(ctx context.Context, l *vidivo.Link) error {
	now := db.now()
	l.ID, l.CreatedAt, l.Active = newID(now), now, true
	q := db.d.rebind(`INSERT INTO links (id, short_code, host_id, rate_cents, window_minutes, expires_at,
		max_uses, use_count, label, scheduled_start, scheduled_end, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`)
	for attempt := 1; ; attempt++ {
		l.ShortCode = newShortCode()
		_, err := db.db.ExecContext(ctx, q, l.ID, l.ShortCode, l.HostID, int64(l.Rate), l.WindowMinutes,
			nullTS(l.ExpiresAt), l.MaxUses, l.Label, nullTS(l.ScheduledStart), nullTS(l.ScheduledEnd), ts(now))
		if err == nil {
			return nil
		}
		constraint, dup := db.d.uniqueViolation(err)
		if !dup || !strings.Contains(constraint, "short_code") || attempt == shortCodeAttempts {
			return fmt.Errorf("sqldb: create link: %w", err)
		}
	}
}

// LinkByShortCode implements vidivo.LinkStore.
func (db *DB) LinkByShortCode(ctx context.Context, code string) (*vidivo.Link, error) {
	q := db.d.rebind(`SELECT ` + linkColumns + ` FROM links WHERE short_code = ?`)
	l, err := scanLink(db.db.QueryRowContext(ctx, q, code))
	if err != nil {
		return nil, fmt.Errorf("sqldb: link by short code: %w", err)
	}
	return l, nil
}

// LinkWithHost implements vidivo.LinkStore.
func (db *DB) LinkWithHost(ctx context.Context, code string) (*vidivo.Link, *vidivo.User, error) {
	var u userScan
	row, err := db.queryRowHot(ctx, linkWithHostQuery, code)
	if err != nil {
		return nil, nil, fmt.Errorf("sqldb: link with host: %w", err)
	}
	l, err := scanLink(row, u.dest()...)
	if err != nil {
		return nil, nil, fmt.Errorf("sqldb: link with host: %w", err)
	}
	return l, u.user(), nil
}

// LinkByID implements vidivo.LinkStore.
func (db *DB) LinkByID(ctx context.Context, id string) (*vidivo.Link, error) {
	q := db.d.rebind(`SELECT ` + linkColumns + ` FROM links WHERE id = ?`)
	l, err := scanLink(db.db.QueryRowContext(ctx, q, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: link by id: %w", err)
	}
	return l, nil
}

// Links implements vidivo.LinkStore. Ids are ULIDs, so id order is creation
// order and "older than the cursor" is simply id < cursor: pages stay
// stable while new links are inserted.
func (db *DB) Links(ctx context.Context, f vidivo.LinkFilter) (*vidivo.LinkPage, error) {
	where, args := []string{"host_id = ?"}, []any{f.HostID}
	if f.Active != nil {
		if *f.Active {
			where = append(where, "deleted_at IS NULL")
		} else {
			where = append(where, "deleted_at IS NOT NULL")
		}
	}
	if f.Before != "" {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	q := db.d.rebind(`SELECT ` + linkColumns + ` FROM links WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY id DESC LIMIT ?`)
	links, err := db.queryLinks(ctx, q, append(args, f.Limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: list links: %w", err)
	}
	page := &vidivo.LinkPage{Links: links}
	if len(links) > f.Limit {
		page.Links, page.More = links[:f.Limit], true
	}
	return page, nil
}

// activeLinkScan bounds how many of a host's newest links are checked for
// a usable one.
const activeLinkScan = 100

// ActiveLinkForHost implements vidivo.LinkStore.
func (db *DB) ActiveLinkForHost(ctx context.Context, username string, now time.Time) (*vidivo.Link, *vidivo.User, error) {
	q := db.d.rebind(`SELECT ` + userColumns + ` FROM users WHERE username = ? AND role IN ('host', 'admin')`)
	host, err := scanUser(db.db.QueryRowContext(ctx, q, strings.ToLower(username)))
	if err != nil {
		return nil, nil, fmt.Errorf("sqldb: active link: %w", err)
	}
	l, err := db.ActiveLink(ctx, host.ID, now)
	if err != nil {
		return nil, nil, err
	}
	return l, host, nil
}

// ActiveLink implements vidivo.LinkStore. It reads the host's links newest
// first and stops at the first usable one.
func (db *DB) ActiveLink(ctx context.Context, hostID string, now time.Time) (*vidivo.Link, error) {
	q := db.d.rebind(`SELECT ` + linkColumns + ` FROM links WHERE host_id = ? AND deleted_at IS NULL
		ORDER BY id DESC LIMIT ?`)
	rows, err := db.db.QueryContext(ctx, q, hostID, activeLinkScan)
	if err != nil {
		return nil, fmt.Errorf("sqldb: active link: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: active link: %w", err)
		}
		if l.State(now) == vidivo.LinkUsable {
			return l, nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: active link: %w", err)
	}
	return nil, vidivo.Errorf(vidivo.ENOTFOUND, "this host has no active call link")
}

// DeactivateLink implements vidivo.LinkStore.
func (db *DB) DeactivateLink(ctx context.Context, id string) error {
	q := db.d.rebind(`UPDATE links SET deleted_at = COALESCE(deleted_at, ?) WHERE id = ?`)
	res, err := db.db.ExecContext(ctx, q, ts(db.now()), id)
	if err != nil {
		return fmt.Errorf("sqldb: deactivate link: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return vidivo.Errorf(vidivo.ENOTFOUND, "link not found")
	}
	return nil
}

// ClaimLinkUse implements vidivo.LinkStore.
func (db *DB) ClaimLinkUse(ctx context.Context, id string, now time.Time) (*vidivo.Link, vidivo.LinkState, error) {
	var (
		l     *vidivo.Link
		state vidivo.LinkState
	)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		l, state, err = db.claimLinkUse(ctx, tx, id, now)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("sqldb: claim link use: %w", err)
	}
	return l, state, nil
}

// claimLinkUse locks the link row for the rest of tx (SQLite's write
// transaction already excludes every other writer), asks the domain rule
// whether it is usable, and counts the use if so. The CHECK on use_count
// backs the rule up in the schema.
func (db *DB) claimLinkUse(ctx context.Context, tx *sql.Tx, id string, now time.Time) (*vidivo.Link, vidivo.LinkState, error) {
	q := db.d.rebind(`SELECT ` + linkColumns + ` FROM links WHERE id = ?` + db.d.forUpdate())
	l, err := scanLink(tx.QueryRowContext(ctx, q, id))
	if err != nil {
		return nil, 0, err
	}
	if state := l.State(now); state != vidivo.LinkUsable {
		return l, state, nil
	}
	q = db.d.rebind(`UPDATE links SET use_count = use_count + 1 WHERE id = ?`)
	if _, err := tx.ExecContext(ctx, q, id); err != nil {
		return nil, 0, err
	}
	l.UseCount++
	return l, vidivo.LinkUsable, nil
}

// SetPayoutsConnected implements vidivo.LinkStore.
func (db *DB) SetPayoutsConnected(ctx context.Context, userID string, connected bool) error {
	q := db.d.rebind(`UPDATE users SET payouts_connected = ?, updated_at = ? WHERE id = ?`)
	res, err := db.db.ExecContext(ctx, q, connected, ts(db.now()), userID)
	if err != nil {
		return fmt.Errorf("sqldb: set payouts connected: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return vidivo.Errorf(vidivo.ENOTFOUND, "user not found")
	}
	return nil
}

func (db *DB) queryLinks(ctx context.Context, q string, args ...any) ([]*vidivo.Link, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var links []*vidivo.Link
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, err
		}
		links = append(links, l)
	}
	return links, rows.Err()
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanLink reads linkColumns, then any extra destinations. A missing row
// is ENOTFOUND.
func scanLink(row scanner, extra ...any) (*vidivo.Link, error) {
	var (
		l                                     vidivo.Link
		rate                                  int64
		maxUses                               sql.NullInt64
		label                                 sql.NullString
		expires, start, end, deleted, created scanTime
	)
	dest := append([]any{&l.ID, &l.ShortCode, &l.HostID, &rate, &l.WindowMinutes, &expires, &maxUses, &l.UseCount,
		&label, &start, &end, &deleted, &created}, extra...)
	err := row.Scan(dest...)
	if err != nil {
		if errNoRows(err) {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "link not found")
		}
		return nil, err
	}
	l.Rate, l.CreatedAt, l.Active = vidivo.Money(rate), created.Time, !deleted.Valid
	l.ExpiresAt, l.ScheduledStart, l.ScheduledEnd = expires.ptr(), start.ptr(), end.ptr()
	if maxUses.Valid {
		n := int(maxUses.Int64)
		l.MaxUses = &n
	}
	if label.Valid {
		l.Label = &label.String
	}
	return &l, nil
}
