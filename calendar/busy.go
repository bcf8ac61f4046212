// Package calendar connects hosts' own calendars: CalDAV calendars and
// .ics subscriptions are read for the times they keep the host busy.
//
// This file is the pure part: turning an iCalendar document into busy
// intervals. Recurrences (RRULE, RDATE, EXDATE) are expanded with
// rrule-go on wall-clock readings, and every reading is then placed in
// time by its zone (an IANA TZID, the feed's own VTIMEZONE, UTC, or the
// host's zone for floating times and all-day events). Overridden
// instances (RECURRENCE-ID) replace the instance they name. What keeps no
// one busy is skipped: TRANSP:TRANSPARENT, STATUS:CANCELLED, and
// invitations the host declined.
package calendar

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// Interval is a busy time [Start, End), in UTC.
type Interval struct {
	Start, End time.Time
}

// ExpandOptions says which busy times Expand returns and how to read
// times without a zone.
type ExpandOptions struct {
	// From and To bound the result: intervals overlapping [From, To).
	From, To time.Time
	// Host is the host's zone: floating times and all-day events are in
	// it. Nil means UTC.
	Host *time.Location
	// Self are the host's addresses (any case); an invitation in which one
	// of them declined is not busy.
	Self []string
	// OwnUIDSuffixes mark events that are bookings already (written back,
	// or imported invitations): they are counted as bookings, not again.
	OwnUIDSuffixes []string
}

// maxOccurrences bounds the instances one recurring event yields in a
// window, so a feed with a FREQ=SECONDLY rule cannot exhaust memory.
const maxOccurrences = 20000

// maxSteps bounds the instances walked before the window (an hourly rule
// started decades ago).
const maxSteps = 1_000_000

// Parse reads an iCalendar document.
func Parse(r io.Reader) (*ical.Calendar, error) {
	cal, err := ical.NewDecoder(r).Decode()
	if err != nil {
		return nil, fmt.Errorf("calendar: not an iCalendar document: %w", err)
	}
	return cal, nil
}

// Expand returns the busy intervals of the calendars' events overlapping
// [o.From, o.To), sorted by start. Events it cannot read are skipped (a
// feed's one bad event must not hide the others); their number is
// returned.
func Expand(cals []*ical.Calendar, o ExpandOptions) ([]Interval, int) {
	if o.Host == nil {
		o.Host = time.UTC
	}
	var out []Interval
	bad := 0
	for _, cal := range cals {
		zones := readZones(cal)
		for _, series := range groupSeries(cal, o) {
			ivs, err := series.expand(zones, o)
			if err != nil {
				bad++
				continue
			}
			out = append(out, ivs...)
		}
	}
	slices.SortFunc(out, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	return out, bad
}

// series is one event and the instances overriding it (same UID).
type series struct {
	master    *ical.Component
	overrides []*ical.Component
}

// groupSeries gathers each UID's VEVENTs, in document order. An override
// whose master is missing (a CalDAV server may send only the changed
// instance) stands alone.
func groupSeries(cal *ical.Calendar, o ExpandOptions) []*series {
	byUID := map[string]*series{}
	var order []*series
	get := func(uid string) *series {
		if s, ok := byUID[uid]; ok && uid != "" {
			return s
		}
		s := &series{}
		byUID[uid] = s
		order = append(order, s)
		return s
	}
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		uid := propText(c, ical.PropUID)
		if own(uid, o.OwnUIDSuffixes) {
			continue
		}
		s := get(uid)
		if c.Props.Get(ical.PropRecurrenceID) != nil {
			s.overrides = append(s.overrides, c)
		} else if s.master == nil {
			s.master = c
		}
	}
	return order
}

func (s *series) expand(zones map[string]*vtimezone, o ExpandOptions) ([]Interval, error) {
	var out []Interval
	replaced := map[int64]bool{}
	for _, c := range s.overrides {
		rid, err := readTime(c.Props.Get(ical.PropRecurrenceID), zones, o.Host)
		if err != nil {
			return nil, err
		}
		replaced[rid.instant.Unix()] = true
		ivs, err := expandEvent(c, zones, o, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, ivs...)
	}
	if s.master != nil {
		ivs, err := expandEvent(s.master, zones, o, replaced)
		if err != nil {
			return nil, err
		}
		out = append(out, ivs...)
	}
	return out, nil
}

// free reports whether an event keeps the host free.
func free(c *ical.Component, self []string) bool {
	if strings.EqualFold(propText(c, ical.PropTransparency), "TRANSPARENT") ||
		strings.EqualFold(propText(c, ical.PropStatus), "CANCELLED") {
		return true
	}
	for _, a := range c.Props.Values(ical.PropAttendee) {
		addr := strings.TrimPrefix(strings.ToLower(a.Value), "mailto:")
		if strings.EqualFold(a.Params.Get(ical.ParamParticipationStatus), "DECLINED") &&
			slices.ContainsFunc(self, func(s string) bool { return strings.EqualFold(s, addr) }) {
			return true
		}
	}
	return false
}

// expandEvent returns the busy intervals of one VEVENT in the window,
// leaving out the instances starting at a time in skip.
func expandEvent(c *ical.Component, zones map[string]*vtimezone, o ExpandOptions, skip map[int64]bool) ([]Interval, error) {
	start, err := readTime(c.Props.Get(ical.PropDateTimeStart), zones, o.Host)
	if err != nil {
		return nil, err
	}
	length, err := eventLength(c, start, zones, o.Host)
	if err != nil {
		return nil, err
	}
	if free(c, o.Self) || length.zero() {
		return nil, nil
	}
	starts, err := occurrences(c, start, zones, o, length)
	if err != nil {
		return nil, err
	}
	var out []Interval
	for _, w := range starts {
		at := start.zone.instant(w)
		if skip[at.Unix()] {
			continue
		}
		end := length.after(w, at, start.zone)
		if at.Before(o.To) && end.After(o.From) {
			out = append(out, Interval{Start: at.UTC(), End: end.UTC()})
		}
	}
	return out, nil
}

// occurrences returns the wall-clock readings (as UTC fields) the event
// starts at: DTSTART alone, or its recurrence set near the window.
func occurrences(c *ical.Component, start stamp, zones map[string]*vtimezone, o ExpandOptions, length span) ([]time.Time, error) {
	rule := c.Props.Get(ical.PropRecurrenceRule)
	rdates := c.Props.Values(ical.PropRecurrenceDates)
	if rule == nil && len(rdates) == 0 {
		return []time.Time{start.wall}, nil
	}
	set := &rrule.Set{}
	set.DTStart(start.wall)
	if rule != nil {
		opt, err := rrule.StrToROption(rule.Value)
		if err != nil {
			return nil, fmt.Errorf("calendar: RRULE: %w", err)
		}
		if opt.Freq == rrule.SECONDLY || opt.Freq == rrule.MINUTELY {
			return nil, errors.New("calendar: RRULE: recurrence more often than hourly")
		}
		opt.Dtstart = start.wall
		if !opt.Until.IsZero() {
			// UNTIL in UTC bounds instants; the rule runs on wall clock.
			opt.Until = start.zone.wallOf(opt.Until)
		}
		r, err := rrule.NewRRule(*opt)
		if err != nil {
			return nil, fmt.Errorf("calendar: RRULE: %w", err)
		}
		set.RRule(r)
	} else {
		set.RDate(start.wall)
	}
	if err := addDates(set.RDate, rdates, start, zones, o.Host); err != nil {
		return nil, err
	}
	if err := addDates(set.ExDate, c.Props.Values(ical.PropExceptionDates), start, zones, o.Host); err != nil {
		return nil, err
	}
	// Zones are at most 14 hours from UTC, and a long event started
	// before the window may reach into it.
	lo := start.zone.wallOf(o.From).Add(-length.max() - 26*time.Hour)
	hi := start.zone.wallOf(o.To).Add(26 * time.Hour)
	var out []time.Time
	next := set.Iterator()
	steps := 0
	for t, ok := next(); ok && !t.After(hi); t, ok = next() {
		if steps++; steps > maxSteps {
			return nil, errors.New("calendar: recurrence too long to expand")
		}
		if t.Before(lo) {
			continue
		}
		out = append(out, t)
		if len(out) > maxOccurrences {
			return nil, errors.New("calendar: too many instances")
		}
	}
	return out, nil
}

// addDates adds RDATE or EXDATE values (each property may hold several,
// comma-separated) to a set as wall-clock readings in the event's zone.
func addDates(add func(time.Time), props []ical.Prop, start stamp, zones map[string]*vtimezone, host *time.Location) error {
	for _, p := range props {
		if strings.EqualFold(p.Params.Get(ical.ParamValue), "PERIOD") {
			continue // periods in RDATE are rare; their start is not enough
		}
		for _, v := range strings.Split(p.Value, ",") {
			one := p
			one.Value = strings.TrimSpace(v)
			t, err := readTime(&one, zones, host)
			if err != nil {
				return err
			}
			add(start.zone.wallOf(t.instant))
		}
	}
	return nil
}

func own(uid string, suffixes []string) bool {
	for _, s := range suffixes {
		if s != "" && strings.HasSuffix(uid, s) {
			return true
		}
	}
	return false
}

func propText(c *ical.Component, name string) string {
	if p := c.Props.Get(name); p != nil {
		return strings.TrimSpace(p.Value)
	}
	return ""
}
