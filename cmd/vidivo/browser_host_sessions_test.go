package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserScheduleSession: a host schedules a group session on the
// page — its name, a date and time in their zone, two guests, one with a
// fee — and gets the page with each participant's own link, which opens
// that participant's entry page.
func TestBrowserScheduleSession(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	s := startPublicInstance(ctx, t)
	browser := newBrowser(t)
	tab := bounded(t, ctx, newTab(t, browser))
	hostWithLink(t, tab, s, "jane@example.com", "2.50")

	day := time.Now().UTC().AddDate(0, 0, 3).Format("2006-01-02")
	do(t, tab, "the sessions page", chromedp.Navigate(s.base+"/sessions"),
		chromedp.WaitVisible(label("button", "Schedule session"), named("button", "Schedule session")))
	screenshots(t, tab, "sessions-empty")
	do(t, tab, "schedule a session", fill("Session name", "Group practice"),
		chromedp.SetValue(chromedp.CSS("#date"), day), chromedp.SetValue(chromedp.CSS("#start"), "15:00"),
		fill("Name of participant 1", "Ana"), fill("Email of participant 1 (optional)", "ana@example.com"),
		fill("Fee of participant 1 in USD (optional)", "25.00"), fill("Name of participant 2", "Ben"),
		press("Schedule session"))
	waitPath(t, tab, s.base, "/sessions/")
	do(t, tab, "each participant's link", chromedp.WaitVisible(label("textbox", "Link of Ana"), named("textbox", "Link of Ana")),
		chromedp.WaitVisible(label("textbox", "Link of Ben"), named("textbox", "Link of Ben")),
		chromedp.WaitVisible(label("textbox", "Link of Jane Smith"), named("textbox", "Link of Jane Smith")))
	screenshots(t, tab, "session-scheduled")
	link, err := chromedp.Run(tab, chromedp.Value(label("textbox", "Link of Ana"), named("textbox", "Link of Ana")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, s.base+"/s/") {
		t.Fatalf("Ana's link is %q, want %s/s/{token}", link, s.base)
	}
	if st := textOf(t, tab, "#session-state"); st != "scheduled" {
		t.Errorf("the session's state reads %q, want scheduled", st)
	}
	do(t, tab, "the calendar", chromedp.Navigate(s.base+"/sessions"),
		chromedp.WaitVisible(label("link", "Group practice"), named("link", "Group practice")))
	screenshots(t, tab, "sessions-calendar")

	// Ana's link opens her entry page, with her fee to pay.
	do(t, tab, "Ana's entry page", chromedp.Navigate(link),
		chromedp.WaitVisible(label("button", "Pay $25.00"), named("button", "Pay $25.00")))
	if got := textOf(t, tab, "h1"); !strings.Contains(got, "Group practice") {
		t.Errorf("Ana's entry page is headed %q, want the session's name", got)
	}
}
