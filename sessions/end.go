package sessions

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/vidivo/vidivo"
)

// A session in progress ends when nobody is in its room and its scheduled
// end has passed: when the last person leaves after the end (the relay's
// PeerGone calls EndIfOver), and — for a room emptied before the end — at
// the end, by the periodic sweep (EndOverSessions).

// Rooms is what the service needs of the signaling relay (signaling.Hub):
// closing a removed participant's socket on whichever instance holds it,
// and whether anyone is in a session's room on any instance.
type Rooms interface {
	Remove(sessionID, participantID, reason string) bool
	Occupied(ctx context.Context, sessionID string) (bool, error)
}

// sweepBatch bounds the sessions one sweep looks at; the next sweep takes
// the rest.
const sweepBatch = 200

// sweepParallel is how many rooms a sweep asks about at once: asking a
// relay that holds no connection of the session waits for heartbeats.
const sweepParallel = 8

// EndIfOver ends the session if it is in progress, its scheduled end has
// passed and nobody is in its room, by compare-and-set (writing
// session.ended once however many instances try). It reports whether
// this call ended it. Without Rooms it cannot tell, and ends nothing.
func (s *Service) EndIfOver(ctx context.Context, sessionID string) (bool, error) {
	sess, err := s.Store.Session(ctx, sessionID)
	if err != nil {
		return false, err
	}
	if sess.State != vidivo.SessionInProgress || s.now().Before(sess.EndTime) || s.Rooms == nil {
		return false, nil
	}
	occupied, err := s.Rooms.Occupied(ctx, sessionID)
	if err != nil {
		return false, fmt.Errorf("sessions: is session %s's room occupied: %w", sessionID, err)
	}
	if occupied {
		return false, nil
	}
	return s.MarkState(ctx, sessionID, vidivo.SessionEnded, s.now())
}

// EndOverSessions is the sweep: it ends every session in progress past its
// end with nobody in its room, and reports how many it ended. One
// session's failure does not stop the others; the failures come back
// joined.
func (s *Service) EndOverSessions(ctx context.Context) (int, error) {
	ids, err := s.Store.SessionsPastEnd(ctx, s.now(), sweepBatch)
	if err != nil {
		return 0, err
	}
	var (
		mu    sync.Mutex
		ended int
		errs  []error
		wg    sync.WaitGroup
		slots = make(chan struct{}, sweepParallel)
	)
	for _, id := range ids {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			ok, err := s.EndIfOver(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				s.log().WarnContext(ctx, "end session past its end", "session_id", id, "err", err)
				errs = append(errs, err)
			}
			if ok {
				ended++
			}
		}()
	}
	wg.Wait()
	return ended, errors.Join(errs...)
}
