package schedule

import (
	"math"
	"slices"
	"time"
)

// Busy is a time the host is taken, [Start, End): a confirmed booking, or
// a call not yet settled.
type Busy struct {
	Start, End time.Time
}

// Slot is one slot of a host's day. Date, StartTime and EndTime are the
// host's calendar date and wall-clock readings ("HH:MM"; a slot ending at
// midnight ends at "24:00"); Start and End are the same instants in UTC,
// for clients in other zones.
type Slot struct {
	Date      Date      `json:"date"`
	StartTime string    `json:"start_time"`
	EndTime   string    `json:"end_time"`
	Available bool      `json:"available"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
}

// Slots returns the slots of the host's dates from through to (both
// included), in time order, at now.
//
// Each date's intervals (its override if it has one, else its weekday's)
// are cut into slot-length slots from each interval's start; a remainder
// shorter than a slot is not offered. See the package documentation for
// days when the clocks change.
//
// A slot is unavailable (listed with Available false) when it starts
// before now (past or under way), starts less than min notice after now,
// or is too close to a busy interval. Buffers keep time free around every
// call, booked or not yet booked, and may overlap each other but never a
// call: a slot [a, b) is unavailable if a busy [s, e) overlaps the slot's
// buffered span [a - before, b + after), or the slot overlaps the busy
// interval's buffered span [s - before, e + after). Together that is:
// [a - m, b + m) overlaps [s, e), with m the larger buffer.
//
// Dates after today (in the host's zone) plus max days ahead have no
// slots at all: they are left out, not listed as unavailable. The result
// is never nil. The caller bounds the range (the API allows 62 days); busy
// need not be sorted and is not modified.
func (r Rules) Slots(from, to Date, busy []Busy, now time.Time) []Slot {
	if r.slot <= 0 {
		return []Slot{}
	}
	loc := r.Location()
	last := DateOf(now.In(loc)).AddDays(r.maxDays)
	if to.After(last) {
		to = last
	}
	first, final := from.days(), to.days()
	if final < first {
		return []Slot{}
	}

	n := 0
	for day := first; day <= final; day++ {
		_, c := r.spansOn(dateFromDays(day))
		n += c
	}
	out := make([]Slot, 0, n)

	// Whole seconds suffice: slots start on whole seconds, so comparing
	// with the next whole second after now is the same as with now.
	soon := ceilUnix(now) + r.notice
	blocked := sweeper{busy: mergeBusy(busy), pad: max(r.before, r.after), last: math.MinInt64}

	// z is the stretch of constant UTC offset the last date was in; while
	// a whole date lies inside it, wall-clock readings convert with one
	// subtraction and no zone lookups.
	var z zoneSpan
	haveZone := false
	for day := first; day <= final; day++ {
		d := dateFromDays(day)
		spans, _ := r.spansOn(d)
		if len(spans) == 0 {
			continue
		}
		u0 := day * 86400
		u1 := u0 + 86400
		fast := haveZone && u0-z.off >= z.start && u1-z.off < z.end
		if !fast {
			x0 := instant(loc, u0)
			z = zoneOf(loc, x0)
			// Midnight must read as itself in z, not be a jump or the
			// second of two readings, for z to hold from it on.
			haveZone = x0 == u0-z.off
			fast = haveZone && u1-z.off < z.end
		}
		for _, sp := range spans {
			ws, we := u0+int64(sp.start)*60, u0+int64(sp.end)*60
			var xs, xe int64
			if fast {
				xs, xe = ws-z.off, we-z.off
			} else {
				xs, xe = instant(loc, ws), instant(loc, we)
			}
			for a := xs; a+r.slot <= xe; a += r.slot {
				b := a + r.slot
				var ls, le int
				if fast {
					ls, le = int((a+z.off-u0)/60), int((b+z.off-u0)/60)
				} else {
					ls, le = clockMinute(loc, a), clockMinute(loc, b)
					if le == 0 {
						le = 24 * 60
					}
				}
				out = append(out, Slot{
					Date:      d,
					StartTime: clockLabels[ls],
					EndTime:   clockLabels[le],
					Available: a >= soon && !blocked.overlaps(a, b),
					Start:     time.Unix(a, 0).UTC(),
					End:       time.Unix(b, 0).UTC(),
				})
			}
		}
	}
	return out
}

// clockMinute is the minute of the day the host's clock reads at unix.
func clockMinute(loc *time.Location, unix int64) int {
	h, m, _ := time.Unix(unix, 0).In(loc).Clock()
	return h*60 + m
}

func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// span64 is a busy interval [s, e) in Unix seconds.
type span64 struct{ s, e int64 }

// mergeBusy returns the busy intervals as whole seconds (widened outward,
// which changes no overlap with whole-second slots), sorted and merged, so
// that they are disjoint and ordered by both start and end.
func mergeBusy(busy []Busy) []span64 {
	out := make([]span64, 0, len(busy))
	for _, b := range busy {
		if b.End.After(b.Start) {
			out = append(out, span64{b.Start.Unix(), ceilUnix(b.End)})
		}
	}
	if !slices.IsSortedFunc(out, cmpSpan64) {
		slices.SortFunc(out, cmpSpan64)
	}
	w := 0
	for _, x := range out {
		if w > 0 && x.s <= out[w-1].e {
			out[w-1].e = max(out[w-1].e, x.e)
			continue
		}
		out[w] = x
		w++
	}
	return out[:w]
}

func cmpSpan64(x, y span64) int {
	switch {
	case x.s < y.s:
		return -1
	case x.s > y.s:
		return 1
	}
	return 0
}

// sweeper answers overlap questions for padded slots asked in time order,
// walking the merged busy intervals once.
type sweeper struct {
	busy []span64
	pad  int64
	i    int
	last int64
}

// overlaps reports whether [a - pad, b + pad) overlaps a busy interval.
func (w *sweeper) overlaps(a, b int64) bool {
	if len(w.busy) == 0 {
		return false
	}
	lo, hi := a-w.pad, b+w.pad
	if lo < w.last {
		w.i = 0 // asked out of order: start over rather than miss one
	}
	w.last = lo
	for w.i < len(w.busy) && w.busy[w.i].e <= lo {
		w.i++
	}
	return w.i < len(w.busy) && w.busy[w.i].s < hi
}
