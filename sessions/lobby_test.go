package sessions_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sessions"
)

// fakeRooms stands in for the relay: who is in which room, and the
// sockets the service asked to close.
type fakeRooms struct {
	mu       sync.Mutex
	occupied map[string]bool
	failing  map[string]bool
	removed  []string // "session participant reason"
}

func newFakeRooms() *fakeRooms {
	return &fakeRooms{occupied: map[string]bool{}, failing: map[string]bool{}}
}

func (f *fakeRooms) Remove(sessionID, participantID, reason string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, sessionID+" "+participantID+" "+reason)
	return true
}

func (f *fakeRooms) Occupied(_ context.Context, sessionID string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing[sessionID] {
		return false, errors.New("broker unreachable")
	}
	return f.occupied[sessionID], nil
}

func (f *fakeRooms) set(sessionID string, occupied bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.occupied[sessionID] = occupied
}

// scheduleFree creates a session from start to start+1h with a host and
// two guests without fees (Ana and Ben).
func (b *bundle) scheduleFree(t testing.TB) *vidivo.Session {
	t.Helper()
	s, err := b.svc.Create(context.Background(), b.caller(), vidivo.SessionInput{Name: "Group practice",
		StartTime: start, EndTime: start.Add(time.Hour), Participants: []vidivo.ParticipantInput{
			{DisplayName: "Dr Smith", Role: vidivo.ParticipantHost},
			{DisplayName: "Ana", Role: vidivo.ParticipantGuest},
			{DisplayName: "Ben", Role: vidivo.ParticipantGuest},
		}})
	if err != nil {
		t.Fatalf("create session: %v", err)
	}
	return s
}

// lobbyOf is the session's lobby now: admit on arrival, the guests
// admitted, and the ones waiting in order.
func lobbyOf(t *testing.T, b *bundle, s *vidivo.Session) (bool, []string, []string) {
	t.Helper()
	l, err := b.svc.Lobby(context.Background(), s)
	if err != nil {
		t.Fatalf("lobby: %v", err)
	}
	var in []string
	for _, p := range s.Participants {
		if l.Admitted[p.ID] && p.Role == vidivo.ParticipantGuest {
			in = append(in, p.DisplayName)
		}
	}
	var waiting []string
	for _, id := range l.Waiting {
		waiting = append(waiting, s.Participant(id).DisplayName)
	}
	return l.AdmitOnArrival, in, waiting
}

func arrive(t *testing.T, b *bundle, s *vidivo.Session, p *vidivo.SessionParticipant, want bool) {
	t.Helper()
	in, err := b.svc.Arrive(context.Background(), s, p)
	if err != nil || in != want {
		t.Fatalf("%s arrives: in = %v, %v; want %v", p.DisplayName, in, err, want)
	}
}

func wantLobby(t *testing.T, b *bundle, s *vidivo.Session, on bool, in, waiting []string) {
	t.Helper()
	gotOn, gotIn, gotWaiting := lobbyOf(t, b, s)
	if gotOn != on || !slices.Equal(gotIn, in) || !slices.Equal(gotWaiting, waiting) {
		t.Fatalf("lobby = admit on arrival %v, in %q, waiting %q; want %v, %q, %q", gotOn, gotIn, gotWaiting, on, in, waiting)
	}
}

// TestLobbyRules walks the lobby's rules on both engines: hosts are in;
// guests wait, longest first, and drop off the list when their page stops
// asking or leaves; only hosts act (403), on a participant (404) that is
// not a host (409); a removed guest's socket is closed and they wait
// again, even with admit on arrival, which admits everyone else waiting.
func TestLobbyRules(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		rooms := newFakeRooms()
		b.svc.Rooms = rooms
		s := b.scheduleFree(t)
		host, ana, ben := s.Participants[0], s.Participants[1], s.Participants[2]
		b.clock.Set(start)

		arrive(t, b, s, host, true)
		arrive(t, b, s, ana, false)
		b.clock.Add(time.Second)
		arrive(t, b, s, ben, false)
		wantLobby(t, b, s, false, nil, []string{"Ana", "Ben"})

		// Only hosts act, on guests of this session.
		wantCode(t, b.svc.Admit(ctx, s, ana, ben.ID), vidivo.EFORBIDDEN)
		wantCode(t, b.svc.Remove(ctx, s, ana, ben.ID), vidivo.EFORBIDDEN)
		wantCode(t, b.svc.SetAdmitOnArrival(ctx, s, ana, true), vidivo.EFORBIDDEN)
		wantCode(t, b.svc.Admit(ctx, s, host, host.ID), vidivo.ECONFLICT)
		wantCode(t, b.svc.Remove(ctx, s, host, host.ID), vidivo.ECONFLICT)
		wantCode(t, b.svc.Admit(ctx, s, host, "01JN0000000000000000000000"), vidivo.ENOTFOUND)
		wantCode(t, b.svc.Admit(ctx, s, host, "not-an-id"), vidivo.ENOTFOUND)
		wantLobby(t, b, s, false, nil, []string{"Ana", "Ben"})

		if err := b.svc.Admit(ctx, s, host, ana.ID); err != nil {
			t.Fatal(err)
		}
		arrive(t, b, s, ana, true)
		wantLobby(t, b, s, false, []string{"Ana"}, []string{"Ben"})

		// Ben's page stops asking: after LobbyFresh he is off the list;
		// asking again puts him back, waiting from now.
		b.clock.Add(sessions.LobbyFresh + time.Second)
		wantLobby(t, b, s, false, []string{"Ana"}, nil)
		arrive(t, b, s, ben, false)
		wantLobby(t, b, s, false, []string{"Ana"}, []string{"Ben"})
		// Leaving takes him off at once.
		if err := b.svc.LeaveLobby(ctx, s, ben); err != nil {
			t.Fatal(err)
		}
		wantLobby(t, b, s, false, []string{"Ana"}, nil)

		// Removing Ana closes her socket; she waits if she comes again.
		if err := b.svc.Remove(ctx, s, host, ana.ID); err != nil {
			t.Fatal(err)
		}
		if want := []string{s.ID + " " + ana.ID + " removed from the session by a host"}; !slices.Equal(rooms.removed, want) {
			t.Fatalf("sockets closed: %q, want %q", rooms.removed, want)
		}
		arrive(t, b, s, ana, false)
		b.clock.Add(time.Second)
		arrive(t, b, s, ben, false)
		wantLobby(t, b, s, false, nil, []string{"Ana", "Ben"})

		// Admit on arrival lets Ben in, not Ana whom a host removed.
		if err := b.svc.SetAdmitOnArrival(ctx, s, host, true); err != nil {
			t.Fatal(err)
		}
		wantLobby(t, b, s, true, []string{"Ben"}, []string{"Ana"})
		arrive(t, b, s, ana, false)
		arrive(t, b, s, ben, true)

		// A host admits Ana again: she is in; removed once more, she waits.
		if err := b.svc.Admit(ctx, s, host, ana.ID); err != nil {
			t.Fatal(err)
		}
		arrive(t, b, s, ana, true)
		if err := b.svc.Remove(ctx, s, host, ana.ID); err != nil {
			t.Fatal(err)
		}
		arrive(t, b, s, ana, false)
		wantLobby(t, b, s, true, []string{"Ben"}, []string{"Ana"})

		// Turned off, it admits nobody new: a removed-then-admitted Ben
		// stays in, and leaving the lobby as a host changes nothing.
		if err := b.svc.SetAdmitOnArrival(ctx, s, host, false); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.LeaveLobby(ctx, s, host); err != nil {
			t.Fatal(err)
		}
		wantLobby(t, b, s, false, []string{"Ben"}, []string{"Ana"})
	})
}

// TestLobbyRacingWrites has a host admit a guest while four devices of
// that guest arrive at once: every write is a compare-and-set, so the
// admission is never undone by an arrival that read the entry before it.
func TestLobbyRacingWrites(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		s := b.scheduleFree(t)
		host, ana := s.Participants[0], s.Participants[1]
		b.clock.Set(start)
		arrive(t, b, s, ana, false)
		var wg sync.WaitGroup
		errs := make(chan error, 5)
		for range 4 {
			wg.Go(func() {
				if _, err := b.svc.Arrive(ctx, s, ana); err != nil {
					errs <- err
				}
			})
		}
		wg.Go(func() {
			if err := b.svc.Admit(ctx, s, host, ana.ID); err != nil {
				errs <- err
			}
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("racing lobby write: %v", err)
		}
		wantLobby(t, b, s, false, []string{"Ana"}, nil)
		arrive(t, b, s, ana, true)
	})
}

// TestAdmitSignal is the relay's admission of session sockets: a host at
// once (the session goes in progress), a guest once admitted, not while
// waiting nor once removed, and not a replaced device.
func TestAdmitSignal(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		b.svc.Rooms = newFakeRooms()
		s := b.scheduleFree(t)
		host, ana := s.Participants[0], s.Participants[1]
		b.clock.Set(start)
		claims := func(i int) (tok string) {
			t.Helper()
			j, err := b.svc.Join(ctx, b.tokenOf(s, i))
			if err != nil {
				t.Fatal(err)
			}
			return j.SignalingToken
		}
		admit := func(tok string) error {
			c, err := b.svc.Signaling.Verify(tok)
			if err != nil {
				t.Fatal(err)
			}
			return b.svc.AdmitSignal(ctx, c)
		}
		if err := admit(claims(0)); err != nil {
			t.Fatalf("the host is refused: %v", err)
		}
		if got, _ := b.db.Session(ctx, s.ID); got.State != vidivo.SessionInProgress {
			t.Fatalf("after the host's socket the session is %s", got.State)
		}
		arrive(t, b, s, ana, false)
		anaTok := claims(1)
		wantCode(t, admit(anaTok), vidivo.ECONFLICT)
		if err := b.svc.Admit(ctx, s, host, ana.ID); err != nil {
			t.Fatal(err)
		}
		if err := admit(anaTok); err != nil {
			t.Fatalf("the admitted guest is refused: %v", err)
		}
		newer := claims(1)
		wantCode(t, admit(anaTok), vidivo.EUNAUTHORIZED)
		if err := b.svc.Remove(ctx, s, host, ana.ID); err != nil {
			t.Fatal(err)
		}
		// Refused as removed, which the page tells its guest.
		if err := admit(newer); vidivo.ErrorCode(err) != vidivo.EFORBIDDEN || vidivo.ErrorMessage(err) != "removed from the session by a host" {
			t.Fatalf("a removed guest's socket: %v, want forbidden as removed", err)
		}
	})
}

// TestEndIfOver is the end rule with the test clock: a session in
// progress ends once its end has passed and nobody is in its room — not
// while someone is, not before the end, and once.
func TestEndIfOver(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		rooms := newFakeRooms()
		b.svc.Rooms = rooms
		s, other := b.scheduleFree(t), b.scheduleFree(t)
		b.clock.Set(start)
		if ok, err := b.svc.MarkState(ctx, s.ID, vidivo.SessionInProgress, start); !ok || err != nil {
			t.Fatalf("start: %v %v", ok, err)
		}
		end := func(at time.Time, occupied, want bool) {
			t.Helper()
			b.clock.Set(at)
			rooms.set(s.ID, occupied)
			if ok, err := b.svc.EndIfOver(ctx, s.ID); ok != want || err != nil {
				t.Fatalf("EndIfOver at %s, occupied %v = %v, %v; want %v", at.Format(time.TimeOnly), occupied, ok, err, want)
			}
		}
		end(start.Add(30*time.Minute), false, false)        // empty, before the end
		end(start.Add(time.Hour-time.Second), false, false) // a second before
		end(start.Add(2*time.Hour), true, false)            // after, but occupied
		if got, _ := b.db.Session(ctx, s.ID); got.State != vidivo.SessionInProgress {
			t.Fatalf("the session is %s, want still in_progress", got.State)
		}
		end(start.Add(2*time.Hour+time.Minute), false, true)
		end(start.Add(2*time.Hour+2*time.Minute), false, false) // once
		got, _ := b.db.Session(ctx, s.ID)
		if got.State != vidivo.SessionEnded || got.EndedAt == nil || !got.EndedAt.Equal(start.Add(2*time.Hour+time.Minute)) {
			t.Fatalf("the session is %s ended at %v, want ended at the last person's leaving", got.State, got.EndedAt)
		}

		// Without a relay to ask, nothing ends.
		if ok, err := b.svc.MarkState(ctx, other.ID, vidivo.SessionInProgress, start); !ok || err != nil {
			t.Fatal(ok, err)
		}
		b.svc.Rooms = nil
		if ok, err := b.svc.EndIfOver(ctx, other.ID); ok || err != nil {
			t.Fatalf("EndIfOver without Rooms = %v, %v", ok, err)
		}
	})
}

// TestSweepEndsAtTheEnd: a session emptied before its end is ended by the
// sweep once the end has passed; one still occupied stays, and one whose
// room cannot be asked about does not stop the others.
func TestSweepEndsAtTheEnd(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		rooms := newFakeRooms()
		b.svc.Rooms = rooms
		emptied, busy, broken, scheduled := b.scheduleFree(t), b.scheduleFree(t), b.scheduleFree(t), b.scheduleFree(t)
		b.clock.Set(start)
		for _, s := range []*vidivo.Session{emptied, busy, broken} {
			if ok, err := b.svc.MarkState(ctx, s.ID, vidivo.SessionInProgress, start); !ok || err != nil {
				t.Fatal(ok, err)
			}
		}
		rooms.set(busy.ID, true)
		rooms.failing[broken.ID] = true

		// Everyone left emptied half an hour in: nothing ends before the end.
		b.clock.Set(start.Add(30 * time.Minute))
		if n, err := b.svc.EndOverSessions(ctx); n != 0 || err != nil {
			t.Fatalf("sweep before the end = %d, %v; want 0", n, err)
		}
		b.clock.Set(start.Add(time.Hour))
		n, err := b.svc.EndOverSessions(ctx)
		if n != 1 || err == nil {
			t.Fatalf("sweep at the end = %d, %v; want 1 ended and the broken room's error", n, err)
		}
		for s, want := range map[*vidivo.Session]vidivo.SessionState{emptied: vidivo.SessionEnded,
			busy: vidivo.SessionInProgress, broken: vidivo.SessionInProgress, scheduled: vidivo.SessionScheduled} {
			if got, _ := b.db.Session(ctx, s.ID); got.State != want {
				t.Errorf("session %s is %s, want %s", s.ID, got.State, want)
			}
		}
		// The busy one empties: the next sweep ends it.
		rooms.set(busy.ID, false)
		delete(rooms.failing, broken.ID)
		b.clock.Add(time.Minute)
		if n, err := b.svc.EndOverSessions(ctx); n != 2 || err != nil {
			t.Fatalf("next sweep = %d, %v; want 2", n, err)
		}
	})
}
