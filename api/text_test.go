package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
)

// TestNULRefused sends a NUL (and other text no database column can hold)
// in every free-text field, path id and query parameter that reaches the
// store. PostgreSQL refuses NUL in text (and integers past INTEGER), so
// before the one text rule these answered 500 there while SQLite stored
// them: each must be a 4xx naming the field, on both engines.
func TestNULRefused(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		code := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10}).ShortCode
		client := mustSignup(t, e, "alex", "client")
		at := nextWeekday(e, time.Tuesday).Add(10 * time.Hour)
		resp := book(e, client.AccessToken, "janecoach", at, 30)
		resp.WantStatus(t, http.StatusCreated)
		var b bookingResp
		resp.Decode(t, &b)
		booking := b.ScheduledCall.ID

		const nul = "a\x00b"
		bookBody := func(field string, v any) map[string]any {
			body := map[string]any{"host_username": "janecoach", "scheduled_at": at.Add(2 * time.Hour).Format(time.RFC3339),
				"duration_minutes": 30, "note": "hi"}
			body[field] = v
			return body
		}
		t.Run("idempotency key", func(t *testing.T) {
			// Header values may carry bytes that are not UTF-8; the key is stored.
			resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/join/" + code, Header: http.Header{"X-Idempotency-Key": {"k\xff"}},
				Body: map[string]any{"payment_method_id": "pm_card_visa"}})
			wantField(t, resp, "X-Idempotency-Key")
		})
		for _, tc := range []struct {
			name         string
			method, path string
			tok          string
			body         any
			status       int
			field        string
		}{
			{"signup email", "POST", "/v1/auth/signup", "", map[string]any{"email": "jane\x00@example.com", "password": "0123456789",
				"username": "jane2", "display_name": "J", "role": "client"}, 400, "email"},
			{"login email", "POST", "/v1/auth/login", "", map[string]any{"email": "alex@example.com\x00", "password": "x"}, 400, "email"},
			{"display name", "PATCH", "/v1/users/me", client.AccessToken, map[string]any{"display_name": nul}, 400, "display_name"},
			{"display name newline", "PATCH", "/v1/users/me", client.AccessToken, map[string]any{"display_name": "a\nb"}, 400, "display_name"},
			{"link label", "POST", "/v1/links", host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10, "label": nul}, 400, "label"},
			{"link label newline", "POST", "/v1/links", host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10, "label": "a\r\nb"}, 400, "label"},
			{"max uses beyond INTEGER", "POST", "/v1/links", host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10, "max_uses": 3000000000}, 400, "max_uses"},
			{"call link label", "POST", "/v1/calls/links", host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10, "label": nul}, 400, "label"},
			{"guest name", "POST", "/v1/calls/join/" + code, "", map[string]any{"payment_method_id": "pm_card_visa", "guest_name": nul}, 400, "guest_name"},
			{"guest name newline", "POST", "/v1/calls/join/" + code, "", map[string]any{"payment_method_id": "pm_card_visa", "guest_name": "a\nb"}, 400, "guest_name"},
			{"guest email", "POST", "/v1/calls/join/" + code, "", map[string]any{"payment_method_id": "pm_card_visa", "guest_email": "a@b.co\x00"}, 400, "guest_email"},
			{"join payment method", "POST", "/v1/calls/join/" + code, "", map[string]any{"payment_method_id": "pm_card_visa\x00"}, 400, "payment_method_id"},
			{"booking note", "POST", "/v1/schedule/book", client.AccessToken, bookBody("note", nul), 400, "note"},
			{"booking host", "POST", "/v1/schedule/book", client.AccessToken, bookBody("host_username", "jane\x00coach"), 400, "host_username"},
			{"booking event type", "POST", "/v1/schedule/book", client.AccessToken, bookBody("event_type", nul), 400, "event_type"},
			{"booking payment method", "POST", "/v1/schedule/book", client.AccessToken, bookBody("payment_method_id", "pm\x00"), 400, "payment_method_id"},
			{"cancel reason", "PUT", "/v1/schedule/" + booking + "/cancel", client.AccessToken, map[string]any{"reason": nul}, 400, "reason"},
			{"scheduled join guest name", "POST", "/v1/calls/" + booking + "/join", client.AccessToken, map[string]any{"guest_name": nul}, 400, "guest_name"},
			{"event type name", "POST", "/v1/event_types", host.AccessToken, map[string]any{"name": nul, "slug": "intro", "duration_minutes": 15}, 400, "name"},
			{"event type slug", "POST", "/v1/event_types", host.AccessToken, map[string]any{"name": "Intro", "slug": "in\x00tro", "duration_minutes": 15}, 400, "slug"},
			{"availability zone", "PUT", "/v1/users/me/availability", host.AccessToken, map[string]any{"timezone": "UTC\x00"}, 400, "timezone"},
			{"nested key", "PUT", "/v1/users/me/availability", host.AccessToken, map[string]any{"weekly": []map[string]any{{"day": "monday\x00", "intervals": []any{}}}}, 400, "weekly[0].day"},

			{"link by short code", "GET", "/v1/links/abc%00defgh", "", nil, 404, ""},
			{"link by bad shape", "GET", "/v1/links/abc-defgh", "", nil, 404, ""},
			{"delete link", "DELETE", "/v1/links/%00", host.AccessToken, nil, 404, ""},
			{"delete link bad id", "DELETE", "/v1/links/not-an-id", host.AccessToken, nil, 404, ""},
			{"link info", "GET", "/v1/calls/links/abc%00defgh/info", "", nil, 404, ""},
			{"active link", "GET", "/v1/calls/links/active/jane%00coach", "", nil, 404, ""},
			{"join link", "POST", "/v1/calls/join/" + code + "%00", "", map[string]any{"payment_method_id": "pm_card_visa"}, 404, ""},
			{"call", "GET", "/v1/calls/%00", host.AccessToken, nil, 404, ""},
			{"call bad id", "GET", "/v1/calls/0123", host.AccessToken, nil, 404, ""},
			{"host join", "POST", "/v1/calls/%00/host-join", host.AccessToken, map[string]any{}, 404, ""},
			{"end", "POST", "/v1/calls/x%00/end", host.AccessToken, map[string]any{"reason": "user_ended"}, 404, ""},
			{"slots", "GET", "/v1/schedule/jane%00coach", "", nil, 404, ""},
			{"calendar", "GET", "/v1/schedule/%00/calendar", client.AccessToken, nil, 404, ""},
			{"cancel", "PUT", "/v1/schedule/%00/cancel", client.AccessToken, map[string]any{}, 404, ""},
			{"reschedule", "POST", "/v1/schedule/%ff/reschedule", client.AccessToken, map[string]any{"scheduled_at": at.Format(time.RFC3339), "duration_minutes": 30}, 404, ""},
			{"event type", "GET", "/v1/event_types/%00", "", nil, 404, ""},
			{"event type update", "PATCH", "/v1/event_types/%00", host.AccessToken, map[string]any{"name": "x"}, 404, ""},
			{"availability schedule", "GET", "/v1/user_availability_schedules/%00", "", nil, 404, ""},

			{"schedules user", "GET", "/v1/user_availability_schedules?user=%00", "", nil, 400, "user"},
			{"event types user", "GET", "/v1/event_types?user=jane%00coach", "", nil, 400, "user"},
			{"event types organization", "GET", "/v1/event_types?organization=%00", "", nil, 400, "organization"},
			{"busy times user", "GET", "/v1/user_busy_times?user=%00", "", nil, 400, "user"},
			{"available times event type", "GET", "/v1/event_type_available_times?event_type=%00", "", nil, 400, "event_type"},
			{"slots event type", "GET", "/v1/schedule/janecoach?event_type=%00", "", nil, 400, "event_type"},
			{"slots from", "GET", "/v1/schedule/janecoach?from=%ff", "", nil, 400, "from"},
			{"history status", "GET", "/v1/calls/history?status=%00", host.AccessToken, nil, 400, "status"},
			{"links cursor", "GET", "/v1/links?cursor=%00", host.AccessToken, nil, 400, "cursor"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := e.Do(apitest.Req{Method: tc.method, Path: tc.path, Token: tc.tok, Body: tc.body})
				if tc.status == http.StatusNotFound {
					resp.WantError(t, http.StatusNotFound, "not_found")
					return
				}
				wantField(t, resp, tc.field)
			})
		}
	})
}
