// Package schedule turns a host's availability into bookable slots. It is
// pure logic: no storage, no network and no clock of its own; the current
// time is always passed in.
//
// An Availability is the document a host writes (PUT and GET
// /v1/users/me/availability): weekly intervals and date overrides in wall
// clock time of the host's IANA time zone. Rules is its compiled form, which
// expands those wall-clock intervals into instants date by date, so
// daylight-saving changes land where the host's clock puts them:
//
//   - A wall-clock time that does not exist (skipped when clocks spring
//     forward) means the instant the clock jumps; an interval inside the
//     gap is empty, one crossing it is shorter in real time.
//   - A wall-clock time that happens twice (repeated when clocks fall
//     back) means its first occurrence; an interval crossing the repeated
//     hour is longer in real time.
//   - Slots are cut from each interval's real start instant in steps of
//     real (elapsed) time, so every slot lasts exactly slot_minutes, no
//     real time inside an interval is offered twice or lost, and the
//     labels (start_time, end_time) are what the host's clock reads at
//     the slot's instants. A slot crossing a gap reads e.g. 01:00-03:00,
//     and one in the repeated hour e.g. 02:00-02:00; its RFC 3339 start
//     and end say which instants are meant.
package schedule

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"

	vidivo "github.com/vidivo/vidivo"
)

// Limits on an Availability.
const (
	MinSlotMinutes      = 5
	MaxSlotMinutes      = 480
	MaxBufferMinutes    = 240
	MaxNoticeMinutes    = 30 * 24 * 60 // 30 days
	MinDaysAhead        = 1
	MaxDaysAhead        = 365
	MaxIntervalsPerDay  = 12
	MaxOverrides        = 366
	DefaultSlotMinutes  = 60
	DefaultMaxDaysAhead = 60
	DefaultTimezone     = "UTC"
	// DefaultMaxUpcomingPerGuest is how many upcoming bookings one guest
	// may hold with a host unless the host says otherwise.
	DefaultMaxUpcomingPerGuest = 3
	MaxUpcomingPerGuest        = 100
)

// Availability is a host's published availability, exactly as the API
// reads and writes it. Times are wall-clock "HH:MM" in Timezone.
type Availability struct {
	Timezone  string      `json:"timezone"`
	Weekly    []WeeklyDay `json:"weekly"`
	Overrides []Override  `json:"overrides"`
	// SlotMinutes is the length of the slots offered.
	SlotMinutes int `json:"slot_minutes"`
	// BufferBeforeMinutes and BufferAfterMinutes keep time free before
	// and after every call (see Rules.Slots).
	BufferBeforeMinutes int `json:"buffer_before_minutes"`
	BufferAfterMinutes  int `json:"buffer_after_minutes"`
	// MinNoticeMinutes is how far ahead of its start a call must be
	// booked.
	MinNoticeMinutes int `json:"min_notice_minutes"`
	// MaxDaysAhead is how many days after today (in Timezone) may be
	// booked.
	MaxDaysAhead int `json:"max_days_ahead"`
	// RatePerMinute and WindowSizeMinutes price scheduled calls. Each is
	// optional; nil means the host's active call link's value applies.
	RatePerMinute     *string `json:"rate_per_minute"`
	WindowSizeMinutes *int    `json:"window_size_minutes"`
	// RequirePaymentMethod makes a booking give a payment method, which is
	// verified at booking.
	RequirePaymentMethod bool `json:"require_payment_method"`
	// MaxUpcomingBookingsPerGuest caps one guest's confirmed bookings with
	// the host that have not started, so no one can hoard the host's time.
	MaxUpcomingBookingsPerGuest int `json:"max_upcoming_bookings_per_guest"`
}

// WeeklyDay is the intervals of one day of the week. Day is a lower-case
// English day name, "monday" to "sunday". A day not listed, or listed with
// no intervals, is a day off.
type WeeklyDay struct {
	Day       string     `json:"day"`
	Intervals []Interval `json:"intervals"`
}

// Override replaces the weekly intervals of one date (YYYY-MM-DD). No
// intervals means a day off.
type Override struct {
	Date      string     `json:"date"`
	Intervals []Interval `json:"intervals"`
}

// Interval is a wall-clock range [Start, End) of one day, "HH:MM" each.
// Start is 00:00 to 23:59, End is after Start and at most "24:00" (the
// end of the day).
type Interval struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Defaults returns the availability of a host who has set nothing: UTC,
// no weekly hours, no overrides, 60-minute slots, no buffers or notice,
// bookable 60 days ahead, priced by the host's call link, no payment
// method required at booking, at most 3 upcoming bookings per guest.
func Defaults() Availability {
	return Availability{
		Timezone:                    DefaultTimezone,
		Weekly:                      []WeeklyDay{},
		Overrides:                   []Override{},
		SlotMinutes:                 DefaultSlotMinutes,
		MaxDaysAhead:                DefaultMaxDaysAhead,
		MaxUpcomingBookingsPerGuest: DefaultMaxUpcomingPerGuest,
	}
}

// UnmarshalJSON decodes an availability document strictly (unknown fields
// are an error, at any depth). A field that is absent or null takes its
// default from Defaults; a field that is present keeps its value, so an
// explicit "slot_minutes": 0 stays 0 and fails Validate. A literal null
// document leaves a unchanged, as encoding/json expects.
func (a *Availability) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	type plain Availability // without methods, so Decode does not recurse
	v := plain(Defaults())
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	// "weekly": null decodes to a nil slice; keep the document's shape.
	if v.Weekly == nil {
		v.Weekly = []WeeklyDay{}
	}
	if v.Overrides == nil {
		v.Overrides = []Override{}
	}
	*a = Availability(v)
	return nil
}

// Normalize puts a into the canonical form GET returns: weekly days sorted
// Monday to Sunday, overrides sorted by date, each day's intervals sorted
// by start, absent lists as empty lists, and the rate with two decimals
// ("2.5" becomes "2.50"). It changes no meaning and is idempotent. Call it
// after Validate: Validate's field paths index the document as written.
// Defaults for absent fields are filled by UnmarshalJSON (or Defaults),
// not here, because only the decoder knows what was absent.
func (a *Availability) Normalize() {
	if a.Weekly == nil {
		a.Weekly = []WeeklyDay{}
	}
	if a.Overrides == nil {
		a.Overrides = []Override{}
	}
	for i := range a.Weekly {
		a.Weekly[i].Intervals = sortIntervals(a.Weekly[i].Intervals)
	}
	for i := range a.Overrides {
		a.Overrides[i].Intervals = sortIntervals(a.Overrides[i].Intervals)
	}
	// Unknown day names (only in invalid documents) sort last.
	slices.SortStableFunc(a.Weekly, func(x, y WeeklyDay) int {
		return cmp.Compare(dayOrder(x.Day), dayOrder(y.Day))
	})
	// YYYY-MM-DD sorts as text; invalid dates keep their relative order.
	slices.SortStableFunc(a.Overrides, func(x, y Override) int { return cmp.Compare(x.Date, y.Date) })
	if a.RatePerMinute != nil {
		if m, ok := vidivo.ParseMoney(*a.RatePerMinute); ok {
			s := m.String()
			a.RatePerMinute = &s
		}
	}
}

func sortIntervals(ivs []Interval) []Interval {
	if ivs == nil {
		return []Interval{}
	}
	slices.SortStableFunc(ivs, func(x, y Interval) int { return cmp.Compare(x.Start, y.Start) })
	return ivs
}

// dayNames are the accepted day names, Monday first.
var dayNames = [7]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// dayOrder is a day name's place Monday-first, or 7 if it is not a day.
func dayOrder(name string) int {
	for i, n := range dayNames {
		if n == name {
			return i
		}
	}
	return len(dayNames)
}

// parseDay returns the weekday a day name means.
func parseDay(name string) (wd int, ok bool) {
	i := dayOrder(name)
	if i == len(dayNames) {
		return 0, false
	}
	return (i + 1) % 7, true // time.Weekday: Sunday is 0
}

// parseClock parses "HH:MM" into minutes after midnight, 0 to 1440; only
// "24:00" is accepted at 24.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, ok1 := digits(s[0:2])
	m, ok2 := digits(s[3:5])
	if !ok1 || !ok2 || h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// clockLabels holds "00:00" to "24:00", so labelling a slot allocates
// nothing.
var clockLabels = func() [24*60 + 1]string {
	var l [24*60 + 1]string
	buf := make([]byte, 0, len(l)*5)
	for m := range l {
		buf = appendPadded(buf, m/60, 2)
		buf = append(buf, ':')
		buf = appendPadded(buf, m%60, 2)
	}
	all := string(buf)
	for m := range l {
		l[m] = all[m*5 : m*5+5]
	}
	return l
}()
