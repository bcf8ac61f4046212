package api

import (
	"net/http"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/schedule"
)

type availabilityScheduleJSON struct {
	URI      string                 `json:"uri"`
	Default  bool                   `json:"default"`
	Name     string                 `json:"name"`
	User     string                 `json:"user"`
	Timezone string                 `json:"timezone"`
	Rules    []availabilityRuleJSON `json:"rules"`
}

type availabilityRuleJSON struct {
	Type      string             `json:"type"`
	Wday      string             `json:"wday,omitempty"`
	Date      string             `json:"date,omitempty"`
	Intervals []ruleIntervalJSON `json:"intervals"`
}

type ruleIntervalJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
}

var wdays = [...]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// availabilitySchedule renders a host's availability as Calendly renders an
// availability schedule: one "wday" rule for every day of the week (days
// off with no intervals), then one "date" rule per override.
func (s *Server) availabilitySchedule(host *vidivo.User, a schedule.Availability) availabilityScheduleJSON {
	intervals := func(ivs []schedule.Interval) []ruleIntervalJSON {
		out := make([]ruleIntervalJSON, len(ivs))
		for i, iv := range ivs {
			out[i] = ruleIntervalJSON{From: iv.Start, To: iv.End}
		}
		return out
	}
	a.Normalize()
	out := availabilityScheduleJSON{
		URI: s.PublicURL + "/v1/user_availability_schedules/" + host.ID, Default: true, Name: "Working hours",
		User: s.userURI(host.ID), Timezone: a.Timezone, Rules: make([]availabilityRuleJSON, 0, len(wdays)+len(a.Overrides)),
	}
	for _, day := range wdays {
		rule := availabilityRuleJSON{Type: "wday", Wday: day, Intervals: []ruleIntervalJSON{}}
		for _, wd := range a.Weekly {
			if wd.Day == day {
				rule.Intervals = intervals(wd.Intervals)
			}
		}
		out.Rules = append(out.Rules, rule)
	}
	for _, o := range a.Overrides {
		out.Rules = append(out.Rules, availabilityRuleJSON{Type: "date", Date: o.Date, Intervals: intervals(o.Intervals)})
	}
	return out
}

// handleUserAvailabilitySchedules is GET /v1/user_availability_schedules:
// public, as a host's slots are.
func (s *Server) handleUserAvailabilitySchedules(w http.ResponseWriter, r *http.Request) error {
	ref := r.URL.Query().Get("user")
	if ref == "" {
		return vidivo.Invalid(vidivo.FieldError{Field: "user", Issue: "is required"})
	}
	host, err := s.Booking.HostByRef(r.Context(), ref)
	if err != nil {
		return err
	}
	a, err := s.Booking.Availability(r.Context(), host.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]availabilityScheduleJSON{"collection": {s.availabilitySchedule(host, a)}})
	return nil
}

// handleUserAvailabilityScheduleGet is GET
// /v1/user_availability_schedules/{id}: a host's one schedule, by the id
// its URI ends with (the host's user id).
func (s *Server) handleUserAvailabilityScheduleGet(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !ulidRE.MatchString(id) {
		return vidivo.Errorf(vidivo.ENOTFOUND, "availability schedule not found")
	}
	host, err := s.Booking.HostByRef(r.Context(), id)
	if err != nil {
		return err
	}
	a, err := s.Booking.Availability(r.Context(), host.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]availabilityScheduleJSON{"resource": s.availabilitySchedule(host, a)})
	return nil
}

// timeRange reads start_time and end_time: both required RFC 3339 times,
// start not in the past (by more than pastGrace), end after start, at most
// seven days apart. Each problem names its field; errs gathers them with
// the caller's own.
func (s *Server) timeRange(r *http.Request, errs []vidivo.FieldError) (start, end time.Time, err error) {
	q := r.URL.Query()
	parse := func(field string) (time.Time, bool) {
		v := q.Get(field)
		if v == "" {
			errs = append(errs, vidivo.FieldError{Field: field, Issue: "is required"})
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			errs = append(errs, vidivo.FieldError{Field: field, Issue: `must be an RFC 3339 time such as "2026-03-16T09:00:00Z"`})
			return time.Time{}, false
		}
		return t, true
	}
	start, okStart := parse("start_time")
	end, okEnd := parse("end_time")
	if okStart && start.Before(s.now().Add(-pastGrace)) {
		errs = append(errs, vidivo.FieldError{Field: "start_time", Issue: "must not be in the past"})
	}
	if okStart && okEnd {
		switch {
		case !end.After(start):
			errs = append(errs, vidivo.FieldError{Field: "end_time", Issue: "must be after start_time"})
		case end.Sub(start) > maxTimeRange:
			errs = append(errs, vidivo.FieldError{Field: "end_time", Issue: "must be at most 7 days after start_time"})
		}
	}
	if len(errs) > 0 {
		return start, end, vidivo.Invalid(errs...)
	}
	return start, end, nil
}

type busyTimeJSON struct {
	Type              string `json:"type"`
	StartTime         string `json:"start_time"`
	EndTime           string `json:"end_time"`
	BufferedStartTime string `json:"buffered_start_time"`
	BufferedEndTime   string `json:"buffered_end_time"`
}

// handleUserBusyTimes is GET /v1/user_busy_times: public, like the slots
// that already show the same times as unavailable; it says nothing about
// who booked them.
func (s *Server) handleUserBusyTimes(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ref := r.URL.Query().Get("user")
	var errs []vidivo.FieldError
	if ref == "" {
		errs = append(errs, vidivo.FieldError{Field: "user", Issue: "is required"})
	}
	start, end, err := s.timeRange(r, errs)
	if err != nil {
		return err
	}
	busy, err := s.Booking.BusyTimes(ctx, ref, start, end)
	if err != nil {
		return err
	}
	out := make([]busyTimeJSON, len(busy))
	for i, b := range busy {
		kind := "vidivo"
		if b.External {
			kind = "external" // from the host's connected calendars
		}
		out[i] = busyTimeJSON{Type: kind, StartTime: formatTime(b.Start), EndTime: formatTime(b.End),
			BufferedStartTime: formatTime(b.BufferedStart), BufferedEndTime: formatTime(b.BufferedEnd)}
	}
	writeJSON(w, http.StatusOK, map[string][]busyTimeJSON{"collection": out})
	return nil
}

type availableTimeJSON struct {
	Status            string `json:"status"`
	InviteesRemaining int    `json:"invitees_remaining"`
	StartTime         string `json:"start_time"`
	SchedulingURL     string `json:"scheduling_url"`
}

// handleEventTypeAvailableTimes is GET /v1/event_type_available_times:
// public, the bookable start times of an active event type, which are the
// host's available slots cut at the event type's duration.
func (s *Server) handleEventTypeAvailableTimes(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ref := r.URL.Query().Get("event_type")
	var errs []vidivo.FieldError
	if ref == "" {
		errs = append(errs, vidivo.FieldError{Field: "event_type", Issue: "is required"})
	}
	start, end, err := s.timeRange(r, errs)
	if err != nil {
		return err
	}
	res, err := s.Booking.EventTypeTimes(ctx, ref, start, end)
	if err != nil {
		return err
	}
	page := s.eventTypeJSON(res.EventType, res.Host).SchedulingURL
	out := make([]availableTimeJSON, 0, len(res.Slots))
	for _, sl := range res.Slots {
		at := formatTime(sl.Start)
		out = append(out, availableTimeJSON{Status: "available", InviteesRemaining: 1, StartTime: at,
			SchedulingURL: page + "/" + at + "?month=" + sl.Date.String()[:7] + "&date=" + sl.Date.String()})
	}
	writeJSON(w, http.StatusOK, map[string][]availableTimeJSON{"collection": out})
	return nil
}
