package calendar

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// zone places wall-clock readings (kept as a time.Time's UTC fields) in
// time, and back.
type zone interface {
	instant(wall time.Time) time.Time
	wallOf(t time.Time) time.Time
}

// locZone is a Go location: UTC, an IANA zone or the host's.
type locZone struct{ loc *time.Location }

func (z locZone) instant(w time.Time) time.Time {
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, z.loc)
}

func (z locZone) wallOf(t time.Time) time.Time {
	l := t.In(z.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// stamp is a DTSTART-like value: its wall-clock reading, its zone and the
// instant they make.
type stamp struct {
	wall    time.Time
	zone    zone
	instant time.Time
	date    bool
}

const (
	dateLayout     = "20060102"
	dateTimeLayout = "20060102T150405"
)

// readTime reads a DATE or DATE-TIME property: UTC (a trailing Z), in its
// TZID (an IANA name, or the feed's VTIMEZONE of that name), or floating
// (the host's zone). A date is midnight in the host's zone. A TZID that is
// neither known to Go nor defined in the feed is read in the host's zone.
func readTime(p *ical.Prop, zones map[string]*vtimezone, host *time.Location) (stamp, error) {
	if p == nil {
		return stamp{}, errors.New("calendar: a time is missing")
	}
	v := strings.TrimSpace(p.Value)
	if strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE") || len(v) == len(dateLayout) {
		w, err := time.Parse(dateLayout, v)
		if err != nil {
			return stamp{}, fmt.Errorf("calendar: date %q: %w", v, err)
		}
		z := locZone{host}
		return stamp{wall: w, zone: z, instant: z.instant(w), date: true}, nil
	}
	var z zone = locZone{host}
	if strings.HasSuffix(v, "Z") {
		v, z = strings.TrimSuffix(v, "Z"), locZone{time.UTC}
	} else if tzid := p.Params.Get(ical.PropTimezoneID); tzid != "" {
		z = lookupZone(tzid, zones, host)
	}
	w, err := time.Parse(dateTimeLayout, v)
	if err != nil {
		return stamp{}, fmt.Errorf("calendar: date-time %q: %w", p.Value, err)
	}
	return stamp{wall: w, zone: z, instant: z.instant(w)}, nil
}

// lookupZone finds a TZID: an IANA name (also at the end of a longer
// path, as some exporters write "/mozilla.org/…/Europe/Berlin"), else the
// feed's own definition, else the host's zone.
func lookupZone(tzid string, zones map[string]*vtimezone, host *time.Location) zone {
	parts := strings.Split(strings.Trim(tzid, "/"), "/")
	for i := range parts {
		name := strings.Join(parts[i:], "/")
		if name == "" || name == "Local" {
			continue
		}
		if loc, err := time.LoadLocation(name); err == nil {
			return locZone{loc}
		}
	}
	if z, ok := zones[tzid]; ok {
		return z
	}
	return locZone{host}
}

// vtimezone is a feed's VTIMEZONE: its observances (STANDARD and
// DAYLIGHT), each an offset taking effect at onsets.
type vtimezone struct {
	obs []observance
}

type observance struct {
	from, to time.Duration
	onsets   *rrule.Set
}

// readZones reads a calendar's VTIMEZONEs by TZID; ones it cannot read
// are left out (times in them fall back to the host's zone).
func readZones(cal *ical.Calendar) map[string]*vtimezone {
	out := map[string]*vtimezone{}
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		tz := &vtimezone{}
		for _, o := range c.Children {
			ob, err := readObservance(o)
			if err != nil {
				tz = nil
				break
			}
			tz.obs = append(tz.obs, ob)
		}
		if id := propText(c, ical.PropTimezoneID); tz != nil && len(tz.obs) > 0 && id != "" {
			out[id] = tz
		}
	}
	return out
}

func readObservance(o *ical.Component) (observance, error) {
	from, err1 := parseOffset(propText(o, ical.PropTimezoneOffsetFrom))
	to, err2 := parseOffset(propText(o, ical.PropTimezoneOffsetTo))
	start, err3 := time.Parse(dateTimeLayout, propText(o, ical.PropDateTimeStart))
	if err := errors.Join(err1, err2, err3); err != nil {
		return observance{}, err
	}
	set := &rrule.Set{}
	set.DTStart(start)
	if p := o.Props.Get(ical.PropRecurrenceRule); p != nil {
		opt, err := rrule.StrToROption(p.Value)
		if err != nil {
			return observance{}, err
		}
		opt.Dtstart = start
		if !opt.Until.IsZero() {
			opt.Until = opt.Until.Add(from) // UNTIL is UTC; onsets are wall clock before the change
		}
		r, err := rrule.NewRRule(*opt)
		if err != nil {
			return observance{}, err
		}
		set.RRule(r)
	} else {
		set.RDate(start)
	}
	for _, p := range o.Props.Values(ical.PropRecurrenceDates) {
		for _, v := range strings.Split(p.Value, ",") {
			if t, err := time.Parse(dateTimeLayout, strings.TrimSpace(v)); err == nil {
				set.RDate(t)
			}
		}
	}
	return observance{from: from, to: to, onsets: set}, nil
}

// parseOffset reads a UTC offset: +HHMM or +HHMMSS.
func parseOffset(s string) (time.Duration, error) {
	if len(s) != 5 && len(s) != 7 || (s[0] != '+' && s[0] != '-') {
		return 0, fmt.Errorf("calendar: UTC offset %q", s)
	}
	n, err := strconv.Atoi(s[1:])
	if err != nil {
		return 0, fmt.Errorf("calendar: UTC offset %q", s)
	}
	if len(s) == 5 {
		n *= 100
	}
	d := time.Duration(n/10000)*time.Hour + time.Duration(n/100%100)*time.Minute + time.Duration(n%100)*time.Second
	if s[0] == '-' {
		d = -d
	}
	return d, nil
}

// offsetAt is the offset in effect at a wall-clock reading: that of the
// observance with the latest onset at or before it (before the first
// onset, the first observance's "from" offset).
func (z *vtimezone) offsetAt(w time.Time) time.Duration {
	var best time.Time
	off, found := z.obs[0].from, false
	for _, o := range z.obs {
		t := o.onsets.Before(w, true)
		if t.IsZero() {
			continue
		}
		if !found || t.After(best) {
			best, off, found = t, o.to, true
		}
	}
	return off
}

func (z *vtimezone) instant(w time.Time) time.Time { return w.Add(-z.offsetAt(w)) }

func (z *vtimezone) wallOf(t time.Time) time.Time {
	t = t.UTC()
	w := t.Add(z.offsetAt(t))
	return t.Add(z.offsetAt(w))
}

// span is how long an event lasts: whole days for all-day events (a day
// is midnight to midnight in the host's zone, 23 or 25 hours when the
// clocks change), else a duration.
type span struct {
	d    time.Duration
	days int
}

func (s span) zero() bool { return s.d <= 0 && s.days <= 0 }

func (s span) max() time.Duration {
	if s.days > 0 {
		return time.Duration(s.days) * 25 * time.Hour
	}
	return s.d
}

// after is the end of an instance starting at wall reading w (instant at).
func (s span) after(w, at time.Time, z zone) time.Time {
	if s.days > 0 {
		return z.instant(w.AddDate(0, 0, s.days))
	}
	return at.Add(s.d)
}

// eventLength reads DTEND or DURATION. Without either, an all-day event
// lasts its day and a timed one no time at all (RFC 5545 3.6.1).
func eventLength(c *ical.Component, start stamp, zones map[string]*vtimezone, host *time.Location) (span, error) {
	if p := c.Props.Get(ical.PropDateTimeEnd); p != nil {
		end, err := readTime(p, zones, host)
		if err != nil {
			return span{}, err
		}
		if start.date && end.date {
			return span{days: int(end.wall.Sub(start.wall) / (24 * time.Hour))}, nil
		}
		return span{d: end.instant.Sub(start.instant)}, nil
	}
	if p := c.Props.Get(ical.PropDuration); p != nil {
		d, err := p.Duration()
		if err != nil {
			return span{}, fmt.Errorf("calendar: DURATION: %w", err)
		}
		if start.date && d%(24*time.Hour) == 0 {
			return span{days: int(d / (24 * time.Hour))}, nil
		}
		return span{d: d}, nil
	}
	if start.date {
		return span{days: 1}, nil
	}
	return span{}, nil
}
