// Package calendars measures connected calendars (issue 15): slots for a
// month with 500 external events from the cache (pure, in-process through
// the booking service, and through GET /v1/schedule/{username}), and
// refreshing one calendar of 1,000 events. See bench/README.md.
//
//	VIDIVO_TEST_DATABASE_URL=postgres://… go test ./bench/calendars -run '^$' -bench . -benchtime 2s
package calendars_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/calendar"
	"github.com/vidivo/vidivo/schedule"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

var monthStart = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// feed returns an .ics document of n events starting in March 2026:
// recurring of them weekly (for a year), the rest single, at working
// hours in Berlin.
func feed(n, recurring int) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n")
	for i := range n {
		day := monthStart.AddDate(0, 0, i%28)
		if i >= recurring {
			day = monthStart.AddDate(0, 0, (i*7)%31)
		}
		start := day.Add(time.Duration(8*60+(i*37)%(9*60)) * time.Minute)
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:ev%d\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:%s\r\nDTEND;TZID=Europe/Berlin:%s\r\n",
			i, start.Format("20060102T150405"), start.Add(45*time.Minute).Format("20060102T150405"))
		if i < recurring {
			b.WriteString("RRULE:FREQ=WEEKLY;COUNT=52\r\n")
		}
		b.WriteString("SUMMARY:Busy\r\nEND:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

// expanded is the busy intervals of a 500-event feed (100 recurring) in
// March 2026.
func expanded(tb testing.TB) []calendar.Interval {
	cal, err := calendar.Parse(strings.NewReader(feed(500, 100)))
	if err != nil {
		tb.Fatal(err)
	}
	busy, bad := calendar.Expand([]*icalCalendar{cal}, calendar.ExpandOptions{From: monthStart.AddDate(0, 0, -2),
		To: monthStart.AddDate(0, 1, 3), Host: berlin(tb)})
	if bad != 0 || len(busy) < 700 {
		tb.Fatalf("%d intervals, %d unreadable", len(busy), bad)
	}
	return busy
}

func berlin(tb testing.TB) *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

const availability = `{"timezone": "Europe/Berlin",
	"weekly": [
		{"day": "monday", "intervals": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]},
		{"day": "tuesday", "intervals": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]},
		{"day": "wednesday", "intervals": [{"start": "10:00", "end": "14:00"}]},
		{"day": "thursday", "intervals": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]},
		{"day": "friday", "intervals": [{"start": "09:00", "end": "12:00"}]},
		{"day": "saturday", "intervals": [{"start": "10:00", "end": "12:00"}]}],
	"slot_minutes": 30, "buffer_before_minutes": 5, "buffer_after_minutes": 10,
	"min_notice_minutes": 120, "max_days_ahead": 90, "rate_per_minute": "1.00"}`

// BenchmarkPureSlotsMonth500External is schedule.Rules.Slots for March
// with the month's external busy times (500 events, 100 weekly), the
// computation the slots path adds them to; compare
// schedule.BenchmarkSlots31Days200Bookings (17 µs).
func BenchmarkPureSlotsMonth500External(b *testing.B) {
	var a schedule.Availability
	if err := jsonUnmarshal(availability, &a); err != nil {
		b.Fatal(err)
	}
	r, err := a.Rules()
	if err != nil {
		b.Fatal(err)
	}
	ivs := expanded(b)
	busy := make([]schedule.Busy, len(ivs))
	for i, iv := range ivs {
		busy[i] = schedule.Busy{Start: iv.Start, End: iv.End}
	}
	from, to := schedule.DateOf(monthStart), schedule.DateOf(monthStart.AddDate(0, 0, 30))
	now := monthStart.Add(33 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		r.Slots(from, to, busy, now)
	}
}

// host sets up a host on e with the availability and one .ics calendar
// whose cache holds the month's external busy times.
func host(b *testing.B, e *apitest.Env) *vidivo.User { return hostWith(b, e, true) }

// hostWith is host, with the calendar or without any (today's path).
func hostWith(b *testing.B, e *apitest.Env, external bool) *vidivo.User {
	ctx := context.Background()
	u := &vidivo.User{Email: "benchhost@example.com", Username: "benchhost", DisplayName: "Bench", Role: vidivo.RoleHost}
	if err := e.DB.CreateUser(ctx, u, "x", nil); err != nil {
		b.Fatal(err)
	}
	if err := e.DB.PutAvailability(ctx, u.ID, []byte(availability)); err != nil {
		b.Fatal(err)
	}
	if !external {
		return u
	}
	conn := &calendar.Connection{UserID: u.ID, Kind: calendar.KindICS, URL: "https://calendar.example/feed.ics",
		WhenFailing: calendar.WhenFailingWithhold, Calendars: []*calendar.Calendar{{URL: "https://calendar.example/feed.ics",
			Name: "Feed", CheckConflicts: true}}}
	if err := e.DB.CreateCalendarConnection(ctx, conn); err != nil {
		b.Fatal(err)
	}
	if err := e.DB.SaveCalendarBusy(ctx, conn.Calendars[0].ID, expanded(b), e.Clock.Now()); err != nil {
		b.Fatal(err)
	}
	return u
}

// BenchmarkServiceSlotsMonth500External is booking.Service.Slots for
// March, in process: availability, price, bookings and the cached
// external busy times read from the store.
func BenchmarkServiceSlotsMonth500External(b *testing.B) { serviceSlots(b, true) }

// BenchmarkServiceSlotsMonthNoCalendar is the same without a connected
// calendar: the path before issue 15.
func BenchmarkServiceSlotsMonthNoCalendar(b *testing.B) { serviceSlots(b, false) }

func serviceSlots(b *testing.B, external bool) {
	for _, engine := range sqldbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			e := apitest.New(b, engine, nil)
			e.Clock.Set(monthStart.Add(33 * time.Hour))
			hostWith(b, e, external)
			q := booking.SlotsQuery{Username: "benchhost", From: schedule.DateOf(monthStart), To: schedule.DateOf(monthStart.AddDate(0, 0, 30))}
			out, err := e.Server.Booking.Slots(context.Background(), q)
			if err != nil || len(out.Slots) < 300 {
				b.Fatalf("%v slots, %v", out, err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Server.Booking.Slots(context.Background(), q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHTTPScheduleMonth500External is GET /v1/schedule/{username}
// for March over loopback HTTP.
func BenchmarkHTTPScheduleMonth500External(b *testing.B) { httpSchedule(b, true) }

// BenchmarkHTTPScheduleMonthNoCalendar is the same without a connected
// calendar.
func BenchmarkHTTPScheduleMonthNoCalendar(b *testing.B) { httpSchedule(b, false) }

func httpSchedule(b *testing.B, external bool) {
	for _, engine := range sqldbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			e := apitest.New(b, engine, nil)
			e.Clock.Set(monthStart.Add(33 * time.Hour))
			hostWith(b, e, external)
			u := e.URL + "/v1/schedule/benchhost?start_date=2026-03-01&end_date=2026-03-31"
			b.ReportAllocs()
			for b.Loop() {
				resp, err := http.Get(u)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = drain(resp)
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}

// BenchmarkRefresh1000Events reads one .ics calendar of 1,000 events (100
// weekly for a year) from a loopback server, expands it and replaces its
// cache: one calendar's background refresh.
func BenchmarkRefresh1000Events(b *testing.B) {
	doc := feed(1000, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/calendar")
		_, _ = w.Write([]byte(doc))
	}))
	b.Cleanup(srv.Close)
	for _, engine := range sqldbtest.Engines() {
		b.Run(engine, func(b *testing.B) {
			e := apitest.New(b, engine, nil)
			e.Clock.Set(monthStart)
			u := host(b, e)
			caller := vidivo.Caller{Subject: u.ID, Role: vidivo.RoleHost}
			conn, err := e.Server.Calendars.Create(context.Background(), caller, newICS(srv.URL+"/feed.ics"))
			if err != nil {
				b.Fatal(err)
			}
			hc := &calendar.HostCalendar{Calendar: *conn.Calendars[0], Kind: conn.Kind, WhenFailing: conn.WhenFailing}
			b.ReportAllocs()
			for b.Loop() {
				if err := e.Server.Calendars.Refresh(context.Background(), hc); err != nil {
					b.Fatal(err)
				}
			}
			got, _ := e.Server.Calendars.Owned(context.Background(), u.ID, conn.ID)
			if got.Calendars[0].Failing() {
				b.Fatalf("refresh failed: %s", got.Calendars[0].LastError)
			}
		})
	}
}
