package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
)

var _ vidivo.IdempotencyStore = (*DB)(nil)

// ClaimIdempotencyKey implements vidivo.IdempotencyStore. The claim is an
// insert on the (scope, key) primary key, so two concurrent first requests
// cannot both proceed. An unfinished claim older than the lease belongs to
// a request that died: a retry takes it over with a compare-and-set on its
// claim time, so of two racing retries only one does.
func (db *DB) ClaimIdempotencyKey(ctx context.Context, scope, key, hash string) (*vidivo.StoredResponse, error) {
	var stored *vidivo.StoredResponse
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		q := db.d.rebind(`DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND created_at < ?`)
		if _, err := tx.ExecContext(ctx, q, scope, key, ts(now.Add(-vidivo.IdempotencyTTL))); err != nil {
			return err
		}
		var (
			gotHash string
			status  int
			body    []byte
			claimed scanTime
		)
		q = db.d.rebind(`SELECT request_hash, status, body, created_at FROM idempotency_keys WHERE scope = ? AND key = ?` + db.d.forUpdate())
		err := tx.QueryRowContext(ctx, q, scope, key).Scan(&gotHash, &status, &body, &claimed)
		switch {
		case errNoRows(err):
			q = db.d.rebind(`INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES (?, ?, ?, ?)`)
			_, err = tx.ExecContext(ctx, q, scope, key, hash, ts(now))
			if _, dup := db.d.uniqueViolation(err); dup {
				return vidivo.Errorf(vidivo.ECONFLICT, "a request with this idempotency key is in progress")
			}
			return err
		case err != nil:
			return err
		case gotHash != hash:
			return vidivo.Errorf(vidivo.ECONFLICT, "this idempotency key was used with a different request")
		case status == 0 && claimed.Time.After(now.Add(-vidivo.IdempotencyLease)):
			return vidivo.Errorf(vidivo.ECONFLICT, "a request with this idempotency key is in progress")
		case status == 0:
			return db.takeOverClaim(ctx, tx, scope, key, claimed.Time, now)
		}
		stored = &vidivo.StoredResponse{Status: status, Body: body}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqldb: claim idempotency key: %w", err)
	}
	return stored, nil
}

// takeOverClaim renews a claim whose lease ran out, if no one else renewed
// it first.
func (db *DB) takeOverClaim(ctx context.Context, tx *sql.Tx, scope, key string, claimed, now time.Time) error {
	q := db.d.rebind(`UPDATE idempotency_keys SET created_at = ? WHERE scope = ? AND key = ? AND status = 0 AND created_at = ?`)
	res, err := tx.ExecContext(ctx, q, ts(now), scope, key, ts(claimed))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return vidivo.Errorf(vidivo.ECONFLICT, "a request with this idempotency key is in progress")
	}
	return nil
}

// CompleteIdempotencyKey implements vidivo.IdempotencyStore.
func (db *DB) CompleteIdempotencyKey(ctx context.Context, scope, key string, resp vidivo.StoredResponse) error {
	q := db.d.rebind(`UPDATE idempotency_keys SET status = ?, body = ? WHERE scope = ? AND key = ?`)
	if _, err := db.db.ExecContext(ctx, q, resp.Status, resp.Body, scope, key); err != nil {
		return fmt.Errorf("sqldb: complete idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey implements vidivo.IdempotencyStore.
func (db *DB) ReleaseIdempotencyKey(ctx context.Context, scope, key string) error {
	q := db.d.rebind(`DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status = 0`)
	if _, err := db.db.ExecContext(ctx, q, scope, key); err != nil {
		return fmt.Errorf("sqldb: release idempotency key: %w", err)
	}
	return nil
}
