package web

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sessions"
	"github.com/vidivo/vidivo/token"
)

// roomHub is what the session room needs of the signaling relay: closing
// one participant's socket when a host removes them, and how many are
// present in a room (a session ends when the last one leaves).
type roomHub interface {
	Remove(callID, participant, reason string) bool
	Present(callID string) int
}

// callEvents is the relay's Events for 1:1 calls (the calls service),
// which SessionRooms passes everything else on to.
type callEvents interface {
	PeersConnected(ctx context.Context, callID string)
	PeerGone(ctx context.Context, callID, participant string)
}

// SessionRooms is the room side of group sessions: the lobby (who a host
// has admitted, who waits, "admit on arrival"), the relay's admission of
// session sockets, and the session's state following presence. The
// session rules themselves (entry window, fee, join generation) are the
// sessions service's; this keeps only the room's live state.
//
// The lobby lives in this process: on a fleet, a guest waits and is
// admitted on the instance that serves the session's pages (a sticky
// route by session), which is why it is not in the database.
type SessionRooms struct {
	Sessions *sessions.Service
	// Hub is the signaling relay (set once it exists).
	Hub    roomHub
	Now    func() time.Time
	Logger *slog.Logger

	mu    sync.Mutex
	rooms map[string]*lobby
}

// lobby is one session's room state.
type lobby struct {
	admitOnArrival bool
	admitted       map[string]bool
	// removed guests wait for a host again, even with admit on arrival.
	removed map[string]bool
	waiting map[string]waiter
}

type waiter struct {
	name  string
	since time.Time
}

func (sr *SessionRooms) now() time.Time {
	if sr.Now != nil {
		return sr.Now().UTC()
	}
	return time.Now().UTC()
}

func (sr *SessionRooms) log() *slog.Logger {
	if sr.Logger != nil {
		return sr.Logger
	}
	return slog.Default()
}

// room returns the session's lobby, making it. Call with sr.mu held.
func (sr *SessionRooms) room(sessionID string) *lobby {
	if sr.rooms == nil {
		sr.rooms = make(map[string]*lobby)
	}
	l := sr.rooms[sessionID]
	if l == nil {
		l = &lobby{admitted: map[string]bool{}, removed: map[string]bool{}, waiting: map[string]waiter{}}
		sr.rooms[sessionID] = l
	}
	return l
}

// arrive records p entering the room: hosts are in at once; a guest is
// in if a host admitted them, or admits on arrival (unless a host removed
// them); otherwise they wait. It reports whether p is in.
func (sr *SessionRooms) arrive(sessionID string, p *vidivo.SessionParticipant) bool {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	l := sr.room(sessionID)
	if p.Role == vidivo.ParticipantHost || l.admitted[p.ID] || (l.admitOnArrival && !l.removed[p.ID]) {
		l.admitted[p.ID] = true
		delete(l.waiting, p.ID)
		return true
	}
	if _, ok := l.waiting[p.ID]; !ok {
		l.waiting[p.ID] = waiter{name: p.DisplayName, since: sr.now()}
	}
	return false
}

// admittedIn reports whether p may be in the room now.
func (sr *SessionRooms) admittedIn(sessionID string, p *vidivo.SessionParticipant) bool {
	if p.Role == vidivo.ParticipantHost {
		return true
	}
	sr.mu.Lock()
	defer sr.mu.Unlock()
	return sr.room(sessionID).admitted[p.ID]
}

// leaveLobby forgets a waiting participant that left the page.
func (sr *SessionRooms) leaveLobby(sessionID, participantID string) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	delete(sr.room(sessionID).waiting, participantID)
}

// errNotHost refuses a guest's attempt at a host's action.
func errNotHost() error {
	return vidivo.Errorf(vidivo.EFORBIDDEN, "only the session's hosts can do this")
}

// target returns the guest a host acts on: a participant of the
// session, and not a host.
func target(sess *vidivo.Session, by *vidivo.SessionParticipant, id string) (*vidivo.SessionParticipant, error) {
	if by.Role != vidivo.ParticipantHost {
		return nil, errNotHost()
	}
	p := sess.Participant(id)
	switch {
	case !vidivo.IsID(id) || p == nil:
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "no such participant in this session")
	case p.Role == vidivo.ParticipantHost:
		return nil, vidivo.Errorf(vidivo.ECONFLICT, "hosts are always in the room")
	}
	return p, nil
}

// Admit lets a waiting (or removed) guest in, as host by.
func (sr *SessionRooms) Admit(sess *vidivo.Session, by *vidivo.SessionParticipant, guestID string) error {
	p, err := target(sess, by, guestID)
	if err != nil {
		return err
	}
	sr.mu.Lock()
	defer sr.mu.Unlock()
	l := sr.room(sess.ID)
	l.admitted[p.ID] = true
	delete(l.removed, p.ID)
	delete(l.waiting, p.ID)
	return nil
}

// Remove takes a guest out of the room, as host by: their socket closes
// and they are back in the lobby should they come again.
func (sr *SessionRooms) Remove(sess *vidivo.Session, by *vidivo.SessionParticipant, guestID string) error {
	p, err := target(sess, by, guestID)
	if err != nil {
		return err
	}
	sr.mu.Lock()
	l := sr.room(sess.ID)
	delete(l.admitted, p.ID)
	delete(l.waiting, p.ID)
	l.removed[p.ID] = true
	sr.mu.Unlock()
	if sr.Hub != nil {
		sr.Hub.Remove(sess.ID, p.ID, "removed from the session by a host")
	}
	return nil
}

// SetAdmitOnArrival turns "admit on arrival" on or off, as host by;
// turning it on admits everyone waiting.
func (sr *SessionRooms) SetAdmitOnArrival(sess *vidivo.Session, by *vidivo.SessionParticipant, on bool) error {
	if by.Role != vidivo.ParticipantHost {
		return errNotHost()
	}
	sr.mu.Lock()
	defer sr.mu.Unlock()
	l := sr.room(sess.ID)
	l.admitOnArrival = on
	if on {
		for id := range l.waiting {
			if !l.removed[id] {
				l.admitted[id] = true
				delete(l.waiting, id)
			}
		}
	}
	return nil
}

// lobbyView is a session's lobby as one participant sees it.
type lobbyView struct {
	AdmitOnArrival bool
	Admitted       map[string]bool
	// Waiting are the guests waiting, longest first.
	Waiting []string
}

func (sr *SessionRooms) view(sessionID string) lobbyView {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	l := sr.room(sessionID)
	v := lobbyView{AdmitOnArrival: l.admitOnArrival, Admitted: make(map[string]bool, len(l.admitted))}
	for id := range l.admitted {
		v.Admitted[id] = true
	}
	for id := range l.waiting {
		v.Waiting = append(v.Waiting, id)
	}
	sort.Slice(v.Waiting, func(i, j int) bool {
		a, b := l.waiting[v.Waiting[i]], l.waiting[v.Waiting[j]]
		return a.since.Before(b.since) || (a.since.Equal(b.since) && v.Waiting[i] < v.Waiting[j])
	})
	return v
}

// AdmitSignal is the relay's check before a session socket opens: the
// token is the participant's latest join (a later device replaced an
// earlier one), the session lets people in, and a guest was admitted.
// The first socket moves the session to in_progress.
func (sr *SessionRooms) AdmitSignal(ctx context.Context, tok token.Signaling) error {
	if sr.Sessions == nil {
		return vidivo.Errorf(vidivo.EUNAUTHORIZED, "invalid or expired signaling token")
	}
	sess, p, err := sr.Sessions.CheckJoin(ctx, tok.CallID, tok.Participant, tok.Generation)
	if err != nil {
		return err
	}
	if err := sess.EntryOpen(sr.now()); err != nil {
		return vidivo.Errorf(vidivo.ECONFLICT, "%s", vidivo.ErrorMessage(err))
	}
	if !sr.admittedIn(sess.ID, p) {
		return vidivo.Errorf(vidivo.ECONFLICT, "waiting in the lobby for a host to admit you")
	}
	if sess.State == vidivo.SessionScheduled {
		if _, err := sr.Sessions.MarkState(ctx, sess.ID, vidivo.SessionInProgress, sr.now()); err != nil {
			return err
		}
	}
	return nil
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
func (e *RoomEvents) isSession(ctx context.Context, id string) (*vidivo.Session, bool) {
	if e.rooms.Sessions == nil {
		return nil, false
	}
	sess, err := e.rooms.Sessions.Store.Session(ctx, id)
	return sess, err == nil
}

// PeersConnected means nothing for a session (it has no fixed size).
func (e *RoomEvents) PeersConnected(ctx context.Context, callID string) {
	if _, ok := e.isSession(ctx, callID); ok {
		return
	}
	e.calls.PeersConnected(ctx, callID)
}

// PeerGone ends a session in progress when the last person has left
// after its scheduled end.
func (e *RoomEvents) PeerGone(ctx context.Context, callID, participant string) {
	sess, ok := e.isSession(ctx, callID)
	if !ok {
		e.calls.PeerGone(ctx, callID, participant)
		return
	}
	now := e.rooms.now()
	if sess.State != vidivo.SessionInProgress || now.Before(sess.EndTime) || e.rooms.Hub == nil || e.rooms.Hub.Present(callID) > 0 {
		return
	}
	if _, err := e.rooms.Sessions.MarkState(ctx, callID, vidivo.SessionEnded, now); err != nil {
		e.rooms.log().WarnContext(ctx, "end session", "session_id", callID, "err", err)
		return
	}
	e.rooms.mu.Lock()
	delete(e.rooms.rooms, callID)
	e.rooms.mu.Unlock()
}
