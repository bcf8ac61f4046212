package web

import (
	"fmt"
	"strconv"
	"time"

	"github.com/vidivo/vidivo/schedule"
)

// daysInMonth is the number of days of the month of d.
func daysInMonth(d schedule.Date) int {
	return time.Date(d.Year, d.Month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// slotsByDay groups slots by the visitor's date of their start: a host's
// day may fall on two of the visitor's days.
func slotsByDay(slots []schedule.Slot, loc *time.Location) map[schedule.Date][]schedule.Slot {
	out := map[schedule.Date][]schedule.Slot{}
	for _, sl := range slots {
		d := schedule.DateOf(sl.Start.In(loc))
		out[d] = append(out[d], sl)
	}
	return out
}

// monthView is the month grid: weeks from Monday, with each day's free
// slots counted in the visitor's zone.
type monthView struct {
	Title     string
	Value     string // YYYY-MM
	Prev      string // address of the previous month, "" when it is past
	Next      string // "" past the host's booking horizon
	PrevLabel string
	NextLabel string
	Weeks     [][]dayCell
	// Free counts the month's days with free slots.
	Free int
}

// dayCell is one day of the grid; Day 0 pads the weeks.
type dayCell struct {
	Day      int
	Date     string
	Label    string
	URL      string // set when the day has free slots
	Selected bool
	Today    bool
}

var weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

// Weekdays are the grid's column headers, Monday first.
func (monthView) Weekdays() []string { return weekdays }

func newMonthView(sq *scheduleQuery, byDay map[schedule.Date][]schedule.Slot, today, last schedule.Date) monthView {
	first := sq.Month
	mv := monthView{Title: first.Month.String() + " " + strconv.Itoa(first.Year), Value: first.String()[:7]}
	if prev := first.AddDays(-1); !prev.Before(today) {
		mv.Prev = sq.link("month", prev.String()[:7])
		mv.PrevLabel = prev.Month.String() + " " + strconv.Itoa(prev.Year)
	}
	if next := first.AddDays(daysInMonth(first)); next.Before(last) {
		mv.Next = sq.link("month", next.String()[:7])
		mv.NextLabel = next.Month.String() + " " + strconv.Itoa(next.Year)
	}
	// Monday is column 0.
	lead := (int(first.Weekday()) + 6) % 7
	week := make([]dayCell, lead, 7)
	for i := range daysInMonth(first) {
		d := first.AddDays(i)
		free := countFree(byDay[d])
		c := dayCell{Day: d.Day, Date: d.String(), Today: d == today,
			Selected: sq.Date != nil && *sq.Date == d, Label: dayLabel(d) + ": " + freeWords(free)}
		if free > 0 {
			c.URL = sq.link("date", d.String())
			mv.Free++
		}
		week = append(week, c)
		if len(week) == 7 {
			mv.Weeks = append(mv.Weeks, week)
			week = make([]dayCell, 0, 7)
		}
	}
	if len(week) > 0 {
		mv.Weeks = append(mv.Weeks, append(week, make([]dayCell, 7-len(week))...))
	}
	return mv
}

func countFree(slots []schedule.Slot) int {
	n := 0
	for _, sl := range slots {
		if sl.Available {
			n++
		}
	}
	return n
}

func freeWords(n int) string {
	switch n {
	case 0:
		return "no free times"
	case 1:
		return "1 free time"
	}
	return strconv.Itoa(n) + " free times"
}

// dayLabel names a date in full: "Monday 29 March 2027".
func dayLabel(d schedule.Date) string {
	return fmt.Sprintf("%s %d %s %d", d.Weekday(), d.Day, d.Month, d.Year)
}

// dayView is one of the visitor's days with its slots.
type dayView struct {
	Title string
	Date  string
	Slots []slotCell
	Free  int
}

// slotCell is a slot as the visitor reads it; URL (the confirm step) is
// set when it is free.
type slotCell struct {
	Time  string
	Start string // RFC 3339, UTC
	Label string
	URL   string
}

func newDayView(sq *scheduleQuery, d schedule.Date, slots []schedule.Slot) *dayView {
	dv := &dayView{Title: dayLabel(d), Date: d.String()}
	for _, sl := range slots {
		start := sl.Start.UTC().Format(time.RFC3339)
		c := slotCell{Time: clockTime(sl.Start, sq.Loc), Start: start}
		c.Label = c.Time + " to " + clockTime(sl.End, sq.Loc)
		if sl.Available {
			c.URL = sq.link("slot", start)
			c.Label = "Book " + c.Label
			dv.Free++
		} else {
			c.Label += ", taken"
		}
		dv.Slots = append(dv.Slots, c)
	}
	return dv
}

// clockTime is a time of day in loc, 24-hour.
func clockTime(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04") }

// zoneTime is a time with its date and zone: "Monday 29 March 2027,
// 04:00–04:30 EDT (America/New_York)".
func zoneTime(start, end time.Time, loc *time.Location) string {
	s, e := start.In(loc), end.In(loc)
	return fmt.Sprintf("%s, %s–%s %s (%s)", dayLabel(schedule.DateOf(s)), s.Format("15:04"), e.Format("15:04"),
		s.Format("MST"), loc.String())
}
