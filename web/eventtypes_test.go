package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo/api/apitest"
)

var eventTypeItem = regexp.MustCompile(`(?s)<li class="link-item" id="event-type-([0-9A-Z]{26})">\s*<div class="link-head">\s*<strong>([^<]*)</strong>`)

// eventTypeID finds the id of the event type named name on the list page.
func eventTypeID(t *testing.T, body, name string) string {
	t.Helper()
	for _, m := range eventTypeItem.FindAllStringSubmatch(body, -1) {
		if m[2] == name {
			return m[1]
		}
	}
	t.Fatalf("no event type %q listed:\n%s", name, body)
	return ""
}

type eventTypeJSON struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Slug            string `json:"slug"`
	DurationMinutes int    `json:"duration_minutes"`
	Active          bool   `json:"active"`
	SchedulingURL   string `json:"scheduling_url"`
}

func (s *site) eventTypes(t *testing.T, b *browser) []eventTypeJSON {
	t.Helper()
	var out struct {
		Collection []eventTypeJSON `json:"collection"`
	}
	s.Do(apitest.Req{Method: "GET", Path: "/v1/event_types", Token: b.token()}).Decode(t, &out)
	return out.Collection
}

func TestEventTypesCreateAndEdit(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := s.host(t, "Morgan")
		p := h.get("/settings/event-types")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "No event types yet") {
			t.Fatalf("event types page = %d:\n%s", p.Status, p.Body)
		}
		p = h.post("/settings/event-types", url.Values{"name": {" Intro call "}, "slug": {"Intro-Call"}, "duration_minutes": {"15"}, "active": {"true"}})
		if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/settings/event-types?done=created#event-type-") {
			t.Fatalf("create = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
		}
		list := s.eventTypes(t, h)
		want := []eventTypeJSON{{Name: "Intro call", Slug: "intro-call", DurationMinutes: 15, Active: true,
			SchedulingURL: apitest.PublicURL + "/schedule/morgan/intro-call"}}
		if diff := cmp.Diff(want, list, cmpIgnoreID); diff != "" {
			t.Fatalf("event types (-want +got):\n%s", diff)
		}
		p = h.get("/settings/event-types")
		id := eventTypeID(t, p.Body, "Intro call")
		if id != list[0].ID || !strings.Contains(p.Body, `value="`+list[0].SchedulingURL+`"`) {
			t.Errorf("list lacks the event type's scheduling URL %s:\n%s", list[0].SchedulingURL, p.Body)
		}

		// Edit every field, deactivating it (the box left unticked).
		p = h.get("/settings/event-types/" + id)
		if p.Status != http.StatusOK || !strings.Contains(p.Body, `value="intro-call"`) || !strings.Contains(p.Body, list[0].SchedulingURL) {
			t.Fatalf("edit page = %d:\n%s", p.Status, p.Body)
		}
		p = h.post("/settings/event-types/"+id, url.Values{"name": {"Deep dive"}, "slug": {"deep-dive"}, "duration_minutes": {"90"}})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("edit = %d:\n%s", p.Status, p.Body)
		}
		want = []eventTypeJSON{{Name: "Deep dive", Slug: "deep-dive", DurationMinutes: 90, Active: false,
			SchedulingURL: apitest.PublicURL + "/schedule/morgan/deep-dive"}}
		if diff := cmp.Diff(want, s.eventTypes(t, h), cmpIgnoreID); diff != "" {
			t.Errorf("after the edit (-want +got):\n%s", diff)
		}
		if p := h.get("/settings/event-types"); !strings.Contains(p.Body, "inactive") || !strings.Contains(p.Body, "/schedule/morgan/deep-dive") {
			t.Errorf("list after the edit:\n%s", p.Body)
		}

		// Another host cannot open or change it.
		other := s.host(t, "Quinn")
		if p := other.get("/settings/event-types/" + id); p.Status != http.StatusNotFound {
			t.Errorf("another host's edit page = %d, want 404", p.Status)
		}
		if p := other.post("/settings/event-types/"+id, url.Values{"name": {"Mine"}, "slug": {"mine"}, "duration_minutes": {"30"}}); p.Status != http.StatusNotFound {
			t.Errorf("another host's edit = %d, want 404", p.Status)
		}
		if p := h.get("/settings/event-types/not-an-id"); p.Status != http.StatusNotFound {
			t.Errorf("bad id = %d, want 404", p.Status)
		}
	})
}

var cmpIgnoreID = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ID" }, cmp.Ignore())

func TestEventTypesBadInput(t *testing.T) {
	t.Parallel()
	good := func() url.Values {
		return url.Values{"name": {"Session"}, "slug": {"session"}, "duration_minutes": {"60"}, "active": {"true"}}
	}
	cases := []struct {
		name        string
		field, val  string
		status      int
		id, message string
	}{
		{"no name", "name", "  ", http.StatusBadRequest, "name-error", "is required"},
		{"long name", "name", strings.Repeat("n", 101), http.StatusBadRequest, "name-error", "must be at most 100 characters"},
		{"bad slug", "slug", "no spaces!", http.StatusBadRequest, "slug-error", "must be 1-60 characters of a-z, 0-9 and -"},
		{"short", "duration_minutes", "4", http.StatusBadRequest, "duration_minutes-error", "must be from 5 to 480 minutes"},
		{"not a number", "duration_minutes", "an hour", http.StatusBadRequest, "duration_minutes-error", "must be from 5 to 480 minutes"},
		{"slug taken", "slug", "intro", http.StatusConflict, "slug-error", ""},
	}
	forEngine(t, func(t *testing.T, s *site) {
		h := s.host(t, "Morgan")
		if p := h.post("/settings/event-types", url.Values{"name": {"Intro"}, "slug": {"intro"}, "duration_minutes": {"15"}, "active": {"true"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("create = %d:\n%s", p.Status, p.Body)
		}
		if p := h.post("/settings/event-types", good()); p.Status != http.StatusSeeOther {
			t.Fatalf("create = %d:\n%s", p.Status, p.Body)
		}
		other := eventTypeID(t, h.get("/settings/event-types").Body, "Session")
		before := s.eventTypes(t, h)
		for _, c := range cases {
			f := good()
			f.Set(c.field, c.val)
			for _, path := range []string{"/settings/event-types", "/settings/event-types/" + other} {
				p := h.post(path, f)
				if p.Status != c.status || !strings.Contains(p.Body, `id="`+c.id+`">`+c.message) || !strings.Contains(p.Body, `id="event-type-error"`) {
					t.Errorf("%s: POST %s = %d, want %d with %s %q:\n%s", c.name, path, p.Status, c.status, c.id, c.message, p.Body)
				}
				if !strings.Contains(p.Body, `value="`+c.val+`"`) && c.field != "name" {
					t.Errorf("%s: the typed value is not shown again", c.name)
				}
			}
		}
		if diff := cmp.Diff(before, s.eventTypes(t, h)); diff != "" {
			t.Errorf("refused forms changed event types (-before +after):\n%s", diff)
		}
	})
}
