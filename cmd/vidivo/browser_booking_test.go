package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	ics "github.com/emersion/go-ical"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// berlinShift is the next day, at least two days from now, on which
// Berlin's clocks change (the last Sunday of March or October), and
// whether they go forward.
func berlinShift(t *testing.T) (time.Time, bool) {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	n := time.Now().In(berlin)
	d := time.Date(n.Year(), n.Month(), n.Day()+2, 0, 0, 0, 0, berlin)
	for range 400 {
		next := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, berlin)
		_, before := d.Zone()
		_, after := next.Zone()
		if before != after {
			return d, after > before
		}
		d = next
	}
	t.Fatal("no clock change in Berlin within 400 days")
	return time.Time{}, false
}

// inZone sets the tab's time zone, as if the computer were there.
func inZone(name string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: name})
		return chromedp.Void{}, err
	}
}

// berlinHost makes a Europe/Berlin host through the API: every day
// 10:00–12:00 in 30-minute slots, $2.00 a minute, a year ahead.
func berlinHost(t *testing.T, s *server, username string) {
	t.Helper()
	var signup struct {
		AccessToken string `json:"access_token"`
	}
	if code := s.call(t, "POST", "/v1/auth/signup", "", map[string]string{"email": username + "@example.com", "password": testPassword,
		"username": username, "display_name": "Hanna Berg", "role": "host"}, &signup); code != 201 {
		t.Fatalf("host signup = %d", code)
	}
	var weekly []map[string]any
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		weekly = append(weekly, map[string]any{"day": d, "intervals": []map[string]string{{"start": "10:00", "end": "12:00"}}})
	}
	if code := s.call(t, "PUT", "/v1/users/me/availability", signup.AccessToken, map[string]any{
		"timezone": "Europe/Berlin", "weekly": weekly, "slot_minutes": 30, "max_days_ahead": 365,
		"rate_per_minute": "2.00", "window_size_minutes": 10}, nil); code != 200 {
		t.Fatalf("set availability = %d", code)
	}
}

// apiClient signs a client up through the API.
func apiClient(t *testing.T, s *server, username, name string) {
	t.Helper()
	if code := s.call(t, "POST", "/v1/auth/signup", "", map[string]string{"email": username + "@example.com", "password": testPassword,
		"username": username, "display_name": name, "role": "client"}, nil); code != 201 {
		t.Fatalf("client signup = %d", code)
	}
}

// dayName is a date as the month grid names it ("Monday 29 March 2027").
func dayName(d time.Time) string {
	return fmt.Sprintf("%s %d %s %d", d.Weekday(), d.Day(), d.Month(), d.Year())
}

// textOf is the text of the element matching css.
func textOf(t *testing.T, tab context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("text of %s: %v", css, err)
	}
	return s
}

// TestBrowserBooking books a Berlin host from a browser in New York
// across Berlin's clock change: the page finds the browser's zone and
// shows both sides of the change at the right local times, the visitor
// logs in in place and books, downloads the .ics (read back by go-ical
// at the right instant), cancels on /bookings and finds the time free
// again. Then two people race for one slot: one is booked, the other told.
func TestBrowserBooking(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*browserTimeout)
	defer cancel()
	s := startPublicInstance(ctx, t)
	berlinHost(t, s, "hanna")
	apiClient(t, s, "carl", "Carl Client")

	shift, forward := berlinShift(t)
	before, after := shift.AddDate(0, 0, -2), shift.AddDate(0, 0, 1)
	// Berlin's 10:00 in New York: 5 hours behind on one side of the
	// change, 6 on the other (the US changes weeks apart).
	wantBefore, wantAfter := "05:00", "04:00"
	if !forward {
		wantBefore, wantAfter = "04:00", "05:00"
	}
	bro := newBrowser(t)
	tab := bounded(t, ctx, newTab(t, bro))
	do(t, tab, "New York time zone", inZone("America/New_York"))

	// The page is served in the host's zone; the script finds the
	// browser's and swaps the calendar.
	do(t, tab, "open the scheduling page", chromedp.Navigate(s.base+"/hanna?month="+before.Format("2006-01")))
	eventually(t, tab, "the page detects New York", `document.getElementById('main').dataset.zone`,
		func(z string) bool { return z == "America/New_York" })
	logFirstRender(t, tab)
	if got := textOf(t, tab, "#host-zone"); got != "Europe/Berlin" {
		t.Errorf("host zone shown as %q", got)
	}
	screenshots(t, tab, "schedule-month")
	dayBefore := dayName(before) + ": 4 free times"
	do(t, tab, "pick the day before the change", chromedp.Click(label("link", dayBefore), named("link", dayBefore)),
		chromedp.WaitVisible(label("link", "Book "+wantBefore+" to "+wantBefore[:3]+"30"), named("link", "Book "+wantBefore+" to "+wantBefore[:3]+"30")))
	// The grid is one tab stop moved by the arrow keys.
	do(t, tab, "arrow to the next day", chromedp.Focus(chromedp.CSS(`#month-grid [data-date="`+before.Format("2006-01-02")+`"]`)),
		chromedp.KeyEvent(kb.ArrowRight))
	next := eventually(t, tab, "the next day is focused", `document.activeElement.dataset.date || ''`,
		func(d string) bool { return d != "" })
	if want := before.AddDate(0, 0, 1).Format("2006-01-02"); next != want {
		t.Errorf("ArrowRight moved focus to %q, want %q", next, want)
	}
	screenshots(t, tab, "schedule-day")

	// Another zone from the select: the day's times follow.
	tokyo := "18:00"
	if !forward {
		tokyo = "17:00"
	}
	for _, z := range []struct{ zone, first string }{{"Asia/Tokyo", tokyo}, {"America/New_York", wantBefore}} {
		if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(() => { const s = document.getElementById('tz');
			s.value = '`+z.zone+`'; s.dispatchEvent(new Event('change')); return true; })()`)); err != nil {
			t.Fatal(err)
		}
		first := "Book " + z.first + " to " + z.first[:3] + "30"
		do(t, tab, "times in "+z.zone, chromedp.WaitVisible(label("link", first), named("link", first)))
		if focus := eventually(t, tab, "focus stays on the zone select", `document.activeElement.id`,
			func(string) bool { return true }); focus != "tz" {
			t.Errorf("after changing the zone the focus is on %q, want the select", focus)
		}
	}

	if after.Month() != before.Month() {
		do(t, tab, "next month", chromedp.Navigate(s.base+"/hanna?tz=America%2FNew_York&month="+after.Format("2006-01")))
	}
	dayAfter := dayName(after) + ": 4 free times"
	slot := "Book " + wantAfter + " to " + wantAfter[:3] + "30"
	do(t, tab, "pick the day after the change", chromedp.Click(label("link", dayAfter), named("link", dayAfter)),
		chromedp.WaitVisible(label("link", slot), named("link", slot)), chromedp.Click(label("link", slot), named("link", slot)),
		chromedp.WaitVisible(chromedp.CSS("#confirm-local")))
	local, host := textOf(t, tab, "#confirm-local"), textOf(t, tab, "#confirm-host")
	if !strings.Contains(local, dayName(after)+", "+wantAfter+"–") || !strings.Contains(local, "(America/New_York)") ||
		!strings.Contains(host, "10:00–10:30") || !strings.Contains(host, "(Europe/Berlin)") {
		t.Errorf("confirm step shows %q and %q", local, host)
	}
	screenshots(t, tab, "schedule-confirm-login")

	// Log in where we are; the chosen time is kept.
	do(t, tab, "log in in place", fill("Email", "carl@example.com"), fill("Password", testPassword), press("Log in"),
		chromedp.WaitVisible(label("button", "Book this time"), named("button", "Book this time")))
	if got := textOf(t, tab, "#confirm-local"); got != local {
		t.Errorf("after log-in the time is %q, was %q", got, local)
	}
	do(t, tab, "book", fill("Note for Hanna Berg (optional)", "Career questions"), press("Book this time"))
	id := strings.TrimPrefix(waitPath(t, tab, s.base, "/booked/"), "/booked/")
	if got := textOf(t, tab, "#booked-local"); got != local {
		t.Errorf("booked page says %q, want %q", got, local)
	}
	screenshots(t, tab, "booked")

	ev := downloadInvite(t, tab)
	start, err := ev.DateTimeStart(time.UTC)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	wantStart := time.Date(after.Year(), after.Month(), after.Day(), 10, 0, 0, 0, berlin)
	if err != nil || !start.Equal(wantStart) {
		t.Errorf("the .ics starts at %v (%v), want %v", start, err, wantStart.UTC())
	}

	do(t, tab, "the join page counts down", chromedp.Navigate(s.base+"/join/"+id), chromedp.WaitVisible(chromedp.CSS("#countdown")))
	screenshots(t, tab, "join-countdown")

	// Cancel on /bookings; the time is free again.
	do(t, tab, "cancel", chromedp.Navigate(s.base+"/bookings"),
		chromedp.Click(chromedp.CSS("#booking-"+id+" details.cancel summary")),
		fill("Reason (optional)", "Cannot make it"), press("Cancel booking"),
		chromedp.WaitVisible(chromedp.CSS(`#booking-`+id+`[data-status="canceled"]`)))
	do(t, tab, "the slot is free again",
		chromedp.Navigate(s.base+"/hanna?tz=America%2FNew_York&date="+after.Format("2006-01-02")),
		chromedp.WaitVisible(label("link", slot), named("link", slot)))

	raceForOneSlot(t, ctx, s, bro, after)
}

// logFirstRender logs how the scheduling page's first load went in the
// browser (cold cache): time to the first byte, first contentful paint,
// the calendar shown in the browser's zone, and the bytes of each file
// from our origin (bench/README.md reports them; timing is not asserted).
func logFirstRender(t *testing.T, tab context.Context) {
	t.Helper()
	eventually(t, tab, "the zone swap is marked", `performance.getEntriesByName('vidivo-zone-shown').length`,
		func(n int) bool { return n > 0 })
	out, err := chromedp.Run(tab, chromedp.Evaluate[string](`(() => {
		const n = performance.getEntriesByType('navigation')[0];
		const fcp = performance.getEntriesByName('first-contentful-paint')[0];
		const zone = performance.getEntriesByName('vidivo-zone-shown')[0];
		const files = performance.getEntriesByType('resource').filter((r) => r.name.startsWith(location.origin))
			.map((r) => r.name.slice(location.origin.length).replace(/\?v=.*/, '') + ' ' + r.decodedBodySize);
		const ms = (x) => x ? x.toFixed(1) : 'n/a';
		return 'TTFB ' + ms(n.responseStart - n.requestStart) + ' ms, HTML ' + n.decodedBodySize + ' B, FCP ' +
			ms(fcp && fcp.startTime) + ' ms, DOMContentLoaded ' + ms(n.domContentLoadedEventEnd) + ' ms, in the browser zone ' +
			ms(zone && zone.startTime) + ' ms; ' + files.join(', ');
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scheduling page, first render: %s", out)
}

// downloadInvite clicks "Download .ics" and parses the file the browser
// saved with an independent parser.
func downloadInvite(t *testing.T, tab context.Context) *ics.Event {
	t.Helper()
	dir := t.TempDir()
	c := chromedp.FromContext(tab)
	err := c.Browser.Call(tab, browser.CommandSetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: c.BrowserContextID, DownloadPath: dir}, nil)
	if err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	do(t, tab, "download the invite", chromedp.Click(label("link", "Download .ics"), named("link", "Download .ics")))
	path := filepath.Join(dir, "vidivo-call.ics")
	var raw []byte
	for raw == nil {
		if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte("END:VCALENDAR")) {
			raw = b
			break
		}
		select {
		case <-tab.Done():
			t.Fatal("the .ics was not downloaded")
		case <-time.After(100 * time.Millisecond):
		}
	}
	cal, err := ics.NewDecoder(bytes.NewReader(raw)).Decode()
	if err != nil {
		t.Fatalf("parse the .ics: %v\n%s", err, raw)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("the .ics has %d events:\n%s", len(evs), raw)
	}
	return &evs[0]
}

// raceForOneSlot has two signed-in clients press "Book this time" for one slot at
// once: one is booked, the other sees the conflict and fresh slots.
func raceForOneSlot(t *testing.T, ctx context.Context, s *server, bro context.Context, day time.Time) {
	t.Helper()
	confirm := ""
	tabs := make([]context.Context, 2)
	for i, name := range []string{"ann", "bob"} {
		apiClient(t, s, name, strings.ToUpper(name[:1])+name[1:])
		tabs[i] = bounded(t, ctx, newTab(t, bro))
		do(t, tabs[i], name+" in New York", inZone("America/New_York"))
		if confirm == "" {
			do(t, tabs[i], "open the day", chromedp.Navigate(s.base+"/hanna?tz=America%2FNew_York&date="+day.Format("2006-01-02")))
			href, err := chromedp.Run(tabs[i], chromedp.Evaluate[string](`document.querySelectorAll('a.slot')[1].getAttribute('href')`))
			if err != nil {
				t.Fatal(err)
			}
			confirm = href
		}
		do(t, tabs[i], name+" logs in", chromedp.Navigate(s.base+confirm), fill("Email", name+"@example.com"),
			fill("Password", testPassword), press("Log in"),
			chromedp.WaitVisible(label("button", "Book this time"), named("button", "Book this time")))
	}
	var wg sync.WaitGroup
	for _, tab := range tabs {
		wg.Go(func() {
			_ = chromedp.Do(tab, press("Book this time"))
		})
	}
	wg.Wait()
	booked, conflicted := 0, 0
	for i, tab := range tabs {
		got := eventually(t, tab, "an answer to the booking", `location.pathname.startsWith('/booked/') ? 'booked' :
			(document.getElementById('schedule-notice') || {}).textContent || ''`, func(s string) bool { return s != "" })
		switch {
		case got == "booked":
			booked++
		case strings.Contains(got, "Someone has just booked that time"):
			conflicted++
			screenshots(t, tab, "schedule-conflict")
		default:
			t.Errorf("tab %d: %q", i, got)
		}
	}
	if booked != 1 || conflicted != 1 {
		t.Fatalf("racing for one slot: %d booked, %d told of the conflict; want 1 and 1", booked, conflicted)
	}
}
