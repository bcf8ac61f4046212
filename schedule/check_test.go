package schedule_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	vidivo "github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/schedule"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	const sunday = "2026-03-15T12:00Z" // the seed week starts the next day
	berlin := `{"timezone": "Europe/Berlin", "max_days_ahead": 365,
		"weekly": [{"day": "sunday", "intervals": [{"start": "01:00", "end": "04:00"}]}]}`
	for _, tc := range []struct {
		name    string
		doc     string
		now     string
		start   string
		minutes int
		want    string // "" for accepted, else the field and reason
	}{
		{"on the grid", seedWeek, sunday, "2026-03-16T09:00Z", 60, ""},
		{"off the grid", seedWeek, sunday, "2026-03-16T09:10Z", 50, ""},
		{"ends at the interval's end", seedWeek, sunday, "2026-03-16T16:30Z", 30, ""},
		{"the whole day", seedWeek, sunday, "2026-03-16T09:00Z", 480, ""},
		{"shortest call", seedWeek, sunday, "2026-03-20T11:55Z", 5, ""},
		{"starts too early", seedWeek, sunday, "2026-03-16T08:30Z", 60, "scheduled_at: outside availability"},
		{"runs past the end", seedWeek, sunday, "2026-03-16T16:30Z", 60, "scheduled_at: outside availability"},
		{"on a day off", seedWeek, sunday, "2026-03-21T10:00Z", 60, "scheduled_at: outside availability"},
		{"before a short day's hours", seedWeek, sunday, "2026-03-18T09:00Z", 60, "scheduled_at: outside availability"},
		{"too short", seedWeek, sunday, "2026-03-16T09:00Z", 4, "duration_minutes: must be from 5 to 480 minutes"},
		{"too long", seedWeek, sunday, "2026-03-16T09:00Z", 481, "duration_minutes: must be from 5 to 480 minutes"},
		{"no duration", seedWeek, sunday, "2026-03-16T09:00Z", 0, "duration_minutes: must be from 5 to 480 minutes"},
		{"in the past", seedWeek, "2026-03-16T09:30Z", "2026-03-16T09:00Z", 60, "scheduled_at: in the past"},
		{"in the past and outside", seedWeek, "2026-03-16T09:30Z", "2026-03-16T03:00Z", 60, "scheduled_at: in the past"},
		{"right now", seedWeek, "2026-03-16T09:00Z", "2026-03-16T09:00Z", 60, ""},
		{"too soon", week("UTC", `[{"start": "09:00", "end": "17:00"}]`, `"min_notice_minutes": 120`),
			"2026-03-16T08:00Z", "2026-03-16T09:59Z", 60, "scheduled_at: too soon"},
		{"just enough notice", week("UTC", `[{"start": "09:00", "end": "17:00"}]`, `"min_notice_minutes": 120`),
			"2026-03-16T08:00Z", "2026-03-16T10:00Z", 60, ""},
		{"last bookable date", week("UTC", `[{"start": "09:00", "end": "17:00"}]`, `"max_days_ahead": 2`),
			sunday, "2026-03-17T16:00Z", 60, ""},
		{"too far ahead", week("UTC", `[{"start": "09:00", "end": "17:00"}]`, `"max_days_ahead": 2`),
			sunday, "2026-03-18T09:00Z", 60, "scheduled_at: too far ahead"},
		{"too far in the host's dates", week("Pacific/Kiritimati", `[{"start": "00:00", "end": "24:00"}]`, `"max_days_ahead": 1`),
			// 12:00Z on the 15th is the 16th in Kiritimati; the 18th there begins at 10:00Z on the 17th.
			sunday, "2026-03-17T10:00Z", 60, "scheduled_at: too far ahead"},
		{"touching intervals count as one",
			`{"weekly": [{"day": "monday", "intervals": [{"start": "09:00", "end": "12:00"}, {"start": "12:00", "end": "17:00"}]}]}`,
			sunday, "2026-03-16T11:30Z", 60, ""},
		{"a gap between intervals",
			`{"weekly": [{"day": "monday", "intervals": [{"start": "09:00", "end": "12:00"}, {"start": "12:30", "end": "17:00"}]}]}`,
			sunday, "2026-03-16T11:30Z", 60, "scheduled_at: outside availability"},
		{"no call across midnight",
			`{"weekly": [{"day": "monday", "intervals": [{"start": "22:00", "end": "24:00"}]},
			             {"day": "tuesday", "intervals": [{"start": "00:00", "end": "02:00"}]}]}`,
			sunday, "2026-03-16T23:30Z", 60, "scheduled_at: outside availability"},
		{"up to midnight",
			`{"weekly": [{"day": "monday", "intervals": [{"start": "22:00", "end": "24:00"}]}]}`,
			sunday, "2026-03-16T23:00Z", 60, ""},
		{"override: day off", `{"weekly": [{"day": "monday", "intervals": [{"start": "09:00", "end": "17:00"}]}],
			"overrides": [{"date": "2026-03-16"}]}`, sunday, "2026-03-16T10:00Z", 60, "scheduled_at: outside availability"},
		{"override: other hours", `{"weekly": [{"day": "monday", "intervals": [{"start": "09:00", "end": "17:00"}]}],
			"overrides": [{"date": "2026-03-16", "intervals": [{"start": "18:00", "end": "20:00"}]}]}`,
			sunday, "2026-03-16T18:30Z", 90, ""},
		// 01:00-04:00 on the spring-forward Sunday is 00:00Z-02:00Z.
		{"across the skipped hour", berlin, "2026-03-01T00:00Z", "2026-03-29T00:30Z", 90, ""},
		{"longer than the shortened interval", berlin, "2026-03-01T00:00Z", "2026-03-29T00:00Z", 150,
			"scheduled_at: outside availability"},
		// ... and on the fall-back Sunday it is 2026-10-24T23:00Z-2026-10-25T03:00Z.
		{"the whole lengthened interval", berlin, "2026-03-01T00:00Z", "2026-10-24T23:00Z", 240, ""},
		{"in the repeated hour's second pass", berlin, "2026-03-01T00:00Z", "2026-10-25T01:15Z", 30, ""},
		{"after the lengthened interval", berlin, "2026-03-01T00:00Z", "2026-10-25T02:30Z", 60,
			"scheduled_at: outside availability"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := MustRules(t, tc.doc)
			err := r.Check(MustTime(t, tc.start), time.Duration(tc.minutes)*time.Minute, MustTime(t, tc.now))
			got := ""
			if err != nil {
				if code := vidivo.ErrorCode(err); code != vidivo.EVALIDATION {
					t.Fatalf("Check() = %v, code %s, want %s", err, code, vidivo.EVALIDATION)
				}
				d := vidivo.ErrorDetails(err)
				if len(d) != 1 {
					t.Fatalf("Check() details = %v, want one", d)
				}
				got = d[0].Field + ": " + d[0].Issue
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Check() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckAgreesWithSlots books every slot Slots offers, and a start a
// minute before each, across Berlin's spring change.
func TestCheckAgreesWithSlots(t *testing.T) {
	t.Parallel()
	r := MustRules(t, week("Europe/Berlin", `[{"start": "01:00", "end": "04:00"}, {"start": "09:00", "end": "12:00"}]`,
		`"slot_minutes": 30, "min_notice_minutes": 90`))
	now := MustTime(t, "2026-03-28T08:15Z")
	slots := r.Slots(MustDate(t, "2026-03-27"), MustDate(t, "2026-03-31"), nil, now)
	for _, s := range slots {
		err := r.Check(s.Start, r.SlotLength(), now)
		if s.Available != (err == nil) {
			t.Errorf("slot %v: available %v, but Check() = %v", render([]schedule.Slot{s}), s.Available, err)
		}
	}
}

func TestConflicts(t *testing.T) {
	t.Parallel()
	r := MustRules(t, `{"buffer_before_minutes": 10, "buffer_after_minutes": 20}`)
	b := busy(t, "2026-03-16T10:00Z", "2026-03-16T11:00Z")
	for _, tc := range []struct {
		name    string
		start   string
		minutes int
		want    bool
	}{
		{"overlapping", "2026-03-16T10:30Z", 60, true},
		{"inside", "2026-03-16T10:10Z", 10, true},
		{"ends inside the larger buffer before the call", "2026-03-16T09:00Z", 45, true},
		{"ends the larger buffer before", "2026-03-16T09:00Z", 40, false},
		{"starts inside the larger buffer after", "2026-03-16T11:15Z", 30, true},
		{"starts the larger buffer after", "2026-03-16T11:20Z", 30, false},
		{"far away", "2026-03-16T15:00Z", 60, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := r.Conflicts(MustTime(t, tc.start), time.Duration(tc.minutes)*time.Minute, b); got != tc.want {
				t.Errorf("Conflicts(%s, %dm) = %v, want %v", tc.start, tc.minutes, got, tc.want)
			}
		})
	}
}
