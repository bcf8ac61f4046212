package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/vidivo/vidivo"
)

var _ vidivo.CallStore = (*DB)(nil)

// Enqueuer inserts background jobs inside a store transaction, so a job
// exists if and only if the change that needs it was committed.
type Enqueuer interface {
	EnqueueTx(ctx context.Context, tx *sql.Tx, jobs []vidivo.ScheduledJob) error
}

func (db *DB) enqueue(ctx context.Context, tx *sql.Tx, jobs []vidivo.ScheduledJob) error {
	if len(jobs) == 0 {
		return nil
	}
	if db.jobs == nil {
		return fmt.Errorf("sqldb: %d jobs to enqueue but no job queue is configured", len(jobs))
	}
	if err := db.jobs.EnqueueTx(ctx, tx, jobs); err != nil {
		return fmt.Errorf("enqueue jobs: %w", err)
	}
	return nil
}

const callColumns = `id, link_id, host_id, guest_id, guest_user_id, guest_name, guest_email, rate_cents,
	window_minutes, status, payment_method_id, customer_id, host_account_id, windows, created_at, scheduled_at, ringing_at,
	active_at, ended_at, end_reason, duration_seconds, billed_minutes, total_cents,
	(SELECT short_code FROM links WHERE links.id = calls.link_id)`

// StartCall implements vidivo.CallStore.
func (db *DB) StartCall(ctx context.Context, c *vidivo.Call, hold *vidivo.Charge, jobs []vidivo.ScheduledJob) (vidivo.LinkState, error) {
	state := vidivo.LinkUsable
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		l, st, err := db.claimLinkUse(ctx, tx, c.LinkID, now)
		if err != nil {
			return err
		}
		if state = st; st != vidivo.LinkUsable {
			return nil
		}
		c.ShortCode = l.ShortCode
		return db.insertCall(ctx, tx, c, hold, jobs)
	})
	if err != nil {
		return 0, fmt.Errorf("sqldb: start call: %w", err)
	}
	return state, nil
}

// StartScheduledCall implements vidivo.CallStore.
func (db *DB) StartScheduledCall(ctx context.Context, c *vidivo.Call, hold *vidivo.Charge, jobs []vidivo.ScheduledJob) error {
	err := db.tx(ctx, func(tx *sql.Tx) error { return db.insertCall(ctx, tx, c, hold, jobs) })
	if _, dup := db.d.uniqueViolation(err); dup {
		return vidivo.Errorf(vidivo.ECONFLICT, "the call has already started")
	}
	if bookingNotConfirmed(err) {
		return errBookingCanceled
	}
	if err != nil {
		return fmt.Errorf("sqldb: start scheduled call: %w", err)
	}
	return nil
}

// errHoldGone refuses to start a call on a first hold that is no longer
// pending: reconciliation found it orphaned and released it.
var errHoldGone = vidivo.Errorf(vidivo.ECONFLICT, "the payment hold was released before the call started; join again")

// insertCall stores a new call in waiting with its first hold marked
// succeeded and its jobs.
func (db *DB) insertCall(ctx context.Context, tx *sql.Tx, c *vidivo.Call, hold *vidivo.Charge, jobs []vidivo.ScheduledJob) error {
	now := db.now()
	c.CreatedAt, c.Status = now, vidivo.CallWaiting
	var link any
	if c.LinkID != "" {
		link = c.LinkID
	}
	q := db.d.rebind(`INSERT INTO calls (id, link_id, host_id, guest_id, guest_user_id, guest_name, guest_email,
		rate_cents, window_minutes, status, payment_method_id, customer_id, host_account_id, windows, created_at, scheduled_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	_, err := tx.ExecContext(ctx, q, c.ID, link, c.HostID, c.GuestID, c.GuestUserID, c.GuestName, c.GuestEmail,
		int64(c.Rate), c.WindowMinutes, string(c.Status), c.PaymentMethodID, c.CustomerID, c.HostAccountID, c.Windows,
		ts(now), nullTS(c.ScheduledAt))
	if err != nil {
		return fmt.Errorf("insert call: %w", err)
	}
	// Compare-and-set from pending: a hold that reconciliation resolved
	// meanwhile (and is releasing, as its call did not exist) must not
	// start a call.
	q = db.d.rebind(`UPDATE call_charges SET state = 'succeeded', gateway_id = ?, updated_at = ? WHERE id = ? AND state = 'pending'`)
	res, err := tx.ExecContext(ctx, q, hold.GatewayID, ts(now), hold.ID)
	if err != nil {
		return fmt.Errorf("mark first hold placed: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errHoldGone
	}
	hold.State = vidivo.ChargeSucceeded
	return db.enqueue(ctx, tx, jobs)
}

// CallByID implements vidivo.CallStore.
func (db *DB) CallByID(ctx context.Context, id string) (*vidivo.Call, error) {
	q := db.d.rebind(`SELECT ` + callColumns + ` FROM calls WHERE id = ?`)
	c, err := scanCall(db.db.QueryRowContext(ctx, q, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: call by id: %w", err)
	}
	return c, nil
}

// Calls implements vidivo.CallStore.
func (db *DB) Calls(ctx context.Context, f vidivo.CallFilter) (*vidivo.CallPage, error) {
	where, args := "(host_id = ? OR guest_user_id = ?)", []any{f.UserID, f.UserID}
	if f.Status != "" {
		where, args = where+" AND status = ?", append(args, string(f.Status))
	}
	page := &vidivo.CallPage{}
	if err := db.db.QueryRowContext(ctx, db.d.rebind(`SELECT count(*) FROM calls WHERE `+where), args...).Scan(&page.Total); err != nil {
		return nil, fmt.Errorf("sqldb: count calls: %w", err)
	}
	q := db.d.rebind(`SELECT ` + callColumns + ` FROM calls WHERE ` + where + ` ORDER BY id DESC LIMIT ? OFFSET ?`)
	rows, err := db.db.QueryContext(ctx, q, append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: list calls: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: list calls: %w", err)
		}
		page.Calls = append(page.Calls, c)
	}
	return page, rows.Err()
}

// TransitionCall implements vidivo.CallStore. The WHERE status IN (…)
// clause is the compare-and-set: of two racing requests only one finds the
// call in a status it may leave.
func (db *DB) TransitionCall(ctx context.Context, c *vidivo.Call, jobs []vidivo.ScheduledJob) error {
	from := vidivo.From(c.Status)
	if len(from) == 0 {
		return fmt.Errorf("sqldb: no status leads to %q", c.Status)
	}
	args := append([]any{string(c.Status), nullTS(c.RingingAt), nullTS(c.ActiveAt), nullTS(c.EndedAt), c.EndReason,
		c.DurationSeconds, c.BilledMinutes, int64(c.TotalCharged), c.ID}, statusArgs(from)...)
	q := db.d.rebind(`UPDATE calls SET status = ?, ringing_at = ?, active_at = ?, ended_at = ?, end_reason = ?,
		duration_seconds = ?, billed_minutes = ?, total_cents = ? WHERE id = ? AND status IN (` + placeholders(len(from)) + `)`)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return vidivo.Errorf(vidivo.ECONFLICT, "the call cannot become %s from its current state", c.Status)
		}
		if err := db.kickWebhooks(ctx, tx, c.ID); err != nil {
			return err
		}
		return db.enqueue(ctx, tx, jobs)
	})
	if err != nil {
		return fmt.Errorf("sqldb: transition call to %s: %w", c.Status, err)
	}
	return nil
}

// RecordWindow implements vidivo.CallStore.
func (db *DB) RecordWindow(ctx context.Context, callID string, windows int, customerID string, jobs []vidivo.ScheduledJob) error {
	q := db.d.rebind(`UPDATE calls SET windows = ?, customer_id = ? WHERE id = ? AND windows < ?`)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, q, windows, customerID, callID, windows); err != nil {
			return err
		}
		return db.enqueue(ctx, tx, jobs)
	})
	if err != nil {
		return fmt.Errorf("sqldb: record window: %w", err)
	}
	return nil
}

// ActiveCalls implements vidivo.CallStore.
func (db *DB) ActiveCalls(ctx context.Context) ([]*vidivo.Call, error) {
	open := vidivo.OpenCallStatuses
	q := db.d.rebind(`SELECT ` + callColumns + ` FROM calls WHERE status IN (` + placeholders(len(open)) + `) ORDER BY id`)
	rows, err := db.db.QueryContext(ctx, q, statusArgs(open)...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: open calls: %w", err)
	}
	defer rows.Close()
	var out []*vidivo.Call
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: open calls: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func scanCall(row scanner) (*vidivo.Call, error) {
	var (
		c                                     vidivo.Call
		guestUser, guestName, guestEmail, why sql.NullString
		linkID                                sql.NullString
		rate, total                           int64
		status                                string
		shortCode                             sql.NullString
		created, ringing, active, ended       scanTime
		scheduled                             scanTime
	)
	err := row.Scan(&c.ID, &linkID, &c.HostID, &c.GuestID, &guestUser, &guestName, &guestEmail, &rate,
		&c.WindowMinutes, &status, &c.PaymentMethodID, &c.CustomerID, &c.HostAccountID, &c.Windows, &created, &scheduled, &ringing,
		&active, &ended, &why, &c.DurationSeconds, &c.BilledMinutes, &total, &shortCode)
	if err != nil {
		if errNoRows(err) {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "call not found")
		}
		return nil, err
	}
	c.LinkID = linkID.String
	c.GuestUserID, c.GuestName, c.GuestEmail, c.EndReason = nullStr(guestUser), nullStr(guestName), nullStr(guestEmail), nullStr(why)
	c.Rate, c.TotalCharged, c.Status, c.ShortCode = vidivo.Money(rate), vidivo.Money(total), vidivo.CallStatus(status), shortCode.String
	c.CreatedAt, c.RingingAt, c.ActiveAt, c.EndedAt = created.Time, ringing.ptr(), active.ptr(), ended.ptr()
	c.ScheduledAt = scheduled.ptr()
	return &c, nil
}

func nullStr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// placeholders is n comma-separated "?" for an IN list.
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// statusArgs are call statuses as query arguments.
func statusArgs(statuses []vidivo.CallStatus) []any {
	out := make([]any, len(statuses))
	for i, st := range statuses {
		out[i] = string(st)
	}
	return out
}
