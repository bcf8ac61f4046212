package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
)

// signupNamed creates an account whose display name is name.
func signupNamed(t *testing.T, e *apitest.Env, username, role, name string) session {
	t.Helper()
	body := signupBody(username, role)
	body["display_name"] = name
	resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: body})
	resp.WantStatus(t, http.StatusCreated)
	var s session
	resp.Decode(t, &s)
	return s
}

// bookBody books with a free-form body.
func bookBody(e *apitest.Env, tok string, body map[string]any) *apitest.Response {
	return e.Do(apitest.Req{Method: "POST", Path: "/v1/schedule/book", Token: tok, Body: body})
}

// bookedAt books minutes at at and returns the booking's id.
func bookedAt(t *testing.T, e *apitest.Env, tok, host string, at time.Time, minutes int) string {
	t.Helper()
	resp := book(e, tok, host, at, minutes)
	resp.WantStatus(t, http.StatusCreated)
	var b bookingResp
	resp.Decode(t, &b)
	return b.ScheduledCall.ID
}

// TestScheduledJoinGuestName: a scheduled join checks guest_name as a link
// join does (it stored 60,000 characters), and without one the host's
// ringer shows the guest account's name (it showed null).
func TestScheduledJoinGuestName(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := signupNamed(t, e, "alex", "client", "Alex Guest")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		at := e.Clock.Now().Truncate(time.Hour).Add(3 * time.Hour)
		id := bookedAt(t, e, guest.AccessToken, "janecoach", at, 30)
		e.Clock.Add(at.Sub(e.Clock.Now()) - 2*time.Minute)
		host, guest = login(t, e, "janecoach"), login(t, e, "alex")
		join := func(body any) *apitest.Response {
			return e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + id + "/join", Token: guest.AccessToken, Body: body})
		}
		for name, guestName := range map[string]string{
			"too long": strings.Repeat("a", 60000),
			"NUL":      "Alex\x00",
			"newline":  "Alex\nBEGIN:VEVENT",
		} {
			eb := join(map[string]any{"guest_name": guestName, "payment_method_id": "pm_card_visa"}).
				WantError(t, http.StatusBadRequest, "validation_error")
			if len(eb.Error.Details) != 1 || eb.Error.Details[0].Field != "guest_name" {
				t.Errorf("%s: details %+v, want guest_name", name, eb.Error.Details)
			}
		}

		events := openStream(t, e, host.AccessToken)
		join(nil).WantStatus(t, http.StatusCreated)
		select {
		case ev := <-events:
			name, data, _ := strings.Cut(ev, " ")
			var in struct {
				CallID    string  `json:"call_id"`
				GuestName *string `json:"guest_name"`
			}
			if err := json.Unmarshal([]byte(data), &in); err != nil || name != "call.incoming" {
				t.Fatalf("event %q: %v", ev, err)
			}
			if in.CallID != id || in.GuestName == nil || *in.GuestName != "Alex Guest" {
				t.Errorf("call.incoming = %s, want the guest's name", data)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no call.incoming for the booked call")
		}
	})
}
