package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calls"
	"github.com/vidivo/vidivo/notify"
)

// ssePing keeps idle streams alive through proxies.
const ssePing = 25 * time.Second

// streamRetryAfter is what a user over the stream cap is told to wait: by
// then a ping has found any stream whose client went away.
const streamRetryAfter = ssePing + 5*time.Second

// eventIncoming names the incoming-call event.
const eventIncoming = "call.incoming"

// Ringer delivers a calls service's incoming-call events to the host's
// notification streams (GET /v1/notifications/stream), which encode them:
// set calls.Service.Notifier to Ringer{Hub: hub}, the hub the Server's
// Notify field holds.
type Ringer struct{ Hub *notify.Hub }

// NotifyIncoming implements calls.Notifier.
func (r Ringer) NotifyIncoming(hostID string, ev calls.Incoming) {
	r.Hub.Publish(hostID, notify.Event{Name: eventIncoming, Data: ev})
}

// handleNotificationStream is GET /v1/notifications/stream: server-sent
// events for the signed-in user. A host gets call.incoming for every guest
// waiting on them — those already waiting when the stream opens, and new
// ones as they join. Writing the event to the host is what moves a call to
// ringing. A user may have notify.Hub.Max streams open at once; one more
// is refused with rate_limited.
func (s *Server) handleNotificationStream(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	user := CallerFrom(ctx).Subject
	sub, err := s.Notify.Subscribe(user)
	if errors.Is(err, notify.ErrTooManyStreams) {
		w.Header().Set("Retry-After", strconv.Itoa(int(streamRetryAfter/time.Second)))
		return vidivo.Errorf(vidivo.ERATELIMITED, "at most %d notification streams may be open at once; close one first", s.Notify.Max())
	}
	if err != nil {
		return err
	}
	defer sub.Close()
	rc := http.NewResponseController(w)
	// The stream outlives the server's read timeout, which is meant for
	// reading requests: lift it for this connection.
	_ = rc.SetReadDeadline(time.Time{})

	waiting, err := s.CallStore.Calls(ctx, vidivo.CallFilter{UserID: user, Status: vidivo.CallWaiting, Page: 1, PerPage: 100})
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\n")
	for _, c := range waiting.Calls {
		if c.HostID == user {
			s.sendEvent(w, rc, r, notify.Event{Name: eventIncoming, Data: calls.IncomingFor(c)})
		}
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	ping := time.NewTicker(ssePing)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.streamsDone:
			return nil
		case ev := <-sub.C:
			if !s.sendEvent(w, rc, r, ev) {
				return nil
			}
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
			if rc.Flush() != nil {
				return nil
			}
		}
	}
}

// sendEvent writes one event and flushes it; a delivered incoming call
// starts ringing.
func (s *Server) sendEvent(w http.ResponseWriter, rc *http.ResponseController, r *http.Request, ev notify.Event) bool {
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return false
	}
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Name, data)
	if rc.Flush() != nil {
		return false
	}
	if in, ok := ev.Data.(calls.Incoming); ok && ev.Name == eventIncoming {
		s.Calls.Delivered(r.Context(), in.CallID)
	}
	return true
}
