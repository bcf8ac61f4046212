package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo/api/apitest"
)

// trackingOut is a booking's tracking as responses render it.
type trackingOut struct {
	UTMSource   *string `json:"utm_source"`
	UTMMedium   *string `json:"utm_medium"`
	UTMCampaign *string `json:"utm_campaign"`
	UTMContent  *string `json:"utm_content"`
	UTMTerm     *string `json:"utm_term"`
}

type trackedBooking struct {
	ScheduledCall struct {
		ID       string       `json:"id"`
		Tracking *trackingOut `json:"tracking"`
	} `json:"scheduled_call"`
}

func strp(s string) *string { return &s }

// TestBookingTracking: UTM parameters given at booking are stored with it,
// returned by the booking, by GET /v1/schedule/mine to host and guest, and
// kept across a reschedule; without them every one is null.
func TestBookingTracking(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		at := e.Clock.Now().Truncate(time.Hour).Add(3 * time.Hour)
		resp := bookBody(e, guest.AccessToken, map[string]any{"host_username": "janecoach",
			"scheduled_at": at.Format(time.RFC3339), "duration_minutes": 30,
			"tracking": map[string]any{"utm_source": "newsletter", "utm_medium": "email",
				"utm_campaign": "spring coaching ✓", "utm_content": nil, "utm_term": ""}})
		resp.WantStatus(t, http.StatusCreated)
		var booked trackedBooking
		resp.Decode(t, &booked)
		want := &trackingOut{UTMSource: strp("newsletter"), UTMMedium: strp("email"), UTMCampaign: strp("spring coaching ✓")}
		if diff := cmp.Diff(want, booked.ScheduledCall.Tracking); diff != "" {
			t.Errorf("booked tracking (-want +got):\n%s", diff)
		}
		for _, tok := range []string{guest.AccessToken, host.AccessToken} {
			if diff := cmp.Diff(want, mineTracking(t, e, tok, booked.ScheduledCall.ID)); diff != "" {
				t.Errorf("GET /v1/schedule/mine tracking (-want +got):\n%s", diff)
			}
		}

		resp = e.Do(apitest.Req{Method: "POST", Path: "/v1/schedule/" + booked.ScheduledCall.ID + "/reschedule",
			Token: guest.AccessToken, Body: map[string]any{"scheduled_at": at.Add(2 * time.Hour).Format(time.RFC3339), "duration_minutes": 30}})
		resp.WantStatus(t, http.StatusCreated)
		var moved trackedBooking
		resp.Decode(t, &moved)
		if diff := cmp.Diff(want, moved.ScheduledCall.Tracking); diff != "" {
			t.Errorf("rescheduled tracking (-want +got):\n%s", diff)
		}

		plain := bookedAt(t, e, guest.AccessToken, "janecoach", at.Add(6*time.Hour), 30)
		if diff := cmp.Diff(&trackingOut{}, mineTracking(t, e, guest.AccessToken, plain)); diff != "" {
			t.Errorf("tracking of a booking without it (-want +got):\n%s", diff)
		}
	})
}

// mineTracking finds booking id in the caller's bookings and returns its
// tracking (nil if the response has none).
func mineTracking(t *testing.T, e *apitest.Env, tok, id string) *trackingOut {
	t.Helper()
	var out struct {
		ScheduledCalls []struct {
			ID       string       `json:"id"`
			Tracking *trackingOut `json:"tracking"`
		} `json:"scheduled_calls"`
	}
	resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/schedule/mine?per_page=100", Token: tok})
	resp.WantStatus(t, http.StatusOK)
	resp.Decode(t, &out)
	for _, c := range out.ScheduledCalls {
		if c.ID == id {
			return c.Tracking
		}
	}
	t.Fatalf("booking %s not in GET /v1/schedule/mine", id)
	return nil
}

// TestBookingTrackingInvalid: bad UTM parameters are a validation error
// naming the parameter, and nothing is booked (the slot stays free).
func TestBookingTrackingInvalid(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		at := e.Clock.Now().Truncate(time.Hour).Add(3 * time.Hour)
		for name, tc := range map[string]struct {
			tracking any
			field    string
		}{
			"too long":      {map[string]any{"utm_source": strings.Repeat("a", 256)}, "tracking.utm_source"},
			"line break":    {map[string]any{"utm_term": "a\nb"}, "tracking.utm_term"},
			"control":       {map[string]any{"utm_campaign": "a\x00b"}, "tracking.utm_campaign"},
			"not a string":  {map[string]any{"utm_medium": 5}, "tracking.utm_medium"},
			"unknown key":   {map[string]any{"utm_id": "x"}, "utm_id"},
			"not an object": {"utm_source=x", "tracking"},
		} {
			t.Run(name, func(t *testing.T) {
				resp := bookBody(e, guest.AccessToken, map[string]any{"host_username": "janecoach",
					"scheduled_at": at.Format(time.RFC3339), "duration_minutes": 30, "tracking": tc.tracking})
				wantField(t, resp, tc.field)
			})
		}
		// 255 characters is the limit, not over it; the slot was never taken.
		resp := bookBody(e, guest.AccessToken, map[string]any{"host_username": "janecoach",
			"scheduled_at": at.Format(time.RFC3339), "duration_minutes": 30,
			"tracking": map[string]any{"utm_source": strings.Repeat("é", 255)}})
		resp.WantStatus(t, http.StatusCreated)
	})
}
