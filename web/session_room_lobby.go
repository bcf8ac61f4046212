package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sessions"
	"github.com/vidivo/vidivo/token"
)

// callEvents is the relay's Events for 1:1 calls (the calls service),
// which SessionRooms passes everything else on to.
type callEvents interface {
	PeersConnected(ctx context.Context, callID string)
	PeerGone(ctx context.Context, callID, participant string)
}

// SessionRooms connects group sessions' rooms to the relay: its admission
// of session sockets and its presence events. The rules — the lobby, who
// may connect, when a session ends — are the sessions service's
// (sessions/lobby.go, sessions/end.go), kept in the database so every
// instance of a fleet agrees.
type SessionRooms struct {
	Sessions *sessions.Service
	Now      func() time.Time
	Logger   *slog.Logger
}

func (sr *SessionRooms) log() *slog.Logger {
	if sr.Logger != nil {
		return sr.Logger
	}
	return slog.Default()
}

// AdmitSignal is the relay's check before a session socket opens
// (sessions.Service.AdmitSignal).
func (sr *SessionRooms) AdmitSignal(ctx context.Context, tok token.Signaling) error {
	if sr.Sessions == nil {
		return vidivo.Errorf(vidivo.EUNAUTHORIZED, "invalid or expired signaling token")
	}
	return sr.Sessions.AdmitSignal(ctx, tok)
}

// IsSessionToken reports whether a signaling token is a session's: only
// joins of group sessions carry a join generation.
func IsSessionToken(tok token.Signaling) bool { return tok.Generation > 0 }

// Events returns the relay's Events: a session room's presence moves the
// session; a call's goes to calls.
func (sr *SessionRooms) Events(calls callEvents) *RoomEvents {
	return &RoomEvents{rooms: sr, calls: calls}
}

// RoomEvents routes the relay's Events between sessions and calls.
type RoomEvents struct {
	rooms *SessionRooms
	calls callEvents
}

// isSession reports whether a room is a session's.
func (e *RoomEvents) isSession(ctx context.Context, id string) bool {
	if e.rooms.Sessions == nil {
		return false
	}
	_, err := e.rooms.Sessions.Store.Session(ctx, id)
	return err == nil
}

// PeersConnected means nothing for a session (it has no fixed size).
func (e *RoomEvents) PeersConnected(ctx context.Context, callID string) {
	if e.isSession(ctx, callID) {
		return
	}
	e.calls.PeersConnected(ctx, callID)
}

// PeerGone ends a session in progress when the last person has left
// after its scheduled end (one emptied before its end is ended by the
// sweep at the end).
func (e *RoomEvents) PeerGone(ctx context.Context, callID, participant string) {
	if !e.isSession(ctx, callID) {
		e.calls.PeerGone(ctx, callID, participant)
		return
	}
	if _, err := e.rooms.Sessions.EndIfOver(ctx, callID); err != nil {
		e.rooms.log().WarnContext(ctx, "end session", "session_id", callID, "err", err)
	}
}
