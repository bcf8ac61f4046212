package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
)

// typedEvent is the part of a scheduled event that names its event type.
type typedEvent struct {
	URI       string  `json:"uri"`
	Name      string  `json:"name"`
	Status    string  `json:"status"`
	EventType *string `json:"event_type"`
}

// TestScheduledEventEventType: a booking made with an event type (by id
// or by slug) shows the event type's uri, which GET answers, and its name
// in GET /v1/scheduled_events/{uuid}, in the list and in its webhook
// payloads, and keeps them through a reschedule; a booking made by
// duration alone shows null and the default name, also after a
// reschedule.
func TestScheduledEventEventType(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := signupNamed(t, e, "alex", "client", "Alex Guest")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		resp := createEventType(e, host.AccessToken, map[string]any{"name": "30 Minute Consultation", "slug": "consult",
			"duration_minutes": 30})
		resp.WantStatus(t, http.StatusCreated)
		var et struct{ Resource eventType }
		resp.Decode(t, &et)
		rc := newReceiver(t, e)
		sub := mustSubscribe(t, e, host, rc, vidivo.EventInviteeCreated, vidivo.EventInviteeCanceled)

		at := e.Clock.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour)
		book := func(hour int, extra map[string]any) string {
			t.Helper()
			body := map[string]any{"host_username": "janecoach", "scheduled_at": at.Add(time.Duration(hour) * time.Hour).Format(time.RFC3339)}
			for k, v := range extra {
				body[k] = v
			}
			resp := bookBody(e, guest.AccessToken, body)
			resp.WantStatus(t, http.StatusCreated)
			var b bookingResp
			resp.Decode(t, &b)
			return b.ScheduledCall.ID
		}
		byID := book(0, map[string]any{"event_type": et.Resource.ID})
		bySlug := book(1, map[string]any{"event_type": "consult"})
		plain := book(2, map[string]any{"duration_minutes": 30})

		typed := &typedEvent{Name: "30 Minute Consultation", EventType: &et.Resource.URI}
		untyped := &typedEvent{Name: "Vidivo call with Jane Smith"}
		want := func(id string, w *typedEvent) typedEvent {
			return typedEvent{URI: apitest.PublicURL + "/v1/scheduled_events/" + id, Name: w.Name, Status: "active",
				EventType: w.EventType}
		}
		getEvent := func(id string) typedEvent {
			t.Helper()
			var out struct{ Resource typedEvent }
			resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/scheduled_events/" + id, Token: guest.AccessToken})
			resp.WantStatus(t, http.StatusOK)
			resp.Decode(t, &out)
			return out.Resource
		}
		for id, w := range map[string]*typedEvent{byID: typed, bySlug: typed, plain: untyped} {
			if diff := cmp.Diff(want(id, w), getEvent(id)); diff != "" {
				t.Errorf("GET event %s (-want +got):\n%s", id, diff)
			}
		}

		// The event type's uri is the route that returns it.
		var got struct{ Resource eventType }
		resp = e.Do(apitest.Req{Method: "GET", Path: path(t, *getEvent(byID).EventType)})
		resp.WantStatus(t, http.StatusOK)
		resp.Decode(t, &got)
		if got.Resource.URI != et.Resource.URI || got.Resource.Name != "30 Minute Consultation" {
			t.Errorf("GET event type = %+v, want %s", got.Resource, et.Resource.URI)
		}

		// Rescheduled, both keep what they had; the canceled old ones too.
		reschedule := func(id string, hour int) string {
			t.Helper()
			resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/schedule/" + id + "/reschedule", Token: guest.AccessToken,
				Body: map[string]any{"scheduled_at": at.Add(time.Duration(hour) * time.Hour).Format(time.RFC3339), "duration_minutes": 30}})
			resp.WantStatus(t, http.StatusCreated)
			var b bookingResp
			resp.Decode(t, &b)
			return b.ScheduledCall.ID
		}
		movedTyped, movedPlain := reschedule(byID, 4), reschedule(plain, 5)
		for id, w := range map[string]*typedEvent{movedTyped: typed, movedPlain: untyped} {
			if diff := cmp.Diff(want(id, w), getEvent(id)); diff != "" {
				t.Errorf("GET rescheduled event %s (-want +got):\n%s", id, diff)
			}
		}
		for id, w := range map[string]*typedEvent{byID: typed, plain: untyped} {
			ev := getEvent(id)
			if ev.Status != "canceled" || ev.Name != w.Name || !cmp.Equal(ev.EventType, w.EventType) {
				t.Errorf("old event %s: %s, name %q, event_type %s; want canceled, %q, %s", id, ev.Status, ev.Name,
					orNull(ev.EventType), w.Name, orNull(w.EventType))
			}
		}

		// The list says the same.
		q := url.Values{"user": {userURI(guest.User.ID)}, "status": {"active"}}
		resp = e.Do(apitest.Req{Method: "GET", Path: "/v1/scheduled_events?" + q.Encode(), Token: guest.AccessToken})
		resp.WantStatus(t, http.StatusOK)
		var list struct{ Collection []typedEvent }
		resp.Decode(t, &list)
		wantList := map[string]typedEvent{}
		for id, w := range map[string]*typedEvent{bySlug: typed, movedTyped: typed, movedPlain: untyped} {
			wantList[apitest.PublicURL+"/v1/scheduled_events/"+id] = want(id, w)
		}
		if len(list.Collection) != len(wantList) {
			t.Fatalf("list has %d events, want %d", len(list.Collection), len(wantList))
		}
		for _, ev := range list.Collection {
			w := wantList[ev.URI]
			if ev.Name != w.Name || !cmp.Equal(ev.EventType, w.EventType) {
				t.Errorf("listed %s: name %q, event_type %s; want %q, %s", ev.URI, ev.Name, orNull(ev.EventType), w.Name,
					orNull(w.EventType))
			}
		}

		// Webhook payloads embed the same event.
		pump(t, e, sub.ID())
		deliveredEvents := map[string]int{}
		for _, d := range rc.received() {
			var p struct {
				ScheduledEvent typedEvent `json:"scheduled_event"`
			}
			if err := json.Unmarshal(d.Envelope.Payload, &p); err != nil {
				t.Fatal(err)
			}
			ev := p.ScheduledEvent
			w := untyped
			if ev.URI == want(byID, typed).URI || ev.URI == want(bySlug, typed).URI || ev.URI == want(movedTyped, typed).URI {
				w = typed
			}
			if ev.Name != w.Name || !cmp.Equal(ev.EventType, w.EventType) {
				t.Errorf("%s payload's event %s: name %q, event_type %s; want %q, %s", d.Envelope.Event, ev.URI, ev.Name,
					orNull(ev.EventType), w.Name, orNull(w.EventType))
			}
			deliveredEvents[d.Envelope.Event]++
		}
		if deliveredEvents[vidivo.EventInviteeCreated] != 5 || deliveredEvents[vidivo.EventInviteeCanceled] != 2 {
			t.Errorf("delivered %v, want 5 invitee.created and 2 invitee.canceled", deliveredEvents)
		}
	})
}

// orNull shows an optional string in a message.
func orNull(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}
