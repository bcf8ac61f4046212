package web_test

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/emersion/go-ical"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/schedule"
)

// bookedID books confirm's slot in b and returns the booking's id.
func bookedID(t *testing.T, b *browser, confirm string, extra url.Values) string {
	t.Helper()
	p := book(b, confirm, extra)
	m := bookedRE.FindStringSubmatch(p.Header.Get("Location"))
	if p.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("book = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
	}
	return m[1]
}

func TestBookingConflictShowsFreshSlots(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		s.schedHost(t, "Hanna", nil)
		ann, bob := s.signedUp(t, "Ann", vidivo.RoleClient), s.signedUp(t, "Bob", vidivo.RoleClient)
		day := s.Clock.Now().AddDate(0, 0, 5)
		confirm := firstSlot(t, ann, "/hanna", day, "America/New_York")
		// Both have the confirm step open; Ann books first.
		want(t, "Bob's confirm step", bob.get(confirm), http.StatusOK, `id="book-form"`)
		bookedID(t, ann, confirm, nil)

		p := book(bob, confirm, nil)
		want(t, "Bob books the same time", p, http.StatusConflict, "Someone has just booked that time",
			`id="day-title"`)
		if strings.Contains(p.Body, `href="`+html.EscapeString(confirm)+`"`) {
			t.Error("the taken slot is still offered after the conflict")
		}
		start, _ := url.Parse(confirm)
		at, _ := time.Parse(time.RFC3339, start.Query().Get("slot"))
		taken := at.In(mustZone(t, "America/New_York")).Format("15:04")
		if !strings.Contains(p.Body, `<span class="slot taken" aria-label="`+taken+` to `) {
			t.Errorf("the taken slot %s is not shown as taken:\n%s", taken, p.Body)
		}
		// Opening the taken time's confirm step says the same.
		want(t, "taken confirm step", bob.get(confirm), http.StatusConflict, "Someone has just booked that time")
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestBookingWithARequiredCard(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		s.schedHost(t, "Hanna", func(a *schedule.Availability) { a.RequirePaymentMethod = true })
		carl := s.signedUp(t, "Carl", vidivo.RoleClient)
		confirm := firstSlot(t, carl, "/hanna", s.Clock.Now().AddDate(0, 0, 4), "UTC")
		want(t, "confirm step", carl.get(confirm), http.StatusOK, `<label for="test-card">Test card</label>`,
			`<option value="pm_card_visa" selected>`, `<option value="pm_card_chargeDeclined">`)
		for _, tc := range []struct {
			name   string
			pm     string
			status int
			say    string
		}{
			{"no card", "", http.StatusBadRequest, "Choose a card: it is required by this host."},
			{"declined", "pm_card_chargeDeclined", http.StatusPaymentRequired, "Your card was declined. Try another card. Nothing was booked or charged."},
			{"no funds", "pm_card_insufficientFunds", http.StatusPaymentRequired, "insufficient funds"},
			{"unknown card", "pm_nothing", http.StatusPaymentRequired, "We could not find that card."},
		} {
			p := book(carl, confirm, url.Values{"payment_method_id": {tc.pm}, "note": {"keep me"}})
			want(t, tc.name, p, tc.status, tc.say, `id="book-form"`, ">keep me</textarea>")
		}
		if got, err := s.DB.Bookings(context.Background(), s.userID(t, "carl"), s.Clock.Now(), 1, 10); err != nil || got.Total != 0 {
			t.Fatalf("refused cards booked %v (%v)", got, err)
		}
		id := bookedID(t, carl, confirm, url.Values{"payment_method_id": {"pm_card_visa"}})
		b, err := s.DB.Booking(context.Background(), id)
		if err != nil || b.PaymentMethodID == nil || *b.PaymentMethodID != "pm_card_visa" {
			t.Fatalf("booking %+v (%v) keeps no card", b, err)
		}
	})
}

func (s *site) userID(t *testing.T, username string) string {
	t.Helper()
	u, _, err := s.DB.UserByLogin(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

var (
	googleRE  = regexp.MustCompile(`href="(https://calendar\.google\.com/calendar/render\?[^"]+)"[^>]*>Add to Google Calendar`)
	outlookRE = regexp.MustCompile(`href="(https://outlook\.live\.com/calendar/0/deeplink/compose\?[^"]+)"[^>]*>Add to Outlook`)
)

func TestBookedPageLinksAndInvite(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		s.schedHost(t, "Hanna", nil)
		carl := s.signedUp(t, "Carl", vidivo.RoleClient)
		shift, _ := berlinShift(t, s.Clock.Now())
		confirm := firstSlot(t, carl, "/hanna", shift.AddDate(0, 0, 1), "America/New_York")
		id := bookedID(t, carl, confirm, url.Values{"note": {"Career questions"}})
		b, err := s.DB.Booking(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		ny, berlin := mustZone(t, "America/New_York"), mustZone(t, "Europe/Berlin")
		p := carl.get("/booked/" + id + "?tz=America%2FNew_York")
		want(t, "booked page", p, http.StatusOK, "Your call is booked",
			b.StartsAt.In(ny).Format("15:04")+"–"+b.EndsAt.In(ny).Format("15:04")+" "+b.StartsAt.In(ny).Format("MST")+" (America/New_York)",
			b.StartsAt.In(berlin).Format("15:04")+"–", "(Europe/Berlin)", apitest.PublicURL+"/join/"+id,
			`href="/booked/`+id+`/invite.ics"`)

		gm, om := googleRE.FindStringSubmatch(p.Body), outlookRE.FindStringSubmatch(p.Body)
		if gm == nil || om == nil {
			t.Fatalf("no Google or Outlook link:\n%s", p.Body)
		}
		g, _ := url.Parse(html.UnescapeString(gm[1]))
		o, _ := url.Parse(html.UnescapeString(om[1]))
		stamp := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
		for _, c := range []struct{ got, want string }{
			{g.Query().Get("action"), "TEMPLATE"},
			{g.Query().Get("dates"), stamp(b.StartsAt) + "/" + stamp(b.EndsAt)},
			{g.Query().Get("location"), apitest.PublicURL + "/join/" + id},
			{o.Query().Get("startdt"), b.StartsAt.UTC().Format(time.RFC3339)},
			{o.Query().Get("enddt"), b.EndsAt.UTC().Format(time.RFC3339)},
			{o.Query().Get("rru"), "addevent"},
		} {
			if c.got != c.want {
				t.Errorf("calendar link has %q, want %q", c.got, c.want)
			}
		}
		for _, q := range []url.Values{g.Query(), o.Query()} {
			if d := q.Get("details") + q.Get("body"); !strings.Contains(d, "/join/"+id) || !strings.Contains(d, "Career questions") {
				t.Errorf("calendar link details %q lack the note and the join URL", d)
			}
		}

		inv := carl.get("/booked/" + id + "/invite.ics")
		if inv.Status != http.StatusOK || !strings.HasPrefix(inv.Header.Get("Content-Type"), "text/calendar") {
			t.Fatalf("invite = %d %q", inv.Status, inv.Header.Get("Content-Type"))
		}
		cal, err := ics.NewDecoder(bytes.NewReader([]byte(inv.Body))).Decode()
		if err != nil {
			t.Fatalf("parse invite: %v\n%s", err, inv.Body)
		}
		evs := cal.Events()
		if len(evs) != 1 {
			t.Fatalf("invite has %d events", len(evs))
		}
		start, err := evs[0].DateTimeStart(time.UTC)
		if err != nil || !start.Equal(b.StartsAt) {
			t.Errorf("invite starts %v (%v), want %v", start, err, b.StartsAt)
		}

		// Only the booking's people see it; bad input is a 4xx page.
		stranger := s.signedUp(t, "Eve", vidivo.RoleClient)
		for _, tc := range []struct {
			who    *browser
			path   string
			status int
		}{
			{stranger, "/booked/" + id, http.StatusNotFound},
			{stranger, "/booked/" + id + "/invite.ics", http.StatusNotFound},
			{stranger, "/join/" + id, http.StatusNotFound},
			{carl, "/booked/not-an-id", http.StatusNotFound},
			{carl, "/booked/01ARZ3NDEKTSV4RRFFQ69G5FAV/invite.ics", http.StatusNotFound},
			{carl, "/booked/" + id + "?tz=Nowhere%2FLand", http.StatusBadRequest},
			{s.browser(t), "/booked/" + id, http.StatusSeeOther},
			{s.browser(t), "/booked/" + id + "/invite.ics", http.StatusSeeOther},
		} {
			if p := tc.who.get(tc.path); p.Status != tc.status {
				t.Errorf("GET %s = %d, want %d", tc.path, p.Status, tc.status)
			}
		}
	})
}
