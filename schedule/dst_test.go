package schedule_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo/schedule"
)

// The rule for days when the clocks change (see the package doc): a
// skipped wall-clock time means the instant of the jump, a repeated one
// its first occurrence, and slots step through real time from each
// interval's start, so nothing is offered twice or lost.

// TestSlotsDST checks days when the clocks change. The host is available
// 01:00-04:00 and 09:00-12:00 every day; each case lists the day before,
// the day of the change and the day after.
func TestSlotsDST(t *testing.T) {
	t.Parallel()
	const intervals = `[{"start": "01:00", "end": "04:00"}, {"start": "09:00", "end": "12:00"}]`
	for _, tc := range []struct {
		name     string
		tz       string
		from, to string
		now      string
		want     []string
	}{
		{
			// 02:00 CET jumps to 03:00 CEST: 01:00-04:00 lasts two hours,
			// so two slots; the one starting at 01:00 ends at 03:00.
			name: "Berlin spring forward", tz: "Europe/Berlin", from: "2026-03-28", to: "2026-03-30", now: "2026-03-01T00:00Z",
			want: []string{
				"2026-03-28 01:00-02:00 2026-03-28T00:00Z/2026-03-28T01:00Z free",
				"2026-03-28 02:00-03:00 2026-03-28T01:00Z/2026-03-28T02:00Z free",
				"2026-03-28 03:00-04:00 2026-03-28T02:00Z/2026-03-28T03:00Z free",
				"2026-03-28 09:00-10:00 2026-03-28T08:00Z/2026-03-28T09:00Z free",
				"2026-03-28 10:00-11:00 2026-03-28T09:00Z/2026-03-28T10:00Z free",
				"2026-03-28 11:00-12:00 2026-03-28T10:00Z/2026-03-28T11:00Z free",
				"2026-03-29 01:00-03:00 2026-03-29T00:00Z/2026-03-29T01:00Z free",
				"2026-03-29 03:00-04:00 2026-03-29T01:00Z/2026-03-29T02:00Z free",
				"2026-03-29 09:00-10:00 2026-03-29T07:00Z/2026-03-29T08:00Z free",
				"2026-03-29 10:00-11:00 2026-03-29T08:00Z/2026-03-29T09:00Z free",
				"2026-03-29 11:00-12:00 2026-03-29T09:00Z/2026-03-29T10:00Z free",
				"2026-03-30 01:00-02:00 2026-03-29T23:00Z/2026-03-30T00:00Z free",
				"2026-03-30 02:00-03:00 2026-03-30T00:00Z/2026-03-30T01:00Z free",
				"2026-03-30 03:00-04:00 2026-03-30T01:00Z/2026-03-30T02:00Z free",
				"2026-03-30 09:00-10:00 2026-03-30T07:00Z/2026-03-30T08:00Z free",
				"2026-03-30 10:00-11:00 2026-03-30T08:00Z/2026-03-30T09:00Z free",
				"2026-03-30 11:00-12:00 2026-03-30T09:00Z/2026-03-30T10:00Z free",
			},
		},
		{
			// 03:00 CEST falls back to 02:00 CET: 01:00-04:00 lasts four
			// hours, so four slots, the repeated hour once in each offset.
			name: "Berlin fall back", tz: "Europe/Berlin", from: "2026-10-24", to: "2026-10-26", now: "2026-10-01T00:00Z",
			want: []string{
				"2026-10-24 01:00-02:00 2026-10-23T23:00Z/2026-10-24T00:00Z free",
				"2026-10-24 02:00-03:00 2026-10-24T00:00Z/2026-10-24T01:00Z free",
				"2026-10-24 03:00-04:00 2026-10-24T01:00Z/2026-10-24T02:00Z free",
				"2026-10-24 09:00-10:00 2026-10-24T07:00Z/2026-10-24T08:00Z free",
				"2026-10-24 10:00-11:00 2026-10-24T08:00Z/2026-10-24T09:00Z free",
				"2026-10-24 11:00-12:00 2026-10-24T09:00Z/2026-10-24T10:00Z free",
				"2026-10-25 01:00-02:00 2026-10-24T23:00Z/2026-10-25T00:00Z free",
				"2026-10-25 02:00-02:00 2026-10-25T00:00Z/2026-10-25T01:00Z free",
				"2026-10-25 02:00-03:00 2026-10-25T01:00Z/2026-10-25T02:00Z free",
				"2026-10-25 03:00-04:00 2026-10-25T02:00Z/2026-10-25T03:00Z free",
				"2026-10-25 09:00-10:00 2026-10-25T08:00Z/2026-10-25T09:00Z free",
				"2026-10-25 10:00-11:00 2026-10-25T09:00Z/2026-10-25T10:00Z free",
				"2026-10-25 11:00-12:00 2026-10-25T10:00Z/2026-10-25T11:00Z free",
				"2026-10-26 01:00-02:00 2026-10-26T00:00Z/2026-10-26T01:00Z free",
				"2026-10-26 02:00-03:00 2026-10-26T01:00Z/2026-10-26T02:00Z free",
				"2026-10-26 03:00-04:00 2026-10-26T02:00Z/2026-10-26T03:00Z free",
				"2026-10-26 09:00-10:00 2026-10-26T08:00Z/2026-10-26T09:00Z free",
				"2026-10-26 10:00-11:00 2026-10-26T09:00Z/2026-10-26T10:00Z free",
				"2026-10-26 11:00-12:00 2026-10-26T10:00Z/2026-10-26T11:00Z free",
			},
		},
		{
			// 02:00 EST jumps to 03:00 EDT.
			name: "New York spring forward", tz: "America/New_York", from: "2026-03-07", to: "2026-03-09", now: "2026-03-01T00:00Z",
			want: []string{
				"2026-03-07 01:00-02:00 2026-03-07T06:00Z/2026-03-07T07:00Z free",
				"2026-03-07 02:00-03:00 2026-03-07T07:00Z/2026-03-07T08:00Z free",
				"2026-03-07 03:00-04:00 2026-03-07T08:00Z/2026-03-07T09:00Z free",
				"2026-03-07 09:00-10:00 2026-03-07T14:00Z/2026-03-07T15:00Z free",
				"2026-03-07 10:00-11:00 2026-03-07T15:00Z/2026-03-07T16:00Z free",
				"2026-03-07 11:00-12:00 2026-03-07T16:00Z/2026-03-07T17:00Z free",
				"2026-03-08 01:00-03:00 2026-03-08T06:00Z/2026-03-08T07:00Z free",
				"2026-03-08 03:00-04:00 2026-03-08T07:00Z/2026-03-08T08:00Z free",
				"2026-03-08 09:00-10:00 2026-03-08T13:00Z/2026-03-08T14:00Z free",
				"2026-03-08 10:00-11:00 2026-03-08T14:00Z/2026-03-08T15:00Z free",
				"2026-03-08 11:00-12:00 2026-03-08T15:00Z/2026-03-08T16:00Z free",
				"2026-03-09 01:00-02:00 2026-03-09T05:00Z/2026-03-09T06:00Z free",
				"2026-03-09 02:00-03:00 2026-03-09T06:00Z/2026-03-09T07:00Z free",
				"2026-03-09 03:00-04:00 2026-03-09T07:00Z/2026-03-09T08:00Z free",
				"2026-03-09 09:00-10:00 2026-03-09T13:00Z/2026-03-09T14:00Z free",
				"2026-03-09 10:00-11:00 2026-03-09T14:00Z/2026-03-09T15:00Z free",
				"2026-03-09 11:00-12:00 2026-03-09T15:00Z/2026-03-09T16:00Z free",
			},
		},
		{
			// 02:00 EDT falls back to 01:00 EST: 01:00 happens twice, and
			// the interval starts at the first.
			name: "New York fall back", tz: "America/New_York", from: "2026-10-31", to: "2026-11-02", now: "2026-10-01T00:00Z",
			want: []string{
				"2026-10-31 01:00-02:00 2026-10-31T05:00Z/2026-10-31T06:00Z free",
				"2026-10-31 02:00-03:00 2026-10-31T06:00Z/2026-10-31T07:00Z free",
				"2026-10-31 03:00-04:00 2026-10-31T07:00Z/2026-10-31T08:00Z free",
				"2026-10-31 09:00-10:00 2026-10-31T13:00Z/2026-10-31T14:00Z free",
				"2026-10-31 10:00-11:00 2026-10-31T14:00Z/2026-10-31T15:00Z free",
				"2026-10-31 11:00-12:00 2026-10-31T15:00Z/2026-10-31T16:00Z free",
				"2026-11-01 01:00-01:00 2026-11-01T05:00Z/2026-11-01T06:00Z free",
				"2026-11-01 01:00-02:00 2026-11-01T06:00Z/2026-11-01T07:00Z free",
				"2026-11-01 02:00-03:00 2026-11-01T07:00Z/2026-11-01T08:00Z free",
				"2026-11-01 03:00-04:00 2026-11-01T08:00Z/2026-11-01T09:00Z free",
				"2026-11-01 09:00-10:00 2026-11-01T14:00Z/2026-11-01T15:00Z free",
				"2026-11-01 10:00-11:00 2026-11-01T15:00Z/2026-11-01T16:00Z free",
				"2026-11-01 11:00-12:00 2026-11-01T16:00Z/2026-11-01T17:00Z free",
				"2026-11-02 01:00-02:00 2026-11-02T06:00Z/2026-11-02T07:00Z free",
				"2026-11-02 02:00-03:00 2026-11-02T07:00Z/2026-11-02T08:00Z free",
				"2026-11-02 03:00-04:00 2026-11-02T08:00Z/2026-11-02T09:00Z free",
				"2026-11-02 09:00-10:00 2026-11-02T14:00Z/2026-11-02T15:00Z free",
				"2026-11-02 10:00-11:00 2026-11-02T15:00Z/2026-11-02T16:00Z free",
				"2026-11-02 11:00-12:00 2026-11-02T16:00Z/2026-11-02T17:00Z free",
			},
		},
		{
			name: "UTC host on Berlin's change", tz: "UTC", from: "2026-03-29", to: "2026-03-29", now: "2026-03-01T00:00Z",
			want: []string{
				"2026-03-29 01:00-02:00 2026-03-29T01:00Z/2026-03-29T02:00Z free",
				"2026-03-29 02:00-03:00 2026-03-29T02:00Z/2026-03-29T03:00Z free",
				"2026-03-29 03:00-04:00 2026-03-29T03:00Z/2026-03-29T04:00Z free",
				"2026-03-29 09:00-10:00 2026-03-29T09:00Z/2026-03-29T10:00Z free",
				"2026-03-29 10:00-11:00 2026-03-29T10:00Z/2026-03-29T11:00Z free",
				"2026-03-29 11:00-12:00 2026-03-29T11:00Z/2026-03-29T12:00Z free",
			},
		},
		{
			name: "half-hour offset, no DST", tz: "Asia/Kolkata", from: "2026-03-29", to: "2026-03-29", now: "2026-03-01T00:00Z",
			want: []string{
				"2026-03-29 01:00-02:00 2026-03-28T19:30Z/2026-03-28T20:30Z free",
				"2026-03-29 02:00-03:00 2026-03-28T20:30Z/2026-03-28T21:30Z free",
				"2026-03-29 03:00-04:00 2026-03-28T21:30Z/2026-03-28T22:30Z free",
				"2026-03-29 09:00-10:00 2026-03-29T03:30Z/2026-03-29T04:30Z free",
				"2026-03-29 10:00-11:00 2026-03-29T04:30Z/2026-03-29T05:30Z free",
				"2026-03-29 11:00-12:00 2026-03-29T05:30Z/2026-03-29T06:30Z free",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := MustRules(t, week(tc.tz, intervals, ""))
			got := r.Slots(MustDate(t, tc.from), MustDate(t, tc.to), nil, MustTime(t, tc.now))
			if diff := cmp.Diff(tc.want, render(got)); diff != "" {
				t.Errorf("Slots (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSlotsDSTWeeks checks a whole week around each change: the slots are
// in time order, never overlap, last exactly the slot length, and the
// week has one slot fewer (spring) or more (autumn) than a plain week.
func TestSlotsDSTWeeks(t *testing.T) {
	t.Parallel()
	const intervals = `[{"start": "01:00", "end": "04:00"}, {"start": "09:00", "end": "12:00"}]`
	for _, tc := range []struct {
		name, tz, monday string
		want             int
	}{
		{"Berlin, spring forward on Sunday", "Europe/Berlin", "2026-03-23", 7*6 - 1},
		{"Berlin, fall back on Sunday", "Europe/Berlin", "2026-10-19", 7*6 + 1},
		{"New York, spring forward on Sunday", "America/New_York", "2026-03-02", 7*6 - 1},
		{"New York, fall back on Sunday", "America/New_York", "2026-10-26", 7*6 + 1},
		{"New York, the week after", "America/New_York", "2026-11-02", 7 * 6},
		{"UTC", "UTC", "2026-03-23", 7 * 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := MustRules(t, week(tc.tz, intervals, ""))
			mon := MustDate(t, tc.monday)
			now := time.Date(mon.Year, mon.Month, mon.Day-1, 0, 0, 0, 0, time.UTC)
			got := r.Slots(mon, mon.AddDays(6), nil, now)
			if len(got) != tc.want {
				t.Errorf("%d slots, want %d:\n%v", len(got), tc.want, render(got))
			}
			checkSlotInvariants(t, r, got)
		})
	}
}

// TestSlotsEdgesOfGaps covers intervals that start or end in a skipped or
// repeated hour, and one ending at midnight on a day with a change.
func TestSlotsEdgesOfGaps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		date      string
		intervals string
		slot      int
		want      []string
	}{
		{
			name: "starts inside the gap: from the jump", date: "2026-03-29", slot: 30,
			intervals: `[{"start": "02:30", "end": "04:00"}]`,
			want: []string{
				"2026-03-29 03:00-03:30 2026-03-29T01:00Z/2026-03-29T01:30Z free",
				"2026-03-29 03:30-04:00 2026-03-29T01:30Z/2026-03-29T02:00Z free",
			},
		},
		{
			name: "wholly inside the gap: nothing", date: "2026-03-29", slot: 30,
			intervals: `[{"start": "02:00", "end": "03:00"}]`,
			want:      []string{},
		},
		{
			name: "ends inside the gap: at the jump", date: "2026-03-29", slot: 30,
			intervals: `[{"start": "01:00", "end": "02:30"}]`,
			want: []string{
				"2026-03-29 01:00-01:30 2026-03-29T00:00Z/2026-03-29T00:30Z free",
				"2026-03-29 01:30-03:00 2026-03-29T00:30Z/2026-03-29T01:00Z free",
			},
		},
		{
			name: "starts in the repeated hour: at its first occurrence", date: "2026-10-25", slot: 60,
			intervals: `[{"start": "02:30", "end": "03:30"}]`,
			want: []string{
				"2026-10-25 02:30-02:30 2026-10-25T00:30Z/2026-10-25T01:30Z free",
				"2026-10-25 02:30-03:30 2026-10-25T01:30Z/2026-10-25T02:30Z free",
			},
		},
		{
			name: "touching in the repeated hour: no overlap", date: "2026-10-25", slot: 30,
			intervals: `[{"start": "02:00", "end": "02:30"}, {"start": "02:30", "end": "03:00"}]`,
			want: []string{
				"2026-10-25 02:00-02:30 2026-10-25T00:00Z/2026-10-25T00:30Z free",
				"2026-10-25 02:30-02:00 2026-10-25T00:30Z/2026-10-25T01:00Z free",
				"2026-10-25 02:00-02:30 2026-10-25T01:00Z/2026-10-25T01:30Z free",
				"2026-10-25 02:30-03:00 2026-10-25T01:30Z/2026-10-25T02:00Z free",
			},
		},
		{
			name: "ends at midnight on the day of a change", date: "2026-03-29", slot: 60,
			intervals: `[{"start": "22:00", "end": "24:00"}]`,
			want: []string{
				"2026-03-29 22:00-23:00 2026-03-29T20:00Z/2026-03-29T21:00Z free",
				"2026-03-29 23:00-24:00 2026-03-29T21:00Z/2026-03-29T22:00Z free",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := MustRules(t, week("Europe/Berlin", tc.intervals, fmt.Sprintf(`"slot_minutes": %d, "max_days_ahead": 365`, tc.slot)))
			d := MustDate(t, tc.date)
			got := r.Slots(d, d, nil, MustTime(t, "2026-03-01T00:00Z"))
			if diff := cmp.Diff(tc.want, render(got)); diff != "" {
				t.Errorf("Slots (-want +got):\n%s", diff)
			}
			checkSlotInvariants(t, r, got)
		})
	}
}

// TestSlotsTileIntervals checks, for a year of dates in zones with odd
// changes, that each interval's slots tile it exactly in real time: from
// the first instant the clock reads at least its start to the first it
// reads at least its end, found by brute force.
func TestSlotsTileIntervals(t *testing.T) {
	t.Parallel()
	for _, tz := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Tehran", "Pacific/Apia"} {
		t.Run(tz, func(t *testing.T) {
			t.Parallel()
			r := MustRules(t, week(tz, `[{"start": "00:00", "end": "02:30"}, {"start": "02:30", "end": "04:00"}, {"start": "23:00", "end": "24:00"}]`,
				`"slot_minutes": 30, "max_days_ahead": 365`))
			loc := r.Location()
			first := MustDate(t, "2026-01-01")
			now := MustTime(t, "2026-01-01T12:00Z") // the horizon is a year later, in every zone
			for d := first; d.Before(MustDate(t, "2027-01-01")); d = d.AddDays(1) {
				slots := r.Slots(d, d, nil, now)
				checkSlotInvariants(t, r, slots)
				var want []time.Time
				for _, iv := range [][2]int{{0, 150}, {150, 240}, {23 * 60, 24 * 60}} {
					s, e := firstReading(loc, d, iv[0]), firstReading(loc, d, iv[1])
					for x := s; !x.Add(30 * time.Minute).After(e); x = x.Add(30 * time.Minute) {
						want = append(want, x)
					}
				}
				got := make([]time.Time, len(slots))
				for i, s := range slots {
					got[i] = s.Start
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("%v: slot starts (-want +got):\n%s\n%v", d, diff, render(slots))
				}
			}
		})
	}
}

// firstReading returns the first whole minute at which the clock in loc
// reads at least minute m of date d.
func firstReading(loc *time.Location, d schedule.Date, m int) time.Time {
	want := time.Date(d.Year, d.Month, d.Day, 0, m, 0, 0, time.UTC)
	reads := func(x time.Time) time.Time {
		l := x.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), 0, 0, time.UTC)
	}
	// Offsets are within ±14 hours; start before the earliest candidate.
	x := want.Add(-15 * time.Hour).Truncate(time.Minute)
	for reads(x).Before(want) {
		x = x.Add(time.Minute)
	}
	return x.UTC()
}
