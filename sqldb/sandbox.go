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
// stored under it: two requests racing with one key get one hold.
func (db *DB) SandboxPutHold(ctx context.Context, key, customerID, paymentMethodID string, amount vidivo.Money) (holdID, customer string, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		customer = customerID
		if customer == "" {
			customer = "cus_sbx_" + newID(now)
		}
		q := db.d.rebind(`INSERT INTO sandbox_holds (id, idempotency_key, customer_id, payment_method_id, amount_cents,
			status, created_at) VALUES (?, ?, ?, ?, ?, 'requires_capture', ?) ON CONFLICT (idempotency_key) DO NOTHING`)
		if _, err := tx.ExecContext(ctx, q, "pi_sbx_"+newID(now), key, customer, paymentMethodID, int64(amount), ts(now)); err != nil {
			return err
		}
		q = db.d.rebind(`SELECT id, customer_id FROM sandbox_holds WHERE idempotency_key = ?`)
		return tx.QueryRowContext(ctx, q, key).Scan(&holdID, &customer)
	})
	if err != nil {
		return "", "", fmt.Errorf("sqldb: sandbox hold: %w", err)
	}
	return holdID, customer, nil
}

// SandboxSettleHold captures amount of a hold (op "capture") or cancels it
// (op "cancel"), once per key. It behaves like Stripe's idempotency keys:
// the hold's row is locked first, so two requests with one key queue, and
// the second gets the first's answer (success) instead of finding the hold
// already settled. A hold that is no longer capturable, an amount above
// the hold, or a key reused for another operation is EVALIDATION.
func (db *DB) SandboxSettleHold(ctx context.Context, key, holdID, op string, amount vidivo.Money) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var (
			held   int64
			status string
		)
		q := db.d.rebind(`SELECT amount_cents, status FROM sandbox_holds WHERE id = ?` + db.d.forUpdate())
		err := tx.QueryRowContext(ctx, q, holdID).Scan(&held, &status)
		if errNoRows(err) {
			return vidivo.Errorf(vidivo.EVALIDATION, "no such hold %s", holdID)
		}
		if err != nil {
			return err
		}
		var firstHold, firstOp string
		q = db.d.rebind(`SELECT hold_id, op FROM sandbox_ops WHERE idempotency_key = ?`)
		err = tx.QueryRowContext(ctx, q, key).Scan(&firstHold, &firstOp)
		switch {
		case err == nil && (firstHold != holdID || firstOp != op):
			return vidivo.Errorf(vidivo.EVALIDATION, "idempotency key %s was used for another request", key)
		case err == nil:
			return nil // a replay: the first answer was success
		case !errNoRows(err):
			return err
		}
		return db.sandboxApply(ctx, tx, key, holdID, op, amount, vidivo.Money(held), status)
	})
	if err != nil {
		return fmt.Errorf("sqldb: sandbox %s: %w", op, err)
	}
	return nil
}

// sandboxApply settles a locked hold and records the operation's key.
func (db *DB) sandboxApply(ctx context.Context, tx *sql.Tx, key, holdID, op string, amount, held vidivo.Money, status string) error {
	if status != "requires_capture" {
		return vidivo.Errorf(vidivo.EVALIDATION, "hold %s is %s", holdID, status)
	}
	newStatus, captured := "canceled", int64(0)
	if op == "capture" {
		if amount > held {
			return vidivo.Errorf(vidivo.EVALIDATION, "capture of %v exceeds the hold of %v", amount, held)
		}
		newStatus, captured = "captured", int64(amount)
	}
	q := db.d.rebind(`UPDATE sandbox_holds SET status = ?, captured_cents = ? WHERE id = ?`)
	if _, err := tx.ExecContext(ctx, q, newStatus, captured, holdID); err != nil {
		return err
	}
	q = db.d.rebind(`INSERT INTO sandbox_ops (idempotency_key, hold_id, op, amount_cents) VALUES (?, ?, ?, ?)`)
	_, err := tx.ExecContext(ctx, q, key, holdID, op, captured)
	return err
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
