package schedule_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo/schedule"
)

// hourly lists the hour-long slots of a UTC date from hour from to hour
// to, all in one state.
func hourly(date string, from, to int, state string) []string {
	var out []string
	for h := from; h < to; h++ {
		out = append(out, fmt.Sprintf("%s %02d:00-%02d:00 %sT%02d:00Z/%sT%02d:00Z %s", date, h, h+1, date, h, date, h+1, state))
	}
	return out
}

func concat(parts ...[]string) []string { return slices.Concat(parts...) }

func TestSlotsSeedWeek(t *testing.T) {
	t.Parallel()
	r := MustRules(t, seedWeek)
	now := MustTime(t, "2026-03-15T12:00Z") // the Sunday before
	got := r.Slots(MustDate(t, "2026-03-16"), MustDate(t, "2026-03-22"), nil, now)
	want := concat(
		hourly("2026-03-16", 9, 17, "free"), // Monday
		hourly("2026-03-17", 9, 17, "free"),
		hourly("2026-03-18", 10, 14, "free"), // Wednesday 10-14
		hourly("2026-03-19", 9, 17, "free"),
		hourly("2026-03-20", 9, 12, "free"), // Friday 9-12; the weekend is off
	)
	if diff := cmp.Diff(want, render(got)); diff != "" {
		t.Errorf("Slots (-want +got):\n%s", diff)
	}
	// The full shape of one slot, as the API serves it.
	wantFirst := schedule.Slot{
		Date: MustDate(t, "2026-03-16"), StartTime: "09:00", EndTime: "10:00", Available: true,
		Start: MustTime(t, "2026-03-16T09:00Z"), End: MustTime(t, "2026-03-16T10:00Z"),
	}
	if diff := cmp.Diff(wantFirst, got[0]); diff != "" {
		t.Errorf("first slot (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(got[0])
	if err != nil {
		t.Fatal(err)
	}
	const wantJSON = `{"date":"2026-03-16","start_time":"09:00","end_time":"10:00","available":true,` +
		`"start":"2026-03-16T09:00:00Z","end":"2026-03-16T10:00:00Z"}`
	if string(b) != wantJSON {
		t.Errorf("JSON = %s\nwant   %s", b, wantJSON)
	}
}

// checkSlotInvariants checks what holds for every result of Slots.
func checkSlotInvariants(t *testing.T, r schedule.Rules, slots []schedule.Slot) {
	t.Helper()
	loc := r.Location()
	for i, s := range slots {
		if got := s.End.Sub(s.Start); got != r.SlotLength() {
			t.Fatalf("slot %d lasts %v, want %v: %+v", i, got, r.SlotLength(), s)
		}
		if i > 0 && s.Start.Before(slots[i-1].End) {
			t.Fatalf("slot %d overlaps or precedes the one before: %v then %v", i, render(slots[i-1:i]), render(slots[i:i+1]))
		}
		if i > 0 && s.Date.Before(slots[i-1].Date) {
			t.Fatalf("slot %d goes back a date", i)
		}
		if want := s.Start.In(loc).Format("15:04"); s.StartTime != want {
			t.Fatalf("slot %d start_time %s, but the clock reads %s", i, s.StartTime, want)
		}
		want := s.End.In(loc).Format("15:04")
		if want == "00:00" {
			want = "24:00"
		}
		if s.EndTime != want {
			t.Fatalf("slot %d end_time %s, but the clock reads %s", i, s.EndTime, want)
		}
		if s.Start.Location() != time.UTC || s.End.Location() != time.UTC {
			t.Fatalf("slot %d instants not in UTC", i)
		}
	}
}

func TestSlotsOverrides(t *testing.T) {
	t.Parallel()
	now := MustTime(t, "2026-12-01T00:00Z")
	for _, tc := range []struct {
		name      string
		overrides string
		want      []string
	}{
		{"none", `[]`, concat(hourly("2026-12-23", 9, 12, "free"), hourly("2026-12-24", 9, 12, "free"), hourly("2026-12-25", 9, 12, "free"))},
		{"day off", `[{"date": "2026-12-24", "intervals": []}]`,
			concat(hourly("2026-12-23", 9, 12, "free"), hourly("2026-12-25", 9, 12, "free"))},
		{"day off without intervals", `[{"date": "2026-12-24"}]`,
			concat(hourly("2026-12-23", 9, 12, "free"), hourly("2026-12-25", 9, 12, "free"))},
		{"other hours", `[{"date": "2026-12-24", "intervals": [{"start": "14:00", "end": "16:00"}, {"start": "07:00", "end": "08:00"}]}]`,
			concat(hourly("2026-12-23", 9, 12, "free"), hourly("2026-12-24", 7, 8, "free"), hourly("2026-12-24", 14, 16, "free"),
				hourly("2026-12-25", 9, 12, "free"))},
		{"hours on a weekday off", `[{"date": "2026-12-26", "intervals": [{"start": "10:00", "end": "11:00"}]}]`,
			concat(hourly("2026-12-23", 9, 12, "free"), hourly("2026-12-24", 9, 12, "free"), hourly("2026-12-25", 9, 12, "free"),
				hourly("2026-12-26", 10, 11, "free"))},
		{"override outside the range", `[{"date": "2027-12-24"}]`,
			concat(hourly("2026-12-23", 9, 12, "free"), hourly("2026-12-24", 9, 12, "free"), hourly("2026-12-25", 9, 12, "free"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := `{"weekly": [` +
				`{"day": "wednesday", "intervals": [{"start": "09:00", "end": "12:00"}]},` +
				`{"day": "thursday", "intervals": [{"start": "09:00", "end": "12:00"}]},` +
				`{"day": "friday", "intervals": [{"start": "09:00", "end": "12:00"}]}],` +
				`"overrides": ` + tc.overrides + `}`
			r := MustRules(t, doc)
			got := r.Slots(MustDate(t, "2026-12-23"), MustDate(t, "2026-12-26"), nil, now)
			if diff := cmp.Diff(tc.want, render(got)); diff != "" {
				t.Errorf("Slots (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSlotsBusyAndBuffers books calls into a UTC Monday 09:00-17:00 and
// checks which slots stay free.
func TestSlotsBusyAndBuffers(t *testing.T) {
	t.Parallel()
	const day = "2026-03-16"
	now := MustTime(t, "2026-03-01T00:00Z")
	for _, tc := range []struct {
		name   string
		extra  string
		busy   []string
		free   []int // hours whose slot stays free
		unsort bool
	}{
		{"no bookings", ``, nil, []int{9, 10, 11, 12, 13, 14, 15, 16}, false},
		{"one booked slot", ``, []string{day + "T10:00Z", day + "T11:00Z"}, []int{9, 11, 12, 13, 14, 15, 16}, false},
		{"a short call inside a slot", ``, []string{day + "T12:20Z", day + "T12:40Z"}, []int{9, 10, 11, 13, 14, 15, 16}, false},
		{"a call across two slots", ``, []string{day + "T13:30Z", day + "T14:30Z"}, []int{9, 10, 11, 12, 15, 16}, false},
		{"sub-second edges still touch, not overlap", ``,
			[]string{day + "T10:00:00Z", day + "T11:00:00Z"}, []int{9, 11, 12, 13, 14, 15, 16}, false},
		{"a call that has not begun when it ends is ignored", ``, []string{day + "T10:00Z", day + "T10:00Z"},
			[]int{9, 10, 11, 12, 13, 14, 15, 16}, false},
		{"ends before it starts: ignored", ``, []string{day + "T11:00Z", day + "T10:00Z"},
			[]int{9, 10, 11, 12, 13, 14, 15, 16}, false},
		{"unsorted and overlapping", ``,
			[]string{day + "T15:00Z", day + "T16:00Z", day + "T09:00Z", day + "T09:30Z", day + "T09:15Z", day + "T10:00Z", day + "T12:00Z", day + "T13:00Z"},
			[]int{10, 11, 13, 14, 16}, true},
		{"a long call over the day", ``, []string{day + "T00:00Z", day + "T23:00Z"}, nil, false},
		// A 15-minute buffer on either side keeps 09-10 (which would end
		// inside the 10-11 call's buffer before, or whose own buffer
		// after would touch the call) and 11-12 (the mirror image) off:
		// every call keeps its buffers, booked or not yet booked.
		{"buffer before", `"buffer_before_minutes": 15`, []string{day + "T10:00Z", day + "T11:00Z"}, []int{12, 13, 14, 15, 16}, false},
		{"buffer after", `"buffer_after_minutes": 15`, []string{day + "T10:00Z", day + "T11:00Z"}, []int{12, 13, 14, 15, 16}, false},
		{"buffers of exactly the gap", `"buffer_before_minutes": 30, "buffer_after_minutes": 30`,
			[]string{day + "T10:00Z", day + "T10:30Z", day + "T14:30Z", day + "T15:00Z"}, []int{11, 12, 13, 16}, false},
		{"buffers never hit availability's edges", `"buffer_before_minutes": 240, "buffer_after_minutes": 240`,
			nil, []int{9, 10, 11, 12, 13, 14, 15, 16}, false},
		{"a call outside availability still buffers", `"buffer_after_minutes": 60`,
			[]string{day + "T07:00Z", day + "T08:30Z"}, []int{10, 11, 12, 13, 14, 15, 16}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := MustRules(t, `{"weekly": [{"day": "monday", "intervals": [{"start": "09:00", "end": "17:00"}]}]`+
				map[bool]string{true: ", " + tc.extra, false: ""}[tc.extra != ""]+`}`)
			b := busy(t, tc.busy...)
			before := slices.Clone(b)
			got := r.Slots(MustDate(t, day), MustDate(t, day), b, now)
			var want []string
			for h := 9; h < 17; h++ {
				state := "busy"
				if slices.Contains(tc.free, h) {
					state = "free"
				}
				want = append(want, hourly(day, h, h+1, state)...)
			}
			if diff := cmp.Diff(want, render(got)); diff != "" {
				t.Errorf("Slots (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, b); diff != "" {
				t.Errorf("Slots changed busy (-before +after):\n%s", diff)
			}
			// Conflicts answers the same for calls on the grid.
			for _, s := range got {
				if c := r.Conflicts(s.Start, r.SlotLength(), b); c == s.Available {
					t.Errorf("Conflicts(%v) = %v, but the slot is available = %v", s.Start, c, s.Available)
				}
			}
		})
	}
}

// TestSlotsNow checks past, too-soon and too-far slots.
func TestSlotsNow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		extra    string
		now      string
		from, to string
		want     []string
	}{
		{"past and under way", ``, "2026-03-16T10:30Z", "2026-03-16", "2026-03-16",
			concat(hourly("2026-03-16", 9, 11, "busy"), hourly("2026-03-16", 11, 17, "free"))},
		{"exactly at a start", ``, "2026-03-16T11:00Z", "2026-03-16", "2026-03-16",
			concat(hourly("2026-03-16", 9, 11, "busy"), hourly("2026-03-16", 11, 17, "free"))},
		{"a second after a start", ``, "2026-03-16T11:00:00.001Z", "2026-03-16", "2026-03-16",
			concat(hourly("2026-03-16", 9, 12, "busy"), hourly("2026-03-16", 12, 17, "free"))},
		{"a past week", ``, "2026-03-30T00:00Z", "2026-03-16", "2026-03-16", hourly("2026-03-16", 9, 17, "busy")},
		{"min notice", `"min_notice_minutes": 120`, "2026-03-16T09:30Z", "2026-03-16", "2026-03-16",
			concat(hourly("2026-03-16", 9, 12, "busy"), hourly("2026-03-16", 12, 17, "free"))},
		{"min notice into the next day", `"min_notice_minutes": 1440`, "2026-03-16T12:00Z", "2026-03-16", "2026-03-17",
			concat(hourly("2026-03-16", 9, 17, "busy"), hourly("2026-03-17", 9, 12, "busy"), hourly("2026-03-17", 12, 17, "free"))},
		{"max days ahead: later dates have no slots", `"max_days_ahead": 1`, "2026-03-16T23:59Z", "2026-03-16", "2026-03-20",
			concat(hourly("2026-03-16", 9, 17, "busy"), hourly("2026-03-17", 9, 17, "free"))},
		{"max days ahead counts host dates", `"timezone": "Pacific/Kiritimati", "max_days_ahead": 1`,
			// 23:59Z on the 16th is 13:59 on the 17th in Kiritimati (UTC+14).
			"2026-03-16T23:59Z", "2026-03-17", "2026-03-20",
			[]string{
				"2026-03-17 09:00-10:00 2026-03-16T19:00Z/2026-03-16T20:00Z busy",
				"2026-03-17 10:00-11:00 2026-03-16T20:00Z/2026-03-16T21:00Z busy",
				"2026-03-17 11:00-12:00 2026-03-16T21:00Z/2026-03-16T22:00Z busy",
				"2026-03-17 12:00-13:00 2026-03-16T22:00Z/2026-03-16T23:00Z busy",
				"2026-03-17 13:00-14:00 2026-03-16T23:00Z/2026-03-17T00:00Z busy",
				"2026-03-17 14:00-15:00 2026-03-17T00:00Z/2026-03-17T01:00Z free",
				"2026-03-17 15:00-16:00 2026-03-17T01:00Z/2026-03-17T02:00Z free",
				"2026-03-17 16:00-17:00 2026-03-17T02:00Z/2026-03-17T03:00Z free",
				"2026-03-18 09:00-10:00 2026-03-17T19:00Z/2026-03-17T20:00Z free",
				"2026-03-18 10:00-11:00 2026-03-17T20:00Z/2026-03-17T21:00Z free",
				"2026-03-18 11:00-12:00 2026-03-17T21:00Z/2026-03-17T22:00Z free",
				"2026-03-18 12:00-13:00 2026-03-17T22:00Z/2026-03-17T23:00Z free",
				"2026-03-18 13:00-14:00 2026-03-17T23:00Z/2026-03-18T00:00Z free",
				"2026-03-18 14:00-15:00 2026-03-18T00:00Z/2026-03-18T01:00Z free",
				"2026-03-18 15:00-16:00 2026-03-18T01:00Z/2026-03-18T02:00Z free",
				"2026-03-18 16:00-17:00 2026-03-18T02:00Z/2026-03-18T03:00Z free",
			}},
		{"range entirely beyond the horizon", `"max_days_ahead": 1`, "2026-03-16T12:00Z", "2026-03-18", "2026-03-20", []string{}},
		{"end before start", ``, "2026-03-01T00:00Z", "2026-03-17", "2026-03-16", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := week("UTC", `[{"start": "09:00", "end": "17:00"}]`, "")
			if tc.extra != "" {
				doc = doc[:len(doc)-1] + ", " + tc.extra + "}"
			}
			r := MustRules(t, doc)
			got := r.Slots(MustDate(t, tc.from), MustDate(t, tc.to), nil, MustTime(t, tc.now))
			if got == nil {
				t.Fatal("Slots returned nil")
			}
			if diff := cmp.Diff(tc.want, render(got)); diff != "" {
				t.Errorf("Slots (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSlotsZeroRules(t *testing.T) {
	t.Parallel()
	var r schedule.Rules
	d := MustDate(t, "2026-03-16")
	if got := r.Slots(d, d.AddDays(30), nil, time.Now()); got == nil || len(got) != 0 {
		t.Errorf("zero Rules: Slots = %v, want empty", got)
	}
	if err := r.Check(MustTime(t, "2026-03-16T10:00Z"), time.Hour, MustTime(t, "2026-03-01T00:00Z")); err == nil {
		t.Error("zero Rules: Check accepted a booking")
	}
}
