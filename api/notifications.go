package api

import (
	"net/http"

	"github.com/vidivo/vidivo/calls"
	"github.com/vidivo/vidivo/notify"
)

// Ringer delivers a calls service's incoming-call events to the host's
// notification streams (GET /v1/notifications/stream): set
// calls.Service.Notifier to Ringer{Hub: hub}, the hub the Server's Notify
// field holds. It is calls.Ringer, which the pages' streams share.
type Ringer = calls.Ringer

// handleNotificationStream is GET /v1/notifications/stream: server-sent
// events for the signed-in user. A host gets call.incoming for every guest
// waiting on them — those already waiting when the stream opens, and new
// ones as they join. Writing the event to the host is what moves a call to
// ringing. Published events carry an id, and a stream that reconnects
// with Last-Event-ID first gets what it missed, from any instance of a
// fleet; one that falls behind ends with stream.closed. A user may have
// notify.Hub.Max streams open at once; one more is refused with
// rate_limited. The stream itself is notify.Stream fed by the calls
// service, as the host's dashboard page serves it too.
func (s *Server) handleNotificationStream(w http.ResponseWriter, r *http.Request) error {
	st := notify.Stream{Hub: s.Notify, Feed: s.Calls.Feed(), Done: s.streamsDone}
	return st.Serve(w, r, CallerFrom(r.Context()).Subject)
}
