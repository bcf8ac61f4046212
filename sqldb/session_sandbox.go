package sqldb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/vidivo/vidivo"
)

// SandboxRefundHold refunds amount of a captured sandbox hold, once per
// key (a replay answers success, as Stripe's idempotency keys do). The
// hold stays captured; its refunds are the "refund" operations on it, and
// together they never exceed what was captured (EVALIDATION). Session fees
// are refunded through it when a session is canceled.
func (db *DB) SandboxRefundHold(ctx context.Context, key, holdID string, amount vidivo.Money) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var (
			captured int64
			status   string
		)
		q := db.d.rebind(`SELECT captured_cents, status FROM sandbox_holds WHERE id = ?` + db.d.forUpdate())
		err := tx.QueryRowContext(ctx, q, holdID).Scan(&captured, &status)
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
		case err == nil && (firstHold != holdID || firstOp != "refund"):
			return vidivo.Errorf(vidivo.EVALIDATION, "idempotency key %s was used for another request", key)
		case err == nil:
			return nil
		case !errNoRows(err):
			return err
		}
		refunded, err := db.sandboxRefunded(ctx, tx, holdID)
		if err != nil {
			return err
		}
		if status != "captured" || amount <= 0 || refunded+amount > vidivo.Money(captured) {
			return vidivo.Errorf(vidivo.EVALIDATION, "cannot refund %v of hold %s (%s, %v captured, %v refunded)",
				amount, holdID, status, vidivo.Money(captured), refunded)
		}
		q = db.d.rebind(`INSERT INTO sandbox_ops (idempotency_key, hold_id, op, amount_cents) VALUES (?, ?, 'refund', ?)`)
		_, err = tx.ExecContext(ctx, q, key, holdID, int64(amount))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqldb: sandbox refund: %w", err)
	}
	return nil
}

// SandboxRefunded is how much of a sandbox hold was refunded.
func (db *DB) SandboxRefunded(ctx context.Context, holdID string) (vidivo.Money, error) {
	tx, err := db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: db.d.name() == "postgres"})
	if err != nil {
		return 0, fmt.Errorf("sqldb: sandbox refunded: %w", err)
	}
	defer tx.Rollback()
	return db.sandboxRefunded(ctx, tx, holdID)
}

func (db *DB) sandboxRefunded(ctx context.Context, tx *sql.Tx, holdID string) (vidivo.Money, error) {
	var sum sql.NullInt64
	q := db.d.rebind(`SELECT sum(amount_cents) FROM sandbox_ops WHERE hold_id = ? AND op = 'refund'`)
	if err := tx.QueryRowContext(ctx, q, holdID).Scan(&sum); err != nil {
		return 0, err
	}
	return vidivo.Money(sum.Int64), nil
}
