package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
)

// StartSessionPayment implements vidivo.SessionStore. The session's row is
// locked first, so racing payments of one participant queue and the
// second finds the first's row; the partial unique index
// session_payments_live_key is the guarantee beneath.
func (db *DB) StartSessionPayment(ctx context.Context, p *vidivo.SessionPayment) (*vidivo.SessionPayment, error) {
	var out *vidivo.SessionPayment
	err := db.tx(ctx, func(tx *sql.Tx) error {
		state, err := db.lockSessionState(ctx, tx, p.SessionID)
		if err != nil {
			return err
		}
		q := db.d.rebind(`SELECT ` + paymentColumns + ` FROM session_payments
			WHERE participant_id = ? AND status IN ('pending', 'captured', 'refunded')`)
		live, err := scanPayment(tx.QueryRowContext(ctx, q, p.ParticipantID))
		if err == nil {
			out = live
			return nil
		}
		if !errNoRows(err) {
			return err
		}
		if state == vidivo.SessionCanceled || state == vidivo.SessionEnded {
			return vidivo.Errorf(vidivo.ELINKEXPIRED, "this session is %s", state)
		}
		var last sql.NullInt64
		q = db.d.rebind(`SELECT max(attempt) FROM session_payments WHERE participant_id = ?`)
		if err := tx.QueryRowContext(ctx, q, p.ParticipantID).Scan(&last); err != nil {
			return err
		}
		now := db.now()
		np := *p
		np.Attempt, np.Status, np.CreatedAt = int(last.Int64)+1, vidivo.PaymentPending, now
		q = db.d.rebind(`INSERT INTO session_payments (id, session_id, participant_id, host_id, attempt, status,
			amount_cents, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`)
		if _, err := tx.ExecContext(ctx, q, np.ID, np.SessionID, np.ParticipantID, np.HostID, np.Attempt,
			int64(np.Amount), ts(now)); err != nil {
			return err
		}
		out = &np
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqldb: start session payment: %w", err)
	}
	return out, nil
}

// CaptureSessionPayment implements vidivo.SessionStore.
func (db *DB) CaptureSessionPayment(ctx context.Context, pay *vidivo.SessionPayment) (bool, error) {
	q := db.d.rebind(`UPDATE session_payments SET status = 'captured', hold_id = ?, platform_fee_cents = ?,
		host_payout_cents = ?, paid_at = ? WHERE id = ? AND status = 'pending'`)
	res, err := db.db.ExecContext(ctx, q, pay.HoldID, int64(pay.PlatformFee), int64(pay.HostPayout), nullTS(pay.PaidAt), pay.ID)
	if err != nil {
		return false, fmt.Errorf("sqldb: capture session payment: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FailSessionPayment implements vidivo.SessionStore.
func (db *DB) FailSessionPayment(ctx context.Context, id string) error {
	q := db.d.rebind(`UPDATE session_payments SET status = 'failed' WHERE id = ? AND status = 'pending'`)
	if _, err := db.db.ExecContext(ctx, q, id); err != nil {
		return fmt.Errorf("sqldb: fail session payment: %w", err)
	}
	return nil
}

// RefundSessionPayment implements vidivo.SessionStore.
func (db *DB) RefundSessionPayment(ctx context.Context, id string, at time.Time) (bool, error) {
	q := db.d.rebind(`UPDATE session_payments SET status = 'refunded', refunded_at = ? WHERE id = ? AND status = 'captured'`)
	res, err := db.db.ExecContext(ctx, q, ts(at), id)
	if err != nil {
		return false, fmt.Errorf("sqldb: refund session payment: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SessionPayments implements vidivo.SessionStore.
func (db *DB) SessionPayments(ctx context.Context, hostID string, limit int) ([]*vidivo.SessionPayment, error) {
	q := db.d.rebind(`SELECT ` + paymentColumns + ` FROM session_payments
		WHERE host_id = ? AND status IN ('captured', 'refunded') ORDER BY paid_at DESC, id DESC LIMIT ?`)
	rows, err := db.db.QueryContext(ctx, q, hostID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: session payments: %w", err)
	}
	defer rows.Close()
	var out []*vidivo.SessionPayment
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: session payments: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SessionPayment returns one payment by id; ENOTFOUND if none.
func (db *DB) SessionPayment(ctx context.Context, id string) (*vidivo.SessionPayment, error) {
	q := db.d.rebind(`SELECT ` + paymentColumns + ` FROM session_payments WHERE id = ?`)
	p, err := scanPayment(db.db.QueryRowContext(ctx, q, id))
	if errNoRows(err) {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "no such payment")
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: session payment: %w", err)
	}
	return p, nil
}

// SessionEarnings sums a host's session fees: captured and kept (paid,
// the platform's fee and the host's payout) and refunded.
func (db *DB) SessionEarnings(ctx context.Context, hostID string) (vidivo.SessionEarnings, error) {
	var e vidivo.SessionEarnings
	var paid, fee, payout, refunded sql.NullInt64
	q := db.d.rebind(`SELECT
		sum(CASE WHEN status = 'captured' THEN amount_cents END),
		sum(CASE WHEN status = 'captured' THEN platform_fee_cents END),
		sum(CASE WHEN status = 'captured' THEN host_payout_cents END),
		sum(CASE WHEN status = 'refunded' THEN amount_cents END)
		FROM session_payments WHERE host_id = ?`)
	if err := db.db.QueryRowContext(ctx, q, hostID).Scan(&paid, &fee, &payout, &refunded); err != nil {
		return e, fmt.Errorf("sqldb: session earnings: %w", err)
	}
	e.Paid, e.PlatformFee, e.HostPayout, e.Refunded = vidivo.Money(paid.Int64), vidivo.Money(fee.Int64),
		vidivo.Money(payout.Int64), vidivo.Money(refunded.Int64)
	return e, nil
}
