package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/schedule"
	"github.com/vidivo/vidivo/sqldb/storetest"
)

// berlinShift is the next day (after at least two days from now) on which
// Berlin's clocks change, and whether they go forward (March).
func berlinShift(t *testing.T, now time.Time) (day time.Time, forward bool) {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	n := now.In(berlin)
	d := time.Date(n.Year(), n.Month(), n.Day()+2, 0, 0, 0, 0, berlin)
	for range 400 {
		next := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, berlin)
		_, off1 := d.Zone()
		_, off2 := next.Zone()
		if off1 != off2 {
			return d, off2 > off1
		}
		d = next
	}
	t.Fatal("no clock change in Berlin within 400 days")
	return
}

// schedHost is a host with a Berlin week (every day 10:00–12:00, 30-minute
// slots, $2.00 a minute, a year ahead), signed in in a browser.
type schedHost struct {
	b        *browser
	id, user string
	avail    schedule.Availability
}

func (s *site) schedHost(t *testing.T, name string, edit func(a *schedule.Availability)) *schedHost {
	t.Helper()
	b := s.signedUp(t, name, vidivo.RoleHost)
	u, _, err := s.DB.UserByLogin(context.Background(), strings.ToLower(name))
	if err != nil {
		t.Fatal(err)
	}
	rate, window := "2.00", 10
	a := schedule.Defaults()
	a.Timezone, a.SlotMinutes, a.MaxDaysAhead = "Europe/Berlin", 30, 365
	a.RatePerMinute, a.WindowSizeMinutes = &rate, &window
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		a.Weekly = append(a.Weekly, schedule.WeeklyDay{Day: d, Intervals: []schedule.Interval{{Start: "10:00", End: "12:00"}}})
	}
	if edit != nil {
		edit(&a)
	}
	stored, err := s.Server.Booking.SetAvailability(context.Background(), u.ID, a)
	if err != nil {
		t.Fatalf("set availability: %v", err)
	}
	return &schedHost{b: b, id: u.ID, user: u.Username, avail: stored}
}

// want fails t unless body has each of subs.
func want(t *testing.T, what string, p *page, status int, subs ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s = %d, want %d:\n%s", what, p.Status, status, p.Body)
	}
	for _, sub := range subs {
		if !strings.Contains(p.Body, sub) {
			t.Errorf("%s: no %q in:\n%s", what, sub, p.Body)
		}
	}
}

func TestSchedulePageShowsSlotsInTheVisitorsZone(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := s.schedHost(t, "Hanna", nil)
		shift, forward := berlinShift(t, s.Clock.Now())
		before, after := shift.AddDate(0, 0, -2), shift.AddDate(0, 0, 2)
		// Berlin 10:00 in New York: the US changes its clocks weeks
		// apart from Europe, so around Berlin's change the gap is 5 hours
		// on one side and 6 on the other.
		wantBefore, wantAfter := "05:00", "04:00"
		if !forward {
			wantBefore, wantAfter = "04:00", "05:00"
		}
		v := s.browser(t)
		for _, tc := range []struct {
			day  time.Time
			time string
		}{{before, wantBefore}, {after, wantAfter}} {
			date := tc.day.Format("2006-01-02")
			for _, path := range []string{"/hanna", "/schedule/hanna", "/HANNA"} {
				p := v.get(path + "?tz=America%2FNew_York&date=" + date)
				want(t, path+" "+date, p, http.StatusOK, "Book a call with Hanna", "$2.00 a minute",
					`<strong id="host-zone">Europe/Berlin</strong>`, "Times are shown in America/New_York.",
					`aria-label="Book `+tc.time+` to `+tc.time[:3]+`30"`, `data-date="`+date+`" aria-label="`,
					`: 4 free times" aria-current="date"`, `<option selected>America/New_York</option>`)
			}
		}
		// Without ?tz= the page is in the host's zone until its script
		// detects the browser's.
		p := v.get("/hanna?date=" + before.Format("2006-01-02"))
		want(t, "host's zone", p, http.StatusOK, `aria-label="Book 10:00 to 10:30"`, `data-zone="Europe/Berlin"`,
			`<script type="module" src="/static/schedule.js?v=`)
		_ = h
	})
}

func TestSchedulePageRefusesBadAddresses(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		s.schedHost(t, "Hanna", nil)
		s.signedUp(t, "Carl", vidivo.RoleClient)
		v := s.browser(t)
		for _, tc := range []struct {
			name, path string
			status     int
			say        string
		}{
			{"unknown host", "/nobody-here", http.StatusNotFound, "host not found"},
			{"a client is no host", "/carl", http.StatusNotFound, "host not found"},
			{"unknown event type", "/hanna/intro", http.StatusNotFound, "no event type at this address"},
			{"bad zone", "/hanna?tz=Mars%2FOlympus", http.StatusBadRequest, "tz must be an IANA time zone name"},
			{"Local zone", "/hanna?tz=Local", http.StatusBadRequest, "tz must be an IANA time zone name"},
			{"bad month", "/hanna?month=2027-13", http.StatusBadRequest, "month must be a month"},
			{"bad date", "/hanna?date=2027-02-30", http.StatusBadRequest, "date must be a date"},
			{"bad slot", "/hanna?slot=tomorrow", http.StatusBadRequest, "slot must be a start time"},
			{"slot that is no slot", "/hanna?slot=" + time.Now().AddDate(0, 0, 3).Format("2006-01-02") + "T09:07:00Z", http.StatusBadRequest, "That time cannot be booked"},
			{"join of no booking", "/join/01ARZ3NDEKTSV4RRFFQ69G5FAV", http.StatusSeeOther, ""},
			{"first month there is", "/hanna?month=0001-01", http.StatusBadRequest, "month must be within two years of today"},
			{"last month there is", "/hanna?month=9999-12", http.StatusBadRequest, "month must be within two years of today"},
			{"last day there is", "/hanna?date=9999-12-31", http.StatusBadRequest, "month must be within two years of today"},
			{"slot at the end of time", "/hanna?slot=9999-12-31T23:30:00Z", http.StatusBadRequest, "month must be within two years of today"},
			{"slot at the start of time", "/hanna?slot=0001-01-01T00:00:00Z", http.StatusBadRequest, "month must be within two years of today"},
			{"a day with no slots", "/hanna?date=" + time.Now().AddDate(1, 1, 0).Format("2006-01-02"), http.StatusOK, "No free times on this day"},
			{"past slot", "/hanna?slot=" + time.Now().AddDate(0, -1, 0).Format("2006-01-02") + "T09:00:00Z", http.StatusBadRequest, "That time has passed"},
			{"slot that has passed today", "/hanna?slot=" + pastSlot(s), http.StatusBadRequest, "That time has passed or is too soon to book"},
			{"zone with a plus", "/hanna?tz=Etc%2FGMT%2B5&month=" + time.Now().AddDate(0, 1, 0).Format("2006-01"), http.StatusOK, "Times are shown in Etc/GMT&#43;5."},
			{"NUL in the username", "/hanna%00", http.StatusNotFound, ""},
			{"overlong username", "/" + strings.Repeat("a", 5000), http.StatusNotFound, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := v.get(tc.path)
				want(t, tc.path, p, tc.status, tc.say)
			})
		}
	})
}

// pastSlot is one of hanna's slot starts today (Berlin) that has passed,
// moving the clock past it if need be.
func pastSlot(s *site) string {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	n := s.Clock.Now().In(berlin)
	ten := time.Date(n.Year(), n.Month(), n.Day(), 10, 0, 0, 0, berlin)
	if s.Clock.Now().Before(ten.Add(time.Minute)) {
		s.Clock.Add(ten.Add(time.Minute).Sub(s.Clock.Now()))
	}
	return ten.UTC().Format(time.RFC3339)
}

var (
	slotLinkRE = regexp.MustCompile(`<a class="slot" href="([^"]+)" data-nav aria-label="Book ([0-9:]+) to`)
	bookedRE   = regexp.MustCompile(`^/booked/([0-9A-Z]{26})\?tz=`)
)

// firstSlot opens the scheduling page on day and returns the address of
// its first free slot's confirm step.
func firstSlot(t *testing.T, b *browser, path string, day time.Time, zone string) string {
	t.Helper()
	p := b.get(path + "?tz=" + url.QueryEscape(zone) + "&date=" + day.Format("2006-01-02"))
	m := slotLinkRE.FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || m == nil {
		t.Fatalf("no free slot on %s = %d:\n%s", day.Format("2006-01-02"), p.Status, p.Body)
	}
	return html.UnescapeString(m[1])
}

// book posts the confirm step's form for the slot of confirm's address.
func book(b *browser, confirm string, extra url.Values) *page {
	u, err := url.Parse(confirm)
	if err != nil {
		b.t.Fatal(err)
	}
	f := url.Values{"slot": {u.Query().Get("slot")}, "tz": {u.Query().Get("tz")}}
	for k, v := range extra {
		f[k] = v
	}
	return b.post(u.Path, f)
}

func TestBookingThroughTheLogInKeepsTheSlot(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		s.schedHost(t, "Hanna", nil)
		s.signedUp(t, "Carl", vidivo.RoleClient)
		shift, _ := berlinShift(t, s.Clock.Now())
		v := s.browser(t)
		confirm := firstSlot(t, v, "/hanna", shift.AddDate(0, 0, 1), "America/New_York")

		// A visitor sees the time and is asked to log in, coming back here.
		p := v.get(confirm)
		want(t, "confirm step as a visitor", p, http.StatusOK, "Confirm your call", `id="confirm-local"`,
			"(America/New_York)", "(Europe/Berlin)", "Log in or sign up to book", `name="next" value="`+html.EscapeString(confirm)+`"`)
		if strings.Contains(p.Body, `id="book-form"`) {
			t.Fatal("a visitor is offered the booking form")
		}
		// Posting the booking without a session goes to log in, too.
		p = book(v, confirm, nil)
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/login?next="+url.QueryEscape(confirm) {
			t.Fatalf("book as a visitor = %d → %q", p.Status, p.Header.Get("Location"))
		}
		p = v.post("/login", url.Values{"email": {"carl@example.com"}, "password": {"correct horse battery"}, "next": {confirm}})
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != confirm {
			t.Fatalf("log in = %d → %q, want back to %q", p.Status, p.Header.Get("Location"), confirm)
		}
		p = v.get(confirm)
		want(t, "confirm step signed in", p, http.StatusOK, `id="book-form"`, "Book this time", `name="note"`)
		if strings.Contains(p.Body, `id="test-card"`) {
			t.Fatal("a card is asked though the host does not require one")
		}
		p = book(v, confirm, url.Values{"note": {"Career questions"}})
		m := bookedRE.FindStringSubmatch(p.Header.Get("Location"))
		if p.Status != http.StatusSeeOther || m == nil {
			t.Fatalf("book = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
		}
		b, err := s.DB.Booking(context.Background(), m[1])
		if err != nil {
			t.Fatal(err)
		}
		slot, _ := url.Parse(confirm)
		if got := b.StartsAt.Format(time.RFC3339); got != slot.Query().Get("slot") || b.Note == nil || *b.Note != "Career questions" {
			t.Errorf("booked %s with note %v, want %s", got, b.Note, slot.Query().Get("slot"))
		}
	})
}

func TestSignUpInPlaceComesBackToTheSlot(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		s.schedHost(t, "Hanna", nil)
		v := s.browser(t)
		confirm := firstSlot(t, v, "/hanna", s.Clock.Now().AddDate(0, 0, 3), "Asia/Tokyo")
		p := v.post("/signup", url.Values{"display_name": {"Dora"}, "email": {"dora@example.com"}, "username": {"dora"},
			"password": {"correct horse battery"}, "role": {"client"}, "next": {confirm}})
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != confirm {
			t.Fatalf("sign up = %d → %q", p.Status, p.Header.Get("Location"))
		}
		p = book(v, confirm, nil)
		if p.Status != http.StatusSeeOther || bookedRE.FindStringSubmatch(p.Header.Get("Location")) == nil {
			t.Fatalf("book = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
		}
	})
}

func TestEventTypePageBooksItsDuration(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := s.schedHost(t, "Hanna", nil)
		for _, e := range []*vidivo.EventType{
			{HostID: h.id, Name: "Deep dive", Slug: "deep-dive", DurationMinutes: 60, Active: true},
			{HostID: h.id, Name: "Retired", Slug: "retired", DurationMinutes: 15, Active: false},
		} {
			if err := s.DB.CreateEventType(context.Background(), e); err != nil {
				t.Fatal(err)
			}
		}
		carl := s.signedUp(t, "Carl", vidivo.RoleClient)
		day := s.Clock.Now().AddDate(0, 0, 3)
		p := carl.get("/hanna?tz=Europe%2FBerlin&date=" + day.Format("2006-01-02"))
		want(t, "host page", p, http.StatusOK, `<a href="/hanna/deep-dive">Deep dive`, `aria-label="Book 10:30 to 11:00"`)
		if strings.Contains(p.Body, "Retired") {
			t.Error("an inactive event type is offered")
		}
		want(t, "inactive event type", carl.get("/hanna/retired"), http.StatusNotFound)
		p = carl.get("/hanna/deep-dive?tz=Europe%2FBerlin&date=" + day.Format("2006-01-02"))
		want(t, "event type page", p, http.StatusOK, "Deep dive, 60-minute video call",
			`<a href="/hanna/deep-dive" aria-current="page">`, `aria-label="Book 10:00 to 11:00"`, `aria-label="Book 11:00 to 12:00"`)
		if strings.Contains(p.Body, `aria-label="Book 10:30`) {
			t.Error("the event type page offers the host's 30-minute slots")
		}
		confirm := firstSlot(t, carl, "/hanna/deep-dive", day, "Europe/Berlin")
		id := bookedID(t, carl, confirm, nil)
		b, err := s.DB.Booking(context.Background(), id)
		if err != nil || b.DurationMinutes != 60 {
			t.Fatalf("booked %+v (%v), want 60 minutes", b, err)
		}
	})
}

// TestPagesWinOverUsernames: a page's name cannot be taken as a username;
// an account that has one anyway (made before the rule, or by an
// operator) does not shadow the page, and /schedule/{username} still
// reaches the host.
func TestPagesWinOverUsernames(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		form := url.Values{"display_name": {"Bookings"}, "email": {"bookings@example.com"}, "username": {"bookings"},
			"password": {"correct horse battery"}, "role": {"host"}}
		want(t, "sign up as bookings", s.browser(t).post("/signup", form), http.StatusBadRequest, `id="username-error"`, "is taken")

		u := storetest.MustCreateUser(t, s.DB, "login", vidivo.RoleHost)
		rate, window := "2.00", 10
		a := schedule.Defaults()
		a.RatePerMinute, a.WindowSizeMinutes = &rate, &window
		a.Weekly = []schedule.WeeklyDay{{Day: "monday", Intervals: []schedule.Interval{{Start: "10:00", End: "12:00"}}}}
		if _, err := s.Server.Booking.SetAvailability(context.Background(), u.ID, a); err != nil {
			t.Fatal(err)
		}
		v := s.browser(t)
		if p := v.get("/bookings"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/login") {
			t.Errorf("/bookings = %d → %q, want the bookings page's log-in redirect", p.Status, p.Header.Get("Location"))
		}
		want(t, "/login", v.get("/login"), http.StatusOK, "<h1>Log in</h1>")
		want(t, "/schedule/login", v.get("/schedule/login"), http.StatusOK, "Book a call with "+u.DisplayName)
		// Booking posts without the form's CSRF token are refused.
		want(t, "no CSRF", v.do(http.MethodPost, "/schedule/login", url.Values{"slot": {"2030-01-01T10:00:00Z"}}, nil),
			http.StatusForbidden)
	})
}
