package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
)

// fullWeek is an editor form with several intervals a day (typed out of
// order), a spare empty row, two date overrides (a day off and special
// hours, with gaps in their indexes as a script leaves them), an empty
// override, buffers, notice and a price.
func fullWeek() url.Values {
	return url.Values{
		"timezone":                        {"Europe/Berlin"},
		"weekly.monday.start":             {"13:00", "09:00", ""},
		"weekly.monday.end":               {"17:00", "12:00", ""},
		"weekly.wednesday.start":          {"10:00"},
		"weekly.wednesday.end":            {"14:00"},
		"weekly.friday.start":             {"09:00", "18:30"},
		"weekly.friday.end":               {"12:00", "24:00"},
		"override.0.date":                 {"2030-01-01"},
		"override.0.start":                {""},
		"override.0.end":                  {""},
		"override.4.date":                 {"2030-01-02"},
		"override.4.start":                {"15:00", "10:00"},
		"override.4.end":                  {"16:00", "12:00"},
		"override.9.date":                 {""},
		"override.9.start":                {"", ""},
		"override.9.end":                  {"", ""},
		"slot_minutes":                    {"30"},
		"buffer_before_minutes":           {"10"},
		"buffer_after_minutes":            {"15"},
		"min_notice_minutes":              {"120"},
		"max_days_ahead":                  {"90"},
		"rate_per_minute":                 {"2.5"},
		"window_size_minutes":             {"15"},
		"require_payment_method":          {"true"},
		"max_upcoming_bookings_per_guest": {"2"},
	}
}

// fullWeekStored is what the API stores for fullWeek: canonical order,
// the rate with two decimals.
const fullWeekStored = `{"timezone":"Europe/Berlin",
 "weekly":[{"day":"monday","intervals":[{"start":"09:00","end":"12:00"},{"start":"13:00","end":"17:00"}]},
  {"day":"wednesday","intervals":[{"start":"10:00","end":"14:00"}]},
  {"day":"friday","intervals":[{"start":"09:00","end":"12:00"},{"start":"18:30","end":"24:00"}]}],
 "overrides":[{"date":"2030-01-01","intervals":[]},
  {"date":"2030-01-02","intervals":[{"start":"10:00","end":"12:00"},{"start":"15:00","end":"16:00"}]}],
 "slot_minutes":30,"buffer_before_minutes":10,"buffer_after_minutes":15,"min_notice_minutes":120,
 "max_days_ahead":90,"rate_per_minute":"2.50","window_size_minutes":15,"require_payment_method":true,
 "max_upcoming_bookings_per_guest":2}`

func (b *browser) token() string { return b.cookies["vidivo_access"].Value }

// storedAvailability is GET /v1/users/me/availability as generic JSON.
func (s *site) storedAvailability(t *testing.T, b *browser) map[string]any {
	t.Helper()
	var out map[string]any
	s.Do(apitest.Req{Method: "GET", Path: "/v1/users/me/availability", Token: b.token()}).Decode(t, &out)
	return out
}

func decodeDoc(t *testing.T, doc string) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(doc), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	inputRE    = regexp.MustCompile(`<input [^>]*>`)
	attrRE     = regexp.MustCompile(`\b(name|value|type|checked)(?:="([^"]*)")?`)
	selectedRE = regexp.MustCompile(`(?s)<select id="timezone" name="timezone"[^>]*>.*?<option selected>([^<]+)</option>`)
	formRE     = regexp.MustCompile(`(?s)<form method="post" action="/settings/availability".*?</form>`)
)

// shownForm is what the editor's form shows: every field with a value, in
// document order, as a browser would post it (without the CSRF token).
func shownForm(t *testing.T, body string) url.Values {
	t.Helper()
	form := formRE.FindString(body)
	if form == "" {
		t.Fatalf("no availability form:\n%s", body)
	}
	out := url.Values{}
	for _, tag := range inputRE.FindAllString(form, -1) {
		attrs := map[string]string{}
		for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
			attrs[m[1]] = html.UnescapeString(m[2])
		}
		_, checked := attrs["checked"]
		switch {
		case attrs["name"] == "" || attrs["name"] == "csrf":
		case attrs["type"] == "checkbox":
			if checked {
				out.Add(attrs["name"], attrs["value"])
			}
		case attrs["value"] != "":
			out.Add(attrs["name"], attrs["value"])
		}
	}
	if m := selectedRE.FindStringSubmatch(form); m != nil {
		out.Set("timezone", m[1])
	}
	return out
}

// formOfDoc is how an availability document reads as the editor's
// fields: the nth override is override.<n>.
func formOfDoc(doc map[string]any) url.Values {
	out := url.Values{"timezone": {doc["timezone"].(string)}}
	for _, d := range doc["weekly"].([]any) {
		day := d.(map[string]any)
		for _, iv := range day["intervals"].([]any) {
			out.Add("weekly."+day["day"].(string)+".start", iv.(map[string]any)["start"].(string))
			out.Add("weekly."+day["day"].(string)+".end", iv.(map[string]any)["end"].(string))
		}
	}
	for k, o := range doc["overrides"].([]any) {
		p := "override." + strconv.Itoa(k) + "."
		out.Add(p+"date", o.(map[string]any)["date"].(string))
		for _, iv := range o.(map[string]any)["intervals"].([]any) {
			out.Add(p+"start", iv.(map[string]any)["start"].(string))
			out.Add(p+"end", iv.(map[string]any)["end"].(string))
		}
	}
	for _, name := range []string{"slot_minutes", "buffer_before_minutes", "buffer_after_minutes", "min_notice_minutes",
		"max_days_ahead", "window_size_minutes", "max_upcoming_bookings_per_guest"} {
		if v, ok := doc[name].(float64); ok {
			out.Set(name, strconv.Itoa(int(v)))
		}
	}
	if v, ok := doc["rate_per_minute"].(string); ok {
		out.Set("rate_per_minute", v)
	}
	if doc["require_payment_method"] == true {
		out.Set("require_payment_method", "true")
	}
	return out
}

func TestAvailabilityRoundTrip(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := s.host(t, "Avery")
		// Before any save the editor shows the defaults the API answers.
		p := h.get("/settings/availability")
		if p.Status != http.StatusOK {
			t.Fatalf("GET /settings/availability = %d:\n%s", p.Status, p.Body)
		}
		if diff := cmp.Diff(formOfDoc(s.storedAvailability(t, h)), shownForm(t, p.Body)); diff != "" {
			t.Errorf("editor before a save differs from the API (-api +form):\n%s", diff)
		}

		p = h.post("/settings/availability", fullWeek())
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/settings/availability?done=saved" {
			t.Fatalf("save = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
		}
		stored := s.storedAvailability(t, h)
		if diff := cmp.Diff(decodeDoc(t, fullWeekStored), stored); diff != "" {
			t.Errorf("stored availability (-want +got):\n%s", diff)
		}
		p = h.get("/settings/availability?done=saved")
		if !strings.Contains(p.Body, "Your availability is saved.") {
			t.Errorf("no saved notice:\n%s", p.Body)
		}
		if diff := cmp.Diff(formOfDoc(stored), shownForm(t, p.Body)); diff != "" {
			t.Errorf("editor after the save differs from the API (-api +form):\n%s", diff)
		}
		// Saving the form as shown changes nothing.
		if p := h.post("/settings/availability", shownForm(t, p.Body)); p.Status != http.StatusSeeOther {
			t.Fatalf("save again = %d:\n%s", p.Status, p.Body)
		}
		if diff := cmp.Diff(stored, s.storedAvailability(t, h)); diff != "" {
			t.Errorf("saving the shown form changed the availability (-before +after):\n%s", diff)
		}
		// Without JavaScript every day offers an empty row, and two empty
		// overrides follow the saved ones.
		for _, want := range []string{`name="weekly.sunday.start" value=""`, `id="weekly-monday-2-start"`,
			`name="override.2.date" type="date" value=""`, `name="override.3.date"`, `<option selected>Europe/Berlin</option>`} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("editor lacks %s", want)
			}
		}
	})
}

func TestAvailabilityPreview(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := s.host(t, "Parker")
		p := h.get("/settings/availability")
		if !strings.Contains(p.Body, "Set a rate above (or create a call link) to offer slots.") {
			t.Errorf("an unpriced host's preview does not say why there are no slots:\n%s", p.Body)
		}
		f := url.Values{"timezone": {"UTC"}, "slot_minutes": {"60"}, "max_days_ahead": {"60"},
			"max_upcoming_bookings_per_guest": {"3"}, "rate_per_minute": {"1.00"}}
		for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
			f["weekly."+d+".start"] = []string{"06:00", "20:00"}
			f["weekly."+d+".end"] = []string{"08:00", "21:00"}
		}
		if p := h.post("/settings/availability", f); p.Status != http.StatusSeeOther {
			t.Fatalf("save = %d:\n%s", p.Status, p.Body)
		}
		p = h.get("/settings/availability")
		// Seven days listed; a day after today offers all three slots.
		if n := strings.Count(p.Body, "<li><strong>"); n != 7 {
			t.Errorf("preview lists %d days, want 7:\n%s", n, p.Body)
		}
		if !strings.Contains(p.Body, "06:00–07:00, 07:00–08:00, 20:00–21:00") {
			t.Errorf("preview lacks a full day's slots:\n%s", p.Body)
		}
	})
}

func TestAvailabilityBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change url.Values
		// id and message of the error shown next to the field
		id, message string
	}{
		{"zone", url.Values{"timezone": {"Mars/Olympus"}}, "timezone-error", "unknown time zone; use an IANA name"},
		{"slot not a number", url.Values{"slot_minutes": {"abc"}}, "slot_minutes-error", "must be an integer from 5 to 480"},
		{"slot empty", url.Values{"slot_minutes": {""}}, "slot_minutes-error", "must be an integer from 5 to 480"},
		{"buffer before", url.Values{"buffer_before_minutes": {"241"}}, "buffer_before_minutes-error", "must be an integer from 0 to 240"},
		{"buffer after", url.Values{"buffer_after_minutes": {"1.5"}}, "buffer_after_minutes-error", "must be an integer from 0 to 240"},
		{"notice", url.Values{"min_notice_minutes": {"-5"}}, "min_notice_minutes-error", "must be an integer from 0 to 43200"},
		{"days ahead", url.Values{"max_days_ahead": {"0"}}, "max_days_ahead-error", "must be an integer from 1 to 365"},
		{"rate", url.Values{"rate_per_minute": {"2.505"}}, "rate_per_minute-error", "must be a decimal string with at most two decimals"},
		{"window", url.Values{"window_size_minutes": {"61"}}, "window_size_minutes-error", "must be an integer from 1 to 60"},
		{"per guest", url.Values{"max_upcoming_bookings_per_guest": {"101"}}, "max_upcoming_bookings_per_guest-error", "must be an integer from 1 to 100"},
		{"end before start", url.Values{"weekly.monday.start": {"09:00", "13:00"}, "weekly.monday.end": {"12:00", "12:30"}},
			"weekly-monday-1-end-error", "To: must be after start"},
		{"overlap", url.Values{"weekly.monday.start": {"09:00", "11:00"}, "weekly.monday.end": {"12:00", "13:00"}},
			"weekly-monday-1-start-error", "From: overlaps another interval of the same day"},
		{"clock", url.Values{"weekly.tuesday.start": {"9am"}, "weekly.tuesday.end": {"17:00"}},
			"weekly-tuesday-0-start-error", `From: must be a time &#34;HH:MM&#34;`},
		{"missing end", url.Values{"weekly.sunday.start": {"10:00"}, "weekly.sunday.end": {""}},
			"weekly-sunday-0-end-error", "To: is required"},
		{"override date", url.Values{"override.4.date": {"2030-02-30"}}, "override-4-date-error", "must be a date YYYY-MM-DD"},
		{"override hours", url.Values{"override.4.end": {"16:00", "25:00"}}, "override-4-1-end-error", `To: must be a time &#34;HH:MM&#34;`},
		{"override without date", url.Values{"override.9.start": {"10:00"}, "override.9.end": {"11:00"}},
			"override-9-date-error", "is required"},
	}
	forEngine(t, func(t *testing.T, s *site) {
		h := s.host(t, "Robin")
		if p := h.post("/settings/availability", fullWeek()); p.Status != http.StatusSeeOther {
			t.Fatalf("save = %d:\n%s", p.Status, p.Body)
		}
		before := s.storedAvailability(t, h)
		for _, c := range cases {
			f := fullWeek()
			for k, v := range c.change {
				f[k] = v
			}
			p := h.post("/settings/availability", f)
			if p.Status != http.StatusBadRequest {
				t.Errorf("%s: save = %d, want 400", c.name, p.Status)
				continue
			}
			want := `id="` + c.id + `">` + c.message
			if !strings.Contains(p.Body, want) || !strings.Contains(p.Body, `id="availability-error"`) {
				t.Errorf("%s: page lacks %s and the alert:\n%s", c.name, want, p.Body)
			}
			if !strings.Contains(p.Body, `aria-describedby="`+c.id) && !strings.Contains(p.Body, ` `+c.id+`"`) {
				t.Errorf("%s: the field is not described by its error %s", c.name, c.id)
			}
			// What was typed is shown again, to be corrected.
			for k, v := range c.change {
				if got := shownForm(t, p.Body)[k]; !slices.Equal(got, nonEmpty(v)) && k != "timezone" {
					t.Errorf("%s: %s shown as %q, want %q", c.name, k, got, nonEmpty(v))
				}
			}
			if diff := cmp.Diff(before, s.storedAvailability(t, h)); diff != "" {
				t.Errorf("%s: a refused save changed the availability (-before +after):\n%s", c.name, diff)
			}
		}
	})
}

func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func TestSchedulingSettingsAreForHosts(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		client := s.signedUp(t, "Casey", vidivo.RoleClient)
		// The client's menu has bookings, not the host's settings.
		if p := client.get("/dashboard"); !strings.Contains(p.Body, `<a href="/bookings">Bookings</a>`) || strings.Contains(p.Body, `href="/settings/availability"`) {
			t.Errorf("client's menu:\n%s", p.Body)
		}
		if p := s.host(t, "Harper").get("/bookings"); !strings.Contains(p.Body, `<a href="/settings/availability">Availability</a>`) {
			t.Errorf("host's menu lacks Availability:\n%s", p.Body)
		}
		for _, path := range []string{"/settings/availability", "/settings/event-types"} {
			if p := client.get(path); p.Status != http.StatusForbidden {
				t.Errorf("client GET %s = %d, want 403", path, p.Status)
			}
			if p := client.post(path, fullWeek()); p.Status != http.StatusForbidden {
				t.Errorf("client POST %s = %d, want 403", path, p.Status)
			}
			p := s.browser(t).get(path)
			if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/login?next=") {
				t.Errorf("visitor GET %s = %d → %q, want 303 to log in", path, p.Status, p.Header.Get("Location"))
			}
		}
	})
}
