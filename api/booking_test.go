package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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

// mineTotal is how many bookings the user has, confirmed or not.
func mineTotal(t *testing.T, e *apitest.Env, tok string) int {
	t.Helper()
	var mine struct {
		Pagination struct{ Total int } `json:"pagination"`
	}
	e.Do(apitest.Req{Method: "GET", Path: "/v1/schedule/mine", Token: tok}).Decode(t, &mine)
	return mine.Pagination.Total
}

// TestBookingFrozenOnceItsCallExists: joins open five minutes early, and
// once the guest joined (the call exists, waiting to ended) neither
// participant can cancel or move the booking, even after the call was
// completed and charged before the booked start; its time stays taken.
func TestBookingFrozenOnceItsCallExists(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		mustSignup(t, e, "sam", "client")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		at := e.Clock.Now().Truncate(time.Hour).Add(3 * time.Hour)
		waiting := bookedAt(t, e, guest.AccessToken, "janecoach", at, 30)
		completed := bookedAt(t, e, guest.AccessToken, "janecoach", at.Add(2*time.Hour), 30)
		untouched := bookedAt(t, e, guest.AccessToken, "janecoach", at.Add(4*time.Hour), 30)

		cancel := func(id, tok string) *apitest.Response {
			return e.Do(apitest.Req{Method: "PUT", Path: "/v1/schedule/" + id + "/cancel", Token: tok})
		}
		reschedule := func(id, tok string, to time.Time) *apitest.Response {
			return e.Do(apitest.Req{Method: "POST", Path: "/v1/schedule/" + id + "/reschedule", Token: tok,
				Body: map[string]any{"scheduled_at": to.Format(time.RFC3339), "duration_minutes": 30}})
		}
		joinAs := func(id, tok string) {
			t.Helper()
			e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + id + "/join", Token: tok}).WantStatus(t, http.StatusCreated)
		}
		frozen := func(id string) {
			t.Helper()
			host, guest := login(t, e, "janecoach"), login(t, e, "alex")
			for _, tok := range []string{guest.AccessToken, host.AccessToken} {
				cancel(id, tok).WantError(t, http.StatusConflict, "conflict")
				reschedule(id, tok, at.Add(6*time.Hour)).WantError(t, http.StatusConflict, "conflict")
			}
			b, err := e.DB.Booking(t.Context(), id)
			if err != nil || b.Status != "confirmed" {
				t.Fatalf("booking %s after refused changes: %+v, %v", id, b, err)
			}
			// Its time is still taken.
			sam := login(t, e, "sam")
			book(e, sam.AccessToken, "janecoach", b.StartsAt, 30).WantError(t, http.StatusConflict, "conflict")
		}

		// Three minutes early the guest joins: the call is waiting.
		e.Clock.Add(at.Sub(e.Clock.Now()) - 3*time.Minute)
		joinAs(waiting, login(t, e, "alex").AccessToken)
		frozen(waiting)

		// Five minutes before the second booking both join; the host ends
		// the call before the booked start, and it is charged.
		e.Clock.Add(at.Add(2*time.Hour).Sub(e.Clock.Now()) - 5*time.Minute)
		joinAs(completed, login(t, e, "alex").AccessToken)
		joinAs(completed, login(t, e, "janecoach").AccessToken)
		e.Clock.Add(2 * time.Minute)
		var end ended
		endCall(e, login(t, e, "janecoach").AccessToken, completed, "host_ended", "").Decode(t, &end)
		if end.Call.Status != "completed" || end.Call.TotalCharged != "4.00" {
			t.Fatalf("end = %+v", end)
		}
		if money(t, e, completed) != 400 {
			t.Fatal("the completed call was not charged")
		}
		frozen(completed)

		// A booking nobody joined still moves.
		reschedule(untouched, login(t, e, "alex").AccessToken, at.Add(6*time.Hour)).WantStatus(t, http.StatusCreated)
	})
}

// TestBookingVerifiesPaymentMethod: a payment method given at booking is
// verified (nothing charged): declined or unknown ones answer 402 with the
// reason and book nothing. Leaving it out stays valid.
func TestBookingVerifiesPaymentMethod(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		at := nextWeekday(e, time.Wednesday).Add(10 * time.Hour)
		body := func(pm any) map[string]any {
			b := map[string]any{"host_username": "janecoach", "scheduled_at": at.Format(time.RFC3339), "duration_minutes": 30}
			if pm != nil {
				b["payment_method_id"] = pm
			}
			return b
		}
		for _, tc := range []struct{ pm, reason string }{
			{"pm_card_chargeDeclined", "card_declined"},
			{"pm_card_insufficientFunds", "insufficient_funds"},
			{"pm_bogus", "resource_missing"},
		} {
			eb := bookBody(e, guest.AccessToken, body(tc.pm)).WantError(t, http.StatusPaymentRequired, "stripe_error")
			if len(eb.Error.Details) != 1 || eb.Error.Details[0].Field != "payment_method_id" || eb.Error.Details[0].Issue != tc.reason {
				t.Errorf("%s: details %+v, want payment_method_id: %s", tc.pm, eb.Error.Details, tc.reason)
			}
		}
		e.Gateway.FailNext(1, "verify", "temporary")
		eb := bookBody(e, guest.AccessToken, body("pm_card_visa")).WantError(t, http.StatusPaymentRequired, "stripe_error")
		if len(eb.Error.Details) != 1 || eb.Error.Details[0].Issue != "gateway_unavailable" {
			t.Errorf("outage: details %+v", eb.Error.Details)
		}
		if n := mineTotal(t, e, guest.AccessToken); n != 0 {
			t.Fatalf("%d bookings after refused payment methods, want 0", n)
		}
		bookBody(e, guest.AccessToken, body("pm_card_visa")).WantStatus(t, http.StatusCreated)
		bookBody(e, guest.AccessToken, map[string]any{"host_username": "janecoach",
			"scheduled_at": at.Add(time.Hour).Format(time.RFC3339), "duration_minutes": 30}).WantStatus(t, http.StatusCreated)
	})
}

// TestBookingRequiresPaymentMethod: a host may require a payment method at
// booking; it is then verified like any other.
func TestBookingRequiresPaymentMethod(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		doc := allDay()
		doc["require_payment_method"] = true
		putAvailability(t, e, host.AccessToken, doc).WantStatus(t, http.StatusOK)
		var got struct {
			Require bool `json:"require_payment_method"`
			Max     int  `json:"max_upcoming_bookings_per_guest"`
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me/availability", Token: host.AccessToken}).Decode(t, &got)
		if !got.Require || got.Max != 3 {
			t.Errorf("availability = %+v, want require_payment_method and the default cap of 3", got)
		}
		at := nextWeekday(e, time.Wednesday).Add(10 * time.Hour)
		b := map[string]any{"host_username": "janecoach", "scheduled_at": at.Format(time.RFC3339), "duration_minutes": 30}
		eb := bookBody(e, guest.AccessToken, b).WantError(t, http.StatusBadRequest, "validation_error")
		if len(eb.Error.Details) != 1 || eb.Error.Details[0].Field != "payment_method_id" {
			t.Errorf("details %+v, want payment_method_id", eb.Error.Details)
		}
		b["payment_method_id"] = "pm_card_chargeDeclined"
		bookBody(e, guest.AccessToken, b).WantError(t, http.StatusPaymentRequired, "stripe_error")
		b["payment_method_id"] = "pm_card_visa"
		bookBody(e, guest.AccessToken, b).WantStatus(t, http.StatusCreated)
		for _, bad := range []any{0, 101, "3", true} {
			doc := allDay()
			doc["max_upcoming_bookings_per_guest"] = bad
			putAvailability(t, e, host.AccessToken, doc).WantError(t, http.StatusBadRequest, "validation_error")
		}
		putAvailability(t, e, host.AccessToken, map[string]any{"require_payment_method": "yes"}).
			WantError(t, http.StatusBadRequest, "validation_error")
	})
}

// TestBookingCapPerGuest: one guest holds at most the host's cap of
// upcoming bookings (default 3), however many requests race; the answer is
// 403 forbidden, not the 409 of a taken time.
func TestBookingCapPerGuest(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		hoarder := mustSignup(t, e, "hoarder", "client")
		other := mustSignup(t, e, "alex", "client")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		at := nextWeekday(e, time.Wednesday)

		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			statuses = map[int]int{}
		)
		for i := range 12 {
			wg.Go(func() {
				resp := book(e, hoarder.AccessToken, "janecoach", at.Add(time.Duration(i)*time.Hour), 30)
				mu.Lock()
				statuses[resp.Status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if diff := cmp.Diff(map[int]int{201: 3, 403: 9}, statuses); diff != "" {
			t.Fatalf("12 racing bookings of one guest (-want +got):\n%s", diff)
		}
		eb := book(e, hoarder.AccessToken, "janecoach", at.Add(20*time.Hour), 30).WantError(t, http.StatusForbidden, "forbidden")
		if !strings.Contains(eb.Error.Message, "upcoming bookings") {
			t.Errorf("message %q does not say why", eb.Error.Message)
		}
		// Another guest is not held back.
		book(e, other.AccessToken, "janecoach", at.Add(20*time.Hour), 30).WantStatus(t, http.StatusCreated)

		// The host lowers the cap to 1: already at 3, the hoarder waits
		// until bookings have passed or are canceled.
		doc := allDay()
		doc["max_upcoming_bookings_per_guest"] = 1
		putAvailability(t, e, host.AccessToken, doc).WantStatus(t, http.StatusOK)
		book(e, other.AccessToken, "janecoach", at.Add(21*time.Hour), 30).WantError(t, http.StatusForbidden, "forbidden")
		e.Clock.Add(at.Add(23 * time.Hour).Sub(e.Clock.Now()))
		other = login(t, e, "alex")
		book(e, other.AccessToken, "janecoach", at.Add(30*time.Hour), 30).WantStatus(t, http.StatusCreated)
	})
}

// TestUnpricedHostOffersNothing: a host with no rate (none in the
// availability, no active link) shows no slots, and booking answers 400,
// not the 409 of a taken time; once a link prices the calls, slots appear.
func TestUnpricedHostOffersNothing(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		doc := allDay()
		delete(doc, "rate_per_minute")
		delete(doc, "window_size_minutes")
		putAvailability(t, e, host.AccessToken, doc).WantStatus(t, http.StatusOK)
		et := mustEventType(t, e, host.AccessToken, "intro", 30)
		monday := nextWeekday(e, time.Monday)
		day := monday.Format("2006-01-02")
		type page struct {
			Host struct {
				Rate   *string `json:"rate_per_minute"`
				Window *int    `json:"window_size_minutes"`
			} `json:"host"`
			Slots []struct {
				Available bool `json:"available"`
			} `json:"slots"`
		}
		slots := func() page {
			var p page
			e.Do(apitest.Req{Method: "GET", Path: "/v1/schedule/janecoach?start_date=" + day + "&end_date=" + day}).Decode(t, &p)
			return p
		}
		if p := slots(); p.Host.Rate != nil || p.Host.Window != nil || len(p.Slots) != 0 {
			t.Errorf("unpriced host: %+v, want no price and no slots", p)
		}
		var times struct {
			Collection []any `json:"collection"`
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/event_type_available_times?event_type=" + et.ID + "&" +
			rangeQuery(monday, monday.Add(24*time.Hour))}).Decode(t, &times)
		if len(times.Collection) != 0 {
			t.Errorf("unpriced host's event type offers %d times", len(times.Collection))
		}
		eb := book(e, guest.AccessToken, "janecoach", monday.Add(10*time.Hour), 30).WantError(t, http.StatusBadRequest, "validation_error")
		if len(eb.Error.Details) != 1 || eb.Error.Details[0].Field != "host_username" || !strings.Contains(eb.Error.Message, "no price") {
			t.Errorf("unpriced booking: %+v", eb.Error)
		}

		createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "3.00", "window_size_minutes": 5})
		p := slots()
		if p.Host.Rate == nil || *p.Host.Rate != "3.00" || p.Host.Window == nil || *p.Host.Window != 5 || len(p.Slots) != 24 || !p.Slots[12].Available {
			t.Errorf("priced by the link: %+v", p)
		}
		book(e, guest.AccessToken, "janecoach", monday.Add(10*time.Hour), 30).WantStatus(t, http.StatusCreated)
	})
}

// TestScheduledJoinHoldsOnTheVerifiedCustomer: the customer a payment
// method was saved to at booking is the one the call's holds name, so
// later windows can be held off-session.
func TestScheduledJoinHoldsOnTheVerifiedCustomer(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		at := e.Clock.Now().Truncate(time.Hour).Add(3 * time.Hour)
		id := bookedAt(t, e, guest.AccessToken, "janecoach", at, 30)
		b, err := e.DB.Booking(t.Context(), id)
		if err != nil || b.CustomerID == nil || *b.CustomerID == "" {
			t.Fatalf("booking with a verified payment method: %+v, %v", b, err)
		}
		e.Clock.Add(at.Sub(e.Clock.Now()) - time.Minute)
		guest = login(t, e, "alex")
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + id + "/join", Token: guest.AccessToken}).WantStatus(t, http.StatusCreated)
		c, err := e.DB.CallByID(t.Context(), id)
		if err != nil || c.CustomerID != *b.CustomerID {
			t.Errorf("call's customer = %q (%v), want the booking's %q", c.CustomerID, err, *b.CustomerID)
		}
	})
}
