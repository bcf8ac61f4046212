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

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api"
	"github.com/vidivo/vidivo/schedule"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

const embedder = "https://coach.example"

// embedSite is a site whose operator lets embedder frame the widget, as
// cmd/vidivo wires VIDIVO_EMBED_ORIGINS, with a priced host "jane" free
// every day from 09:00 to 17:00 UTC in 30-minute slots.
func embedSite(t *testing.T, engine string, origins ...string) *site {
	t.Helper()
	s := newSite(t, engine, nil)
	s.Server.Headers = api.SecurityHeaders{EmbedPaths: []string{"/embed/"}, EmbedOrigins: origins}
	s.Pages.EmbedOrigins = origins
	s.signedUp(t, "Jane", vidivo.RoleHost)
	u, _, err := s.DB.UserByLogin(context.Background(), "jane")
	if err != nil {
		t.Fatal(err)
	}
	rate, window := "2.00", 10
	a := schedule.Defaults()
	a.SlotMinutes, a.RatePerMinute, a.WindowSizeMinutes = 30, &rate, &window
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		a.Weekly = append(a.Weekly, schedule.WeeklyDay{Day: d, Intervals: []schedule.Interval{{Start: "09:00", End: "17:00"}}})
	}
	if _, err := s.Pages.Booking.SetAvailability(context.Background(), u.ID, a); err != nil {
		t.Fatal(err)
	}
	return s
}

func forEmbedEngine(t *testing.T, origins []string, fn func(t *testing.T, s *site)) {
	t.Helper()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, embedSite(t, engine, origins...))
		})
	}
}

// framing is what a response says about who may frame it.
type framing struct {
	Ancestors string // the frame-ancestors directive
	XFO       string
	CSPs      int
}

func framingOf(p *page) framing {
	f := framing{XFO: p.Header.Get("X-Frame-Options"), CSPs: len(p.Header.Values("Content-Security-Policy"))}
	for _, d := range strings.Split(p.Header.Get("Content-Security-Policy"), ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, "frame-ancestors ") {
			f.Ancestors = strings.TrimPrefix(d, "frame-ancestors ")
		}
	}
	return f
}

// TestEmbedFramingHeaders: the widget's pages may be framed by the
// configured origins only; every other page stays unframeable, and with no
// origins configured nothing may be framed.
func TestEmbedFramingHeaders(t *testing.T) {
	t.Parallel()
	t.Run("listed", func(t *testing.T) {
		t.Parallel()
		forEmbedEngine(t, []string{embedder, "http://127.0.0.1:8081"}, listedFraming)
	})
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		forEmbedEngine(t, nil, func(t *testing.T, s *site) {
			p := s.browser(t).get("/embed/jane")
			if p.Status != http.StatusOK {
				t.Fatalf("GET /embed/jane = %d", p.Status)
			}
			if diff := cmp.Diff(framingDeny, framingOf(p)); diff != "" {
				t.Errorf("without embed origins, /embed/jane framing (-want +got):\n%s", diff)
			}
		})
	})
}

var framingDeny = framing{Ancestors: "'none'", XFO: "DENY", CSPs: 1}

func listedFraming(t *testing.T, s *site) {
	allow := framing{Ancestors: "'self' " + embedder + " http://127.0.0.1:8081", CSPs: 1}
	b := s.browser(t)
	for path, want := range map[string]framing{
		"/embed/jane": allow,
		"/embed/jane?embed_origin=https://coach.example": allow,
		"/embed/nobody": allow, // the widget shows its own errors in the frame
		"/":             framingDeny,
		"/login":        framingDeny,
		"/jane":         framingDeny,
		"/embedded":     framingDeny,
		"/embed.js":     framingDeny,
		"/dashboard":    framingDeny, // a redirect to log in
	} {
		p := b.get(path)
		if diff := cmp.Diff(want, framingOf(p)); diff != "" {
			t.Errorf("GET %s (%d) framing (-want +got):\n%s", path, p.Status, diff)
		}
	}
}

var parentOriginAttr = regexp.MustCompile(`data-parent-origin="([^"]*)"`)

// TestEmbedFramePostsOnlyToListedOrigins: the frame is told the embedding
// page's origin in ?embed_origin=; it will post its events there only if
// the operator listed it (else to nobody), and shows the host's free
// slots, prefill and UTM parameters carried into the pop-up's address.
func TestEmbedFramePostsOnlyToListedOrigins(t *testing.T) {
	t.Parallel()
	forEmbedEngine(t, []string{embedder}, func(t *testing.T, s *site) {
		b := s.browser(t)
		for origin, want := range map[string]string{
			"https://coach.example":  embedder,
			"https://COACH.example/": embedder,
			"https://evil.example":   "",
			"*":                      "",
			"":                       "",
		} {
			p := b.get("/embed/jane?" + url.Values{"embed_origin": {origin}}.Encode())
			got := ""
			if m := parentOriginAttr.FindStringSubmatch(p.Body); m != nil {
				got = m[1]
			}
			if got != want {
				t.Errorf("embed_origin %q: data-parent-origin %q, want %q", origin, got, want)
			}
		}
		p := b.get("/embed/jane?embed_origin=https://coach.example&name=Alex&email=alex@example.com&utm_source=newsletter&utm_campaign=spring")
		if n := strings.Count(p.Body, `class="slot"`); n < 10 {
			t.Errorf("the frame offers %d slots, want the next two weeks' (at least 10)", n)
		}
		m := regexp.MustCompile(`data-popup-query="([^"]*)"`).FindStringSubmatch(p.Body)
		if m == nil {
			t.Fatalf("no data-popup-query:\n%s", p.Body)
		}
		q, err := url.ParseQuery(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		want := url.Values{"name": {"Alex"}, "email": {"alex@example.com"}, "utm_source": {"newsletter"}, "utm_campaign": {"spring"}}
		if diff := cmp.Diff(want, q); diff != "" {
			t.Errorf("pop-up query (-want +got):\n%s", diff)
		}
	})
}

var slotAttr = regexp.MustCompile(`class="slot" data-start="([^"]+)"`)

// firstEmbedSlot is the first free slot the frame offers.
func firstEmbedSlot(t *testing.T, s *site) string {
	t.Helper()
	m := slotAttr.FindStringSubmatch(s.browser(t).get("/embed/jane").Body)
	if m == nil {
		t.Fatal("the frame offers no slot")
	}
	return m[1]
}

// TestEmbedBookingKeepsUTM: the pop-up's booking step asks a visitor to
// log in or sign up and comes back with everything kept; a signed-in
// visitor books, and the booking carries the UTM parameters the frame
// passed on, as the API returns them. Someone faster gets a conflict.
func TestEmbedBookingKeepsUTM(t *testing.T) {
	t.Parallel()
	forEmbedEngine(t, []string{embedder}, func(t *testing.T, s *site) {
		slot := firstEmbedSlot(t, s)
		step := "/embed/jane?" + url.Values{"slot": {slot}, "utm_source": {"newsletter"}, "utm_medium": {"email"},
			"note": {"About my CV"}, "email": {"alex@example.com"}, "name": {"Alex"}}.Encode()

		anon := s.browser(t)
		p := anon.get(step)
		login := regexp.MustCompile(`href="(/login\?[^"]+)"`).FindStringSubmatch(p.Body)
		if p.Status != http.StatusOK || login == nil {
			t.Fatalf("anonymous booking step = %d without a log-in link:\n%s", p.Status, p.Body)
		}
		lq, _ := url.ParseQuery(strings.TrimPrefix(html.UnescapeString(login[1]), "/login?"))
		next, _ := url.Parse(lq.Get("next"))
		if next.Path != "/embed/jane" || next.Query().Get("slot") != slot || next.Query().Get("utm_source") != "newsletter" ||
			lq.Get("email") != "alex@example.com" {
			t.Errorf("log-in link %s does not come back to the step with its parameters", lq)
		}
		if p := anon.get("/login?" + lq.Encode()); !strings.Contains(p.Body, `value="alex@example.com"`) {
			t.Errorf("the log-in page is not prefilled with the email")
		}

		alex := s.signedUp(t, "Alex", vidivo.RoleClient)
		p = alex.get(step)
		for _, want := range []string{`name="utm_source" value="newsletter"`, `name="utm_medium" value="email"`, `>About my CV</textarea>`} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("booking step lacks %s", want)
			}
		}
		p = alex.post("/embed/jane", url.Values{"slot": {slot}, "note": {"About my CV"}, "utm_source": {"newsletter"},
			"utm_medium": {"email"}})
		id := regexp.MustCompile(`data-booking-id="([0-9A-Z]{26})"`).FindStringSubmatch(p.Body)
		if p.Status != http.StatusCreated || id == nil {
			t.Fatalf("booking = %d:\n%s", p.Status, p.Body)
		}
		b, err := s.DB.Booking(context.Background(), id[1])
		if err != nil {
			t.Fatal(err)
		}
		want := vidivo.Tracking{UTMSource: "newsletter", UTMMedium: "email"}
		if diff := cmp.Diff(want, b.Tracking); diff != "" {
			t.Errorf("stored tracking (-want +got):\n%s", diff)
		}
		if b.Note == nil || *b.Note != "About my CV" || b.StartsAt.Format(time.RFC3339) != slot {
			t.Errorf("booking note %v at %s, want the step's", b.Note, b.StartsAt)
		}

		sam := s.signedUp(t, "Sam", vidivo.RoleClient)
		p = sam.post("/embed/jane", url.Values{"slot": {slot}})
		if p.Status != http.StatusConflict || !strings.Contains(p.Body, "Someone else has just booked this time") {
			t.Errorf("second booking of the slot = %d:\n%s", p.Status, p.Body)
		}
		p = sam.post("/embed/jane", url.Values{"slot": {slot}, "utm_term": {strings.Repeat("x", 256)}})
		if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "at most 255 characters") {
			t.Errorf("an over-long utm_term = %d:\n%s", p.Status, p.Body)
		}
		if p := anon.post("/embed/jane", url.Values{"slot": {slot}}); p.Status != http.StatusSeeOther ||
			!strings.HasPrefix(p.Header.Get("Location"), "/login?") {
			t.Errorf("an anonymous booking = %d to %q, want a redirect to log in", p.Status, p.Header.Get("Location"))
		}
	})
}

// TestEmbedScript: /embed.js is one small script, cached long and
// revalidated by its ETag.
func TestEmbedScript(t *testing.T) {
	t.Parallel()
	forEmbedEngine(t, []string{embedder}, func(t *testing.T, s *site) {
		b := s.browser(t)
		p := b.get("/embed.js")
		if p.Status != http.StatusOK || p.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Fatalf("GET /embed.js = %d %q", p.Status, p.Header.Get("Content-Type"))
		}
		if n := len(p.Body); n > 10<<10 {
			t.Errorf("embed.js is %d bytes, over 10 KiB", n)
		}
		for _, want := range []string{"initInlineWidget", "initPopupWidget", "initBadgeWidget", "vidivo-inline-widget", "e.origin !== u.origin"} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("embed.js lacks %s", want)
			}
		}
		if cc := p.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=86400") {
			t.Errorf("Cache-Control = %q", cc)
		}
		again := b.do(http.MethodGet, "/embed.js", nil, map[string]string{"If-None-Match": p.Header.Get("ETag")})
		if again.Status != http.StatusNotModified {
			t.Errorf("revalidation = %d, want 304", again.Status)
		}
	})
}

var slotTimes = regexp.MustCompile(`data-start="([^"]+)" data-end="([^"]+)"`)

// TestEmbedEventType: /embed/{username}/{slug} offers and books one of
// the host's active event types at its duration; unknown or inactive ones
// are not found.
func TestEmbedEventType(t *testing.T) {
	t.Parallel()
	forEmbedEngine(t, []string{embedder}, func(t *testing.T, s *site) {
		ctx := context.Background()
		jane, _, err := s.DB.UserByLogin(ctx, "jane")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []*vidivo.EventType{
			{HostID: jane.ID, Name: "Intro", Slug: "intro", DurationMinutes: 45, Active: true},
			{HostID: jane.ID, Name: "Old", Slug: "old", DurationMinutes: 30},
		} {
			if err := s.DB.CreateEventType(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		b := s.browser(t)
		m := slotTimes.FindStringSubmatch(b.get("/embed/jane/intro").Body)
		if m == nil {
			t.Fatal("/embed/jane/intro offers no slot")
		}
		start, _ := time.Parse(time.RFC3339, m[1])
		end, _ := time.Parse(time.RFC3339, m[2])
		if end.Sub(start) != 45*time.Minute {
			t.Errorf("intro slot %s–%s, want 45 minutes", m[1], m[2])
		}
		for _, path := range []string{"/embed/jane/old", "/embed/jane/nope", "/embed/nobody"} {
			if p := b.get(path); p.Status != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", path, p.Status)
			}
		}
		alex := s.signedUp(t, "Alex", vidivo.RoleClient)
		p := alex.post("/embed/jane/intro", url.Values{"slot": {m[1]}, "utm_content": {"hero"}})
		id := regexp.MustCompile(`data-booking-id="([0-9A-Z]{26})"`).FindStringSubmatch(p.Body)
		if p.Status != http.StatusCreated || id == nil {
			t.Fatalf("booking intro = %d:\n%s", p.Status, p.Body)
		}
		bk, err := s.DB.Booking(ctx, id[1])
		if err != nil {
			t.Fatal(err)
		}
		if bk.DurationMinutes != 45 || bk.Tracking.UTMContent != "hero" {
			t.Errorf("booked %d minutes with tracking %+v, want 45 and utm_content hero", bk.DurationMinutes, bk.Tracking)
		}
	})
}
