package schedule_test

import (
	"testing"
	"time"

	"github.com/vidivo/vidivo/schedule"
)

// BenchmarkSlots31Days200Bookings computes a month of slots for a host in
// Europe/Berlin (the month holds the spring-forward change), with a split
// weekday schedule, half-hour slots, buffers, notice, and 200 bookings
// already made, as GET /v1/schedule/{username} does for a full month.
func BenchmarkSlots31Days200Bookings(b *testing.B) {
	r := MustRules(b, `{"timezone": "Europe/Berlin",
		"weekly": [
			{"day": "monday", "intervals": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]},
			{"day": "tuesday", "intervals": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]},
			{"day": "wednesday", "intervals": [{"start": "10:00", "end": "14:00"}]},
			{"day": "thursday", "intervals": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]},
			{"day": "friday", "intervals": [{"start": "09:00", "end": "12:00"}]},
			{"day": "saturday", "intervals": [{"start": "10:00", "end": "12:00"}]}],
		"overrides": [{"date": "2026-03-06"}, {"date": "2026-03-14", "intervals": [{"start": "09:00", "end": "15:00"}]}],
		"slot_minutes": 30, "buffer_before_minutes": 5, "buffer_after_minutes": 10,
		"min_notice_minutes": 120, "max_days_ahead": 90}`)
	from, to := MustDate(b, "2026-03-01"), MustDate(b, "2026-03-31")
	now := MustTime(b, "2026-03-02T09:17Z")
	// 200 bookings spread over the month's working hours, unsorted, as a
	// store might return them.
	busy := make([]schedule.Busy, 0, 200)
	for i := range 200 {
		day := (i * 7) % 31
		minute := 8*60 + (i*37)%(9*60)
		s := time.Date(2026, time.March, 1+day, 0, minute, 0, 0, time.UTC).Add(-time.Hour)
		busy = append(busy, schedule.Busy{Start: s, End: s.Add(time.Duration(15+(i%4)*15) * time.Minute)})
	}
	if n := len(r.Slots(from, to, busy, now)); n < 300 {
		b.Fatalf("only %d slots: the benchmark is not realistic", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Slots(from, to, busy, now)
	}
}

// BenchmarkRules compiles an availability document, as every schedule
// request does before computing slots.
func BenchmarkRules(b *testing.B) {
	a := MustDecode(b, week("America/New_York", `[{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]`,
		`"overrides": [{"date": "2026-12-24"}, {"date": "2026-12-31"}]`))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Rules(); err != nil {
			b.Fatal(err)
		}
	}
}
