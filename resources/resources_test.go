package resources_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/resources"
)

const base = "https://vidivo.example"

var (
	t0    = time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)
	host  = &vidivo.User{ID: "01HOST0000000000000000000A", Email: "jane@example.com", DisplayName: "Jane Coach", Timezone: "Europe/Berlin"}
	guest = &vidivo.User{ID: "01GUEST000000000000000000B", Email: "alex@example.com", DisplayName: "Alex Guest", Timezone: "America/New_York"}
	admin = &vidivo.User{ID: "01ADMIN000000000000000000C", Email: "ops@example.com", DisplayName: "Ops"}
)

func str(s string) *string { return &s }
func i64(n int64) *int64   { return &n }

// booking is a paid booking made an hour before t0, for 30 minutes at t0.
func booking() *vidivo.ScheduledCall {
	return &vidivo.ScheduledCall{
		ID: "01BOOK0000000000000000000D", HostID: host.ID, GuestID: guest.ID, StartsAt: t0, EndsAt: t0.Add(30 * time.Minute),
		DurationMinutes: 30, Status: vidivo.BookingConfirmed, Rate: 250, WindowMinutes: 10, CreatedAt: t0.Add(-time.Hour),
	}
}

func canceled(by string, reason *string, rescheduled bool) *vidivo.ScheduledCall {
	b := booking()
	at := t0.Add(-30 * time.Minute)
	b.Status, b.CanceledBy, b.CancelReason, b.CanceledAt, b.Rescheduled = vidivo.BookingCanceled, &by, reason, &at, rescheduled
	return b
}

func TestEvent(t *testing.T) {
	eventURI := base + "/v1/scheduled_events/01BOOK0000000000000000000D"
	active := resources.ScheduledEvent{
		URI: eventURI, Name: "Vidivo call with Jane Coach", Status: "active",
		StartTime: "2026-03-16T09:00:00Z", EndTime: "2026-03-16T09:30:00Z",
		Location:        resources.Location{Type: "vidivo", JoinURL: base + "/join/01BOOK0000000000000000000D"},
		InviteesCounter: resources.InviteesCounter{Total: 1, Active: 1, Limit: 1},
		CreatedAt:       "2026-03-16T08:00:00Z", UpdatedAt: "2026-03-16T08:00:00Z",
		EventMemberships: []resources.EventMembership{{User: base + "/v1/users/" + host.ID,
			UserEmail: "jane@example.com", UserName: "Jane Coach"}},
	}
	withType := active
	withType.Name, withType.EventType = "Intro call", str(base+"/v1/event_types/01ET00000000000000000000E")
	byGuest := active
	byGuest.Status, byGuest.InviteesCounter.Active, byGuest.UpdatedAt = "canceled", 0, "2026-03-16T08:30:00Z"
	byGuest.Cancellation = &resources.Cancellation{CanceledBy: "Alex Guest", Reason: "sick", CancelerType: "invitee",
		CreatedAt: "2026-03-16T08:30:00Z"}
	byAdmin := byGuest
	byAdmin.Cancellation = &resources.Cancellation{CanceledBy: "Ops", CancelerType: "host", CreatedAt: "2026-03-16T08:30:00Z"}

	for _, tc := range []struct {
		name string
		b    *vidivo.ScheduledCall
		d    resources.Details
		want resources.ScheduledEvent
	}{
		{"active", booking(), resources.Details{}, active},
		{"event type names it", booking(), resources.Details{EventType: &vidivo.EventType{ID: "01ET00000000000000000000E", Name: "Intro call"}}, withType},
		{"canceled by the guest", canceled(guest.ID, str("sick"), false), resources.Details{Canceler: guest}, byGuest},
		{"canceled by an admin is the host's side", canceled(admin.ID, nil, false), resources.Details{Canceler: admin}, byAdmin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := resources.Event(base, tc.b, host, tc.d)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Event (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInvitee(t *testing.T) {
	id := "01BOOK0000000000000000000D"
	active := resources.Invitee{
		URI: base + "/v1/scheduled_events/" + id + "/invitees/" + id, Email: "alex@example.com", Name: "Alex Guest",
		Status: "active", Timezone: "America/New_York", Event: base + "/v1/scheduled_events/" + id,
		CreatedAt: "2026-03-16T08:00:00Z", UpdatedAt: "2026-03-16T08:00:00Z",
		CancelURL: base + "/bookings#booking-" + id, RescheduleURL: base + "/bookings/" + id + "/reschedule",
		Payment: &resources.Payment{Rate: "2.50", Currency: "usd", WindowMinutes: 10},
	}
	free := active
	free.Payment = nil
	tracked := active
	tracked.Tracking = resources.Tracking{UTMSource: str("newsletter"), UTMCampaign: str("spring")}
	settled := active
	settled.UpdatedAt = "2026-03-16T09:25:00Z"
	settled.Payment = &resources.Payment{Rate: "2.50", Currency: "usd", WindowMinutes: 10, BilledMinutes: i64(13), Total: str("32.50")}
	rescheduled := active
	rescheduled.Status, rescheduled.Rescheduled, rescheduled.UpdatedAt = "canceled", true, "2026-03-16T08:30:00Z"
	rescheduled.NewInvitee = str(base + "/v1/scheduled_events/01NEXT0000000000000000000F/invitees/01NEXT0000000000000000000F")
	rescheduled.Cancellation = &resources.Cancellation{CanceledBy: "Jane Coach", CancelerType: "host", CreatedAt: "2026-03-16T08:30:00Z"}
	replacement := active
	replacement.OldInvitee = str(base + "/v1/scheduled_events/01PREV0000000000000000000G/invitees/01PREV0000000000000000000G")

	ended := func(status vidivo.CallStatus, minutes int64, total vidivo.Money) *vidivo.Call {
		end := t0.Add(25 * time.Minute)
		return &vidivo.Call{ID: id, Status: status, EndedAt: &end, BilledMinutes: minutes, TotalCharged: total}
	}
	free0 := booking()
	free0.Rate = 0
	utm := booking()
	utm.Tracking = vidivo.Tracking{UTMSource: "newsletter", UTMCampaign: "spring"}
	running := active

	for _, tc := range []struct {
		name string
		b    *vidivo.ScheduledCall
		d    resources.Details
		want resources.Invitee
	}{
		{"paid, not yet called", booking(), resources.Details{}, active},
		{"free call has no payment", free0, resources.Details{}, free},
		{"tracking", utm, resources.Details{}, tracked},
		{"call still running shows no totals", booking(), resources.Details{Session: &vidivo.Call{Status: vidivo.CallActive}}, running},
		{"settled call shows its totals", booking(), resources.Details{Session: ended(vidivo.CallCompleted, 13, 3250)}, settled},
		{"rescheduled by the host", canceled(host.ID, nil, true), resources.Details{Canceler: host, RescheduledTo: "01NEXT0000000000000000000F"}, rescheduled},
		{"the replacement", booking(), resources.Details{RescheduledFrom: "01PREV0000000000000000000G"}, replacement},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := resources.InviteeOf(base, tc.b, guest, tc.d)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Invitee (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJSONFieldNames pins the wire names integrators read: nulls where
// Calendly has nulls, no cancellation or payment block where there is
// none.
func TestJSONFieldNames(t *testing.T) {
	b := booking()
	b.Rate = 0
	raw, err := json.Marshal(resources.InviteePayload(base, b, host, guest, resources.Details{}))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"uri", "email", "name", "first_name", "status", "timezone", "event", "created_at", "updated_at",
		"cancel_url", "reschedule_url", "rescheduled", "old_invitee", "new_invitee", "tracking", "scheduled_event"} {
		if _, ok := got[k]; !ok {
			t.Errorf("payload lacks %q: %s", k, raw)
		}
	}
	for _, k := range []string{"cancellation", "payment"} {
		if _, ok := got[k]; ok {
			t.Errorf("payload of an active free booking has %q: %s", k, raw)
		}
	}
	if got["old_invitee"] != nil || got["first_name"] != nil {
		t.Errorf("old_invitee, first_name = %v, %v; want null", got["old_invitee"], got["first_name"])
	}
	ev, _ := got["scheduled_event"].(map[string]any)
	if ev["uri"] != got["event"] || ev["event_type"] != nil {
		t.Errorf("scheduled_event %v: want uri %v and a null event_type", ev, got["event"])
	}
	tr, _ := got["tracking"].(map[string]any)
	if len(tr) != 5 || tr["utm_source"] != nil {
		t.Errorf("tracking %v: want the five utm_* keys, null", tr)
	}
}
