package schedule

import (
	"math"
	"slices"
	"time"

	vidivo "github.com/vidivo/vidivo"
)

// Rules is an Availability compiled for computing: its time zone loaded,
// its intervals parsed into minutes. Build one with Availability.Rules; the
// zero Rules offers nothing. A Rules is read-only and safe to share.
type Rules struct {
	loc       *time.Location
	weekly    [7][]span // by time.Weekday
	overrides map[Date][]span
	// counts of slots per wall-clock day, to size results
	weeklySlots [7]int
	slot        int64 // seconds
	before      int64
	after       int64
	notice      int64
	maxDays     int
}

// span is a wall-clock interval [start, end) in minutes after midnight.
type span struct{ start, end int32 }

// Rules validates a and compiles it. Returns Validate's EVALIDATION error,
// so a document that validates always compiles.
func (a Availability) Rules() (Rules, error) {
	if err := a.Validate(); err != nil {
		return Rules{}, err
	}
	loc, err := vidivo.LoadZone(a.Timezone)
	if err != nil {
		return Rules{}, err // unreachable: Validate loaded it too
	}
	r := Rules{
		loc:     loc,
		slot:    int64(a.SlotMinutes) * 60,
		before:  int64(a.BufferBeforeMinutes) * 60,
		after:   int64(a.BufferAfterMinutes) * 60,
		notice:  int64(a.MinNoticeMinutes) * 60,
		maxDays: a.MaxDaysAhead,
	}
	for _, wd := range a.Weekly {
		day, _ := parseDay(wd.Day)
		r.weekly[day] = compileSpans(wd.Intervals)
		r.weeklySlots[day] = r.countSlots(r.weekly[day])
	}
	if len(a.Overrides) > 0 {
		r.overrides = make(map[Date][]span, len(a.Overrides))
		for _, o := range a.Overrides {
			d, _ := ParseDate(o.Date)
			r.overrides[d] = compileSpans(o.Intervals)
		}
	}
	return r, nil
}

// Location returns the host's time zone (UTC for the zero Rules).
func (r Rules) Location() *time.Location {
	if r.loc == nil {
		return time.UTC
	}
	return r.loc
}

// SlotLength returns the length of the slots offered.
func (r Rules) SlotLength() time.Duration { return time.Duration(r.slot) * time.Second }

func compileSpans(ivs []Interval) []span {
	spans := make([]span, 0, len(ivs))
	for _, iv := range ivs {
		s, _ := parseClock(iv.Start)
		e, _ := parseClock(iv.End)
		spans = append(spans, span{int32(s), int32(e)})
	}
	slices.SortFunc(spans, func(x, y span) int { return int(x.start - y.start) })
	return spans
}

// spansOn returns the wall-clock intervals of date d: its override if it
// has one, else its weekday's.
func (r *Rules) spansOn(d Date) ([]span, int) {
	if r.overrides != nil {
		if s, ok := r.overrides[d]; ok {
			return s, r.countSlots(s)
		}
	}
	wd := d.Weekday()
	return r.weekly[wd], r.weeklySlots[wd]
}

// countSlots counts the slots of spans on an ordinary day; a day when the
// clocks fall back may have a few more.
func (r *Rules) countSlots(spans []span) int {
	if r.slot <= 0 {
		return 0
	}
	n := 0
	for _, s := range spans {
		n += int(int64(s.end-s.start) * 60 / r.slot)
	}
	return n
}

// wallSeconds is the wall clock reading of minute m of date d written as
// seconds since 1970-01-01 00:00 as if it were UTC.
func wallSeconds(d Date, m int) int64 { return d.days()*86400 + int64(m)*60 }

// instant returns the Unix second at which the host's wall clock reads
// wall (see wallSeconds). A reading that happens twice gives the first
// one; a reading that never happens (skipped by a spring-forward change)
// gives the instant of the jump. Both choices keep instant monotonic in
// wall, so intervals that do not overlap on the wall clock never overlap
// in real time.
func instant(loc *time.Location, wall int64) int64 {
	// The offsets a day either side are the ones in force before and after
	// any change near wall (zones do not change twice within two days).
	offA := offsetAt(loc, wall-86400)
	offB := offsetAt(loc, wall+86400)
	x1, x2 := wall-offA, wall-offB
	if offA == offB && offsetAt(loc, x1) == offA {
		return x1
	}
	ok1 := offsetAt(loc, x1) == offA
	ok2 := offsetAt(loc, x2) == offB
	switch {
	case ok1 && ok2:
		return min(x1, x2)
	case ok1:
		return x1
	case ok2:
		return x2
	}
	// In the gap: the jump is where the zone in force at the later
	// candidate began.
	start, _ := time.Unix(max(x1, x2), 0).In(loc).ZoneBounds()
	if start.IsZero() {
		return max(x1, x2)
	}
	return start.Unix()
}

func offsetAt(loc *time.Location, unix int64) int64 {
	_, off := time.Unix(unix, 0).In(loc).Zone()
	return int64(off)
}

// zoneSpan is one stretch of constant UTC offset of a time zone, in Unix
// seconds [start, end).
type zoneSpan struct {
	start, end int64
	off        int64
}

// zoneOf returns the stretch of constant offset containing unix.
func zoneOf(loc *time.Location, unix int64) zoneSpan {
	t := time.Unix(unix, 0).In(loc)
	_, off := t.Zone()
	s, e := t.ZoneBounds()
	z := zoneSpan{start: math.MinInt64, end: math.MaxInt64, off: int64(off)}
	if !s.IsZero() {
		z.start = s.Unix()
	}
	if !e.IsZero() {
		z.end = e.Unix()
	}
	return z
}
