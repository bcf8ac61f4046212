package schedule

import (
	"slices"
	"strconv"

	vidivo "github.com/vidivo/vidivo"
)

// Validate checks a decoded availability document. Returns EVALIDATION
// naming every bad field by its path in the document as written, such as
// "timezone", "weekly[0].intervals[1].end" or "overrides[2].date".
//
// Rules: timezone an IANA name; each day listed once, by its lower-case
// English name; each override date (YYYY-MM-DD) listed once, at most 366;
// at most 12 intervals a day, each "HH:MM" with start 00:00-23:59, end
// after start and at most 24:00, none overlapping another of its day
// (touching is fine); slot_minutes 5-480; buffers 0-240; min_notice_minutes
// 0-43200; max_days_ahead 1-365; rate_per_minute, if set, a decimal string
// with at most two decimals from 0.50 to 999.99; window_size_minutes, if
// set, 1-60; max_upcoming_bookings_per_guest 1-100.
func (a Availability) Validate() error {
	var errs []vidivo.FieldError
	add := func(field, issue string) { errs = append(errs, vidivo.FieldError{Field: field, Issue: issue}) }

	if issue := vidivo.CheckTimezone(a.Timezone); issue != "" {
		add("timezone", issue)
	}

	if len(a.Weekly) > len(dayNames) {
		add("weekly", "must list each day at most once (at most 7 entries)")
	} else {
		var seen [7]bool
		for i, wd := range a.Weekly {
			p := item("weekly", i)
			day, ok := parseDay(wd.Day)
			switch {
			case wd.Day == "":
				add(p()+".day", "is required")
			case !ok:
				add(p()+".day", "must be one of monday, tuesday, wednesday, thursday, friday, saturday, sunday")
			case seen[day]:
				add(p()+".day", "lists "+wd.Day+" a second time; give each day once with all its intervals")
			default:
				seen[day] = true
			}
			errs = checkIntervals(p, wd.Intervals, errs)
		}
	}

	if len(a.Overrides) > MaxOverrides {
		add("overrides", "must have at most 366 dates")
	} else {
		var seen map[Date]bool
		if len(a.Overrides) > 0 {
			seen = make(map[Date]bool, len(a.Overrides))
		}
		for i, o := range a.Overrides {
			p := item("overrides", i)
			d, err := ParseDate(o.Date)
			switch {
			case o.Date == "":
				add(p()+".date", "is required")
			case err != nil:
				add(p()+".date", "must be a date YYYY-MM-DD")
			case seen[d]:
				add(p()+".date", "lists "+o.Date+" a second time; give each date once with all its intervals")
			default:
				seen[d] = true
			}
			errs = checkIntervals(p, o.Intervals, errs)
		}
	}

	if a.SlotMinutes < MinSlotMinutes || a.SlotMinutes > MaxSlotMinutes {
		add("slot_minutes", "must be an integer from 5 to 480")
	}
	if a.BufferBeforeMinutes < 0 || a.BufferBeforeMinutes > MaxBufferMinutes {
		add("buffer_before_minutes", "must be an integer from 0 to 240")
	}
	if a.BufferAfterMinutes < 0 || a.BufferAfterMinutes > MaxBufferMinutes {
		add("buffer_after_minutes", "must be an integer from 0 to 240")
	}
	if a.MinNoticeMinutes < 0 || a.MinNoticeMinutes > MaxNoticeMinutes {
		add("min_notice_minutes", "must be an integer from 0 to 43200 (30 days)")
	}
	if a.MaxDaysAhead < MinDaysAhead || a.MaxDaysAhead > MaxDaysAhead {
		add("max_days_ahead", "must be an integer from 1 to 365")
	}
	if a.RatePerMinute != nil {
		if _, issue := vidivo.CheckRate(*a.RatePerMinute); issue != "" {
			add("rate_per_minute", issue)
		}
	}
	if a.WindowSizeMinutes != nil {
		if issue := vidivo.CheckWindow(*a.WindowSizeMinutes); issue != "" {
			add("window_size_minutes", issue)
		}
	}

	if a.MaxUpcomingBookingsPerGuest < 1 || a.MaxUpcomingBookingsPerGuest > MaxUpcomingPerGuest {
		add("max_upcoming_bookings_per_guest", "must be an integer from 1 to 100")
	}

	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	return nil
}

// item returns a function building the field path of element i of a
// list, so paths are only built for errors.
func item(list string, i int) func() string {
	return func() string { return list + "[" + strconv.Itoa(i) + "]" }
}

// checkIntervals checks one day's intervals; p builds the day's field
// path.
func checkIntervals(p func() string, ivs []Interval, errs []vidivo.FieldError) []vidivo.FieldError {
	add := func(field, issue string) { errs = append(errs, vidivo.FieldError{Field: field, Issue: issue}) }
	if len(ivs) > MaxIntervalsPerDay {
		add(p()+".intervals", "must have at most 12 intervals")
		return errs
	}
	type parsed struct {
		span
		j int
	}
	var buf [MaxIntervalsPerDay]parsed
	good := buf[:0]
	path := func(j int) string { return p() + ".intervals[" + strconv.Itoa(j) + "]" }
	for j, iv := range ivs {
		start, okStart := parseClock(iv.Start)
		end, okEnd := parseClock(iv.End)
		switch {
		case iv.Start == "":
			add(path(j)+".start", "is required")
		case !okStart || start == 24*60:
			add(path(j)+".start", `must be a time "HH:MM" from 00:00 to 23:59`)
			okStart = false
		}
		switch {
		case iv.End == "":
			add(path(j)+".end", "is required")
		case !okEnd:
			add(path(j)+".end", `must be a time "HH:MM" from 00:00 to 24:00`)
		case okStart && end <= start:
			add(path(j)+".end", "must be after start")
			okEnd = false
		}
		if okStart && okEnd {
			good = append(good, parsed{span{int32(start), int32(end)}, j})
		}
	}
	// Sorted by start, an interval overlaps an earlier one exactly when it
	// starts before the latest end so far.
	slices.SortStableFunc(good, func(x, y parsed) int { return int(x.start - y.start) })
	var latest parsed
	for k := 1; k < len(good); k++ {
		if k == 1 || good[k-1].end > latest.end {
			latest = good[k-1]
		}
		if good[k].start < latest.end {
			add(path(good[k].j)+".start", "overlaps "+path(latest.j))
		}
	}
	return errs
}
