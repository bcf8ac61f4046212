package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/vidivo/vidivo"
)

const chargeColumns = `id, call_id, kind, window_index, amount_cents, gateway_id, idempotency_key, state, created_at, details`

// AddCharge implements vidivo.CallStore. A charge whose idempotency key is
// already in the ledger is not written again: ch is filled from the
// existing entry instead, so a retried operation picks up where it was.
func (db *DB) AddCharge(ctx context.Context, ch *vidivo.Charge) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		q := db.d.rebind(`SELECT ` + chargeColumns + ` FROM call_charges WHERE idempotency_key = ?`)
		existing, err := scanCharge(tx.QueryRowContext(ctx, q, ch.IdempotencyKey))
		if err == nil {
			*ch = *existing
			return nil
		}
		if vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
			return err
		}
		now := db.now()
		ch.ID, ch.CreatedAt = newID(now), now
		if ch.State == "" {
			ch.State = vidivo.ChargePending
		}
		details := ""
		if ch.Hold != nil {
			b, err := json.Marshal(ch.Hold)
			if err != nil {
				return err
			}
			details = string(b)
		}
		q = db.d.rebind(`INSERT INTO call_charges (id, call_id, kind, window_index, amount_cents, gateway_id,
			idempotency_key, state, created_at, updated_at, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		_, err = tx.ExecContext(ctx, q, ch.ID, ch.CallID, string(ch.Kind), ch.Window, int64(ch.Amount), ch.GatewayID,
			ch.IdempotencyKey, string(ch.State), ts(now), ts(now), details)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqldb: add charge: %w", err)
	}
	return nil
}

// SetChargeState implements vidivo.CallStore.
func (db *DB) SetChargeState(ctx context.Context, id string, state vidivo.ChargeState, gatewayID string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error { return db.setChargeState(ctx, tx, id, state, gatewayID) })
	if err != nil {
		return fmt.Errorf("sqldb: set charge state: %w", err)
	}
	return nil
}

func (db *DB) setChargeState(ctx context.Context, tx *sql.Tx, id string, state vidivo.ChargeState, gatewayID string) error {
	q := db.d.rebind(`UPDATE call_charges SET state = ?, gateway_id = CASE WHEN ? = '' THEN gateway_id ELSE ? END,
		updated_at = ? WHERE id = ?`)
	res, err := tx.ExecContext(ctx, q, string(state), gatewayID, gatewayID, ts(db.now()), id)
	if err != nil {
		return fmt.Errorf("update charge: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return vidivo.Errorf(vidivo.ENOTFOUND, "charge not found")
	}
	return nil
}

// Charges implements vidivo.CallStore.
func (db *DB) Charges(ctx context.Context, callID string) ([]*vidivo.Charge, error) {
	// Time order; entries made in the same instant (a settlement) read as
	// holds, then captures, then releases, window by window.
	q := db.d.rebind(`SELECT ` + chargeColumns + ` FROM call_charges WHERE call_id = ?
		ORDER BY created_at, CASE kind WHEN 'hold' THEN 0 WHEN 'capture' THEN 1 ELSE 2 END, window_index, id`)
	out, err := db.queryCharges(ctx, q, callID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: charges: %w", err)
	}
	return out, nil
}

// PendingCharges implements vidivo.CallStore.
func (db *DB) PendingCharges(ctx context.Context) ([]*vidivo.Charge, error) {
	out, err := db.queryCharges(ctx, `SELECT `+chargeColumns+` FROM call_charges WHERE state = 'pending' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: pending charges: %w", err)
	}
	return out, nil
}

func (db *DB) queryCharges(ctx context.Context, q string, args ...any) ([]*vidivo.Charge, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*vidivo.Charge
	for rows.Next() {
		ch, err := scanCharge(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

func scanCharge(row scanner) (*vidivo.Charge, error) {
	var (
		ch          vidivo.Charge
		kind, state string
		amount      int64
		created     scanTime
		details     string
	)
	err := row.Scan(&ch.ID, &ch.CallID, &kind, &ch.Window, &amount, &ch.GatewayID, &ch.IdempotencyKey, &state, &created, &details)
	if err != nil {
		if errNoRows(err) {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "charge not found")
		}
		return nil, err
	}
	ch.Kind, ch.State, ch.Amount, ch.CreatedAt = vidivo.ChargeKind(kind), vidivo.ChargeState(state), vidivo.Money(amount), created.Time
	if details != "" {
		ch.Hold = new(vidivo.HoldDetails)
		if err := json.Unmarshal([]byte(details), ch.Hold); err != nil {
			return nil, fmt.Errorf("charge %s details: %w", ch.ID, err)
		}
	}
	return &ch, nil
}
