package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vidivo/vidivo"
)

// DefaultPing is how often an idle stream sends a comment, so proxies keep
// it open and a client that went away is noticed.
const DefaultPing = 25 * time.Second

// Feed gives a stream what the hub does not carry: the events already due
// when it opens, and what follows from an event reaching the user. The
// calls service is the feed of incoming calls; notify knows nothing of
// calls.
type Feed interface {
	// Pending returns the events due to userID when a stream opens, such
	// as calls that were already waiting for a host.
	Pending(ctx context.Context, userID string) ([]Event, error)
	// Delivered is told of every event written to one of userID's streams
	// (an incoming call starts ringing).
	Delivered(ctx context.Context, userID string, ev Event)
}

// Stream serves a user's notifications as server-sent events. The API
// (token-authenticated) and the pages (cookie-authenticated) both serve
// through one Stream, so the two behave the same.
type Stream struct {
	Hub  *Hub
	Feed Feed
	// Ping is the keep-alive interval; 0 means DefaultPing.
	Ping time.Duration
	// Done, when closed, ends every open stream (a graceful shutdown).
	Done <-chan struct{}
}

func (s *Stream) ping() time.Duration {
	if s.Ping > 0 {
		return s.Ping
	}
	return DefaultPing
}

// Serve streams userID's events on w until the client goes away, Done is
// closed, a write fails or the stream falls behind. It writes
// ": connected", then the feed's pending events, then — when the request
// carries a Last-Event-ID the broker still knows — the events published
// since, then live events as the hub delivers them, with a comment every
// Ping. Published events carry their number as the SSE id. A stream that
// falls behind ends with a "stream.closed" event naming the reason, so its
// client reconnects and catches up instead of silently missing events. It
// returns an error only before anything was written: ERATELIMITED (with
// Retry-After set on w) when the user already has Hub.Max streams open, or
// the feed's or broker's error.
func (s *Stream) Serve(w http.ResponseWriter, r *http.Request, userID string) error {
	ctx := r.Context()
	sub, err := s.Hub.Subscribe(userID)
	if errors.Is(err, ErrTooManyStreams) {
		// By then a ping has found any stream whose client went away.
		retry := s.ping() + 5*time.Second
		w.Header().Set("Retry-After", strconv.Itoa(int(retry/time.Second)))
		return vidivo.Errorf(vidivo.ERATELIMITED, "at most %d notification streams may be open at once; close one first", s.Hub.Max())
	}
	if err != nil {
		return err
	}
	defer sub.Close()
	pending, err := s.Feed.Pending(ctx, userID)
	if err != nil {
		return fmt.Errorf("notify: pending events: %w", err)
	}
	// Subscribed first, then asked for the backlog: an event published in
	// between is in both, and the live copy is skipped by its number.
	last := lastEventID(r)
	if last > 0 {
		missed, err := s.Hub.Since(ctx, userID, last)
		if err != nil {
			return err
		}
		pending = append(pending, missed...)
	}
	rc := http.NewResponseController(w)
	// The stream outlives the server's read timeout, which is meant for
	// reading requests: lift it for this connection.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\n")
	for _, ev := range pending {
		if !s.send(ctx, w, rc, userID, ev) {
			return nil
		}
		last = max(last, ev.ID)
	}
	if rc.Flush() != nil {
		return nil
	}
	s.loop(ctx, w, rc, userID, sub, last)
	return nil
}

// lastEventID is the number in the request's Last-Event-ID header (which
// EventSource sends when it reconnects), 0 when absent. An id that is not
// a number is not one of ours: the stream starts afresh rather than being
// refused, since EventSource would otherwise stop reconnecting.
func lastEventID(r *http.Request) uint64 {
	id, err := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64)
	if err != nil {
		return 0
	}
	return id
}

// EventClosed names the last event of a stream the server ends while the
// client is still there; its data is {"reason": ...}.
const EventClosed = "stream.closed"

// loop writes live events and keep-alives until the stream ends. last is
// the number of the newest event written; live events at or below it were
// already written from the backlog.
func (s *Stream) loop(ctx context.Context, w http.ResponseWriter, rc *http.ResponseController, userID string, sub *Subscription, last uint64) {
	ping := time.NewTicker(s.ping())
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.Done:
			return
		case <-sub.Closed():
			data, _ := json.Marshal(map[string]string{"reason": sub.Reason()})
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", EventClosed, data)
			_ = rc.Flush()
			return
		case ev := <-sub.C:
			if ev.ID != 0 && ev.ID <= last {
				continue
			}
			if !s.send(ctx, w, rc, userID, ev) {
				return
			}
			last = max(last, ev.ID)
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
			if rc.Flush() != nil {
				return
			}
		}
	}
}

// send writes one event (with its number as the SSE id when it has one)
// and flushes it; only an event that reached the connection is reported to
// the feed as delivered.
func (s *Stream) send(ctx context.Context, w http.ResponseWriter, rc *http.ResponseController, userID string, ev Event) bool {
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return false
	}
	if ev.ID != 0 {
		fmt.Fprintf(w, "id: %d\n", ev.ID)
	}
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Name, data)
	if rc.Flush() != nil {
		return false
	}
	s.Feed.Delivered(ctx, userID, ev)
	return true
}
