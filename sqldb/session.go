package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
)

var _ vidivo.SessionStore = (*DB)(nil)

const (
	sessionColumns = `id, name, picture, host_id, start_time, end_time, state, sequence, started_at, ended_at,
		canceled_at, created_at, updated_at`
	participantColumns = `id, session_id, display_name, email, role, user_id, fee_cents, token_hash, entry_salt,
		join_generation, created_at`
	paymentColumns = `id, session_id, participant_id, host_id, attempt, status, amount_cents, platform_fee_cents,
		host_payout_cents, hold_id, paid_at, refunded_at, created_at`
)

// errSessionFull is the six-participant cap the database's trigger
// enforces.
var errSessionFull = vidivo.Errorf(vidivo.ECONFLICT, "a session has at most %d participants", vidivo.MaxSessionParticipants)

// sessionFull turns the cap trigger's error into errSessionFull.
func sessionFull(err error) error {
	if err != nil && strings.Contains(err.Error(), "session_full") {
		return errSessionFull
	}
	return err
}

// CreateSession implements vidivo.SessionStore.
func (db *DB) CreateSession(ctx context.Context, s *vidivo.Session) error {
	now := db.now()
	s.CreatedAt, s.UpdatedAt = now, now
	err := db.tx(ctx, func(tx *sql.Tx) error {
		q := db.d.rebind(`INSERT INTO sessions (id, name, picture, host_id, start_time, end_time, state, sequence,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if _, err := tx.ExecContext(ctx, q, s.ID, s.Name, s.Picture, s.HostID, ts(s.StartTime), ts(s.EndTime),
			string(s.State), s.Sequence, ts(now), ts(now)); err != nil {
			return err
		}
		for _, p := range s.Participants {
			p.CreatedAt = now
			if err := db.insertParticipant(ctx, tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqldb: create session: %w", sessionFull(err))
	}
	return nil
}

func (db *DB) insertParticipant(ctx context.Context, tx *sql.Tx, p *vidivo.SessionParticipant) error {
	q := db.d.rebind(`INSERT INTO session_participants (id, session_id, display_name, email, role, user_id,
		fee_cents, token_hash, entry_salt, join_generation, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`)
	_, err := tx.ExecContext(ctx, q, p.ID, p.SessionID, p.DisplayName, p.Email, string(p.Role), nullString(p.UserID),
		int64(p.Fee), p.TokenHash, p.EntrySalt, ts(p.CreatedAt))
	return err
}

// Session implements vidivo.SessionStore.
func (db *DB) Session(ctx context.Context, id string) (*vidivo.Session, error) {
	q := db.d.rebind(`SELECT ` + sessionColumns + ` FROM sessions WHERE id = ?`)
	s, err := scanSession(db.db.QueryRowContext(ctx, q, id))
	if errNoRows(err) {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "no such session")
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: session: %w", err)
	}
	if err := db.loadParticipants(ctx, s); err != nil {
		return nil, fmt.Errorf("sqldb: session participants: %w", err)
	}
	return s, nil
}

type rowScanner interface{ Scan(dest ...any) error }

func scanSession(row rowScanner) (*vidivo.Session, error) {
	var (
		s                              vidivo.Session
		state                          string
		start, end, created, updated   scanTime
		startedAt, endedAt, canceledAt scanTime
	)
	err := row.Scan(&s.ID, &s.Name, &s.Picture, &s.HostID, &start, &end, &state, &s.Sequence, &startedAt, &endedAt,
		&canceledAt, &created, &updated)
	if err != nil {
		return nil, err
	}
	s.State = vidivo.SessionState(state)
	s.StartTime, s.EndTime, s.CreatedAt, s.UpdatedAt = start.Time, end.Time, created.Time, updated.Time
	s.StartedAt, s.EndedAt, s.CanceledAt = startedAt.ptr(), endedAt.ptr(), canceledAt.ptr()
	return &s, nil
}

// loadParticipants fills in the session's current participants, in the
// order they were added, with their live payments.
func (db *DB) loadParticipants(ctx context.Context, s *vidivo.Session) error {
	q := db.d.rebind(`SELECT ` + participantColumns + ` FROM session_participants
		WHERE session_id = ? AND removed_at IS NULL ORDER BY created_at, id`)
	rows, err := db.db.QueryContext(ctx, q, s.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	s.Participants = nil
	for rows.Next() {
		p, err := scanParticipant(rows)
		if err != nil {
			return err
		}
		s.Participants = append(s.Participants, p)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	pays, err := db.livePayments(ctx, s.ID)
	if err != nil {
		return err
	}
	for _, p := range s.Participants {
		p.Payment = pays[p.ID]
	}
	return nil
}

func scanParticipant(row rowScanner) (*vidivo.SessionParticipant, error) {
	var (
		p       vidivo.SessionParticipant
		role    string
		userID  sql.NullString
		fee     int64
		created scanTime
	)
	err := row.Scan(&p.ID, &p.SessionID, &p.DisplayName, &p.Email, &role, &userID, &fee, &p.TokenHash, &p.EntrySalt,
		&p.JoinGeneration, &created)
	if err != nil {
		return nil, err
	}
	p.Role, p.UserID, p.Fee, p.CreatedAt = vidivo.ParticipantRole(role), userID.String, vidivo.Money(fee), created.Time
	return &p, nil
}

// livePayments maps each participant of a session to their live
// (pending, captured or refunded) payment.
func (db *DB) livePayments(ctx context.Context, sessionID string) (map[string]*vidivo.SessionPayment, error) {
	q := db.d.rebind(`SELECT ` + paymentColumns + ` FROM session_payments
		WHERE session_id = ? AND status IN ('pending', 'captured', 'refunded')`)
	rows, err := db.db.QueryContext(ctx, q, sessionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*vidivo.SessionPayment{}
	for rows.Next() {
		pay, err := scanPayment(rows)
		if err != nil {
			return nil, err
		}
		out[pay.ParticipantID] = pay
	}
	return out, rows.Err()
}

func scanPayment(row rowScanner) (*vidivo.SessionPayment, error) {
	var (
		p                         vidivo.SessionPayment
		status                    string
		amount, fee, payout       int64
		paidAt, refundedAt, creat scanTime
	)
	err := row.Scan(&p.ID, &p.SessionID, &p.ParticipantID, &p.HostID, &p.Attempt, &status, &amount, &fee, &payout,
		&p.HoldID, &paidAt, &refundedAt, &creat)
	if err != nil {
		return nil, err
	}
	p.Status, p.Amount, p.PlatformFee, p.HostPayout = vidivo.PaymentStatus(status), vidivo.Money(amount), vidivo.Money(fee), vidivo.Money(payout)
	p.PaidAt, p.RefundedAt, p.CreatedAt = paidAt.ptr(), refundedAt.ptr(), creat.Time
	return &p, nil
}

// SessionByEntryToken implements vidivo.SessionStore.
func (db *DB) SessionByEntryToken(ctx context.Context, hash string) (*vidivo.Session, *vidivo.SessionParticipant, error) {
	var sessionID, participantID string
	q := db.d.rebind(`SELECT session_id, id FROM session_participants WHERE token_hash = ? AND removed_at IS NULL`)
	err := db.db.QueryRowContext(ctx, q, hash).Scan(&sessionID, &participantID)
	if errNoRows(err) {
		return nil, nil, vidivo.Errorf(vidivo.ENOTFOUND, "no such session")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sqldb: session by entry token: %w", err)
	}
	s, err := db.Session(ctx, sessionID)
	if err != nil {
		return nil, nil, err
	}
	if p := s.Participant(participantID); p != nil && p.TokenHash == hash {
		return s, p, nil
	}
	// Reissued or removed between the two reads.
	return nil, nil, vidivo.Errorf(vidivo.ENOTFOUND, "no such session")
}

// Sessions implements vidivo.SessionStore.
func (db *DB) Sessions(ctx context.Context, f vidivo.SessionFilter) ([]*vidivo.Session, bool, error) {
	if len(f.UserIDs) == 0 {
		return nil, false, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(f.UserIDs)), ", ")
	var args []any
	for _, id := range f.UserIDs {
		args = append(args, id)
	}
	for _, id := range f.UserIDs {
		args = append(args, id)
	}
	where := `(host_id IN (` + marks + `) OR id IN (SELECT session_id FROM session_participants
		WHERE role = 'host' AND removed_at IS NULL AND user_id IN (` + marks + `)))`
	if !f.Start.IsZero() {
		where += ` AND start_time >= ?`
		args = append(args, ts(f.Start))
	}
	if !f.End.IsZero() {
		where += ` AND start_time < ?`
		args = append(args, ts(f.End))
	}
	if f.After != nil {
		where += ` AND (start_time > ? OR (start_time = ? AND id > ?))`
		args = append(args, ts(f.After.StartTime), ts(f.After.StartTime), f.After.ID)
	}
	q := db.d.rebind(`SELECT ` + sessionColumns + ` FROM sessions WHERE ` + where +
		` ORDER BY start_time, id LIMIT ?`)
	args = append(args, f.Limit+1)
	out, err := db.querySessions(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("sqldb: sessions: %w", err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	for _, s := range out {
		if err := db.loadParticipants(ctx, s); err != nil {
			return nil, false, fmt.Errorf("sqldb: sessions: %w", err)
		}
	}
	return out, more, nil
}

func (db *DB) querySessions(ctx context.Context, q string, args ...any) ([]*vidivo.Session, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*vidivo.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// UpdateSession implements vidivo.SessionStore.
func (db *DB) UpdateSession(ctx context.Context, s *vidivo.Session) error {
	now := db.now()
	q := db.d.rebind(`UPDATE sessions SET name = ?, picture = ?, start_time = ?, end_time = ?, sequence = sequence + 1,
		updated_at = ? WHERE id = ? AND state = 'scheduled'`)
	res, err := db.db.ExecContext(ctx, q, s.Name, s.Picture, ts(s.StartTime), ts(s.EndTime), ts(now), s.ID)
	if err != nil {
		return fmt.Errorf("sqldb: update session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return vidivo.Errorf(vidivo.ECONFLICT, "the session is no longer scheduled")
	}
	s.Sequence++
	s.UpdatedAt = now
	return nil
}

// lockSessionState reads a session's state, locking its row for the rest
// of tx.
func (db *DB) lockSessionState(ctx context.Context, tx *sql.Tx, id string) (vidivo.SessionState, error) {
	var state string
	q := db.d.rebind(`SELECT state FROM sessions WHERE id = ?` + db.d.forUpdate())
	err := tx.QueryRowContext(ctx, q, id).Scan(&state)
	if errNoRows(err) {
		return "", vidivo.Errorf(vidivo.ENOTFOUND, "no such session")
	}
	return vidivo.SessionState(state), err
}

// CancelSession implements vidivo.SessionStore.
func (db *DB) CancelSession(ctx context.Context, id string, at time.Time) (*vidivo.Session, error) {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		state, err := db.lockSessionState(ctx, tx, id)
		switch {
		case err != nil:
			return err
		case state == vidivo.SessionCanceled:
			return nil
		case state != vidivo.SessionScheduled:
			return vidivo.Errorf(vidivo.ECONFLICT, "the session is %s", state)
		}
		q := db.d.rebind(`UPDATE sessions SET state = 'canceled', canceled_at = ?, sequence = sequence + 1,
			updated_at = ? WHERE id = ? AND state = 'scheduled'`)
		_, err = tx.ExecContext(ctx, q, ts(at), ts(db.now()), id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqldb: cancel session: %w", err)
	}
	return db.Session(ctx, id)
}

// AddSessionParticipant implements vidivo.SessionStore.
func (db *DB) AddSessionParticipant(ctx context.Context, p *vidivo.SessionParticipant) error {
	p.CreatedAt = db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		state, err := db.lockSessionState(ctx, tx, p.SessionID)
		if err != nil {
			return err
		}
		if state != vidivo.SessionScheduled {
			return vidivo.Errorf(vidivo.ECONFLICT, "the session is %s", state)
		}
		return db.insertParticipant(ctx, tx, p)
	})
	if err != nil {
		return fmt.Errorf("sqldb: add session participant: %w", sessionFull(err))
	}
	return nil
}

// RemoveSessionParticipant implements vidivo.SessionStore.
func (db *DB) RemoveSessionParticipant(ctx context.Context, sessionID, participantID string) error {
	q := db.d.rebind(`UPDATE session_participants SET removed_at = ?, join_generation = join_generation + 1
		WHERE id = ? AND session_id = ? AND removed_at IS NULL AND NOT EXISTS (SELECT 1 FROM session_payments
			WHERE participant_id = ? AND status IN ('pending', 'captured'))`)
	res, err := db.db.ExecContext(ctx, q, ts(db.now()), participantID, sessionID, participantID)
	if err != nil {
		return fmt.Errorf("sqldb: remove session participant: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var paying int
	q = db.d.rebind(`SELECT count(*) FROM session_participants WHERE id = ? AND session_id = ? AND removed_at IS NULL`)
	if err := db.db.QueryRowContext(ctx, q, participantID, sessionID).Scan(&paying); err != nil {
		return fmt.Errorf("sqldb: remove session participant: %w", err)
	}
	if paying == 0 {
		return vidivo.Errorf(vidivo.ENOTFOUND, "no such participant")
	}
	return vidivo.Errorf(vidivo.ECONFLICT, "the participant's fee is being paid or was paid; refund it first")
}

// ReissueEntryToken implements vidivo.SessionStore.
func (db *DB) ReissueEntryToken(ctx context.Context, sessionID, participantID, hash, salt string) error {
	q := db.d.rebind(`UPDATE session_participants SET token_hash = ?, entry_salt = ?, join_generation = join_generation + 1
		WHERE id = ? AND session_id = ? AND removed_at IS NULL`)
	res, err := db.db.ExecContext(ctx, q, hash, salt, participantID, sessionID)
	if err != nil {
		return fmt.Errorf("sqldb: reissue entry token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return vidivo.Errorf(vidivo.ENOTFOUND, "no such participant")
	}
	return nil
}

// NextJoin implements vidivo.SessionStore.
func (db *DB) NextJoin(ctx context.Context, participantID string) (int64, error) {
	var gen int64
	q := db.d.rebind(`UPDATE session_participants SET join_generation = join_generation + 1
		WHERE id = ? AND removed_at IS NULL RETURNING join_generation`)
	err := db.db.QueryRowContext(ctx, q, participantID).Scan(&gen)
	if errNoRows(err) {
		return 0, vidivo.Errorf(vidivo.ENOTFOUND, "no such participant")
	}
	if err != nil {
		return 0, fmt.Errorf("sqldb: next join: %w", err)
	}
	return gen, nil
}

// JoinGeneration implements vidivo.SessionStore.
func (db *DB) JoinGeneration(ctx context.Context, participantID string) (int64, error) {
	var gen int64
	q := db.d.rebind(`SELECT join_generation FROM session_participants WHERE id = ? AND removed_at IS NULL`)
	err := db.db.QueryRowContext(ctx, q, participantID).Scan(&gen)
	if errNoRows(err) {
		return 0, vidivo.Errorf(vidivo.ENOTFOUND, "no such participant")
	}
	if err != nil {
		return 0, fmt.Errorf("sqldb: join generation: %w", err)
	}
	return gen, nil
}

// SetSessionState implements vidivo.SessionStore.
func (db *DB) SetSessionState(ctx context.Context, id string, to vidivo.SessionState, at time.Time) (bool, error) {
	var q string
	switch to {
	case vidivo.SessionInProgress:
		q = `UPDATE sessions SET state = 'in_progress', started_at = ?, updated_at = ? WHERE id = ? AND state = 'scheduled'`
	case vidivo.SessionEnded:
		q = `UPDATE sessions SET state = 'ended', ended_at = ?, updated_at = ? WHERE id = ? AND state = 'in_progress'`
	default:
		return false, vidivo.Errorf(vidivo.EVALIDATION, "a session cannot be moved to %s", to)
	}
	res, err := db.db.ExecContext(ctx, db.d.rebind(q), ts(at), ts(db.now()), id)
	if err != nil {
		return false, fmt.Errorf("sqldb: set session state: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
