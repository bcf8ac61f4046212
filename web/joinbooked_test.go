package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/schedule"
)

// roundTheClock is a UTC host free all day, every day.
func roundTheClock(a *schedule.Availability) {
	a.Timezone = "UTC"
	for i := range a.Weekly {
		a.Weekly[i].Intervals = []schedule.Interval{{Start: "00:00", End: "24:00"}}
	}
}

// location is where a page sent the browser, or "" without a redirect.
func location(p *page) string {
	if p.Status != http.StatusSeeOther {
		return ""
	}
	return p.Header.Get("Location")
}

func TestJoinBookedCallOverItsWindow(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := s.schedHost(t, "Hanna", roundTheClock)
		carl := s.signedUp(t, "Carl", vidivo.RoleClient)
		confirm := firstSlot(t, carl, "/hanna", s.Clock.Now().AddDate(0, 0, 1), "UTC")
		id := bookedID(t, carl, confirm, nil)
		b, err := s.DB.Booking(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		path := "/join/" + id

		// Before the window: a countdown to 5 minutes before the start,
		// and a join is refused.
		opens := b.StartsAt.Add(-5 * time.Minute).UTC().Format(time.RFC3339)
		want(t, "early", carl.get(path), http.StatusOK, `data-join-state="early"`, `data-opens-at="`+opens+`"`,
			"has not opened yet", `role="timer"`, `<script type="module" src="/static/joinbooked.js?v=`)
		want(t, "early join", carl.post(path, url.Values{"payment_method_id": {"pm_card_visa"}}), http.StatusConflict,
			"This call opens at")

		// In the window: the same card step as the join page.
		s.Clock.Add(b.StartsAt.Add(-4 * time.Minute).Sub(s.Clock.Now()))
		want(t, "open", carl.get(path), http.StatusOK, `data-join-state="open"`, `<label for="test-card">Test card</label>`,
			"Join the call</button>")
		want(t, "declined card", carl.post(path, url.Values{"payment_method_id": {"pm_card_chargeDeclined"}}),
			http.StatusPaymentRequired, "Your card was declined", `data-join-state="open"`)
		if _, err := s.DB.CallByID(context.Background(), id); vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
			t.Fatalf("a declined card started the call: %v", err)
		}
		if got := location(carl.post(path, url.Values{"payment_method_id": {"pm_card_visa"}})); got != "/call/"+id {
			t.Fatalf("guest join → %q, want the call", got)
		}
		if got := location(carl.get(path)); got != "/call/"+id {
			t.Fatalf("guest back at the join page → %q, want the call", got)
		}
		// The host, rung, joins from the same page.
		want(t, "host", h.b.get(path), http.StatusOK, `data-join-state="open"`, "Join the call</button>")
		if got := location(h.b.post(path, nil)); got != "/call/"+id {
			t.Fatalf("host join → %q, want the call", got)
		}
		s.waitStatus(t, id, vidivo.CallActive)

		// After the end: the summary.
		s.Clock.Add(2 * time.Minute)
		if _, err := s.Calls.End(context.Background(), vidivo.Caller{Subject: h.id, Role: vidivo.RoleHost}, id, "host_ended"); err != nil {
			t.Fatal(err)
		}
		for _, b := range []*browser{carl, h.b} {
			if got := location(b.get(path)); got != "/call/"+id+"/summary" {
				t.Errorf("after the end → %q, want the summary", got)
			}
		}
	})
}

func TestJoinBookedStates(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := s.schedHost(t, "Hanna", roundTheClock)
		carl := s.signedUp(t, "Carl", vidivo.RoleClient)
		day := s.Clock.Now().AddDate(0, 0, 1)
		first := bookedID(t, carl, firstSlot(t, carl, "/hanna", day, "UTC"), nil)
		second := bookedID(t, carl, firstSlot(t, carl, "/hanna", day, "UTC"), nil)
		b, err := s.DB.Booking(context.Background(), first)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Server.Booking.Cancel(context.Background(), vidivo.Caller{Subject: h.id, Role: vidivo.RoleHost}, second, nil); err != nil {
			t.Fatal(err)
		}
		want(t, "canceled", carl.get("/join/"+second), http.StatusOK, `data-join-state="canceled"`, "was canceled")

		// The host comes first and waits; the page checks again.
		s.Clock.Add(b.StartsAt.Sub(s.Clock.Now()))
		if got := location(h.b.post("/join/"+first, nil)); got != "/join/"+first {
			t.Fatalf("host joining first → %q, want to wait on the join page", got)
		}
		want(t, "waiting", h.b.get("/join/"+first), http.StatusOK, `data-join-state="waiting"`, "waiting for Carl")
		// The guest never came: once the time is over, the page says so.
		s.Clock.Add(b.EndsAt.Sub(b.StartsAt) + time.Second)
		want(t, "ended", carl.get("/join/"+first), http.StatusOK, `data-join-state="ended"`, "time is over")
		want(t, "late join", carl.post("/join/"+first, url.Values{"payment_method_id": {"pm_card_visa"}}),
			http.StatusConflict, "time is over", "This booking has ended.")
		want(t, "no CSRF", carl.do(http.MethodPost, "/join/"+first, url.Values{}, nil), http.StatusForbidden)
	})
}
