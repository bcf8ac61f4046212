package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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
	window_minutes, payment_method_id, sequence, canceled_by, cancel_reason, canceled_at, rescheduled, created_at, host_joined_at,
	call_started_at, customer_id, utm_source, utm_medium, utm_campaign, utm_content, utm_term, event_type_id`

// Book implements vidivo.ScheduleStore.
func (db *DB) Book(ctx context.Context, b *vidivo.ScheduledCall, lim vidivo.BookingLimits) error {
	err := db.tx(ctx, func(tx *sql.Tx) error { return db.book(ctx, tx, b, lim) })
	if err != nil {
		return fmt.Errorf("sqldb: book: %w", err)
	}
	return nil
}

// book inserts a confirmed booking. The host's bookings queue first
// (PostgreSQL: an advisory lock; SQLite: the IMMEDIATE transaction holds
// the only write lock), so the margin and the guest's cap are checked
// against every committed booking and none can slip in before the insert.
// The plain no-overlap guarantee is also PostgreSQL's exclusion
// constraint.
func (db *DB) book(ctx context.Context, tx *sql.Tx, b *vidivo.ScheduledCall, lim vidivo.BookingLimits) error {
	now := db.now()
	b.ID, b.CreatedAt, b.Status = newID(now), now, vidivo.BookingConfirmed
	if err := db.d.lockHostBookings(ctx, tx, b.HostID); err != nil {
		return fmt.Errorf("lock host bookings: %w", err)
	}
	if err := db.checkMargin(ctx, tx, b, lim.Margin); err != nil {
		return err
	}
	if err := db.checkGuestCap(ctx, tx, b, lim.MaxUpcomingPerGuest, now); err != nil {
		return err
	}
	q := db.d.rebind(`INSERT INTO scheduled_calls (id, host_id, guest_id, starts_at, ends_at, duration_minutes, note,
		status, rate_cents, window_minutes, payment_method_id, customer_id, sequence, created_at,
		utm_source, utm_medium, utm_campaign, utm_content, utm_term, event_type_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	t := b.Tracking
	_, err := tx.ExecContext(ctx, q, b.ID, b.HostID, b.GuestID, ts(b.StartsAt), ts(b.EndsAt), b.DurationMinutes, b.Note,
		b.Status, int64(b.Rate), b.WindowMinutes, b.PaymentMethodID, b.CustomerID, b.Sequence, ts(now),
		orNull(t.UTMSource), orNull(t.UTMMedium), orNull(t.UTMCampaign), orNull(t.UTMContent), orNull(t.UTMTerm), b.EventTypeID)
	if db.d.exclusionViolation(err) {
		return errBooked
	}
	if err != nil {
		return err
	}
	return db.kickWebhooks(ctx, tx, b.ID)
}

// checkMargin refuses b if a confirmed booking of the host lies within
// margin of it (overlapping it, when margin is 0). On PostgreSQL the
// exclusion constraint would refuse a plain overlap too, but checking here
// first keeps the answer to a taken time conflict even for a guest at the
// cap.
func (db *DB) checkMargin(ctx context.Context, tx *sql.Tx, b *vidivo.ScheduledCall, margin time.Duration) error {
	lo, hi := b.StartsAt.Add(-margin), b.EndsAt.Add(margin)
	var n int
	q := db.d.rebind(`SELECT count(*) FROM scheduled_calls WHERE host_id = ? AND status = 'confirmed'
		AND starts_at < ? AND ends_at > ? AND starts_at > ?`)
	if err := tx.QueryRowContext(ctx, q, b.HostID, ts(hi), ts(lo), ts(earliestOverlap(lo))).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errBooked
	}
	return nil
}

// checkGuestCap refuses b if the guest already has max confirmed bookings
// with the host that start after now.
func (db *DB) checkGuestCap(ctx context.Context, tx *sql.Tx, b *vidivo.ScheduledCall, max int, now time.Time) error {
	if max <= 0 {
		return nil
	}
	var n int
	q := db.d.rebind(`SELECT count(*) FROM scheduled_calls WHERE guest_id = ? AND host_id = ? AND status = 'confirmed'
		AND starts_at > ?`)
	if err := tx.QueryRowContext(ctx, q, b.GuestID, b.HostID, ts(now)).Scan(&n); err != nil {
		return err
	}
	if n >= max {
		return vidivo.Errorf(vidivo.EFORBIDDEN,
			"you already have %d upcoming bookings with this host, the most the host allows; cancel one or book again after one has taken place", n)
	}
	return nil
}

// earliestOverlap is the earliest start of a booking that can reach past
// t: no booking is longer than MaxBookingMinutes. Bounding starts_at lets
// the (host_id, starts_at) index skip a host's whole past instead of
// scanning it for overlaps.
func earliestOverlap(t time.Time) time.Time {
	return t.Add(-vidivo.MaxBookingMinutes * time.Minute)
}

var errBooked = vidivo.Errorf(vidivo.ECONFLICT, "this time slot is already booked")

// errBookingCanceled is a call that could not start because its booking
// was canceled meanwhile (migration 0007's trigger refused it).
var errBookingCanceled = vidivo.Errorf(vidivo.ECONFLICT, "this booking was canceled")

// bookingNotConfirmed reports whether err is migration 0007's trigger
// refusing a call whose booking is not confirmed. Both engines carry the
// trigger's message in the error text; the message is ours, so matching
// it is exact.
func bookingNotConfirmed(err error) bool {
	return err != nil && strings.Contains(err.Error(), "vidivo: the booking of this call is not confirmed")
}

// Reschedule implements vidivo.ScheduleStore.
func (db *DB) Reschedule(ctx context.Context, oldID, by string, next *vidivo.ScheduledCall, lim vidivo.BookingLimits) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		old, err := db.cancelBooking(ctx, tx, oldID, by, nil, true)
		if err != nil {
			return err
		}
		next.Sequence = old.Sequence + 1
		if err := db.book(ctx, tx, next, lim); err != nil {
			return err
		}
		return db.linkReschedule(ctx, tx, old.ID, next.ID)
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

// cancelBooking is the compare-and-set confirmed → canceled, for a
// booking that has not started and whose call does not exist. The call's
// start sets call_started_at on this same row (see migration 0007), so
// the two cannot both win.
func (db *DB) cancelBooking(ctx context.Context, tx *sql.Tx, id, by string, reason *string, rescheduled bool) (*vidivo.ScheduledCall, error) {
	now := db.now()
	q := db.d.rebind(`UPDATE scheduled_calls SET status = 'canceled', canceled_by = ?, cancel_reason = ?, canceled_at = ?,
		rescheduled = ?, sequence = sequence + 1
		WHERE id = ? AND status = 'confirmed' AND call_started_at IS NULL AND starts_at > ? RETURNING ` + bookingColumns)
	b, err := scanBooking(tx.QueryRowContext(ctx, q, by, reason, ts(now), rescheduled, id, ts(now)))
	if vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
		if err == nil {
			err = db.kickWebhooks(ctx, tx, b.ID)
		}
		return b, err
	}
	cur, err := scanBooking(tx.QueryRowContext(ctx, db.d.rebind(`SELECT `+bookingColumns+` FROM scheduled_calls WHERE id = ?`), id))
	switch {
	case err != nil:
		return nil, err
	case cur.Status != vidivo.BookingConfirmed:
		return nil, vidivo.Errorf(vidivo.ECONFLICT, "the booking is already canceled")
	case cur.CallStartedAt != nil:
		return nil, vidivo.Errorf(vidivo.ECONFLICT, "the booking's call has started; it can no longer be changed")
	}
	return nil, vidivo.Errorf(vidivo.ECONFLICT, "a booking that has started can no longer be changed")
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
		hostJoined, callStarted         scanTime
		customer, eventType             sql.NullString
		utm                             [5]sql.NullString
	)
	err := row.Scan(&b.ID, &b.HostID, &b.GuestID, &starts, &ends, &b.DurationMinutes, &note, &b.Status, &rate,
		&b.WindowMinutes, &pm, &b.Sequence, &by, &reason, &canceled, &b.Rescheduled, &created, &hostJoined,
		&callStarted, &customer, &utm[0], &utm[1], &utm[2], &utm[3], &utm[4], &eventType)
	if err != nil {
		if errNoRows(err) {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "scheduled call not found")
		}
		return nil, err
	}
	b.StartsAt, b.EndsAt, b.CanceledAt, b.CreatedAt = starts.Time, ends.Time, canceled.ptr(), created.Time
	b.Note, b.PaymentMethodID, b.CanceledBy, b.CancelReason = nullStr(note), nullStr(pm), nullStr(by), nullStr(reason)
	b.Rate, b.HostJoinedAt, b.CallStartedAt, b.CustomerID = vidivo.Money(rate), hostJoined.ptr(), callStarted.ptr(), nullStr(customer)
	b.Tracking = vidivo.Tracking{UTMSource: utm[0].String, UTMMedium: utm[1].String, UTMCampaign: utm[2].String,
		UTMContent: utm[3].String, UTMTerm: utm[4].String}
	b.EventTypeID = nullStr(eventType)
	return &b, nil
}

// orNull stores an unset (empty) parameter as NULL.
func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
