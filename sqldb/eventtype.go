package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/vidivo/vidivo"
)

var _ vidivo.EventTypeStore = (*DB)(nil)

const eventTypeColumns = `id, host_id, name, slug, duration_minutes, active, created_at, updated_at`

// CreateEventType implements vidivo.EventTypeStore. The host's row is
// locked first, so two creations for one host cannot both pass the count.
func (db *DB) CreateEventType(ctx context.Context, e *vidivo.EventType) error {
	now := db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var id string
		q := db.d.rebind(`SELECT id FROM users WHERE id = ?` + db.d.forUpdate())
		if err := tx.QueryRowContext(ctx, q, e.HostID).Scan(&id); err != nil {
			if errNoRows(err) {
				return vidivo.Errorf(vidivo.ENOTFOUND, "host not found")
			}
			return err
		}
		var n int
		q = db.d.rebind(`SELECT count(*) FROM event_types WHERE host_id = ?`)
		if err := tx.QueryRowContext(ctx, q, e.HostID).Scan(&n); err != nil {
			return err
		}
		if n >= vidivo.MaxEventTypesPerHost {
			return vidivo.Errorf(vidivo.ECONFLICT, "a host can have at most %d event types", vidivo.MaxEventTypesPerHost)
		}
		q = db.d.rebind(`INSERT INTO event_types (id, host_id, name, slug, duration_minutes, active, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		id = newID(now)
		if _, err := tx.ExecContext(ctx, q, id, e.HostID, e.Name, e.Slug, e.DurationMinutes, e.Active, ts(now), ts(now)); err != nil {
			return db.slugConflict(err)
		}
		e.ID, e.CreatedAt, e.UpdatedAt = id, now, now
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqldb: create event type: %w", err)
	}
	return nil
}

// slugConflict turns the unique violation of (host_id, slug) into
// ECONFLICT naming slug.
func (db *DB) slugConflict(err error) error {
	if constraint, ok := db.d.uniqueViolation(err); ok && strings.Contains(constraint, "slug") {
		return &vidivo.Error{Code: vidivo.ECONFLICT, Message: "you already have an event type with this slug",
			Details: []vidivo.FieldError{{Field: "slug", Issue: "is taken"}}}
	}
	return err
}

// EventType implements vidivo.EventTypeStore.
func (db *DB) EventType(ctx context.Context, id string) (*vidivo.EventType, error) {
	q := db.d.rebind(`SELECT ` + eventTypeColumns + ` FROM event_types WHERE id = ?`)
	e, err := scanEventType(db.db.QueryRowContext(ctx, q, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: event type: %w", err)
	}
	return e, nil
}

// EventTypeBySlug implements vidivo.EventTypeStore.
func (db *DB) EventTypeBySlug(ctx context.Context, hostID, slug string) (*vidivo.EventType, error) {
	q := db.d.rebind(`SELECT ` + eventTypeColumns + ` FROM event_types WHERE host_id = ? AND slug = ?`)
	e, err := scanEventType(db.db.QueryRowContext(ctx, q, hostID, slug))
	if err != nil {
		return nil, fmt.Errorf("sqldb: event type by slug: %w", err)
	}
	return e, nil
}

// EventTypes implements vidivo.EventTypeStore. Ids are ULIDs, so id order
// is creation order.
func (db *DB) EventTypes(ctx context.Context, hostID string, active *bool) ([]*vidivo.EventType, error) {
	where, args := "host_id = ?", []any{hostID}
	if active != nil {
		where, args = where+" AND active = ?", append(args, *active)
	}
	q := db.d.rebind(`SELECT ` + eventTypeColumns + ` FROM event_types WHERE ` + where + ` ORDER BY id`)
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: event types: %w", err)
	}
	defer rows.Close()
	out := []*vidivo.EventType{}
	for rows.Next() {
		e, err := scanEventType(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: event types: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: event types: %w", err)
	}
	return out, nil
}

// UpdateEventType implements vidivo.EventTypeStore.
func (db *DB) UpdateEventType(ctx context.Context, id string, upd vidivo.EventTypeUpdate) (*vidivo.EventType, error) {
	sets := []string{"updated_at = ?"}
	args := []any{ts(db.now())}
	if upd.Name != nil {
		sets, args = append(sets, "name = ?"), append(args, *upd.Name)
	}
	if upd.Slug != nil {
		sets, args = append(sets, "slug = ?"), append(args, *upd.Slug)
	}
	if upd.DurationMinutes != nil {
		sets, args = append(sets, "duration_minutes = ?"), append(args, *upd.DurationMinutes)
	}
	if upd.Active != nil {
		sets, args = append(sets, "active = ?"), append(args, *upd.Active)
	}
	q := db.d.rebind(`UPDATE event_types SET ` + strings.Join(sets, ", ") + ` WHERE id = ? RETURNING ` + eventTypeColumns)
	e, err := scanEventType(db.db.QueryRowContext(ctx, q, append(args, id)...))
	if err != nil {
		return nil, fmt.Errorf("sqldb: update event type: %w", db.slugConflict(err))
	}
	return e, nil
}

// scanEventType reads eventTypeColumns from row. A missing row is
// ENOTFOUND.
func scanEventType(row scanner) (*vidivo.EventType, error) {
	var (
		e                vidivo.EventType
		created, updated scanTime
	)
	err := row.Scan(&e.ID, &e.HostID, &e.Name, &e.Slug, &e.DurationMinutes, &e.Active, &created, &updated)
	if err != nil {
		if errNoRows(err) {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "event type not found")
		}
		return nil, err
	}
	e.CreatedAt, e.UpdatedAt = created.Time, updated.Time
	return &e, nil
}
