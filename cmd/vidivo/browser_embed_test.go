package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// The embed test runs the binary with VIDIVO_EMBED_ORIGINS naming one
// third-party site, and serves that site's page from another origin: the
// binary is at http://127.0.0.1:<port>, the site at http://localhost:<other
// port>, so the two are different sites and the browser treats the widget
// as a real third-party frame (no SameSite=Lax cookies inside it).

// embedSitePage is the third-party page: the inline widget by markup, a
// badge, and a listener that records Vidivo's messages after checking
// their origin, as docs/embedding.md tells integrators to.
const embedSitePage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Coach site</title></head>
<body>
<h1>Coach site</h1>
<div class="vidivo-inline-widget" data-url="%[1]s/jane?utm_source=coach-site&amp;utm_campaign=e2e&amp;name=Alex%%20Client&amp;email=alex@example.com"></div>
<script>
window.__vidivo = [];
window.addEventListener('message', function (e) {
  if (e.origin === '%[1]s' && e.data && e.data.event) window.__vidivo.push(e.data);
});
</script>
<script src="%[1]s/embed.js"></script>
<script>
Vidivo.initBadgeWidget({url: '%[1]s/jane', text: 'Book with Jane', color: '#006bff', textColor: '#ffffff', branding: true});
</script>
</body></html>`

// thirdPartySite serves embedSitePage for the Vidivo instance at base on
// its own port, and returns its origin as http://localhost:<port>.
func thirdPartySite(t *testing.T, base *string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, embedSitePage, *base)
	}))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return "http://localhost:" + port
}

// embedAPI calls the instance's API as a client program would.
func embedAPI(t *testing.T, method, url, token string, body any, out any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e bytes.Buffer
		e.ReadFrom(resp.Body)
		t.Fatalf("%s %s = %d: %s", method, url, resp.StatusCode, e.String())
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// embedHost signs host "jane" up through the API, free around the clock
// in UTC at $2.00 a minute.
func embedHost(t *testing.T, base string) {
	t.Helper()
	var sess struct {
		AccessToken string `json:"access_token"`
	}
	embedAPI(t, "POST", base+"/v1/auth/signup", "", map[string]any{"email": "jane@example.com", "password": "correct horse battery",
		"username": "jane", "display_name": "Jane Coach", "role": "host"}, &sess)
	var weekly []map[string]any
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		weekly = append(weekly, map[string]any{"day": d, "intervals": []map[string]string{{"start": "00:00", "end": "24:00"}}})
	}
	embedAPI(t, "PUT", base+"/v1/users/me/availability", sess.AccessToken, map[string]any{"timezone": "UTC", "weekly": weekly,
		"slot_minutes": 30, "rate_per_minute": "2.00", "window_size_minutes": 10}, nil)
}

// waitTarget polls the browser's targets for one of typ whose URL
// contains part, as chromedp does not attach to cross-site frames and
// pop-ups by itself.
func waitTarget(t *testing.T, ctx context.Context, typ, part string) target.ID {
	t.Helper()
	for {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == typ && strings.Contains(info.URL, part) {
				return info.TargetID
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no %s target at %s: %v", typ, part, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// attach returns a context that runs actions in target id.
func attach(t *testing.T, tab context.Context, id target.ID) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(tab, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	return ctx
}

// embedEvents waits until the site page has recorded an event named name
// and returns the events recorded so far.
func embedEvents(t *testing.T, tab context.Context, name string) []map[string]any {
	t.Helper()
	for {
		evs, err := chromedp.Run(tab, chromedp.Evaluate[[]map[string]any](`window.__vidivo || []`))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e["event"] == name {
				return evs
			}
		}
		select {
		case <-tab.Done():
			t.Fatalf("the site page never received %s; it has %v", name, evs)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// step runs actions in ctx or fails the test naming what it was doing.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestBrowserEmbed: a third-party page on a listed origin embeds the inline
// widget; the visitor picks a time in the frame, books in the pop-up
// window (signing up there, prefilled), and the page receives
// vidivo.event_scheduled with the booking, which carries the page's UTM
// parameters. The badge opens the pop-up widget and it closes. A page on
// an unlisted origin gets a blocked frame.
func TestBrowserEmbed(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*browserTimeout)
	defer cancel()
	var base string
	listed, unlisted := thirdPartySite(t, &base), thirdPartySite(t, &base)
	s := startPublicInstance(ctx, t, "VIDIVO_EMBED_ORIGINS="+listed)
	base = s.base
	embedHost(t, s.base)
	browser := newBrowser(t)
	tab := newTab(t, browser)
	tab, stop := context.WithTimeout(tab, 2*browserTimeout)
	defer stop()

	listedLog := securityLog(t, tab)
	step(t, tab, "open the site", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(listed+"/"))
	frame := attach(t, tab, waitTarget(t, tab, "iframe", "/embed/jane?"))
	step(t, frame, "pick a time in the frame",
		chromedp.WaitVisible(chromedp.CSS("button.slot")),
		chromedp.Click(chromedp.CSS("button.slot")),
		chromedp.WaitVisible(label("button", "Book this time"), named("button", "Book this time")))
	evs := embedEvents(t, tab, "vidivo.date_and_time_selected")
	if embedEventNamed(evs, "vidivo.page_height") == nil {
		t.Errorf("the frame did not report its height: %v", evs)
	}
	screenshots(t, tab, "embed-inline")
	selected := embedEventNamed(evs, "vidivo.date_and_time_selected")["payload"].(map[string]any)["scheduled_at"].(string)

	step(t, frame, "open the booking window", press("Book this time"))
	popup := attach(t, tab, waitTarget(t, tab, "page", "/embed/jane?"))
	step(t, popup, "sign up in the booking window",
		chromedp.Click(label("link", "Sign up"), named("link", "Sign up")),
		chromedp.WaitVisible(label("textbox", "Username"), named("textbox", "Username")))
	for field, want := range map[string]string{"Your name": "Alex Client", "Email": "alex@example.com"} {
		got, err := chromedp.Run(popup, chromedp.Value(label("textbox", field), named("textbox", field)))
		if err != nil || got != want {
			t.Errorf("sign-up field %s = %q (%v), want the site's prefill %q", field, got, err, want)
		}
	}
	step(t, popup, "sign up",
		fill("Username", "alex"),
		fill("Password", "correct horse battery"),
		press("Sign up"),
		chromedp.WaitVisible(label("button", "Confirm booking"), named("button", "Confirm booking")))
	screenshots(t, popup, "embed-popup-confirm")
	step(t, popup, "confirm", press("Confirm booking"))

	evs = embedEvents(t, tab, "vidivo.event_scheduled")
	sc, _ := embedEventNamed(evs, "vidivo.event_scheduled")["payload"].(map[string]any)["scheduled_call"].(map[string]any)
	id, _ := sc["id"].(string)
	if len(id) != 26 || sc["scheduled_at"] != selected || !strings.HasSuffix(fmt.Sprint(sc["join_url"]), "/join/"+id) {
		t.Errorf("vidivo.event_scheduled = %v, want the booking at %s", sc, selected)
	}
	screenshots(t, tab, "embed-inline-booked")

	var login struct {
		AccessToken string `json:"access_token"`
	}
	embedAPI(t, "POST", s.base+"/v1/auth/login", "", map[string]string{"email": "alex@example.com", "password": "correct horse battery"}, &login)
	var mine struct {
		ScheduledCalls []struct {
			ID       string             `json:"id"`
			Tracking map[string]*string `json:"tracking"`
		} `json:"scheduled_calls"`
	}
	embedAPI(t, "GET", s.base+"/v1/schedule/mine", login.AccessToken, nil, &mine)
	if len(mine.ScheduledCalls) != 1 || mine.ScheduledCalls[0].ID != id {
		t.Fatalf("the client's bookings = %+v, want %s", mine.ScheduledCalls, id)
	}
	tr := mine.ScheduledCalls[0].Tracking
	if tr["utm_source"] == nil || *tr["utm_source"] != "coach-site" || tr["utm_campaign"] == nil || *tr["utm_campaign"] != "e2e" {
		t.Errorf("the booking's tracking = %v, want the site's utm_source and utm_campaign", tr)
	}

	// The badge opens the pop-up widget over the page; Close closes it,
	// and so does Escape after initPopupWidget.
	step(t, tab, "open the badge's pop-up", press("Book with Jane"),
		chromedp.WaitVisible(label("dialog", "Book a call"), named("dialog", "Book a call")))
	screenshots(t, tab, "embed-popup-widget")
	step(t, tab, "close it", press("Close"),
		chromedp.WaitNotPresent(chromedp.CSS(".vidivo-overlay")))
	if _, err := chromedp.Run(tab, chromedp.Evaluate[int](`Vidivo.initPopupWidget({url: '`+s.base+`/jane'}), 1`)); err != nil {
		t.Fatalf("initPopupWidget: %v", err)
	}
	step(t, tab, "close the pop-up widget with Escape",
		chromedp.WaitVisible(label("dialog", "Book a call"), named("dialog", "Book a call")),
		chromedp.KeyEvent("\x1b"),
		chromedp.WaitNotPresent(chromedp.CSS(".vidivo-overlay")))

	// A site that is not listed cannot frame the widget: the browser
	// refuses the frame (frame-ancestors says so in the console), the
	// frame shows no widget, and the page hears nothing.
	other := newTab(t, browser)
	other, stopOther := context.WithTimeout(other, browserTimeout)
	defer stopOther()
	blocked := securityLog(t, other)
	step(t, other, "open the unlisted site", chromedp.Navigate(unlisted+"/"))
	var msg string
	select {
	case msg = <-blocked:
	case <-time.After(10 * time.Second):
	}
	if !strings.Contains(msg, "frame-ancestors 'self' "+listed) || !strings.Contains(msg, "blocked") {
		t.Errorf("console of the unlisted site: %q, want the frame blocked by frame-ancestors", msg)
	}
	unlistedFrame := attach(t, other, waitTarget(t, other, "iframe", "embed_origin="+url.QueryEscape(unlisted)))
	h1, err := chromedp.Run(unlistedFrame, chromedp.Evaluate[string](`(document.querySelector('h1') || {}).textContent || ''`))
	if err != nil || strings.Contains(h1, "Book a call") {
		t.Errorf("the unlisted site's frame shows %q (%v), want no widget", h1, err)
	}
	leaked, err := chromedp.Run(other, chromedp.Evaluate[[]map[string]any](`window.__vidivo`))
	if err != nil || len(leaked) != 0 {
		t.Errorf("the unlisted site received %v (%v)", leaked, err)
	}
	select {
	case msg := <-listedLog:
		t.Errorf("the listed site's console: %q", msg)
	default:
	}
}

// securityLog enables the tab's log and returns the texts of its
// security errors (a blocked frame is one).
func securityLog(t *testing.T, tab context.Context) <-chan string {
	t.Helper()
	ch := make(chan string, 16)
	if err := chromedp.Listen(tab, func(ev any) {
		if e, ok := ev.(*log.EventEntryAdded); ok && e.Entry.Source == log.EntrySourceSecurity {
			select {
			case ch <- e.Entry.Text:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tab, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return ch
}

// embedEventNamed is the first recorded event named name, or nil.
func embedEventNamed(evs []map[string]any, name string) map[string]any {
	for _, e := range evs {
		if e["event"] == name {
			return e
		}
	}
	return nil
}
