package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/vidivo/vidivo"
)

var _ vidivo.ScheduledEventStore = (*DB)(nil)

// ScheduledEvents implements vidivo.ScheduledEventStore. Pages are keyset
// pages on (starts_at, id): a page's last row is the next page's key, so
// bookings made or canceled meanwhile never shift rows between pages.
// It reads one row beyond the limit to know whether more follow.
func (db *DB) ScheduledEvents(ctx context.Context, f vidivo.EventFilter) (*vidivo.EventPage, error) {
	if len(f.HostIDs) == 0 && f.GuestID == "" {
		return &vidivo.EventPage{}, nil
	}
	var (
		where []string
		args  []any
	)
	who := make([]string, 0, 2)
	if len(f.HostIDs) > 0 {
		who = append(who, "host_id IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.HostIDs)), ", ")+")")
		for _, id := range f.HostIDs {
			args = append(args, id)
		}
	}
	if f.GuestID != "" {
		who = append(who, "guest_id = ?")
		args = append(args, f.GuestID)
	}
	where = append(where, "("+strings.Join(who, " OR ")+")")
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if !f.MinStart.IsZero() {
		where, args = append(where, "starts_at >= ?"), append(args, ts(f.MinStart))
	}
	if !f.MaxStart.IsZero() {
		where, args = append(where, "starts_at < ?"), append(args, ts(f.MaxStart))
	}
	// Reading backward walks the sort order in reverse from the key, then
	// turns the rows round.
	desc := f.Desc != f.Backward
	if f.After != nil {
		op := ">"
		if desc {
			op = "<"
		}
		where = append(where, "(starts_at "+op+" ? OR (starts_at = ? AND id "+op+" ?))")
		args = append(args, ts(f.After.StartsAt), ts(f.After.StartsAt), f.After.ID)
	}
	order := "starts_at ASC, id ASC"
	if desc {
		order = "starts_at DESC, id DESC"
	}
	q := db.d.rebind(`SELECT ` + bookingColumns + ` FROM scheduled_calls WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + order + ` LIMIT ?`)
	calls, err := db.queryBookings(ctx, q, append(args, f.Limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: scheduled events: %w", err)
	}
	page := &vidivo.EventPage{Calls: calls, More: len(calls) > f.Limit}
	if page.More {
		page.Calls = calls[:f.Limit]
	}
	if f.Backward {
		slices.Reverse(page.Calls)
	}
	return page, nil
}

// RescheduleLinks implements vidivo.ScheduledEventStore.
func (db *DB) RescheduleLinks(ctx context.Context, id string) (from, to string, err error) {
	var next, prev sql.NullString
	q := db.d.rebind(`SELECT s.rescheduled_to, (SELECT p.id FROM scheduled_calls p WHERE p.rescheduled_to = s.id)
		FROM scheduled_calls s WHERE s.id = ?`)
	err = db.db.QueryRowContext(ctx, q, id).Scan(&next, &prev)
	if errNoRows(err) {
		return "", "", vidivo.Errorf(vidivo.ENOTFOUND, "scheduled event not found")
	}
	if err != nil {
		return "", "", fmt.Errorf("sqldb: reschedule links: %w", err)
	}
	return prev.String, next.String, nil
}

// linkReschedule records, in the reschedule's transaction, that next
// replaced old (migration 0011).
func (db *DB) linkReschedule(ctx context.Context, tx *sql.Tx, oldID, nextID string) error {
	q := db.d.rebind(`UPDATE scheduled_calls SET rescheduled_to = ? WHERE id = ?`)
	if _, err := tx.ExecContext(ctx, q, nextID, oldID); err != nil {
		return fmt.Errorf("link reschedule: %w", err)
	}
	return nil
}
