package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/schedule"
)

// The scheduling page /{username} (also /schedule/{username}, and
// /{username}/{event-type-slug} for one of the host's event types) is
// rendered whole by the server for the zone named in ?tz=, so it works
// without JavaScript; its script detects the browser's zone and swaps the
// calendar in place. Steps are query parameters of the same address:
// ?month=YYYY-MM, ?date=YYYY-MM-DD (the day's slots), ?slot=<RFC 3339>
// (the confirm step), so a log-in in the middle comes back to the step.

// scheduleRoutes registers the scheduling page, the booking confirmation
// and the booked call's join page. Fixed pages (/login, /c/…, /bookings…)
// are more specific patterns than /{username} and win over usernames.
func (s *Server) scheduleRoutes(m *http.ServeMux) {
	for _, p := range []string{"/{username}", "/schedule/{username}", "/{username}/{slug}"} {
		m.Handle("GET "+p, s.page(s.handleSchedule))
		m.Handle("POST "+p, s.page(s.handleBook))
	}
	m.HandleFunc("POST /schedule/{username}/setup-intent", s.handleBookingSetupIntent)
	m.Handle("GET /booked/{id}", s.page(s.handleBooked))
	m.Handle("GET /booked/{id}/invite.ics", s.page(s.handleBookedInvite))
	m.Handle("GET /join/{id}", s.page(s.handleJoinBooked))
	m.Handle("POST /join/{id}", s.page(s.handleJoinBookedPost))
}

// scheduleQuery is a scheduling page's address, parsed: whose page, which
// event type, the visitor's zone and the step.
type scheduleQuery struct {
	Username string
	Slug     string
	// Path is the page's own path (one of its three addresses).
	Path  string
	Zone  string
	Loc   *time.Location
	Month schedule.Date // the first of the month shown
	Date  *schedule.Date
	Slot  *time.Time
}

// parseScheduleQuery reads the page's address. A bad zone, month, date or
// slot is EVALIDATION naming the parameter; the zone defaults to hostZone.
func parseScheduleQuery(r *http.Request, hostZone string, now time.Time) (*scheduleQuery, error) {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q = url.Values{"tz": {r.PostFormValue("tz")}, "slot": {r.PostFormValue("slot")}}
	}
	sq := &scheduleQuery{Username: r.PathValue("username"), Slug: r.PathValue("slug"), Path: r.URL.Path, Zone: q.Get("tz")}
	var errs []vidivo.FieldError
	if sq.Zone == "" {
		sq.Zone = hostZone
	}
	loc, err := vidivo.LoadZone(sq.Zone)
	if err != nil || vidivo.CheckTimezone(sq.Zone) != "" {
		errs = append(errs, vidivo.FieldError{Field: "tz", Issue: "must be an IANA time zone name such as Europe/Berlin"})
		loc = time.UTC
	}
	sq.Loc = loc
	today := schedule.DateOf(now.In(loc))
	sq.Month = schedule.Date{Year: today.Year, Month: today.Month, Day: 1}
	if v := q.Get("month"); v != "" {
		d, err := schedule.ParseDate(v + "-01")
		if err != nil {
			errs = append(errs, vidivo.FieldError{Field: "month", Issue: "must be a month such as 2027-03"})
		}
		sq.Month = d
	}
	if v := q.Get("date"); v != "" {
		d, err := schedule.ParseDate(v)
		if err != nil {
			errs = append(errs, vidivo.FieldError{Field: "date", Issue: "must be a date such as 2027-03-29"})
		}
		sq.Date = &d
		sq.Month = schedule.Date{Year: d.Year, Month: d.Month, Day: 1}
	}
	if v := q.Get("slot"); v != "" || r.Method == http.MethodPost {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			errs = append(errs, vidivo.FieldError{Field: "slot", Issue: "must be a start time such as 2027-03-29T13:00:00Z"})
		}
		t = t.UTC()
		d := schedule.DateOf(t.In(loc))
		sq.Slot, sq.Date = &t, &d
		sq.Month = schedule.Date{Year: d.Year, Month: d.Month, Day: 1}
	}
	// Nothing is bookable in the past or past a year ahead (the longest
	// horizon): a month far out is refused rather than computed.
	if len(errs) == 0 && (sq.Month.Before(today.AddDays(-400)) || sq.Month.After(today.AddDays(800))) {
		errs = append(errs, vidivo.FieldError{Field: "month", Issue: "must be within two years of today"})
	}
	if len(errs) > 0 {
		return nil, &vidivo.Error{Code: vidivo.EVALIDATION, Message: "this scheduling address is not valid: " +
			errs[0].Field + " " + errs[0].Issue, Details: errs}
	}
	return sq, nil
}

// link is the page's address for another step, keeping the zone.
func (sq *scheduleQuery) link(params ...string) string {
	v := url.Values{"tz": {sq.Zone}}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return sq.Path + "?" + v.Encode()
}

// scheduleView is the scheduling page's data.
type scheduleView struct {
	Host     hostView
	Username string
	Path     string
	// Types are the host's active event types; Type the one chosen.
	Types []typeView
	Type  *typeView
	// Priced is false for a host without a price: nothing can be booked.
	Priced   bool
	Rate     vidivo.Money
	Window   int
	Hold     vidivo.Money
	Minutes  int
	HostZone string
	Zone     string
	Zones    []string
	Month    monthView
	Day      *dayView
	Confirm  *confirmView
	// Notice explains a refused booking above fresh slots.
	Notice string
}

// typeView is an event type as the page offers it.
type typeView struct {
	Name, Slug, URL string
	Minutes         int
	Current         bool
}

// hostSchedule is what the page needs to know about a host beyond slots.
type hostSchedule struct {
	host  *vidivo.User
	avail schedule.Availability
	etype *vidivo.EventType
	types []typeView
}

// loadHost finds the page's host, availability and event type. An unknown
// host, or an unknown or inactive event type, is ENOTFOUND.
func (s *Server) loadHost(ctx context.Context, username, slug string) (*hostSchedule, error) {
	host, err := s.host(ctx, username)
	if err != nil {
		return nil, err
	}
	hs := &hostSchedule{host: host}
	if hs.avail, err = s.Booking.Availability(ctx, host.ID); err != nil {
		return nil, err
	}
	active := true
	types, err := s.EventTypes.EventTypes(ctx, host.ID, &active)
	if err != nil {
		return nil, err
	}
	for _, e := range types {
		tv := typeView{Name: e.Name, Slug: e.Slug, URL: "/" + host.Username + "/" + e.Slug, Minutes: e.DurationMinutes}
		if slug != "" && strings.ToLower(slug) == e.Slug {
			tv.Current, hs.etype = true, e
		}
		hs.types = append(hs.types, tv)
	}
	if slug != "" && hs.etype == nil {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "%s has no event type at this address", host.DisplayName)
	}
	return hs, nil
}

// host finds a host by username; what cannot be a username (a NUL, too
// long) is not looked up at all.
func (s *Server) host(ctx context.Context, username string) (*vidivo.User, error) {
	if !vidivo.IsUsername(strings.ToLower(username)) {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "host not found")
	}
	return s.Booking.Host(ctx, username)
}

// handleSchedule serves the scheduling page at any of its steps.
func (s *Server) handleSchedule(w http.ResponseWriter, r *http.Request) error {
	hs, err := s.loadHost(r.Context(), r.PathValue("username"), r.PathValue("slug"))
	if err != nil {
		return err
	}
	sq, err := parseScheduleQuery(r, hs.avail.Timezone, s.now())
	if err != nil {
		return err
	}
	sv, err := s.scheduleView(r.Context(), hs, sq)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if sq.Slot != nil {
		status = s.confirmStep(w, r, hs, sq, &sv)
	}
	s.renderSchedule(w, r, status, sv)
	return nil
}

// scheduleView computes the month and the chosen day in the visitor's
// zone from the host's slots.
func (s *Server) scheduleView(ctx context.Context, hs *hostSchedule, sq *scheduleQuery) (scheduleView, error) {
	sv := scheduleView{Host: newHostView(hs.host), Username: hs.host.Username, Path: sq.Path, Types: hs.types,
		HostZone: hs.avail.Timezone, Zone: sq.Zone, Zones: zoneChoices(sq.Zone, hs.avail.Timezone),
		Minutes: hs.avail.SlotMinutes}
	q := booking.SlotsQuery{Username: hs.host.Username}
	if hs.etype != nil {
		q.EventType, sv.Minutes = hs.etype.Slug, hs.etype.DurationMinutes
		for i := range sv.Types {
			if sv.Types[i].Current {
				sv.Type = &sv.Types[i]
			}
		}
	}
	// The visitor's month spans host dates up to a day either side.
	q.From = sq.Month.AddDays(-1)
	q.To = sq.Month.AddDays(daysInMonth(sq.Month))
	res, err := s.Booking.Slots(ctx, q)
	if err != nil {
		return sv, err
	}
	if res.Price != nil {
		sv.Priced, sv.Rate, sv.Window = true, res.Price.Rate, res.Price.WindowMinutes
		sv.Hold = billing.WindowAmount(res.Price.Rate, res.Price.WindowMinutes)
	}
	byDay := slotsByDay(res.Slots, sq.Loc)
	today := schedule.DateOf(s.now().In(sq.Loc))
	last := today.AddDays(hs.avail.MaxDaysAhead + 1)
	sv.Month = newMonthView(sq, byDay, today, last)
	if sq.Date != nil {
		sv.Day = newDayView(sq, *sq.Date, byDay[*sq.Date])
	}
	return sv, nil
}

func (s *Server) renderSchedule(w http.ResponseWriter, r *http.Request, status int, sv scheduleView) {
	title := "Book a call with " + sv.Host.Name
	v := view{Title: title, User: s.optionalUser(w, r), Script: "schedule.js", Data: sv,
		Main: map[string]string{"zone": sv.Zone, "host-zone": sv.HostZone}}
	if sv.Confirm != nil {
		v.Main["step"] = "confirm"
		if sv.Confirm.Card.StripeKey != "" {
			v.Main["stripe-key"] = sv.Confirm.Card.StripeKey
		}
	}
	s.render(w, r, status, "schedule", v)
}

// zoneChoices are the zones the page's select offers: the visitor's and
// the host's first, then every canonical zone.
func zoneChoices(zone, hostZone string) []string {
	out := []string{zone}
	if hostZone != zone {
		out = append(out, hostZone)
	}
	for _, z := range ianaZones {
		if z != zone && z != hostZone {
			out = append(out, z)
		}
	}
	return out
}
