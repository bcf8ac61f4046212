package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/schedule"
)

// bookable signs up a host whose every hour is bookable (UTC, $1.00 a
// minute, one-hour slots) through the availability editor.
func (s *site) bookable(t *testing.T, name string) *browser {
	t.Helper()
	h := s.host(t, name)
	f := url.Values{"timezone": {"UTC"}, "slot_minutes": {"60"}, "max_days_ahead": {"60"},
		"max_upcoming_bookings_per_guest": {"5"}, "rate_per_minute": {"1.00"}}
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		f.Set("weekly."+d+".start", "00:00")
		f.Set("weekly."+d+".end", "24:00")
	}
	if p := h.post("/settings/availability", f); p.Status != http.StatusSeeOther {
		t.Fatalf("save availability = %d:\n%s", p.Status, p.Body)
	}
	return h
}

// hour is the start of the hour h hours after the current one.
func (s *site) hour(h int) time.Time {
	return s.Clock.Now().Truncate(time.Hour).Add(time.Duration(h) * time.Hour)
}

// book books an hour with host for the client signed in in b.
func (s *site) book(t *testing.T, b *browser, host string, at time.Time) string {
	t.Helper()
	minutes := 60
	res, err := s.Server.Booking.Book(context.Background(), booking.BookRequest{
		Caller:       vidivo.Caller{Subject: me(t, s, b.token()), Role: vidivo.RoleClient},
		HostUsername: host, ScheduledAt: at.Format(time.RFC3339), DurationMinutes: &minutes})
	if err != nil {
		t.Fatalf("book %s at %s: %v", host, at, err)
	}
	return res.ID
}

func (s *site) booking(t *testing.T, id string) *vidivo.ScheduledCall {
	t.Helper()
	b, err := s.DB.Booking(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// free reports whether the host's slot at start is offered.
func (s *site) free(t *testing.T, host string, start time.Time) bool {
	t.Helper()
	d := schedule.DateOf(start)
	res, err := s.Server.Booking.Slots(context.Background(), booking.SlotsQuery{Username: host, From: d, To: d})
	if err != nil {
		t.Fatal(err)
	}
	for _, sl := range res.Slots {
		if sl.Start.Equal(start) {
			return sl.Available
		}
	}
	return false
}

func TestBookingsListAndCancel(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := s.bookable(t, "Hollis")
		client := s.signedUp(t, "Casey", vidivo.RoleClient)
		soon := s.book(t, client, "hollis", s.hour(3))
		later := s.book(t, client, "hollis", s.hour(30))

		p := h.get("/bookings")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "With your client Casey") {
			t.Fatalf("host's bookings = %d:\n%s", p.Status, p.Body)
		}
		p = client.get("/bookings")
		if !strings.Contains(p.Body, "With Hollis") || strings.Index(p.Body, "booking-"+soon) > strings.Index(p.Body, "booking-"+later) {
			t.Errorf("client's bookings lack the host or are not soonest first:\n%s", p.Body)
		}

		if !strings.Contains(p.Body, `href="/booked/`+soon+`/invite.ics"`) {
			t.Errorf("no calendar file offered for the booking:\n%s", p.Body)
		}
		if ics := client.get("/booked/" + soon + "/invite.ics"); ics.Status != http.StatusOK || !strings.Contains(ics.Body, "BEGIN:VCALENDAR") {
			t.Errorf("calendar file = %d:\n%s", ics.Status, ics.Body)
		}

		// A stranger cannot cancel it; the client can, with a reason.
		stranger := s.signedUp(t, "Sam", vidivo.RoleClient)
		if p := stranger.post("/bookings/"+soon+"/cancel", url.Values{"reason": {"mine now"}}); p.Status != http.StatusForbidden {
			t.Errorf("stranger cancels = %d, want 403", p.Status)
		}
		if s.free(t, "hollis", s.hour(3)) {
			t.Fatal("the booked hour is offered")
		}
		p = client.post("/bookings/"+soon+"/cancel", url.Values{"reason": {"Something came up"}})
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/bookings?done=canceled" {
			t.Fatalf("cancel = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
		}
		b := s.booking(t, soon)
		if b.Status != vidivo.BookingCanceled || b.CancelReason == nil || *b.CancelReason != "Something came up" {
			t.Errorf("canceled booking = %s, reason %v", b.Status, b.CancelReason)
		}
		if !s.free(t, "hollis", s.hour(3)) {
			t.Error("the canceled hour is not offered again")
		}
		p = h.get("/bookings")
		if !strings.Contains(p.Body, "Reason: Something came up") || !strings.Contains(p.Body, `data-status="canceled"`) {
			t.Errorf("host does not see the cancellation and its reason:\n%s", p.Body)
		}
		// Canceling twice is refused on the page, which says why.
		p = client.post("/bookings/"+soon+"/cancel", nil)
		if p.Status != http.StatusConflict || !strings.Contains(p.Body, "The booking was not canceled: the booking is already canceled") {
			t.Errorf("cancel again = %d:\n%s", p.Status, p.Body)
		}

		// Once the later booking's hour is over, it is listed under Past,
		// after the upcoming ones, and can no longer be changed.
		upcoming := s.book(t, client, "hollis", s.hour(50))
		s.Clock.Add(32 * time.Hour)
		p = client.get("/bookings")
		up, past := strings.Index(p.Body, `id="upcoming-title"`), strings.Index(p.Body, `id="past-title"`)
		if i := strings.Index(p.Body, "booking-"+upcoming); i < up || i > past {
			t.Errorf("upcoming booking not under Upcoming:\n%s", p.Body)
		}
		if i := strings.Index(p.Body, "booking-"+later); i < past {
			t.Errorf("past booking not under Past:\n%s", p.Body)
		}
		if strings.Contains(p.Body, "/bookings/"+later+"/cancel") {
			t.Error("a past booking offers to cancel")
		}
	})
}

func TestBookingsReschedule(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		s.bookable(t, "Hollis")
		client := s.signedUp(t, "Casey", vidivo.RoleClient)
		other := s.signedUp(t, "Dana", vidivo.RoleClient)
		id := s.book(t, client, "hollis", s.hour(3))
		taken := s.hour(8)
		s.book(t, other, "hollis", taken)

		if p := other.get("/bookings/" + id + "/reschedule"); p.Status != http.StatusNotFound {
			t.Errorf("someone else's reschedule page = %d, want 404", p.Status)
		}
		p := client.get("/bookings/" + id + "/reschedule")
		target := s.hour(6).UTC().Format(time.RFC3339)
		if p.Status != http.StatusOK || !strings.Contains(p.Body, `value="`+target+`"`) {
			t.Fatalf("reschedule page = %d lacks %s:\n%s", p.Status, target, p.Body)
		}
		if strings.Contains(p.Body, `value="`+taken.Format(time.RFC3339)+`"`) {
			t.Error("the reschedule page offers a booked hour")
		}

		// Times show in a zone of the viewer's choice, kept by the form.
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		p = client.get("/bookings/" + id + "/reschedule?tz=America/New_York")
		if want := s.hour(6).In(ny).Format("15:04") + "–"; p.Status != http.StatusOK || !strings.Contains(p.Body, want) ||
			!strings.Contains(p.Body, `/reschedule?tz=America%2fNew_York"`) || !strings.Contains(p.Body, "<option selected>America/New_York</option>") {
			t.Errorf("reschedule page in New York time lacks %s or keeps no zone:\n%s", want, p.Body)
		}
		if p := client.get("/bookings?tz=Mars/Base"); p.Status != http.StatusBadRequest {
			t.Errorf("bookings in an unknown zone = %d, want 400", p.Status)
		}

		// Someone was faster: nothing changes and fresh times are shown.
		p = client.post("/bookings/"+id+"/reschedule", url.Values{"scheduled_at": {taken.Format(time.RFC3339)}})
		if p.Status != http.StatusConflict || !strings.Contains(p.Body, "That time could not be booked") ||
			!strings.Contains(p.Body, `value="`+target+`"`) {
			t.Errorf("reschedule onto a booked hour = %d:\n%s", p.Status, p.Body)
		}
		if p := client.post("/bookings/"+id+"/reschedule", nil); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Pick a new time first.") {
			t.Errorf("reschedule without a time = %d", p.Status)
		}
		if p := client.post("/bookings/"+id+"/reschedule", url.Values{"scheduled_at": {"tomorrow"}}); p.Status != http.StatusBadRequest {
			t.Errorf("reschedule to a bad time = %d, want 400", p.Status)
		}
		if b := s.booking(t, id); b.Status != vidivo.BookingConfirmed || !b.StartsAt.Equal(s.hour(3)) {
			t.Fatalf("refused reschedules changed the booking: %s at %s", b.Status, b.StartsAt)
		}

		p = client.post("/bookings/"+id+"/reschedule", url.Values{"scheduled_at": {target}})
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/bookings?done=rescheduled" {
			t.Fatalf("reschedule = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
		}
		// The seed's rules: the old booking canceled (as rescheduled), a
		// new one confirmed at the new time.
		if b := s.booking(t, id); b.Status != vidivo.BookingCanceled || !b.Rescheduled {
			t.Errorf("old booking = %s, rescheduled %v; want canceled as rescheduled", b.Status, b.Rescheduled)
		}
		if !s.free(t, "hollis", s.hour(3)) || s.free(t, "hollis", s.hour(6)) {
			t.Error("the old hour is not free or the new one is not taken")
		}
		p = client.get("/bookings?done=rescheduled")
		if !strings.Contains(p.Body, "The booking is moved") || !strings.Contains(p.Body, s.hour(6).Format("15:04")+"–") {
			t.Errorf("bookings after the move:\n%s", p.Body)
		}
	})
}

// TestBookingPagesCSRF: every form of these pages needs the page's CSRF
// token; without it nothing changes.
func TestBookingPagesCSRF(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := s.bookable(t, "Hollis")
		client := s.signedUp(t, "Casey", vidivo.RoleClient)
		id := s.book(t, client, "hollis", s.hour(3))
		if p := h.post("/settings/event-types", url.Values{"name": {"Intro"}, "slug": {"intro"}, "duration_minutes": {"15"}, "active": {"true"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("create event type = %d:\n%s", p.Status, p.Body)
		}
		et := eventTypeID(t, h.get("/settings/event-types").Body, "Intro")
		before := s.storedAvailability(t, h)
		cases := []struct {
			b    *browser
			path string
			form url.Values
		}{
			{client, "/bookings/" + id + "/cancel", url.Values{"reason": {"x"}}},
			{client, "/bookings/" + id + "/reschedule", url.Values{"scheduled_at": {s.hour(6).Format(time.RFC3339)}}},
			{h, "/settings/availability", fullWeek()},
			{h, "/settings/event-types", url.Values{"name": {"Other"}, "slug": {"other"}, "duration_minutes": {"30"}}},
			{h, "/settings/event-types/" + et, url.Values{"name": {"Renamed"}, "slug": {"intro"}, "duration_minutes": {"15"}}},
		}
		for _, c := range cases {
			for _, tok := range []string{"", "forged-token-forged-token-forged-token"} {
				f := url.Values{}
				for k, v := range c.form {
					f[k] = v
				}
				if tok != "" {
					f.Set("csrf", tok)
				}
				if p := c.b.do(http.MethodPost, c.path, f, nil); p.Status != http.StatusForbidden {
					t.Errorf("POST %s with csrf %q = %d, want 403", c.path, tok, p.Status)
				}
			}
		}
		if b := s.booking(t, id); b.Status != vidivo.BookingConfirmed || !b.StartsAt.Equal(s.hour(3)) {
			t.Errorf("booking changed without a token: %s at %s", b.Status, b.StartsAt)
		}
		if after := s.storedAvailability(t, h); after["timezone"] != before["timezone"] {
			t.Errorf("availability changed without a token")
		}
		p := h.get("/settings/event-types")
		if strings.Contains(p.Body, "Other") || strings.Contains(p.Body, "Renamed") {
			t.Errorf("event types changed without a token:\n%s", p.Body)
		}
	})
}
