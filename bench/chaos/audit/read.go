package audit

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The rows the audit reads, straight from the service's tables: the calls,
// the ledger (call_charges) and the sandbox gateway's own books
// (sandbox_holds, sandbox_ops). Nothing goes through the service's code,
// so a bug there cannot hide itself from the audit.

type call struct {
	id, status      string
	rateCents       int64
	windowMinutes   int64
	windows         int64
	createdAt       time.Time
	scheduledAt     *time.Time
	activeAt        *time.Time
	endedAt         *time.Time
	durationSeconds int64
	billedMinutes   int64
	totalCents      int64
}

func (c *call) ended() bool {
	return c.status == "completed" || c.status == "missed" || c.status == "failed"
}

// covered is the end of the time the call's recorded windows pay for.
func (c *call) covered() time.Time {
	return c.activeAt.Add(time.Duration(c.windows*c.windowMinutes) * time.Minute)
}

// noShowDeadline mirrors vidivo.Call.NoShowDeadline: five minutes after
// the guest came, or after the booked start if that is later.
func (c *call) noShowDeadline() time.Time {
	d := c.createdAt.Add(noShowAfter)
	if c.scheduledAt != nil && c.scheduledAt.Add(noShowAfter).After(d) {
		d = c.scheduledAt.Add(noShowAfter)
	}
	return d
}

const noShowAfter = 5 * time.Minute

type charge struct {
	id, callID, kind   string
	window             int64
	amountCents        int64
	gatewayID, key     string
	state              string
	createdAt, updated time.Time
}

func (ch *charge) String() string {
	gw := ch.gatewayID
	if gw == "" {
		gw = "-"
	}
	return fmt.Sprintf("%s/%d %s %s %s key=%s", ch.kind, ch.window, cents(ch.amountCents), ch.state, gw, ch.key)
}

type hold struct {
	id, key       string
	amountCents   int64
	capturedCents int64
	status        string
}

type op struct {
	key, holdID, op string
	amountCents     int64
}

// books is everything the audit reads.
type books struct {
	calls   []*call
	charges []*charge
	holds   []*hold
	ops     []*op
}

func read(ctx context.Context, db *sql.DB) (*books, error) {
	var b books
	err := each(ctx, db, `SELECT id, status, rate_cents, window_minutes, windows, created_at, scheduled_at, active_at,
		ended_at, duration_seconds, billed_minutes, total_cents FROM calls ORDER BY id`, func(rows *sql.Rows) error {
		var (
			c                          call
			created                    stamp
			scheduled, active, endedAt stamp
		)
		err := rows.Scan(&c.id, &c.status, &c.rateCents, &c.windowMinutes, &c.windows, &created, &scheduled, &active,
			&endedAt, &c.durationSeconds, &c.billedMinutes, &c.totalCents)
		c.createdAt, c.scheduledAt, c.activeAt, c.endedAt = created.t, scheduled.ptr(), active.ptr(), endedAt.ptr()
		b.calls = append(b.calls, &c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: read calls: %w", err)
	}
	err = each(ctx, db, `SELECT id, call_id, kind, window_index, amount_cents, gateway_id, idempotency_key, state,
		created_at, updated_at FROM call_charges ORDER BY call_id, created_at, id`, func(rows *sql.Rows) error {
		var (
			ch               charge
			created, updated stamp
		)
		err := rows.Scan(&ch.id, &ch.callID, &ch.kind, &ch.window, &ch.amountCents, &ch.gatewayID, &ch.key, &ch.state,
			&created, &updated)
		ch.createdAt, ch.updated = created.t, updated.t
		b.charges = append(b.charges, &ch)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: read ledger: %w", err)
	}
	err = each(ctx, db, `SELECT id, idempotency_key, amount_cents, captured_cents, status FROM sandbox_holds ORDER BY id`,
		func(rows *sql.Rows) error {
			var h hold
			err := rows.Scan(&h.id, &h.key, &h.amountCents, &h.capturedCents, &h.status)
			b.holds = append(b.holds, &h)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("audit: read sandbox holds: %w", err)
	}
	err = each(ctx, db, `SELECT idempotency_key, hold_id, op, amount_cents FROM sandbox_ops ORDER BY idempotency_key`,
		func(rows *sql.Rows) error {
			var o op
			err := rows.Scan(&o.key, &o.holdID, &o.op, &o.amountCents)
			b.ops = append(b.ops, &o)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("audit: read sandbox ops: %w", err)
	}
	return &b, nil
}

func each(ctx context.Context, db *sql.DB, q string, fn func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// stamp scans a timestamp column of either engine: time.Time from
// PostgreSQL, RFC 3339 text from SQLite; NULL leaves ok false.
type stamp struct {
	t  time.Time
	ok bool
}

func (s *stamp) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s = stamp{}
		return nil
	case time.Time:
		*s = stamp{v.UTC(), true}
		return nil
	case []byte:
		src = string(v)
	}
	str, isStr := src.(string)
	if !isStr {
		return fmt.Errorf("audit: cannot scan %T into a time", src)
	}
	t, err := time.Parse(time.RFC3339Nano, str)
	if err != nil {
		return fmt.Errorf("audit: bad stored time %q: %w", str, err)
	}
	*s = stamp{t.UTC(), true}
	return nil
}

func (s stamp) ptr() *time.Time {
	if !s.ok {
		return nil
	}
	t := s.t
	return &t
}

// cents formats an amount of cents as dollars, "2.50".
func cents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return sign + strconv.FormatInt(c/100, 10) + "." + fmt.Sprintf("%02d", c%100)
}

// ledgerLine is a call's ledger on one line, for violation reports.
func ledgerLine(rows []*charge) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = r.String()
	}
	return strings.Join(parts, "; ")
}
