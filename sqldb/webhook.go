package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
)

var _ vidivo.WebhookStore = (*DB)(nil)

const subscriptionColumns = `id, callback_url, events, scope, organization_id, user_id, creator_id, signing_key, state,
	retry_started_at, created_at, updated_at`

// ownerKey names whose subscription s is: one per URL and owner.
func ownerKey(s *vidivo.WebhookSubscription) string {
	if s.Scope == vidivo.WebhookScopeOrganization {
		return "organization:" + s.OrganizationID
	}
	return "user:" + s.UserID
}

// CreateWebhookSubscription implements vidivo.WebhookStore. The cap is
// counted inside the transaction; on PostgreSQL the creator's row is
// locked first, so two racing creates cannot both pass it.
func (db *DB) CreateWebhookSubscription(ctx context.Context, s *vidivo.WebhookSubscription) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		var id string
		if err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT id FROM users WHERE id = ?`+db.d.forUpdate()), s.CreatorID).Scan(&id); err != nil {
			return err
		}
		var n int
		q := db.d.rebind(`SELECT count(*) FROM webhook_subscriptions WHERE creator_id = ?`)
		if err := tx.QueryRowContext(ctx, q, s.CreatorID).Scan(&n); err != nil {
			return err
		}
		if n >= vidivo.MaxWebhookSubscriptions {
			return vidivo.Errorf(vidivo.ECONFLICT, "you have %d webhook subscriptions, the most allowed; delete one first", n)
		}
		s.ID, s.State, s.CreatedAt, s.UpdatedAt = newID(now), vidivo.WebhookActive, now, now
		q = db.d.rebind(`INSERT INTO webhook_subscriptions (id, callback_url, events, scope, organization_id, user_id,
			creator_id, owner_key, signing_key, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		_, err := tx.ExecContext(ctx, q, s.ID, s.URL, vidivo.JoinEvents(s.Events), string(s.Scope), orNull(s.OrganizationID),
			orNull(s.UserID), s.CreatorID, ownerKey(s), s.SigningKey, string(s.State), ts(now), ts(now))
		if _, dup := db.d.uniqueViolation(err); dup {
			return vidivo.Errorf(vidivo.ECONFLICT, "a webhook subscription to this url already exists in this scope")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqldb: create webhook subscription: %w", err)
	}
	return nil
}

// WebhookSubscription implements vidivo.WebhookStore.
func (db *DB) WebhookSubscription(ctx context.Context, id string) (*vidivo.WebhookSubscription, error) {
	q := db.d.rebind(`SELECT ` + subscriptionColumns + ` FROM webhook_subscriptions WHERE id = ?`)
	s, err := scanSubscription(db.db.QueryRowContext(ctx, q, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: webhook subscription: %w", err)
	}
	return s, nil
}

// WebhookSubscriptions implements vidivo.WebhookStore.
func (db *DB) WebhookSubscriptions(ctx context.Context, f vidivo.WebhookFilter) ([]*vidivo.WebhookSubscription, bool, error) {
	where, args := `scope = ?`, []any{string(f.Scope)}
	if f.Scope == vidivo.WebhookScopeOrganization {
		where, args = where+` AND organization_id = ?`, append(args, f.OrganizationID)
	} else {
		where, args = where+` AND user_id = ?`, append(args, f.UserID)
	}
	if f.Before != "" {
		where, args = where+` AND id < ?`, append(args, f.Before)
	}
	q := db.d.rebind(`SELECT ` + subscriptionColumns + ` FROM webhook_subscriptions WHERE ` + where + ` ORDER BY id DESC LIMIT ?`)
	out, err := db.querySubscriptions(ctx, q, append(args, f.Limit+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("sqldb: webhook subscriptions: %w", err)
	}
	if len(out) > f.Limit {
		return out[:f.Limit], true, nil
	}
	return out, false, nil
}

// SubscriptionsFor implements vidivo.WebhookStore.
func (db *DB) SubscriptionsFor(ctx context.Context, userID, orgID string) ([]*vidivo.WebhookSubscription, error) {
	q := db.d.rebind(`SELECT ` + subscriptionColumns + ` FROM webhook_subscriptions WHERE state = 'active'
		AND (user_id = ? OR organization_id = ?) ORDER BY id`)
	org := any(nil)
	if orgID != "" {
		org = orgID
	}
	out, err := db.querySubscriptions(ctx, q, userID, org)
	if err != nil {
		return nil, fmt.Errorf("sqldb: subscriptions for: %w", err)
	}
	return out, nil
}

// DeleteWebhookSubscription implements vidivo.WebhookStore.
func (db *DB) DeleteWebhookSubscription(ctx context.Context, id string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.d.rebind(`DELETE FROM webhook_deliveries WHERE subscription_id = ?`), id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.d.rebind(`DELETE FROM webhook_subscriptions WHERE id = ?`), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return vidivo.Errorf(vidivo.ENOTFOUND, "webhook subscription not found")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqldb: delete webhook subscription: %w", err)
	}
	return nil
}

func (db *DB) querySubscriptions(ctx context.Context, q string, args ...any) ([]*vidivo.WebhookSubscription, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*vidivo.WebhookSubscription
	for rows.Next() {
		s, err := scanSubscription(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func scanSubscription(row scanner) (*vidivo.WebhookSubscription, error) {
	var (
		s                    vidivo.WebhookSubscription
		events, scope, state string
		org, user            sql.NullString
		retry, created, upd  scanTime
	)
	err := row.Scan(&s.ID, &s.URL, &events, &scope, &org, &user, &s.CreatorID, &s.SigningKey, &state, &retry, &created, &upd)
	if err != nil {
		if errNoRows(err) {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "webhook subscription not found")
		}
		return nil, err
	}
	s.Events, s.Scope, s.State = vidivo.SplitEvents(events), vidivo.WebhookScope(scope), vidivo.WebhookState(state)
	s.OrganizationID, s.UserID = org.String, user.String
	s.RetryStartedAt, s.CreatedAt, s.UpdatedAt = retry.ptr(), created.Time, upd.Time
	return &s, nil
}

// kickWebhooks enqueues a fan-out in tx when tx (or an earlier one) left
// an outbox event of subject pending: the trigger of migration 0012 wrote
// it, and the job starts its delivery as soon as tx commits instead of at
// the next sweep. Without a job queue the sweep alone fans out. The
// webhook jobs inserted here have no run time: River takes any time, even
// now, as a scheduled job that its scheduler releases only every few
// seconds, while a job without one is available at once.
func (db *DB) kickWebhooks(ctx context.Context, tx *sql.Tx, subjectID string) error {
	if db.jobs == nil {
		return nil
	}
	var pending bool
	q := db.d.rebind(`SELECT EXISTS (SELECT 1 FROM webhook_events WHERE subject_id = ? AND fanned_out_at IS NULL)`)
	if err := tx.QueryRowContext(ctx, q, subjectID).Scan(&pending); err != nil {
		return fmt.Errorf("webhook events: %w", err)
	}
	if !pending {
		return nil
	}
	return db.enqueue(ctx, tx, []vidivo.ScheduledJob{{Job: vidivo.WebhookFanOutJob{SubjectID: subjectID}}})
}

// PendingWebhookEvents implements vidivo.WebhookStore.
func (db *DB) PendingWebhookEvents(ctx context.Context, subjectID string, limit int) ([]*vidivo.WebhookEvent, error) {
	where, args := `fanned_out_at IS NULL`, []any{}
	if subjectID != "" {
		where, args = where+` AND subject_id = ?`, append(args, subjectID)
	}
	q := db.d.rebind(`SELECT id, event, subject_id, host_id, created_at FROM webhook_events
		WHERE ` + where + ` ORDER BY id LIMIT ?`)
	rows, err := db.db.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: pending webhook events: %w", err)
	}
	defer rows.Close()
	var out []*vidivo.WebhookEvent
	for rows.Next() {
		var (
			e       vidivo.WebhookEvent
			created scanTime
		)
		if err := rows.Scan(&e.ID, &e.Event, &e.SubjectID, &e.HostID, &created); err != nil {
			return nil, fmt.Errorf("sqldb: pending webhook events: %w", err)
		}
		e.CreatedAt = created.Time
		out = append(out, &e)
	}
	return out, rows.Err()
}

// FanOutWebhookEvent implements vidivo.WebhookStore. Marking the event is
// the compare-and-set: of two fan-outs of one event only one stores its
// deliveries.
func (db *DB) FanOutWebhookEvent(ctx context.Context, eventID int64, ds []*vidivo.WebhookDelivery) (bool, error) {
	done := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		res, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE webhook_events SET fanned_out_at = ? WHERE id = ? AND fanned_out_at IS NULL`),
			ts(now), eventID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		done = true
		jobs := make([]vidivo.ScheduledJob, 0, len(ds))
		q := db.d.rebind(`INSERT INTO webhook_deliveries (id, subscription_id, event_id, event, body, status, attempts,
			next_attempt_at, created_at, updated_at)
			SELECT ?, id, ?, ?, ?, 'pending', 0, ?, ?, ? FROM webhook_subscriptions WHERE id = ? AND state = 'active'`)
		for _, d := range ds {
			d.ID, d.EventID, d.Status, d.CreatedAt, d.UpdatedAt, d.NextAttempt = newID(now), eventID, vidivo.DeliveryPending, now, now, &now
			res, err := tx.ExecContext(ctx, q, d.ID, eventID, d.Event, string(d.Body), ts(now), ts(now), ts(now), d.SubscriptionID)
			if err != nil {
				return fmt.Errorf("insert delivery: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				jobs = append(jobs, vidivo.ScheduledJob{Job: vidivo.WebhookDeliverJob{DeliveryID: d.ID}})
			}
		}
		return db.enqueue(ctx, tx, jobs)
	})
	if err != nil {
		return false, fmt.Errorf("sqldb: fan out webhook event: %w", err)
	}
	return done, nil
}

const deliveryColumns = `id, subscription_id, event_id, event, body, status, attempts, response_code, duration_ms, error,
	next_attempt_at, created_at, updated_at`

// WebhookDelivery implements vidivo.WebhookStore.
func (db *DB) WebhookDelivery(ctx context.Context, id string) (*vidivo.WebhookDelivery, error) {
	d, err := scanDelivery(db.db.QueryRowContext(ctx, db.d.rebind(`SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: webhook delivery: %w", err)
	}
	return d, nil
}

// WebhookDeliveries implements vidivo.WebhookStore.
func (db *DB) WebhookDeliveries(ctx context.Context, f vidivo.WebhookDeliveryFilter) ([]*vidivo.WebhookDelivery, bool, error) {
	where, args := `subscription_id = ?`, []any{f.SubscriptionID}
	if f.Before != "" {
		where, args = where+` AND id < ?`, append(args, f.Before)
	}
	q := db.d.rebind(`SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE ` + where + ` ORDER BY id DESC LIMIT ?`)
	rows, err := db.db.QueryContext(ctx, q, append(args, f.Limit+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("sqldb: webhook deliveries: %w", err)
	}
	defer rows.Close()
	var out []*vidivo.WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, false, fmt.Errorf("sqldb: webhook deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("sqldb: webhook deliveries: %w", err)
	}
	if len(out) > f.Limit {
		return out[:f.Limit], true, nil
	}
	return out, false, nil
}

// RecordWebhookAttempt implements vidivo.WebhookStore. The delivery's
// update is a compare-and-set on its attempt count: a job run twice (a
// rescued job of a killed process) records its attempt once.
func (db *DB) RecordWebhookAttempt(ctx context.Context, a vidivo.WebhookAttempt) (bool, error) {
	recorded := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		var next any
		if a.Next != nil {
			next = ts(a.Next.RunAt)
		}
		dur := a.Duration.Milliseconds()
		q := db.d.rebind(`UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, response_code = ?, duration_ms = ?,
			error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND attempts = ? AND status = 'pending'
			RETURNING subscription_id`)
		var subID string
		err := tx.QueryRowContext(ctx, q, string(a.Status), a.ResponseCode, dur, a.Error, next, ts(now), a.DeliveryID, a.Attempt).Scan(&subID)
		if errNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		recorded = true
		if err := db.updateSubscriptionHealth(ctx, tx, subID, a); err != nil {
			return err
		}
		if a.Next == nil {
			return nil
		}
		return db.enqueue(ctx, tx, []vidivo.ScheduledJob{*a.Next})
	})
	if err != nil {
		return false, fmt.Errorf("sqldb: record webhook attempt: %w", err)
	}
	return recorded, nil
}

// updateSubscriptionHealth applies an attempt's verdict to its
// subscription. Disabling also fails its other pending deliveries.
func (db *DB) updateSubscriptionHealth(ctx context.Context, tx *sql.Tx, subID string, a vidivo.WebhookAttempt) error {
	at := ts(a.At)
	var q string
	switch {
	case a.Disable:
		q = `UPDATE webhook_subscriptions SET state = 'disabled', retry_started_at = COALESCE(retry_started_at, ?), updated_at = ? WHERE id = ?`
	case a.Failing:
		q = `UPDATE webhook_subscriptions SET retry_started_at = COALESCE(retry_started_at, ?), updated_at = ? WHERE id = ?`
	case a.Healthy:
		q = `UPDATE webhook_subscriptions SET retry_started_at = NULL, updated_at = ? WHERE id = ? AND retry_started_at IS NOT NULL`
		_, err := tx.ExecContext(ctx, db.d.rebind(q), at, subID)
		return err
	default:
		return nil
	}
	if _, err := tx.ExecContext(ctx, db.d.rebind(q), at, at, subID); err != nil {
		return err
	}
	if !a.Disable {
		return nil
	}
	_, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL,
		error = 'the subscription was disabled', updated_at = ? WHERE subscription_id = ? AND status = 'pending'`), at, subID)
	return err
}

// PruneWebhooks implements vidivo.WebhookStore.
func (db *DB) PruneWebhooks(ctx context.Context, before time.Time) error {
	for _, q := range []string{
		`DELETE FROM webhook_events WHERE fanned_out_at IS NOT NULL AND fanned_out_at < ?`,
		`DELETE FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < ?`,
	} {
		if _, err := db.db.ExecContext(ctx, db.d.rebind(q), ts(before)); err != nil {
			return fmt.Errorf("sqldb: prune webhooks: %w", err)
		}
	}
	return nil
}

// RedeliverWebhook implements vidivo.WebhookStore.
func (db *DB) RedeliverWebhook(ctx context.Context, id string, at time.Time) (*vidivo.WebhookDelivery, error) {
	var d *vidivo.WebhookDelivery
	err := db.tx(ctx, func(tx *sql.Tx) error {
		q := db.d.rebind(`UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ?
			WHERE id = ? AND status <> 'pending' RETURNING ` + deliveryColumns)
		var err error
		d, err = scanDelivery(tx.QueryRowContext(ctx, q, ts(at), ts(db.now()), id))
		if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
			return vidivo.Errorf(vidivo.ECONFLICT, "the delivery is still being attempted")
		}
		if err != nil {
			return err
		}
		return db.enqueue(ctx, tx, []vidivo.ScheduledJob{{Job: vidivo.WebhookDeliverJob{DeliveryID: d.ID, Attempt: d.Attempts}}})
	})
	if err != nil {
		return nil, fmt.Errorf("sqldb: redeliver webhook: %w", err)
	}
	return d, nil
}

func scanDelivery(row scanner) (*vidivo.WebhookDelivery, error) {
	var (
		d                  vidivo.WebhookDelivery
		body, status       string
		code               sql.NullInt64
		dur                sql.NullInt64
		next, created, upd scanTime
	)
	err := row.Scan(&d.ID, &d.SubscriptionID, &d.EventID, &d.Event, &body, &status, &d.Attempts, &code, &dur, &d.Error,
		&next, &created, &upd)
	if err != nil {
		if errNoRows(err) {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "webhook delivery not found")
		}
		return nil, err
	}
	d.Body, d.Status = []byte(body), vidivo.DeliveryStatus(status)
	if code.Valid {
		c := int(code.Int64)
		d.ResponseCode = &c
	}
	if dur.Valid {
		v := time.Duration(dur.Int64) * time.Millisecond
		d.Duration = &v
	}
	d.NextAttempt, d.CreatedAt, d.UpdatedAt = next.ptr(), created.Time, upd.Time
	return &d, nil
}
