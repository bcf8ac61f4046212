package schedule_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // as the binary does: tests must not depend on the machine's zone files

	"github.com/vidivo/vidivo/schedule"
)

// seedWeek is the example week of the scheduling docs (UTC).
const seedWeek = `{
	"timezone": "UTC",
	"weekly": [
		{"day": "monday", "intervals": [{"start": "09:00", "end": "17:00"}]},
		{"day": "tuesday", "intervals": [{"start": "09:00", "end": "17:00"}]},
		{"day": "wednesday", "intervals": [{"start": "10:00", "end": "14:00"}]},
		{"day": "thursday", "intervals": [{"start": "09:00", "end": "17:00"}]},
		{"day": "friday", "intervals": [{"start": "09:00", "end": "12:00"}]},
		{"day": "saturday", "intervals": []},
		{"day": "sunday", "intervals": []}
	]
}`

// MustDecode decodes an availability document as the API does.
func MustDecode(tb testing.TB, doc string) schedule.Availability {
	tb.Helper()
	var a schedule.Availability
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		tb.Fatalf("decode %s: %v", doc, err)
	}
	return a
}

// MustRules decodes and compiles an availability document.
func MustRules(tb testing.TB, doc string) schedule.Rules {
	tb.Helper()
	r, err := MustDecode(tb, doc).Rules()
	if err != nil {
		tb.Fatalf("Rules(%s): %v", doc, err)
	}
	return r
}

// MustDate parses YYYY-MM-DD.
func MustDate(tb testing.TB, s string) schedule.Date {
	tb.Helper()
	d, err := schedule.ParseDate(s)
	if err != nil {
		tb.Fatalf("ParseDate(%q): %v", s, err)
	}
	return d
}

// MustTime parses an RFC 3339 instant, seconds optional ("2026-03-16T09:00Z").
func MustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	for _, layout := range []string{"2006-01-02T15:04Z07:00", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	tb.Fatalf("bad time %q", s)
	return time.Time{}
}

// busy builds busy intervals from pairs of instants.
func busy(tb testing.TB, pairs ...string) []schedule.Busy {
	tb.Helper()
	var out []schedule.Busy
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, schedule.Busy{Start: MustTime(tb, pairs[i]), End: MustTime(tb, pairs[i+1])})
	}
	return out
}

// render writes slots one per line, so a diff shows what moved:
// "2026-03-29 01:00-03:00 2026-03-29T00:00Z/2026-03-29T01:00Z free".
func render(slots []schedule.Slot) []string {
	out := make([]string, 0, len(slots))
	for _, s := range slots {
		state := "busy"
		if s.Available {
			state = "free"
		}
		const f = "2006-01-02T15:04Z07:00"
		out = append(out, s.Date.String()+" "+s.StartTime+"-"+s.EndTime+" "+
			s.Start.Format(f)+"/"+s.End.Format(f)+" "+state)
	}
	return out
}

// week is an availability document with the same intervals every day of
// the week, in zone tz, with extra top-level fields appended.
func week(tz string, intervals string, extra string) string {
	var days []string
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		days = append(days, `{"day": "`+d+`", "intervals": `+intervals+`}`)
	}
	doc := `{"timezone": "` + tz + `", "weekly": [` + strings.Join(days, ", ") + `]`
	if extra != "" {
		doc += ", " + extra
	}
	return doc + "}"
}
