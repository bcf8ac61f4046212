package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
)

var _ vidivo.ScheduleStore = (*DB)(nil)

// PutAvailability implements vidivo.ScheduleStore.
func (db *DB) PutAvailability(ctx context.Context, userID string, doc []byte) error {
	q := db.d.rebind(`INSERT INTO availability (user_id, document, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`)
	if _, err := db.db.ExecContext(ctx, q, userID, string(doc), ts(db.now())); err != nil {
		return fmt.Errorf("sqldb: put availability: %w", err)
	}
	return nil
}

// Availability implements vidivo.ScheduleStore.
func (db *DB) Availability(ctx context.Context, userID string) ([]byte, error) {
	var doc string
	err := db.db.QueryRowContext(ctx, db.d.rebind(`SELECT document FROM availability WHERE user_id = ?`), userID).Scan(&doc)
	if errNoRows(err) {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "no availability set")
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: availability: %w", err)
	}
	return []byte(doc), nil
}

const bookingColumns = `id, host_id, guest_id, starts_at, ends_at, duration_minutes, note, status, rate_cents,
	window_minutes, payment_method_id, sequence, canceled_by, cancel_reason, canceled_at, rescheduled, created_at, host_joined_at`

// Book implements vidivo.ScheduleStore.
func (db *DB) Book(ctx context.Context, b *vidivo.ScheduledCall) error {
	err := db.tx(ctx, func(tx *sql.Tx) error { return db.book(ctx, tx, b) })
	if err != nil {
		return fmt.Errorf("sqldb: book: %w", err)
	}
	return nil
}

// book inserts a confirmed booking. The no-double-booking guarantee is the
// dialect's: PostgreSQL's exclusion constraint, or SQLite's single writer
// checking inside this transaction.
func (db *DB) book(ctx context.Context, tx *sql.Tx, b *vidivo.ScheduledCall) error {
	now := db.now()
	b.ID, b.CreatedAt, b.Status = newID(now), now, vidivo.BookingConfirmed
	if err := db.d.lockHostBookings(ctx, tx, b.HostID); err != nil {
		return fmt.Errorf("lock host bookings: %w", err)
	}
	if db.d.checksOverlap() {
		var n int
		q := db.d.rebind(`SELECT count(*) FROM scheduled_calls WHERE host_id = ? AND status = 'confirmed'
			AND starts_at < ? AND ends_at > ? AND starts_at > ?`)
		err := tx.QueryRowContext(ctx, q, b.HostID, ts(b.EndsAt), ts(b.StartsAt), ts(earliestOverlap(b.StartsAt))).Scan(&n)
		if err != nil {
			return err
		}
		if n > 0 {
			return errBooked
		}
	}
	q := db.d.rebind(`INSERT INTO scheduled_calls (id, host_id, guest_id, starts_at, ends_at, duration_minutes, note,
		status, rate_cents, window_minutes, payment_method_id, sequence, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	_, err := tx.ExecContext(ctx, q, b.ID, b.HostID, b.GuestID, ts(b.StartsAt), ts(b.EndsAt), b.DurationMinutes, b.Note,
		b.Status, int64(b.Rate), b.WindowMinutes, b.PaymentMethodID, b.Sequence, ts(now))
	if db.d.exclusionViolation(err) {
		return errBooked
	}
	return err
}

// earliestOverlap is the earliest start of a booking that can reach past
// t: no booking is longer than MaxBookingMinutes. Bounding starts_at lets
// the (host_id, starts_at) index skip a host's whole past instead of
// scanning it for overlaps.
func earliestOverlap(t time.Time) time.Time {
	return t.Add(-vidivo.MaxBookingMinutes * time.Minute)
}

var errBooked = vidivo.Errorf(vidivo.ECONFLICT, "this time slot is already booked")

// Reschedule implements vidivo.ScheduleStore.
func (db *DB) Reschedule(ctx context.Context, oldID, by string, next *vidivo.ScheduledCall) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		old, err := db.cancelBooking(ctx, tx, oldID, by, nil, true)
		if err != nil {
			return err
		}
		next.Sequence = old.Sequence + 1
		return db.book(ctx, tx, next)
	})
	if err != nil {
		return fmt.Errorf("sqldb: reschedule: %w", err)
	}
	return nil
}

// CancelBooking implements vidivo.ScheduleStore.
func (db *DB) CancelBooking(ctx context.Context, id, by string, reason *string) (*vidivo.ScheduledCall, error) {
	var b *vidivo.ScheduledCall
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		b, err = db.cancelBooking(ctx, tx, id, by, reason, false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqldb: cancel booking: %w", err)
	}
	return b, nil
}

// cancelBooking is the compare-and-set confirmed → canceled.
func (db *DB) cancelBooking(ctx context.Context, tx *sql.Tx, id, by string, reason *string, rescheduled bool) (*vidivo.ScheduledCall, error) {
	now := db.now()
	q := db.d.rebind(`UPDATE scheduled_calls SET status = 'canceled', canceled_by = ?, cancel_reason = ?, canceled_at = ?,
		rescheduled = ?, sequence = sequence + 1 WHERE id = ? AND status = 'confirmed' RETURNING ` + bookingColumns)
	b, err := scanBooking(tx.QueryRowContext(ctx, q, by, reason, ts(now), rescheduled, id))
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		if _, err := scanBooking(tx.QueryRowContext(ctx, db.d.rebind(`SELECT `+bookingColumns+` FROM scheduled_calls WHERE id = ?`), id)); err != nil {
			return nil, err
		}
		return nil, vidivo.Errorf(vidivo.ECONFLICT, "the booking is already canceled")
	}
	return b, err
}

// Booking implements vidivo.ScheduleStore.
func (db *DB) Booking(ctx context.Context, id string) (*vidivo.ScheduledCall, error) {
	b, err := scanBooking(db.db.QueryRowContext(ctx, db.d.rebind(`SELECT `+bookingColumns+` FROM scheduled_calls WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: booking: %w", err)
	}
	return b, nil
}

// Bookings implements vidivo.ScheduleStore: bookings that have not ended
// come first, soonest first; then past ones, latest first.
func (db *DB) Bookings(ctx context.Context, userID string, now time.Time, page, perPage int) (*vidivo.BookingPage, error) {
	out := &vidivo.BookingPage{}
	q := db.d.rebind(`SELECT count(*) FROM scheduled_calls WHERE host_id = ? OR guest_id = ?`)
	if err := db.db.QueryRowContext(ctx, q, userID, userID).Scan(&out.Total); err != nil {
		return nil, fmt.Errorf("sqldb: count bookings: %w", err)
	}
	q = db.d.rebind(`SELECT ` + bookingColumns + ` FROM scheduled_calls WHERE host_id = ? OR guest_id = ?
		ORDER BY CASE WHEN ends_at > ? THEN 0 ELSE 1 END,
			CASE WHEN ends_at > ? THEN starts_at END ASC, starts_at DESC, id
		LIMIT ? OFFSET ?`)
	var err error
	out.Calls, err = db.queryBookings(ctx, q, userID, userID, ts(now), ts(now), perPage, (page-1)*perPage)
	if err != nil {
		return nil, fmt.Errorf("sqldb: bookings: %w", err)
	}
	return out, nil
}

// MarkHostJoined implements vidivo.ScheduleStore.
func (db *DB) MarkHostJoined(ctx context.Context, id string, at time.Time) error {
	q := db.d.rebind(`UPDATE scheduled_calls SET host_joined_at = COALESCE(host_joined_at, ?) WHERE id = ?`)
	if _, err := db.db.ExecContext(ctx, q, ts(at), id); err != nil {
		return fmt.Errorf("sqldb: mark host joined: %w", err)
	}
	return nil
}

// BusyTimes implements vidivo.ScheduleStore.
func (db *DB) BusyTimes(ctx context.Context, hostID string, from, to time.Time) ([]*vidivo.ScheduledCall, error) {
	q := db.d.rebind(`SELECT ` + bookingColumns + ` FROM scheduled_calls WHERE host_id = ? AND status = 'confirmed'
		AND starts_at < ? AND ends_at > ? AND starts_at > ? ORDER BY starts_at`)
	out, err := db.queryBookings(ctx, q, hostID, ts(to), ts(from), ts(earliestOverlap(from)))
	if err != nil {
		return nil, fmt.Errorf("sqldb: busy times: %w", err)
	}
	return out, nil
}

func (db *DB) queryBookings(ctx context.Context, q string, args ...any) ([]*vidivo.ScheduledCall, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*vidivo.ScheduledCall
	for rows.Next() {
		b, err := scanBooking(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

func scanBooking(row scanner) (*vidivo.ScheduledCall, error) {
	var (
		b                               vidivo.ScheduledCall
		note, pm, by, reason            sql.NullString
		rate                            int64
		starts, ends, canceled, created scanTime
		hostJoined                      scanTime
	)
	err := row.Scan(&b.ID, &b.HostID, &b.GuestID, &starts, &ends, &b.DurationMinutes, &note, &b.Status, &rate,
		&b.WindowMinutes, &pm, &b.Sequence, &by, &reason, &canceled, &b.Rescheduled, &created, &hostJoined)
	if err != nil {
		if errNoRows(err) {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "scheduled call not found")
		}
		return nil, err
	}
	b.StartsAt, b.EndsAt, b.CanceledAt, b.CreatedAt = starts.Time, ends.Time, canceled.ptr(), created.Time
	b.Note, b.PaymentMethodID, b.CanceledBy, b.CancelReason = nullStr(note), nullStr(pm), nullStr(by), nullStr(reason)
	b.Rate, b.HostJoinedAt = vidivo.Money(rate), hostJoined.ptr()
	return &b, nil
}
