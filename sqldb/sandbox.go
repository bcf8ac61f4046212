package sqldb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/vidivo/vidivo"
)

// The sandbox payments gateway keeps its books here. Like a real provider
// it answers a repeated idempotency key with the first result.

// SandboxPutHold stores a new hold under key, or returns the hold already
// stored under it.
func (db *DB) SandboxPutHold(ctx context.Context, key, customerID, paymentMethodID string, amount vidivo.Money) (holdID, customer string, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		q := db.d.rebind(`SELECT id, customer_id FROM sandbox_holds WHERE idempotency_key = ?`)
		err := tx.QueryRowContext(ctx, q, key).Scan(&holdID, &customer)
		if !errNoRows(err) {
			return err
		}
		now := db.now()
		holdID, customer = "pi_sbx_"+newID(now), customerID
		if customer == "" {
			customer = "cus_sbx_" + newID(now)
		}
		q = db.d.rebind(`INSERT INTO sandbox_holds (id, idempotency_key, customer_id, payment_method_id, amount_cents,
			status, created_at) VALUES (?, ?, ?, ?, ?, 'requires_capture', ?)`)
		_, err = tx.ExecContext(ctx, q, holdID, key, customer, paymentMethodID, int64(amount), ts(now))
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("sqldb: sandbox hold: %w", err)
	}
	return holdID, customer, nil
}

// SandboxSettleHold captures amount of a hold (op "capture") or cancels it
// (op "cancel"), once per key: replaying a key changes nothing. A hold that
// is no longer capturable, or an amount above the hold, is EVALIDATION.
func (db *DB) SandboxSettleHold(ctx context.Context, key, holdID, op string, amount vidivo.Money) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var seen int
		q := db.d.rebind(`SELECT count(*) FROM sandbox_ops WHERE idempotency_key = ?`)
		if err := tx.QueryRowContext(ctx, q, key).Scan(&seen); err != nil || seen > 0 {
			return err
		}
		var (
			held   int64
			status string
		)
		q = db.d.rebind(`SELECT amount_cents, status FROM sandbox_holds WHERE id = ?` + db.d.forUpdate())
		err := tx.QueryRowContext(ctx, q, holdID).Scan(&held, &status)
		if errNoRows(err) {
			return vidivo.Errorf(vidivo.EVALIDATION, "no such hold %s", holdID)
		}
		if err != nil {
			return err
		}
		if status != "requires_capture" {
			return vidivo.Errorf(vidivo.EVALIDATION, "hold %s is %s", holdID, status)
		}
		newStatus, captured := "canceled", int64(0)
		if op == "capture" {
			if int64(amount) > held {
				return vidivo.Errorf(vidivo.EVALIDATION, "capture of %v exceeds the hold of %v", amount, vidivo.Money(held))
			}
			newStatus, captured = "captured", int64(amount)
		}
		q = db.d.rebind(`UPDATE sandbox_holds SET status = ?, captured_cents = ? WHERE id = ?`)
		if _, err := tx.ExecContext(ctx, q, newStatus, captured, holdID); err != nil {
			return err
		}
		q = db.d.rebind(`INSERT INTO sandbox_ops (idempotency_key, hold_id, op, amount_cents) VALUES (?, ?, ?, ?)`)
		_, err = tx.ExecContext(ctx, q, key, holdID, op, captured)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqldb: sandbox %s: %w", op, err)
	}
	return nil
}

// SandboxHold reports a hold's amount, what was captured and its status
// ("requires_capture", "captured" or "canceled").
func (db *DB) SandboxHold(ctx context.Context, holdID string) (amount, captured vidivo.Money, status string, err error) {
	var a, c int64
	q := db.d.rebind(`SELECT amount_cents, captured_cents, status FROM sandbox_holds WHERE id = ?`)
	err = db.db.QueryRowContext(ctx, q, holdID).Scan(&a, &c, &status)
	if errNoRows(err) {
		return 0, 0, "", vidivo.Errorf(vidivo.ENOTFOUND, "no such hold")
	}
	if err != nil {
		return 0, 0, "", fmt.Errorf("sqldb: sandbox hold: %w", err)
	}
	return vidivo.Money(a), vidivo.Money(c), status, nil
}

// SetPayoutAccount records a host's payout account and whether it is
// connected.
func (db *DB) SetPayoutAccount(ctx context.Context, userID, accountID string, connected bool) error {
	q := db.d.rebind(`UPDATE users SET payout_account_id = ?, payouts_connected = ?, updated_at = ? WHERE id = ?`)
	res, err := db.db.ExecContext(ctx, q, accountID, connected, ts(db.now()), userID)
	if err != nil {
		return fmt.Errorf("sqldb: set payout account: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return vidivo.Errorf(vidivo.ENOTFOUND, "user not found")
	}
	return nil
}
