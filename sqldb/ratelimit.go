package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// takeToken is the whole of a token bucket's check and spend, in one
// statement so that concurrent instances never both take the last token:
// a new bucket starts full; an existing one takes a token only when its
// theoretical arrival time, pushed by one interval, stays within burst
// intervals of now. Parameters: key, first tat, now, now, interval, limit.
const takeToken = `INSERT INTO rate_limits (key, tat) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET tat = (CASE WHEN rate_limits.tat > ? THEN rate_limits.tat ELSE ? END) + ?
WHERE (CASE WHEN rate_limits.tat > ? THEN rate_limits.tat ELSE ? END) + ? <= ?
RETURNING tat`

// TakeToken takes one token from key's bucket at now (ratelimit.Store): the
// bucket refills one token every interval and holds at most burst. When
// none is left it takes nothing and reports how long until one will be.
func (db *DB) TakeToken(ctx context.Context, key string, now time.Time, interval time.Duration, burst int) (bool, time.Duration, error) {
	if interval <= 0 || burst < 1 {
		return false, 0, fmt.Errorf("sqldb: take token: interval %v and burst %d must be positive", interval, burst)
	}
	t, iv := now.UnixMicro(), max(interval.Microseconds(), 1)
	limit := t + int64(burst)*iv
	var tat int64
	err := db.db.QueryRowContext(ctx, db.d.rebind(takeToken), key, t+iv, t, t, iv, t, t, iv, limit).Scan(&tat)
	if err == nil {
		return true, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, 0, fmt.Errorf("sqldb: take token: %w", err)
	}
	// Refused: the bucket's tat tells when the next token comes.
	err = db.db.QueryRowContext(ctx, db.d.rebind(`SELECT tat FROM rate_limits WHERE key = ?`), key).Scan(&tat)
	if errors.Is(err, sql.ErrNoRows) {
		return false, 0, nil // pruned meanwhile: full again
	}
	if err != nil {
		return false, 0, fmt.Errorf("sqldb: take token: %w", err)
	}
	wait := time.Duration(tat+iv-limit) * time.Microsecond
	return false, max(wait, 0), nil
}

// PruneRateLimits forgets the token buckets that are full at now
// (ratelimit.Store): they are indistinguishable from buckets never used.
func (db *DB) PruneRateLimits(ctx context.Context, now time.Time) error {
	if _, err := db.db.ExecContext(ctx, db.d.rebind(`DELETE FROM rate_limits WHERE tat <= ?`), now.UnixMicro()); err != nil {
		return fmt.Errorf("sqldb: prune rate limits: %w", err)
	}
	return nil
}
