package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calendar"
)

var _ calendar.Store = (*DB)(nil)

const connectionColumns = `id, user_id, kind, url, username, password_sealed, when_failing, created_at, updated_at`

const calendarColumns = `id, connection_id, user_id, url, name, check_conflicts, add_bookings, refreshed_at,
	failing_since, last_error`

// CreateCalendarConnection implements calendar.Store. The cap is counted
// under a lock on the host's row (PostgreSQL; SQLite's write lock), so two
// racing creates cannot both pass it.
func (db *DB) CreateCalendarConnection(ctx context.Context, c *calendar.Connection) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		var id string
		if err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT id FROM users WHERE id = ?`+db.d.forUpdate()), c.UserID).Scan(&id); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT count(*) FROM calendar_connections WHERE user_id = ?`), c.UserID).Scan(&n); err != nil {
			return err
		}
		if n >= calendar.MaxConnections {
			return vidivo.Errorf(vidivo.ECONFLICT, "you have %d calendar connections, the most allowed; delete one first", n)
		}
		c.ID, c.CreatedAt, c.UpdatedAt = newID(now), now, now
		q := db.d.rebind(`INSERT INTO calendar_connections (` + connectionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		_, err := tx.ExecContext(ctx, q, c.ID, c.UserID, string(c.Kind), c.URL, c.Username, c.PasswordSealed, c.WhenFailing, ts(now), ts(now))
		if _, dup := db.d.uniqueViolation(err); dup {
			return vidivo.Errorf(vidivo.ECONFLICT, "this calendar is already connected")
		}
		if err != nil {
			return err
		}
		for _, cal := range c.Calendars {
			cal.ID, cal.ConnectionID, cal.UserID = newID(now), c.ID, c.UserID
			q := db.d.rebind(`INSERT INTO calendar_calendars (id, connection_id, user_id, url, name, check_conflicts, add_bookings)
				VALUES (?, ?, ?, ?, ?, ?, ?)`)
			_, err := tx.ExecContext(ctx, q, cal.ID, cal.ConnectionID, cal.UserID, cal.URL, cal.Name, cal.CheckConflicts, cal.AddBookings)
			if _, dup := db.d.uniqueViolation(err); dup {
				return errOneBookingCalendar
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqldb: create calendar connection: %w", err)
	}
	return nil
}

var errOneBookingCalendar = vidivo.Errorf(vidivo.ECONFLICT, "another of your calendars already receives bookings; turn that off first")

// CalendarConnection implements calendar.Store.
func (db *DB) CalendarConnection(ctx context.Context, id string) (*calendar.Connection, error) {
	q := db.d.rebind(`SELECT ` + connectionColumns + ` FROM calendar_connections WHERE id = ?`)
	c, err := scanConnection(db.db.QueryRowContext(ctx, q, id))
	if errNoRows(err) {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "calendar connection not found")
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: calendar connection: %w", err)
	}
	if err := db.attachCalendars(ctx, `connection_id = ?`, c.ID, []*calendar.Connection{c}); err != nil {
		return nil, err
	}
	return c, nil
}

// CalendarConnections implements calendar.Store.
func (db *DB) CalendarConnections(ctx context.Context, userID string) ([]*calendar.Connection, error) {
	q := db.d.rebind(`SELECT ` + connectionColumns + ` FROM calendar_connections WHERE user_id = ? ORDER BY id`)
	rows, err := db.db.QueryContext(ctx, q, userID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: calendar connections: %w", err)
	}
	defer rows.Close()
	out := []*calendar.Connection{}
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: calendar connections: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: calendar connections: %w", err)
	}
	if err := db.attachCalendars(ctx, `user_id = ?`, userID, out); err != nil {
		return nil, err
	}
	return out, nil
}

// attachCalendars reads the calendars matching where and hangs each on its
// connection among conns.
func (db *DB) attachCalendars(ctx context.Context, where, arg string, conns []*calendar.Connection) error {
	byID := map[string]*calendar.Connection{}
	for _, c := range conns {
		c.Calendars = []*calendar.Calendar{}
		byID[c.ID] = c
	}
	q := db.d.rebind(`SELECT ` + calendarColumns + ` FROM calendar_calendars WHERE ` + where + ` ORDER BY name, id`)
	rows, err := db.db.QueryContext(ctx, q, arg)
	if err != nil {
		return fmt.Errorf("sqldb: calendars: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		cal, err := scanCalendar(rows)
		if err != nil {
			return fmt.Errorf("sqldb: calendars: %w", err)
		}
		if c := byID[cal.ConnectionID]; c != nil {
			c.Calendars = append(c.Calendars, cal)
		}
	}
	return rows.Err()
}

// UpdateCalendarConnection implements calendar.Store. At most one
// calendar of a host receives bookings: the partial unique index refuses
// a second, so racing updates cannot both set one.
func (db *DB) UpdateCalendarConnection(ctx context.Context, c *calendar.Connection) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		res, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE calendar_connections
			SET username = ?, password_sealed = ?, when_failing = ?, updated_at = ? WHERE id = ?`),
			c.Username, c.PasswordSealed, c.WhenFailing, ts(now), c.ID)
		if _, dup := db.d.uniqueViolation(err); dup {
			return vidivo.Errorf(vidivo.ECONFLICT, "this calendar is already connected with this username")
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return vidivo.Errorf(vidivo.ENOTFOUND, "calendar connection not found")
		}
		// Clear first, so moving bookings from one calendar to another of
		// the same connection never holds two at once.
		for _, cal := range c.Calendars {
			if !cal.AddBookings {
				if err := db.setCalendarFlags(ctx, tx, c.ID, cal); err != nil {
					return err
				}
			}
		}
		for _, cal := range c.Calendars {
			if cal.AddBookings {
				if err := db.setCalendarFlags(ctx, tx, c.ID, cal); err != nil {
					return err
				}
			}
		}
		c.UpdatedAt = now
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqldb: update calendar connection: %w", err)
	}
	return nil
}

func (db *DB) setCalendarFlags(ctx context.Context, tx *sql.Tx, connID string, cal *calendar.Calendar) error {
	q := db.d.rebind(`UPDATE calendar_calendars SET check_conflicts = ?, add_bookings = ? WHERE id = ? AND connection_id = ?`)
	_, err := tx.ExecContext(ctx, q, cal.CheckConflicts, cal.AddBookings, cal.ID, connID)
	if _, dup := db.d.uniqueViolation(err); dup {
		return errOneBookingCalendar
	}
	return err
}

// DeleteCalendarConnection implements calendar.Store.
func (db *DB) DeleteCalendarConnection(ctx context.Context, id string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		q := db.d.rebind(`DELETE FROM calendar_busy WHERE calendar_id IN (SELECT id FROM calendar_calendars WHERE connection_id = ?)`)
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.d.rebind(`DELETE FROM calendar_calendars WHERE connection_id = ?`), id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.d.rebind(`DELETE FROM calendar_connections WHERE id = ?`), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return vidivo.Errorf(vidivo.ENOTFOUND, "calendar connection not found")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqldb: delete calendar connection: %w", err)
	}
	return nil
}

const hostCalendarColumns = `c.id, c.connection_id, c.user_id, c.url, c.name, c.check_conflicts, c.add_bookings, c.refreshed_at,
	c.failing_since, c.last_error, k.kind, k.when_failing`

// CalendarsToRefresh implements calendar.Store. A calendar is due when
// neither its last read nor its last failure is recent.
func (db *DB) CalendarsToRefresh(ctx context.Context, staleBefore time.Time, limit int) ([]*calendar.HostCalendar, error) {
	q := db.d.rebind(`SELECT ` + hostCalendarColumns + ` FROM calendar_calendars c
		JOIN calendar_connections k ON k.id = c.connection_id
		WHERE c.check_conflicts AND COALESCE(c.failing_since, c.refreshed_at, ?) < ?
		ORDER BY COALESCE(c.failing_since, c.refreshed_at, ?), c.id LIMIT ?`)
	never := ts(time.Unix(0, 0))
	return db.hostCalendars(ctx, q, never, ts(staleBefore), never, limit)
}

// HostCalendars implements calendar.Store.
func (db *DB) HostCalendars(ctx context.Context, userID string) ([]*calendar.HostCalendar, error) {
	q := db.d.rebind(`SELECT ` + hostCalendarColumns + ` FROM calendar_calendars c
		JOIN calendar_connections k ON k.id = c.connection_id
		WHERE c.user_id = ? AND c.check_conflicts ORDER BY c.id`)
	return db.hostCalendars(ctx, q, userID)
}

func (db *DB) hostCalendars(ctx context.Context, q string, args ...any) ([]*calendar.HostCalendar, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: host calendars: %w", err)
	}
	defer rows.Close()
	var out []*calendar.HostCalendar
	for rows.Next() {
		var h calendar.HostCalendar
		var kind string
		if err := scanCalendarInto(rows, &h.Calendar, &kind, &h.WhenFailing); err != nil {
			return nil, fmt.Errorf("sqldb: host calendars: %w", err)
		}
		h.Kind = calendar.Kind(kind)
		out = append(out, &h)
	}
	return out, rows.Err()
}

// SaveCalendarBusy implements calendar.Store: the calendar's busy times
// are replaced in one transaction, so a reader sees the old or the new
// set, never half of one.
func (db *DB) SaveCalendarBusy(ctx context.Context, calendarID string, busy []calendar.Interval, at time.Time) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE calendar_calendars SET refreshed_at = ?, failing_since = NULL,
			last_error = '' WHERE id = ?`), ts(at), calendarID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // deleted meanwhile: nothing to keep
		}
		if _, err := tx.ExecContext(ctx, db.d.rebind(`DELETE FROM calendar_busy WHERE calendar_id = ?`), calendarID); err != nil {
			return err
		}
		return db.insertBusy(ctx, tx, calendarID, busy)
	})
	if err != nil {
		return fmt.Errorf("sqldb: save calendar busy: %w", err)
	}
	return nil
}

// insertBusy inserts busy times in batches of multi-row inserts.
func (db *DB) insertBusy(ctx context.Context, tx *sql.Tx, calendarID string, busy []calendar.Interval) error {
	const batch = 200
	for i := 0; i < len(busy); i += batch {
		part := busy[i:min(i+batch, len(busy))]
		var b strings.Builder
		b.WriteString(`INSERT INTO calendar_busy (calendar_id, starts_at, ends_at) VALUES `)
		args := make([]any, 0, 3*len(part))
		for j, iv := range part {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?)")
			args = append(args, calendarID, ts(iv.Start), ts(iv.End))
		}
		if _, err := tx.ExecContext(ctx, db.d.rebind(b.String()), args...); err != nil {
			return err
		}
	}
	return nil
}

// SaveCalendarError implements calendar.Store; failing_since keeps the
// first failure of a run of them.
func (db *DB) SaveCalendarError(ctx context.Context, calendarID, msg string, at time.Time) error {
	q := db.d.rebind(`UPDATE calendar_calendars SET failing_since = COALESCE(failing_since, ?), last_error = ? WHERE id = ?`)
	if _, err := db.db.ExecContext(ctx, q, ts(at), msg, calendarID); err != nil {
		return fmt.Errorf("sqldb: save calendar error: %w", err)
	}
	return nil
}

// CalendarBusy implements calendar.Store.
func (db *DB) CalendarBusy(ctx context.Context, calendarIDs []string, from, to time.Time) ([]calendar.Interval, error) {
	if len(calendarIDs) == 0 {
		return nil, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(calendarIDs)), ", ")
	args := make([]any, 0, len(calendarIDs)+2)
	for _, id := range calendarIDs {
		args = append(args, id)
	}
	args = append(args, ts(to), ts(from))
	q := db.d.rebind(`SELECT starts_at, ends_at FROM calendar_busy WHERE calendar_id IN (` + marks + `)
		AND starts_at < ? AND ends_at > ? ORDER BY starts_at`)
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: calendar busy: %w", err)
	}
	defer rows.Close()
	var out []calendar.Interval
	for rows.Next() {
		var s, e scanTime
		if err := rows.Scan(&s, &e); err != nil {
			return nil, fmt.Errorf("sqldb: calendar busy: %w", err)
		}
		out = append(out, calendar.Interval{Start: s.Time, End: e.Time})
	}
	return out, rows.Err()
}

func scanConnection(row scanner) (*calendar.Connection, error) {
	var c calendar.Connection
	var kind string
	var created, updated scanTime
	if err := row.Scan(&c.ID, &c.UserID, &kind, &c.URL, &c.Username, &c.PasswordSealed, &c.WhenFailing, &created, &updated); err != nil {
		return nil, err
	}
	c.Kind, c.CreatedAt, c.UpdatedAt = calendar.Kind(kind), created.Time, updated.Time
	return &c, nil
}

func scanCalendar(row scanner) (*calendar.Calendar, error) {
	var c calendar.Calendar
	if err := scanCalendarInto(row, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

func scanCalendarInto(row scanner, c *calendar.Calendar, extra ...any) error {
	var refreshed, failing scanTime
	dest := append([]any{&c.ID, &c.ConnectionID, &c.UserID, &c.URL, &c.Name, &c.CheckConflicts, &c.AddBookings,
		&refreshed, &failing, &c.LastError}, extra...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	if refreshed.Valid {
		c.RefreshedAt = &refreshed.Time
	}
	if failing.Valid {
		c.FailingSince = &failing.Time
	}
	return nil
}

// PendingCalendarWrites implements calendar.Store.
func (db *DB) PendingCalendarWrites(ctx context.Context, limit int) ([]*calendar.Write, error) {
	q := db.d.rebind(`SELECT id, booking_id, host_id, action, attempts FROM calendar_writes WHERE done_at IS NULL
		ORDER BY id LIMIT ?`)
	rows, err := db.db.QueryContext(ctx, q, limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: pending calendar writes: %w", err)
	}
	defer rows.Close()
	var out []*calendar.Write
	for rows.Next() {
		var w calendar.Write
		if err := rows.Scan(&w.ID, &w.BookingID, &w.HostID, &w.Action, &w.Attempts); err != nil {
			return nil, fmt.Errorf("sqldb: pending calendar writes: %w", err)
		}
		out = append(out, &w)
	}
	return out, rows.Err()
}

// FinishCalendarWrite implements calendar.Store.
func (db *DB) FinishCalendarWrite(ctx context.Context, id int64, msg string, done bool, at time.Time) error {
	var doneAt any
	if done {
		doneAt = ts(at)
	}
	q := db.d.rebind(`UPDATE calendar_writes SET attempts = attempts + 1, last_error = ?, done_at = ? WHERE id = ? AND done_at IS NULL`)
	if _, err := db.db.ExecContext(ctx, q, msg, doneAt, id); err != nil {
		return fmt.Errorf("sqldb: finish calendar write: %w", err)
	}
	return nil
}

// BookingCalendar implements calendar.Store.
func (db *DB) BookingCalendar(ctx context.Context, hostID string) (*calendar.Calendar, error) {
	q := db.d.rebind(`SELECT ` + calendarColumns + ` FROM calendar_calendars WHERE user_id = ? AND add_bookings`)
	c, err := scanCalendar(db.db.QueryRowContext(ctx, q, hostID))
	if errNoRows(err) {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "no calendar receives bookings")
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: booking calendar: %w", err)
	}
	return c, nil
}

// BookingChain implements calendar.Store, following rescheduled_to back
// (each booking is replaced at most once, so the chain is a line).
func (db *DB) BookingChain(ctx context.Context, bookingID string) (string, int, bool, error) {
	var next sql.NullString
	q := db.d.rebind(`SELECT rescheduled_to FROM scheduled_calls WHERE id = ?`)
	if err := db.db.QueryRowContext(ctx, q, bookingID).Scan(&next); err != nil {
		return "", 0, false, fmt.Errorf("sqldb: booking chain: %w", err)
	}
	root, depth := bookingID, 0
	back := db.d.rebind(`SELECT id FROM scheduled_calls WHERE rescheduled_to = ?`)
	for ; depth < 1000; depth++ {
		var prev string
		err := db.db.QueryRowContext(ctx, back, root).Scan(&prev)
		if errNoRows(err) {
			break
		}
		if err != nil {
			return "", 0, false, fmt.Errorf("sqldb: booking chain: %w", err)
		}
		root = prev
	}
	return root, depth, next.Valid, nil
}
