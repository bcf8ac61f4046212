package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
)

// Group sessions' lobby (migration 0018): the rules are the sessions
// service's; these read the lobby and write one entry by compare-and-set,
// so instances racing on one guest cannot undo each other's change.

// SessionLobby implements vidivo.SessionStore.
func (db *DB) SessionLobby(ctx context.Context, sessionID string) (*vidivo.SessionLobby, error) {
	l := &vidivo.SessionLobby{SessionID: sessionID, Entries: map[string]*vidivo.LobbyEntry{}}
	var admit int
	err := db.db.QueryRowContext(ctx, db.d.rebind(`SELECT admit_on_arrival FROM sessions WHERE id = ?`), sessionID).Scan(&admit)
	if errNoRows(err) {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "no such session")
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: session lobby: %w", err)
	}
	l.AdmitOnArrival = admit == 1
	q := db.d.rebind(`SELECT id, lobby_version, lobby_admitted_at, lobby_removed_at, lobby_waiting_since, lobby_seen_at
		FROM session_participants WHERE session_id = ? AND removed_at IS NULL`)
	rows, err := db.db.QueryContext(ctx, q, sessionID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: session lobby: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e                                vidivo.LobbyEntry
			admitted, removed, waiting, seen scanTime
		)
		if err := rows.Scan(&e.ParticipantID, &e.Version, &admitted, &removed, &waiting, &seen); err != nil {
			return nil, fmt.Errorf("sqldb: session lobby: %w", err)
		}
		e.AdmittedAt, e.RemovedAt, e.WaitingSince, e.SeenAt = admitted.ptr(), removed.ptr(), waiting.ptr(), seen.ptr()
		l.Entries[e.ParticipantID] = &e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: session lobby: %w", err)
	}
	return l, nil
}

// SetLobbyEntry implements vidivo.SessionStore.
func (db *DB) SetLobbyEntry(ctx context.Context, sessionID string, e *vidivo.LobbyEntry) (bool, error) {
	q := db.d.rebind(`UPDATE session_participants SET lobby_admitted_at = ?, lobby_removed_at = ?,
		lobby_waiting_since = ?, lobby_seen_at = ?, lobby_version = lobby_version + 1
		WHERE id = ? AND session_id = ? AND removed_at IS NULL AND lobby_version = ?`)
	res, err := db.db.ExecContext(ctx, q, nullTS(e.AdmittedAt), nullTS(e.RemovedAt), nullTS(e.WaitingSince),
		nullTS(e.SeenAt), e.ParticipantID, sessionID, e.Version)
	if err != nil {
		return false, fmt.Errorf("sqldb: set lobby entry: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		e.Version++
		return true, nil
	}
	var n int
	q = db.d.rebind(`SELECT count(*) FROM session_participants WHERE id = ? AND session_id = ? AND removed_at IS NULL`)
	if err := db.db.QueryRowContext(ctx, q, e.ParticipantID, sessionID).Scan(&n); err != nil {
		return false, fmt.Errorf("sqldb: set lobby entry: %w", err)
	}
	if n == 0 {
		return false, vidivo.Errorf(vidivo.ENOTFOUND, "no such participant")
	}
	return false, nil
}

// SetAdmitOnArrival implements vidivo.SessionStore.
func (db *DB) SetAdmitOnArrival(ctx context.Context, sessionID string, on bool) error {
	v := 0
	if on {
		v = 1
	}
	q := db.d.rebind(`UPDATE sessions SET admit_on_arrival = ?, updated_at = ? WHERE id = ?`)
	res, err := db.db.ExecContext(ctx, q, v, ts(db.now()), sessionID)
	if err != nil {
		return fmt.Errorf("sqldb: set admit on arrival: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return vidivo.Errorf(vidivo.ENOTFOUND, "no such session")
	}
	return nil
}

// SessionsPastEnd implements vidivo.SessionStore. It reads the partial
// index sessions_in_progress_end_idx.
func (db *DB) SessionsPastEnd(ctx context.Context, at time.Time, limit int) ([]string, error) {
	q := db.d.rebind(`SELECT id FROM sessions WHERE state = 'in_progress' AND end_time <= ? ORDER BY end_time, id LIMIT ?`)
	rows, err := db.db.QueryContext(ctx, q, ts(at), limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: sessions past end: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqldb: sessions past end: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
