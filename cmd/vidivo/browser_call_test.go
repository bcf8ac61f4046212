package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// callTimeout bounds the paid-call browser test: a little over a minute of
// call, and the set-up and checks around it.
const callTimeout = 150 * time.Second

// relayEnv makes the pages connect through the embedded TURN server only,
// which may relay between the two loopback relay addresses.
var relayEnv = []string{"VIDIVO_ICE_POLICY=relay", "VIDIVO_TURN_ALLOW_PEERS=127.0.0.0/8"}

// TestBrowserPaidCall is the call in two browsers: the host signs
// up, connects payouts and creates a link on the pages; the guest opens
// the link, pays with the sandbox's test card and waits; the host's
// dashboard rings and the host answers; each in-call page decodes the
// other's video through the embedded TURN server only; the guest hangs up
// after more than a minute, and both summaries show what the API answers.
func TestBrowserPaidCall(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	s := startPublicInstance(ctx, t, relayEnv...)
	browser := newBrowser(t)
	host := bounded(t, ctx, newTab(t, browser))
	guest := bounded(t, ctx, newTab(t, browser))

	code := hostWithLink(t, host, s, "jane@example.com", "2.50")
	// The dashboard stays open: it is what rings.

	// The guest: the join page, the test card, the call page.
	do(t, guest, "open the link", chromedp.Navigate(s.base+"/c/"+code))
	screenshots(t, guest, "join")
	do(t, guest, "pay and join", fill("Your name", "Alex Guest"), pick("Test card", "pm_card_visa"), press("Pay and join"))
	callID := strings.TrimPrefix(waitPath(t, guest, s.base, "/call/"), "/call/")
	if st := callStatus(t, guest); st != "waiting" && st != "ringing" {
		t.Errorf("the guest's call page says status %q before the host answers, want waiting or ringing", st)
	}

	// The host's console rings; the host answers.
	do(t, host, "the dashboard rings", chromedp.WaitVisible(label("button", "Answer"), named("button", "Answer")))
	// The dashboard's event stream delivered the call: it rings.
	if ring, err := chromedp.Run(host, chromedp.Text(chromedp.CSS("#ring-status"))); err != nil || strings.Contains(ring, "unavailable") {
		t.Errorf("the dashboard says %q (%v), want its live ringing", ring, err)
	}
	waitStatus(t, guest, "ringing")
	screenshots(t, host, "dashboard-ringing")
	screenshots(t, guest, "call-ringing")
	do(t, host, "answer", press("Answer"))
	if got := waitPath(t, host, s.base, "/call/"); got != "/call/"+callID {
		t.Fatalf("after answering the host is at %s, want /call/%s", got, callID)
	}
	for _, tab := range []context.Context{host, guest} {
		waitStatus(t, tab, "active")
	}

	// Each side decodes the other's video, more and more frames, over a
	// relay-to-relay candidate pair.
	for _, side := range []struct {
		name string
		tab  context.Context
	}{{"host", host}, {"guest", guest}} {
		first := waitFrames(t, side.tab, side.name, 1)
		later := waitFrames(t, side.tab, side.name, first.Frames+10)
		if later.Local != "relay" || later.Remote != "relay" {
			t.Errorf("%s: the selected candidate pair is %s to %s, want relay to relay", side.name, later.Local, later.Remote)
		}
		if !later.Playing {
			t.Errorf("%s: the video labelled \"Remote video\" is not playing (%+v)", side.name, later)
		}
	}
	do(t, host, "host's controls", chromedp.WaitVisible(label("button", "Mute"), named("button", "Mute")),
		chromedp.WaitVisible(label("button", "Camera off"), named("button", "Camera off")),
		chromedp.WaitVisible(label("button", "Hang up"), named("button", "Hang up")))
	screenshots(t, host, "call-host")
	screenshots(t, guest, "call-guest")

	// More than a minute of call by the server's clock, then the guest
	// hangs up: two billed minutes.
	hostToken := apiLogin(t, s, "jane@example.com")
	var c apiCall
	if code := s.call(t, "GET", "/v1/calls/"+callID, hostToken, nil, &c); code != 200 || c.Call.ActiveAt == nil {
		t.Fatalf("GET /v1/calls/%s = %d, %+v", callID, code, c)
	}
	active, err := time.Parse(time.RFC3339, *c.Call.ActiveAt)
	if err != nil {
		t.Fatal(err)
	}
	// active_at has whole seconds: a minute and two seconds after it is
	// more than a minute of call.
	sleep(t, ctx, time.Until(active.Add(62*time.Second)))
	// The running cost is the server's: two started minutes.
	for _, tab := range []context.Context{host, guest} {
		eventually(t, tab, "the running cost", `document.getElementById('cost').textContent`, func(s string) bool { return s == "$5.00" })
	}
	do(t, guest, "hang up", press("Hang up"))
	for _, tab := range []context.Context{host, guest} {
		waitStatus(t, tab, "completed")
	}
	screenshots(t, guest, "summary-guest")
	screenshots(t, host, "summary-host")

	if code := s.call(t, "GET", "/v1/calls/"+callID, hostToken, nil, &c); code != 200 {
		t.Fatalf("GET /v1/calls/%s = %d", callID, code)
	}
	if c.Call.Status != "completed" || c.Call.DurationSeconds <= 60 || c.Call.BilledMinutes != 2 || c.Call.TotalCharged != "5.00" {
		t.Errorf("the API says %+v, want completed after more than 60 s: 2 billed minutes, 5.00", c.Call)
	}
	want := summary{Status: c.Call.Status, Duration: fmt.Sprintf("%d:%02d", c.Call.DurationSeconds/60, c.Call.DurationSeconds%60),
		Minutes: fmt.Sprint(c.Call.BilledMinutes), Total: "$" + c.Call.TotalCharged}
	for _, side := range []struct {
		name string
		tab  context.Context
	}{{"host", host}, {"guest", guest}} {
		if got := readSummary(t, side.tab); got != want {
			t.Errorf("%s's summary = %+v, want the API's %+v", side.name, got, want)
		}
	}
	// The guest's own cookie reads the same call from the API.
	var asGuest apiCall
	if code := s.call(t, "GET", "/v1/calls/"+callID, guestCookie(t, guest, s.base+"/call/"+callID), nil, &asGuest); code != 200 ||
		asGuest.Call.TotalCharged != c.Call.TotalCharged || asGuest.Call.BilledMinutes != c.Call.BilledMinutes {
		t.Errorf("GET /v1/calls/%s as the guest = %d %+v, want the host's %+v", callID, code, asGuest.Call, c.Call)
	}
}

// TestBrowserDeclinedCard pays with the sandbox's declined test card: the
// join page says so, and no call exists.
func TestBrowserDeclinedCard(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	s := startPublicInstance(ctx, t, relayEnv...)
	tok, code := apiHostWithLink(t, s, "sam@example.com", "1.00")
	guest := bounded(t, ctx, newTab(t, newBrowser(t)))

	do(t, guest, "pay with a declined card", chromedp.Navigate(s.base+"/c/"+code),
		fill("Your name", "Dee Clined"), pick("Test card", "pm_card_chargeDeclined"), press("Pay and join"),
		chromedp.WaitVisible(label("alert", ""), named("alert", "")))
	screenshots(t, guest, "join-declined")
	msg, err := chromedp.Run(guest, chromedp.Text(chromedp.CSS("#join-error")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "declined") || !strings.Contains(msg, "No call was started") {
		t.Errorf("the join page says %q, want that the card was declined and no call started", msg)
	}
	if loc := location(t, guest, s.base); loc != "/c/"+code {
		t.Errorf("after a declined card the guest is at %s, want /c/%s", loc, code)
	}
	var calls struct {
		Calls []json.RawMessage `json:"calls"`
	}
	if st := s.call(t, "GET", "/v1/calls/history", tok, nil, &calls); st != 200 || len(calls.Calls) != 0 {
		t.Errorf("GET /v1/calls/history = %d with %d calls, want 200 and none", st, len(calls.Calls))
	}
}

// bounded derives from a tab that has run once a context that ends with
// ctx, so no step outlives the test's deadline.
func bounded(t *testing.T, ctx, tab context.Context) context.Context {
	t.Helper()
	deadline, _ := ctx.Deadline()
	b, cancel := context.WithDeadline(tab, deadline)
	t.Cleanup(cancel)
	return b
}

// do runs steps on a tab, failing the test with what was being done.
func do(t *testing.T, tab context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tab, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// pick chooses the option with value in the select named name.
func pick(name, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(label("combobox", name), value, named("combobox", name))
}

func sleep(t *testing.T, ctx context.Context, d time.Duration) {
	t.Helper()
	select {
	case <-time.After(d):
	case <-ctx.Done():
		t.Fatalf("waited %s: %v", d, ctx.Err())
	}
}

// stepTimeout bounds each wait for the pages to move on, well inside the
// test's deadline, so a stuck step fails with what it last saw.
const stepTimeout = 20 * time.Second

// eventually evaluates expr on the tab, through page loads, until ok
// accepts its value; it fails the test with the last value seen after
// stepTimeout.
func eventually[T comparable](t *testing.T, tab context.Context, what, expr string, ok func(T) bool) T {
	t.Helper()
	var (
		last T
		err  error
	)
	deadline := time.After(stepTimeout)
	for {
		last, err = chromedp.Run(tab, chromedp.Evaluate[T](expr))
		if err == nil && ok(last) {
			return last
		}
		select {
		case <-tab.Done():
			t.Fatalf("%s: last saw %v (%v)", what, last, tab.Err())
		case <-deadline:
			t.Fatalf("%s: after %s still %v (%v)", what, stepTimeout, last, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitPath waits until the tab's path starts with prefix and returns it.
func waitPath(t *testing.T, tab context.Context, base, prefix string) string {
	t.Helper()
	loc := eventually(t, tab, "the browser goes to "+prefix, `location.href`, func(s string) bool {
		return strings.HasPrefix(s, base+prefix)
	})
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

const statusExpr = `(document.querySelector('main[data-call-status]') || {dataset: {}}).dataset.callStatus || ''`

// callStatus is the call's status as the page's <main> says it, once the
// page has one: the location changes before the new document is parsed.
func callStatus(t *testing.T, tab context.Context) string {
	t.Helper()
	return eventually(t, tab, "the call page's status", statusExpr, func(s string) bool { return s != "" })
}

// waitStatus waits for the page's data-call-status to be want.
func waitStatus(t *testing.T, tab context.Context, want string) {
	t.Helper()
	eventually(t, tab, "data-call-status "+want, statusExpr, func(s string) bool { return s == want })
}
