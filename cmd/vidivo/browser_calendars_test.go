package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/vidivo/vidivo/calendar/radicaletest"
)

// TestBrowserCalendars: a host connects a CalDAV account (Debian's
// radicale) from the settings pages, is told in words when the password is
// wrong, sees the calendar found and its status, and chooses it to receive
// bookings; the API then shows the same choice.
func TestBrowserCalendars(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	rad := radicaletest.Start(t)
	rad.MakeCalendar("work", "Work")
	s := startPublicInstance(ctx, t, "VIDIVO_WEBHOOK_ALLOW_NETS=127.0.0.0/8")
	tab := newTab(t, newBrowser(t))

	do(t, tab, "sign up", chromedp.Navigate(s.base+"/signup"),
		fill("Your name", "Casey Host"), fill("Email", "casey@example.com"), fill("Username", "casey"), fill("Password", testPassword),
		chromedp.Click(label("radio", "sell my time (host)"), named("radio", "sell my time (host)")),
		press("Sign up"), chromedp.WaitVisible(label("button", "Log out"), named("button", "Log out")))
	do(t, tab, "open the calendars page", chromedp.Navigate(s.base+"/dashboard"),
		chromedp.Click(label("link", "Calendars"), named("link", "Calendars")),
		chromedp.WaitVisible(label("button", "Connect calendar"), named("button", "Connect calendar")))
	if loc := location(t, tab, s.base); loc != "/settings/calendars" {
		t.Fatalf("the Calendars link goes to %s", loc)
	}

	do(t, tab, "connect with a wrong password",
		fill("Address", rad.URL), fill("User name (if it asks for one)", rad.User), fill("Password or app password", "not-the-password"),
		press("Connect calendar"), chromedp.WaitVisible(chromedp.CSS("#calendar-error")))
	msg, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#calendar-error")))
	if err != nil || !strings.Contains(msg, "The password was refused by the calendar server") {
		t.Fatalf("wrong password explained as %q (%v)", msg, err)
	}
	screenshots(t, tab, "calendars-wrong-password")

	do(t, tab, "connect",
		chromedp.Clear(label("textbox", "Password or app password"), named("textbox", "Password or app password")),
		fill("Password or app password", rad.Password),
		press("Connect calendar"),
		chromedp.WaitVisible(label("radio", "Add my bookings to Work"), named("radio", "Add my bookings to Work")))
	do(t, tab, "choose where bookings go",
		chromedp.Click(label("radio", "Add my bookings to Work"), named("radio", "Add my bookings to Work")),
		press("Save choices"), chromedp.WaitVisible(chromedp.CSS(`p.notice[role=status]`)))
	page, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main")))
	if err != nil || !strings.Contains(page, "up to date") {
		t.Fatalf("status shown: %q (%v)", page, err)
	}
	screenshots(t, tab, "calendars-connected")

	var list struct {
		Collection []struct {
			Calendars []struct {
				Name              string `json:"name"`
				CheckForConflicts bool   `json:"check_for_conflicts"`
				AddBookings       bool   `json:"add_bookings"`
				Status            string `json:"status"`
			} `json:"calendars"`
		} `json:"collection"`
	}
	if code := s.call(t, "GET", "/v1/calendar_connections", apiLogin(t, s, "casey@example.com"), nil, &list); code != 200 {
		t.Fatalf("GET calendar_connections = %d", code)
	}
	if len(list.Collection) != 1 || len(list.Collection[0].Calendars) != 1 {
		t.Fatalf("connections %+v", list.Collection)
	}
	c := list.Collection[0].Calendars[0]
	if c.Name != "Work" || !c.CheckForConflicts || !c.AddBookings || c.Status != "ok" {
		t.Fatalf("calendar %+v", c)
	}
}
