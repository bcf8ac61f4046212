package schedule

import (
	"strconv"
	"time"

	vidivo "github.com/vidivo/vidivo"
)

// Why Check refuses a booking: the Issue of its error's one FieldError.
const (
	ReasonDuration = "must be from 5 to 480 minutes"
	ReasonPast     = "in the past"
	ReasonTooSoon  = "too soon"
	ReasonTooFar   = "too far ahead"
	ReasonOutside  = "outside availability"
)

// Fields Check names, as the booking API calls them.
const (
	FieldScheduledAt     = "scheduled_at"
	FieldDurationMinutes = "duration_minutes"
)

// Check reports whether a call [start, start+d) may be booked at now as
// far as the host's availability goes; overlap with other bookings is the
// store's to guard (and Conflicts' to warn about). It returns nil, or an
// EVALIDATION *vidivo.Error with one FieldError whose Issue is one of the
// Reason constants, checked in this order:
//
//   - duration_minutes: d is not 5 to 480 minutes (ReasonDuration);
//   - scheduled_at: start is before now (ReasonPast), or less than min
//     notice after now (ReasonTooSoon), or on a host date after today plus
//     max days ahead (ReasonTooFar), or the call does not lie wholly inside
//     one availability interval of a date, after overrides (ReasonOutside).
//
// Bookings need not follow the slot grid: any start whose whole duration
// fits is accepted, and intervals of a date that touch (09:00-12:00 and
// 12:00-17:00) count as one. A call may not run from one date into the
// next.
func (r Rules) Check(start time.Time, d time.Duration, now time.Time) error {
	if d < vidivo.MinBookingMinutes*time.Minute || d > vidivo.MaxBookingMinutes*time.Minute {
		return refuse(FieldDurationMinutes, ReasonDuration, "duration_minutes must be from 5 to 480 minutes")
	}
	notice := time.Duration(r.notice) * time.Second
	switch {
	case start.Before(now):
		return refuse(FieldScheduledAt, ReasonPast, "scheduled_at is in the past")
	case start.Before(now.Add(notice)):
		return refuse(FieldScheduledAt, ReasonTooSoon,
			"the host needs at least "+strconv.FormatInt(r.notice/60, 10)+" minutes' notice")
	}
	loc := r.Location()
	date := DateOf(start.In(loc))
	if date.After(DateOf(now.In(loc)).AddDays(r.maxDays)) {
		return refuse(FieldScheduledAt, ReasonTooFar,
			"the host takes bookings at most "+strconv.Itoa(r.maxDays)+" days ahead")
	}
	end := start.Add(d)
	// The interval holding start belongs to start's own date, but look at
	// the neighbours too: around a clock change the two can differ.
	for _, day := range [3]Date{date, date.AddDays(-1), date.AddDays(1)} {
		if r.within(day, start, end) {
			return nil
		}
	}
	return refuse(FieldScheduledAt, ReasonOutside, "scheduled_at is outside the host's availability")
}

// within reports whether [start, end) lies inside one interval of day,
// with touching intervals joined.
func (r *Rules) within(day Date, start, end time.Time) bool {
	spans, _ := r.spansOn(day)
	loc := r.Location()
	u0 := wallSeconds(day, 0)
	for i := 0; i < len(spans); i++ {
		s, e := spans[i].start, spans[i].end
		for i+1 < len(spans) && spans[i+1].start == e {
			i++
			e = spans[i].end
		}
		xs := time.Unix(instant(loc, u0+int64(s)*60), 0)
		xe := time.Unix(instant(loc, u0+int64(e)*60), 0)
		if !start.Before(xs) && !end.After(xe) {
			return true
		}
	}
	return false
}

// Conflicts reports whether a call [start, start+d) comes too close to a
// busy interval under the buffer rule of Slots: [start - m, end + m)
// overlaps it, m being the larger buffer. The store only refuses plain
// overlaps; this lets the API also refuse a booking inside a buffer.
func (r Rules) Conflicts(start time.Time, d time.Duration, busy []Busy) bool {
	m := time.Duration(max(r.before, r.after)) * time.Second
	lo, hi := start.Add(-m), start.Add(d+m)
	for _, b := range busy {
		if b.End.After(b.Start) && b.Start.Before(hi) && b.End.After(lo) {
			return true
		}
	}
	return false
}

func refuse(field, reason, message string) error {
	return &vidivo.Error{
		Code:    vidivo.EVALIDATION,
		Message: message,
		Details: []vidivo.FieldError{{Field: field, Issue: reason}},
	}
}
