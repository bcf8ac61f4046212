package sessions

import (
	"context"
	"sort"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/token"
)

// The room's lobby (issue 12): hosts are always in; a guest is in once a
// host admitted them, or as they arrive while "admit on arrival" is on —
// unless a host removed them, who then waits for a host again. Only hosts
// admit and remove, and never a host. The lobby is in the database, so a
// guest waiting on one instance of a fleet is seen by a host on another;
// every change is a compare-and-set of one participant's entry.

// LobbyFresh is how recently a waiting guest's page must have asked to
// join for the hosts to see them waiting: the page asks every 1.5 s, so
// a closed tab drops off the list within this, on every instance.
const LobbyFresh = 10 * time.Second

// lobbyAttempts bounds the compare-and-set retries of one change: a
// conflict means someone else changed the entry just now.
const lobbyAttempts = 8

// removedReason is what a removed guest's socket closes with (1008).
const removedReason = "removed from the session by a host"

// Lobby is a session's room as its participants see it.
type Lobby struct {
	AdmitOnArrival bool
	// Admitted are the participants in the room: every host, and the
	// guests admitted.
	Admitted map[string]bool
	// Waiting are the guests waiting whose page asked within LobbyFresh,
	// longest waiting first.
	Waiting []string
}

// Lobby returns the session's lobby now.
func (s *Service) Lobby(ctx context.Context, sess *vidivo.Session) (*Lobby, error) {
	l, err := s.Store.SessionLobby(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	v := &Lobby{AdmitOnArrival: l.AdmitOnArrival, Admitted: map[string]bool{}}
	var waiting []*vidivo.LobbyEntry
	for _, p := range sess.Participants {
		e := l.Entries[p.ID]
		switch {
		case p.Role == vidivo.ParticipantHost || e != nil && e.AdmittedAt != nil:
			v.Admitted[p.ID] = true
		case e != nil && e.WaitingSince != nil && e.SeenAt != nil && now.Sub(*e.SeenAt) <= LobbyFresh:
			waiting = append(waiting, e)
		}
	}
	sort.Slice(waiting, func(i, j int) bool {
		a, b := waiting[i], waiting[j]
		return a.WaitingSince.Before(*b.WaitingSince) ||
			a.WaitingSince.Equal(*b.WaitingSince) && a.ParticipantID < b.ParticipantID
	})
	for _, e := range waiting {
		v.Waiting = append(v.Waiting, e.ParticipantID)
	}
	return v, nil
}

// change rewrites one participant's lobby entry with fn (given whether
// the session admits on arrival, and now) by compare-and-set, reading it
// again after a conflict. fn returning false leaves the entry as is.
func (s *Service) change(ctx context.Context, sessionID, participantID string,
	fn func(admitOnArrival bool, e *vidivo.LobbyEntry, now time.Time) bool) (*vidivo.LobbyEntry, error) {
	for range lobbyAttempts {
		l, err := s.Store.SessionLobby(ctx, sessionID)
		if err != nil {
			return nil, err
		}
		cur := l.Entries[participantID]
		if cur == nil {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "no such participant in this session")
		}
		next := *cur
		if !fn(l.AdmitOnArrival, &next, s.now()) {
			return cur, nil
		}
		ok, err := s.Store.SetLobbyEntry(ctx, sessionID, &next)
		if err != nil {
			return nil, err
		}
		if ok {
			return &next, nil
		}
	}
	return nil, vidivo.Errorf(vidivo.ECONFLICT, "the lobby changed while this was being done; try again")
}

// Arrive records p at the room's door (each poll of a waiting page is
// one): hosts are in at once; a guest is in if admitted, or admitted now
// by admit on arrival unless a host removed them; otherwise they wait,
// and the poll refreshes when they were last seen. It reports whether p
// is in.
func (s *Service) Arrive(ctx context.Context, sess *vidivo.Session, p *vidivo.SessionParticipant) (bool, error) {
	if p.Role == vidivo.ParticipantHost {
		return true, nil
	}
	e, err := s.change(ctx, sess.ID, p.ID, func(admitOnArrival bool, e *vidivo.LobbyEntry, now time.Time) bool {
		switch {
		case e.AdmittedAt != nil:
			return false
		case admitOnArrival && e.RemovedAt == nil:
			e.AdmittedAt, e.WaitingSince, e.SeenAt = &now, nil, nil
			return true
		}
		// A guest back after their page was gone for long waits anew.
		if e.WaitingSince == nil || e.SeenAt == nil || now.Sub(*e.SeenAt) > LobbyFresh {
			e.WaitingSince = &now
		}
		e.SeenAt = &now
		return true
	})
	if err != nil {
		return false, err
	}
	return e.AdmittedAt != nil, nil
}

// LeaveLobby takes a waiting participant off the hosts' list at once
// (their page was closed); it changes nothing for anyone admitted.
func (s *Service) LeaveLobby(ctx context.Context, sess *vidivo.Session, p *vidivo.SessionParticipant) error {
	if p.Role == vidivo.ParticipantHost {
		return nil
	}
	_, err := s.change(ctx, sess.ID, p.ID, func(_ bool, e *vidivo.LobbyEntry, _ time.Time) bool {
		if e.WaitingSince == nil && e.SeenAt == nil {
			return false
		}
		e.WaitingSince, e.SeenAt = nil, nil
		return true
	})
	return err
}

// errNotHost refuses a guest's attempt at a host's action.
func errNotHost() error {
	return vidivo.Errorf(vidivo.EFORBIDDEN, "only the session's hosts can do this")
}

// target returns the guest a host acts on: a participant of the session
// (ENOTFOUND), and not a host (ECONFLICT); by must be a host (EFORBIDDEN).
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
func (s *Service) Admit(ctx context.Context, sess *vidivo.Session, by *vidivo.SessionParticipant, guestID string) error {
	p, err := target(sess, by, guestID)
	if err != nil {
		return err
	}
	_, err = s.change(ctx, sess.ID, p.ID, func(_ bool, e *vidivo.LobbyEntry, now time.Time) bool {
		if e.AdmittedAt != nil {
			return false
		}
		e.AdmittedAt, e.RemovedAt, e.WaitingSince, e.SeenAt = &now, nil, nil, nil
		return true
	})
	return err
}

// Remove takes a guest out of the room, as host by: their socket closes
// (1008, on whichever instance holds it) and, should they come again,
// they wait for a host, even with admit on arrival.
func (s *Service) Remove(ctx context.Context, sess *vidivo.Session, by *vidivo.SessionParticipant, guestID string) error {
	p, err := target(sess, by, guestID)
	if err != nil {
		return err
	}
	_, err = s.change(ctx, sess.ID, p.ID, func(_ bool, e *vidivo.LobbyEntry, now time.Time) bool {
		e.AdmittedAt, e.WaitingSince, e.SeenAt = nil, nil, nil
		if e.RemovedAt == nil {
			e.RemovedAt = &now
		}
		return true
	})
	if err != nil {
		return err
	}
	// After the entry: the admission check keeps them out from now on,
	// so a reconnect racing the close is refused.
	if s.Rooms != nil {
		s.Rooms.Remove(sess.ID, p.ID, removedReason)
	}
	return nil
}

// SetAdmitOnArrival turns "admit on arrival" on or off, as host by;
// turning it on admits everyone waiting but the guests a host removed.
func (s *Service) SetAdmitOnArrival(ctx context.Context, sess *vidivo.Session, by *vidivo.SessionParticipant, on bool) error {
	if by.Role != vidivo.ParticipantHost {
		return errNotHost()
	}
	if err := s.Store.SetAdmitOnArrival(ctx, sess.ID, on); err != nil {
		return err
	}
	if !on {
		return nil
	}
	l, err := s.Store.SessionLobby(ctx, sess.ID)
	if err != nil {
		return err
	}
	for id, e := range l.Entries {
		if e.WaitingSince == nil || e.RemovedAt != nil {
			continue
		}
		_, err := s.change(ctx, sess.ID, id, func(_ bool, e *vidivo.LobbyEntry, now time.Time) bool {
			if e.WaitingSince == nil || e.RemovedAt != nil || e.AdmittedAt != nil {
				return false
			}
			e.AdmittedAt, e.WaitingSince, e.SeenAt = &now, nil, nil
			return true
		})
		if err != nil && vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
			return err
		}
	}
	return nil
}

// AdmitSignal is the relay's check before a session socket opens: the
// token is the participant's latest join (a later device replaced an
// earlier one), the session lets people in, and a guest is admitted (a
// removed one no longer is). The first socket moves the session to
// in_progress.
func (s *Service) AdmitSignal(ctx context.Context, tok token.Signaling) error {
	sess, p, err := s.CheckJoin(ctx, tok.CallID, tok.Participant, tok.Generation)
	if err != nil {
		return err
	}
	now := s.now()
	if err := sess.EntryOpen(now); err != nil {
		return vidivo.Errorf(vidivo.ECONFLICT, "%s", vidivo.ErrorMessage(err))
	}
	if p.Role != vidivo.ParticipantHost {
		l, err := s.Store.SessionLobby(ctx, sess.ID)
		if err != nil {
			return err
		}
		switch e := l.Entries[p.ID]; {
		case e != nil && e.AdmittedAt == nil && e.RemovedAt != nil:
			return vidivo.Errorf(vidivo.EFORBIDDEN, "%s", removedReason)
		case e == nil || e.AdmittedAt == nil:
			return vidivo.Errorf(vidivo.ECONFLICT, "waiting in the lobby for a host to admit you")
		}
	}
	if sess.State == vidivo.SessionScheduled {
		if _, err := s.MarkState(ctx, sess.ID, vidivo.SessionInProgress, now); err != nil {
			return err
		}
	}
	return nil
}
