package calls

import (
	"context"
	"encoding/json"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/notify"
)

// EventIncoming names the incoming-call event on notification streams.
const EventIncoming = "call.incoming"

// Ringer delivers the service's incoming-call events to the host's
// notification streams: set Service.Notifier to Ringer{Hub: hub}, and serve
// the streams with notify.Stream{Hub: hub, Feed: service.Feed()}.
type Ringer struct{ Hub *notify.Hub }

// NotifyIncoming implements Notifier. An event the broker refused is not
// lost for good: the call stays waiting, and every stream that opens
// lists it (Pending).
func (r Ringer) NotifyIncoming(hostID string, ev Incoming) {
	_ = r.Hub.Publish(context.Background(), hostID, notify.Event{Name: EventIncoming, Data: ev})
}

// Feed returns the feed of a host's notification streams: the calls
// already waiting for the host when a stream opens, and ringing once an
// incoming call reached the host.
func (s *Service) Feed() notify.Feed { return feed{s} }

type feed struct{ s *Service }

// maxPending bounds the waiting calls a new stream is told of; a host has
// a handful at most, since each one rings for five minutes.
const maxPending = 100

// Pending implements notify.Feed: call.incoming for each call waiting for
// userID as host.
func (f feed) Pending(ctx context.Context, userID string) ([]notify.Event, error) {
	waiting, err := f.s.Store.Calls(ctx, vidivo.CallFilter{UserID: userID, Status: vidivo.CallWaiting, Page: 1, PerPage: maxPending})
	if err != nil {
		return nil, err
	}
	var out []notify.Event
	for _, c := range waiting.Calls {
		if c.HostID == userID {
			out = append(out, notify.Event{Name: EventIncoming, Data: IncomingFor(c)})
		}
	}
	return out, nil
}

// Delivered implements notify.Feed: an incoming call written to its host
// moves from waiting to ringing. Pending events hold an Incoming; published
// ones, which may come from another instance, hold its JSON. Every stream
// of the host, on any instance, reports it: the first moves the call, the
// others find it ringing already (a compare-and-set in the store).
func (f feed) Delivered(ctx context.Context, _ string, ev notify.Event) {
	if ev.Name != EventIncoming {
		return
	}
	switch d := ev.Data.(type) {
	case Incoming:
		f.s.Delivered(ctx, d.CallID)
	case json.RawMessage:
		var in Incoming
		if json.Unmarshal(d, &in) == nil && in.CallID != "" {
			f.s.Delivered(ctx, in.CallID)
		}
	}
}

// Decline ends a call its host does not take: waiting or ringing → missed
// with reason declined, nothing charged, every hold released (at once, or
// by the settle job if the gateway fails for now). Only the call's host
// may. Returns ENOTFOUND, EFORBIDDEN, or ECONFLICT once the call is active
// or ended: the store's compare-and-set moves it only from waiting or
// ringing, so a decline racing an answer never ends a running call.
func (s *Service) Decline(ctx context.Context, caller vidivo.Caller, callID string) (*vidivo.Call, error) {
	c, err := s.Store.CallByID(ctx, callID)
	if err != nil {
		return nil, err
	}
	if !c.IsHost(caller) {
		return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "only the call's host can decline it")
	}
	return s.end(ctx, c, vidivo.EndDeclined, s.now())
}
