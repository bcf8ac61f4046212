package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
)

var _ vidivo.InviteMailStore = (*DB)(nil)

const inviteMailColumns = `id, method, reason, session_id, participant_id, email, display_name, uid, sequence, status,
	attempts, error, created_at`

// unleased is the condition of a row no sender holds at now.
const unleased = `(claimed_until IS NULL OR claimed_until <= ?)`

// due is the condition of a row whose next attempt has come at now.
const due = `(next_attempt_at IS NULL OR next_attempt_at <= ?)`

// DueInviteMails implements vidivo.InviteMailStore.
func (db *DB) DueInviteMails(ctx context.Context, now time.Time, limit int) ([]*vidivo.InviteMail, error) {
	q := db.d.rebind(`SELECT ` + inviteMailColumns + ` FROM mail_outbox
		WHERE status = 'pending' AND ` + due + ` AND ` + unleased + ` ORDER BY id LIMIT ?`)
	out, err := db.queryInviteMails(ctx, q, ts(now), ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: due invite mails: %w", err)
	}
	return out, nil
}

// InviteMails implements vidivo.InviteMailStore.
func (db *DB) InviteMails(ctx context.Context, sessionID string) ([]*vidivo.InviteMail, error) {
	q := db.d.rebind(`SELECT ` + inviteMailColumns + ` FROM mail_outbox WHERE session_id = ? ORDER BY id`)
	out, err := db.queryInviteMails(ctx, q, sessionID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: invite mails: %w", err)
	}
	return out, nil
}

// SupersedeInviteMails implements vidivo.InviteMailStore. It runs in
// two steps: earlier rows of an event give way to its latest, then a
// cancellation of an event nobody was sent (no earlier row sent, nor one
// being sent) is skipped: a participant added and removed, or a session
// created and canceled, between two drains hears nothing.
func (db *DB) SupersedeInviteMails(ctx context.Context, now time.Time) (int, error) {
	q := db.d.rebind(`UPDATE mail_outbox SET status = 'superseded', done_at = ?, claimed_until = NULL
		WHERE status = 'pending' AND ` + unleased + ` AND EXISTS (SELECT 1 FROM mail_outbox later
			WHERE later.uid = mail_outbox.uid AND later.id > mail_outbox.id)`)
	res, err := db.db.ExecContext(ctx, q, ts(now), ts(now))
	if err != nil {
		return 0, fmt.Errorf("sqldb: supersede invite mails: %w", err)
	}
	n, _ := res.RowsAffected()
	q = db.d.rebind(`UPDATE mail_outbox SET status = 'skipped', error = 'no invitation of this event was sent', done_at = ?
		WHERE status = 'pending' AND method = 'CANCEL' AND attempts = 0 AND ` + unleased + `
			AND NOT EXISTS (SELECT 1 FROM mail_outbox earlier WHERE earlier.uid = mail_outbox.uid
				AND earlier.id < mail_outbox.id AND earlier.status IN ('sent', 'pending'))`)
	res, err = db.db.ExecContext(ctx, q, ts(now), ts(now))
	if err != nil {
		return 0, fmt.Errorf("sqldb: skip unneeded cancellations: %w", err)
	}
	m, _ := res.RowsAffected()
	return int(n + m), nil
}

// ClaimInviteMail implements vidivo.InviteMailStore. The update is the
// compare-and-set: of two senders only one sees a row affected.
func (db *DB) ClaimInviteMail(ctx context.Context, id int64, now, until time.Time) (bool, error) {
	q := db.d.rebind(`UPDATE mail_outbox SET claimed_until = ?, attempts = attempts + 1
		WHERE id = ? AND status = 'pending' AND ` + due + ` AND ` + unleased + `
			AND NOT EXISTS (SELECT 1 FROM mail_outbox later WHERE later.uid = mail_outbox.uid AND later.id > mail_outbox.id)`)
	res, err := db.db.ExecContext(ctx, q, ts(until), id, ts(now), ts(now))
	if err != nil {
		return false, fmt.Errorf("sqldb: claim invite mail: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FinishInviteMail implements vidivo.InviteMailStore.
func (db *DB) FinishInviteMail(ctx context.Context, id int64, status, errText string, now time.Time) (bool, error) {
	q := db.d.rebind(`UPDATE mail_outbox SET status = ?, error = ?, done_at = ?, claimed_until = NULL
		WHERE id = ? AND status = 'pending'`)
	res, err := db.db.ExecContext(ctx, q, status, errText, ts(now), id)
	if err != nil {
		return false, fmt.Errorf("sqldb: finish invite mail: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RetryInviteMail implements vidivo.InviteMailStore.
func (db *DB) RetryInviteMail(ctx context.Context, id int64, at time.Time, errText string) error {
	q := db.d.rebind(`UPDATE mail_outbox SET next_attempt_at = ?, error = ?, claimed_until = NULL
		WHERE id = ? AND status = 'pending'`)
	if _, err := db.db.ExecContext(ctx, q, ts(at), errText, id); err != nil {
		return fmt.Errorf("sqldb: retry invite mail: %w", err)
	}
	return nil
}

// SkipInviteMails implements vidivo.InviteMailStore.
func (db *DB) SkipInviteMails(ctx context.Context, now time.Time) (int, error) {
	q := db.d.rebind(`UPDATE mail_outbox SET status = 'skipped', error = 'no mail server configured', done_at = ?
		WHERE status = 'pending'`)
	res, err := db.db.ExecContext(ctx, q, ts(now))
	if err != nil {
		return 0, fmt.Errorf("sqldb: skip invite mails: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (db *DB) queryInviteMails(ctx context.Context, q string, args ...any) ([]*vidivo.InviteMail, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*vidivo.InviteMail
	for rows.Next() {
		m, err := scanInviteMail(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func scanInviteMail(row rowScanner) (*vidivo.InviteMail, error) {
	var (
		m       vidivo.InviteMail
		created scanTime
	)
	err := row.Scan(&m.ID, &m.Method, &m.Reason, &m.SessionID, &m.ParticipantID, &m.Email, &m.Name, &m.UID,
		&m.Sequence, &m.Status, &m.Attempts, &m.Error, &created)
	if err != nil {
		return nil, err
	}
	m.CreatedAt = created.Time
	return &m, nil
}
