package schedule_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	vidivo "github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/schedule"
)

// FuzzAvailability feeds arbitrary JSON through decode, Validate, Rules,
// Normalize and Slots. Nothing may panic; a document Validate accepts must
// compile and round-trip through JSON; a rejected one must say which
// fields are at fault; and Slots' results must be ordered, whole, labelled
// as the host's clock reads, and agree with Check.
func FuzzAvailability(f *testing.F) {
	for _, doc := range []string{
		seedWeek,
		seedWeekStored,
		`{}`,
		`null`,
		`[]`,
		`{"timezone": "Europe/Berlin", "weekly": [{"day": "sunday", "intervals": [{"start": "01:00", "end": "04:00"}, {"start": "09:00", "end": "12:00"}]}], "slot_minutes": 45}`,
		`{"timezone": "America/New_York", "weekly": [{"day": "sunday", "intervals": [{"start": "00:00", "end": "24:00"}]}], "slot_minutes": 5, "buffer_before_minutes": 10}`,
		`{"timezone": "Australia/Lord_Howe", "weekly": [{"day": "sunday", "intervals": [{"start": "01:30", "end": "02:30"}]}], "slot_minutes": 15}`,
		`{"timezone": "America/Santiago", "weekly": [{"day": "saturday", "intervals": [{"start": "22:00", "end": "24:00"}]}, {"day": "sunday", "intervals": [{"start": "00:00", "end": "02:00"}]}], "slot_minutes": 30}`,
		`{"overrides": [{"date": "2026-12-24", "intervals": []}, {"date": "2026-01-02", "intervals": [{"start": "10:00", "end": "11:00"}]}], "min_notice_minutes": 600, "max_days_ahead": 3}`,
		`{"weekly": [{"day": "monday", "intervals": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}]}`,
		`{"timezone": "Mars/Olympus", "slot_minutes": 0, "rate_per_minute": "2.505", "window_size_minutes": 61}`,
		`{"rate_per_minute": "2.5", "window_size_minutes": 10}`,
	} {
		f.Add([]byte(doc), uint16(100), uint32(60*24*90), uint64(0x9e3779b97f4a7c15))
	}
	f.Fuzz(func(t *testing.T, doc []byte, startDay uint16, nowMinutes uint32, seed uint64) {
		var a schedule.Availability
		if err := json.Unmarshal(doc, &a); err != nil {
			return
		}
		verr := a.Validate()
		r, rerr := a.Rules()
		if (verr == nil) != (rerr == nil) {
			t.Fatalf("Validate() = %v but Rules() = %v", verr, rerr)
		}
		if verr != nil {
			if vidivo.ErrorCode(verr) != vidivo.EVALIDATION || len(vidivo.ErrorDetails(verr)) == 0 {
				t.Fatalf("Validate() = %#v, want a validation error naming fields", verr)
			}
			a.Normalize() // must not panic on invalid documents either
			return
		}

		a.Normalize()
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var back schedule.Availability
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("stored form %s does not decode: %v", b, err)
		}
		if diff := cmp.Diff(a, back); diff != "" {
			t.Fatalf("round trip (-stored +decoded):\n%s", diff)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("stored form %s is invalid: %v", b, err)
		}

		// Two weeks somewhere in 2025-2028, seen from some time in that span.
		base := schedule.Date{Year: 2025, Month: time.January, Day: 1}
		from := base.AddDays(int(startDay) % (3 * 365))
		to := from.AddDays(13)
		now := time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(nowMinutes%(4*365*24*60)) * time.Minute)
		var busy []schedule.Busy
		origin := time.Date(from.Year, from.Month, from.Day, 0, 0, 0, 0, time.UTC).Add(-14 * time.Hour)
		for i := range int(seed % 9) {
			seed = seed*6364136223846793005 + 1442695040888963407
			s := origin.Add(time.Duration(seed>>40%(16*24*60)) * time.Minute)
			busy = append(busy, schedule.Busy{Start: s, End: s.Add(time.Duration(5+(seed>>20)%480+uint64(i)) * time.Minute)})
		}

		slots := r.Slots(from, to, busy, now)
		if slots == nil {
			t.Fatal("Slots returned nil")
		}
		checkSlotInvariants(t, r, slots)
		for _, s := range slots {
			if s.Date.Before(from) || s.Date.After(to) {
				t.Fatalf("slot %v outside %v..%v", render([]schedule.Slot{s}), from, to)
			}
			err := r.Check(s.Start, r.SlotLength(), now)
			if s.Available && err != nil {
				t.Fatalf("available slot %v refused: %v", render([]schedule.Slot{s}), err)
			}
			if s.Available && r.Conflicts(s.Start, r.SlotLength(), busy) {
				t.Fatalf("available slot %v conflicts with %v", render([]schedule.Slot{s}), busy)
			}
			if !s.Available && err == nil && !r.Conflicts(s.Start, r.SlotLength(), busy) {
				t.Fatalf("slot %v unavailable for no reason", render([]schedule.Slot{s}))
			}
		}
	})
}
