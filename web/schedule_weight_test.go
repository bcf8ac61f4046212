package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/schedule"
)

// busyWeek gives hanna three event types, so her page lists them.
func busyWeek(t *testing.T, s *site) {
	t.Helper()
	for _, name := range []string{"Intro", "Deep dive", "Review"} {
		slug := strings.ToLower(strings.ReplaceAll(name, " ", "-"))
		e := &vidivo.EventType{HostID: s.userID(t, "hanna"), Name: name, Slug: slug, DurationMinutes: 30, Active: true}
		if err := s.DB.CreateEventType(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// longDays frees a host 08:00–20:00 every day: 24 half-hour slots a day.
func longDays(a *schedule.Availability) {
	for i := range a.Weekly {
		a.Weekly[i].Intervals = []schedule.Interval{{Start: "08:00", End: "20:00"}}
	}
}

var assetRE = regexp.MustCompile(`(?:href|src)="(/static/[a-z0-9.-]+\.(?:css|js))\?v=[0-9a-f]+"`)
var importRE = regexp.MustCompile(`(?m)^import\b[^'"]*'\./([a-z0-9.-]+\.js)'`)

// pageWeight is what a browser fetches from us for path: the HTML, its
// stylesheet and module script, and the modules those import.
func pageWeight(t *testing.T, b *browser, path string) (total, htmlBytes int, files []string) {
	t.Helper()
	p := b.get(path)
	if p.Status != http.StatusOK {
		t.Fatalf("GET %s = %d", path, p.Status)
	}
	total, htmlBytes = len(p.Body), len(p.Body)
	var queue []string
	for _, m := range assetRE.FindAllStringSubmatch(p.Body, -1) {
		queue = append(queue, m[1])
	}
	seen := map[string]bool{}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		if seen[f] {
			continue
		}
		seen[f] = true
		a := b.get(f)
		if a.Status != http.StatusOK {
			t.Fatalf("GET %s = %d", f, a.Status)
		}
		total += len(a.Body)
		files = append(files, f)
		for _, m := range importRE.FindAllStringSubmatch(a.Body, -1) {
			queue = append(queue, "/static/"+m[1])
		}
	}
	return total, htmlBytes, files
}

// TestSchedulePageWeight keeps the scheduling page within 100 KiB
// uncompressed with its stylesheet and scripts, at its heaviest: a full
// day of slots, the month grid, event types and every IANA zone in the
// select; the confirm step too.
func TestSchedulePageWeight(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		s.schedHost(t, "Hanna", longDays)
		busyWeek(t, s)
		carl := s.signedUp(t, "Carl", vidivo.RoleClient)
		day := s.Clock.Now().AddDate(0, 0, 2)
		confirm := firstSlot(t, carl, "/hanna", day, "America/New_York")
		for _, path := range []string{"/hanna?tz=America%2FNew_York&date=" + day.Format("2006-01-02"), confirm} {
			total, htmlBytes, files := pageWeight(t, carl, path)
			if total > 100<<10 {
				t.Errorf("%s weighs %d bytes with %v, over 100 KiB", path, total, files)
			}
			t.Logf("%s: %d bytes (HTML %d) with %v", path, total, htmlBytes, files)
		}
	})
}

// TestImportedModulesRevalidate: a module imported without a version in
// its URL (./card.js) carries its content hash as an ETag, so a browser's
// next visit costs a 304, not the file again.
func TestImportedModulesRevalidate(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		b := s.browser(t)
		first := b.get("/static/card.js")
		etag := first.Header.Get("Etag")
		if first.Status != http.StatusOK || etag == "" || first.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("GET /static/card.js = %d, ETag %q, Cache-Control %q", first.Status, etag, first.Header.Get("Cache-Control"))
		}
		again := b.do(http.MethodGet, "/static/card.js", nil, map[string]string{"If-None-Match": etag})
		if again.Status != http.StatusNotModified || again.Body != "" {
			t.Errorf("revalidating /static/card.js = %d with %d bytes, want 304 and none", again.Status, len(again.Body))
		}
		if other := b.do(http.MethodGet, "/static/card.js", nil, map[string]string{"If-None-Match": `"old"`}); other.Status != http.StatusOK {
			t.Errorf("a stale ETag = %d, want the file", other.Status)
		}
	})
}
