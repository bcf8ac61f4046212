package api

import (
	"net/http"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/ical"
	"github.com/vidivo/vidivo/schedule"
)

func (s *Server) handleAvailabilityGet(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Booking.Availability(r.Context(), CallerFrom(r.Context()).Subject)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) handleAvailabilityPut(w http.ResponseWriter, r *http.Request) error {
	var a schedule.Availability
	if err := decodeJSON(r, &a); err != nil {
		return err
	}
	a, err := s.Booking.SetAvailability(r.Context(), CallerFrom(r.Context()).Subject, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

type slotHost struct {
	DisplayName       string  `json:"display_name"`
	Username          string  `json:"username"`
	Timezone          string  `json:"timezone"`
	RatePerMinute     *string `json:"rate_per_minute"`
	WindowSizeMinutes *int    `json:"window_size_minutes"`
}

// handleScheduleSlots is GET /v1/schedule/{username}: the host's slots
// between two of the host's dates, cut at the length of an active event
// type of the host's when ?event_type= names one (by slug or id).
func (s *Server) handleScheduleSlots(w http.ResponseWriter, r *http.Request) error {
	from, to, err := dateRange(r)
	if err != nil {
		return err
	}
	res, err := s.Booking.Slots(r.Context(), booking.SlotsQuery{Username: r.PathValue("username"),
		EventType: r.URL.Query().Get("event_type"), From: from, To: to})
	if err != nil {
		return err
	}
	out := slotsPage{Host: slotHost{DisplayName: res.Host.DisplayName, Username: res.Host.Username, Timezone: res.Timezone},
		Slots: appendSlots(make([]byte, 0, 16<<10), res.Slots)}
	if p := res.Price; p != nil {
		rate := p.Rate.String()
		out.Host.RatePerMinute, out.Host.WindowSizeMinutes = &rate, &p.WindowMinutes
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// dateRange reads start_date and end_date: both required, end not before
// start, at most booking.MaxSlotRangeDays apart.
func dateRange(r *http.Request) (from, to schedule.Date, err error) {
	q := r.URL.Query()
	var errs []vidivo.FieldError
	from, ferr := schedule.ParseDate(q.Get("start_date"))
	if ferr != nil {
		errs = append(errs, vidivo.FieldError{Field: "start_date", Issue: "must be a date such as 2026-03-15"})
	}
	to, terr := schedule.ParseDate(q.Get("end_date"))
	if terr != nil {
		errs = append(errs, vidivo.FieldError{Field: "end_date", Issue: "must be a date such as 2026-03-22"})
	}
	if ferr == nil && terr == nil {
		switch days := from.DaysUntil(to); {
		case days < 0:
			errs = append(errs, vidivo.FieldError{Field: "end_date", Issue: "must not be before start_date"})
		case days >= booking.MaxSlotRangeDays:
			errs = append(errs, vidivo.FieldError{Field: "end_date", Issue: "the range must be at most 62 days"})
		}
	}
	if len(errs) > 0 {
		return from, to, vidivo.Invalid(errs...)
	}
	return from, to, nil
}

type bookRequest struct {
	HostUsername    string  `json:"host_username"`
	ScheduledAt     string  `json:"scheduled_at"`
	DurationMinutes *int    `json:"duration_minutes"`
	EventType       *string `json:"event_type"`
	Note            *string `json:"note"`
	PaymentMethodID *string `json:"payment_method_id"`
	// Tracking carries UTM parameters, named as Calendly's invitee
	// tracking is, so integrators' code carries over.
	Tracking *trackingJSON `json:"tracking"`
}

// handleScheduleBook is POST /v1/schedule/book: the caller books time with
// a host.
func (s *Server) handleScheduleBook(w http.ResponseWriter, r *http.Request) error {
	var in bookRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	b, err := s.Booking.Book(r.Context(), booking.BookRequest{Caller: CallerFrom(r.Context()), HostUsername: in.HostUsername,
		ScheduledAt: in.ScheduledAt, DurationMinutes: in.DurationMinutes, EventType: in.EventType, Note: in.Note,
		PaymentMethodID: in.PaymentMethodID, Tracking: in.Tracking.tracking()})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]scheduledCallJSON{"scheduled_call": s.scheduledCallJSON(b)})
	return nil
}

type rescheduleRequest struct {
	ScheduledAt     string `json:"scheduled_at"`
	DurationMinutes int    `json:"duration_minutes"`
}

// handleScheduleReschedule is POST /v1/schedule/{id}/reschedule: the
// booking moves to a new time, or nothing changes.
func (s *Server) handleScheduleReschedule(w http.ResponseWriter, r *http.Request) error {
	var in rescheduleRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	b, err := s.Booking.Reschedule(r.Context(), CallerFrom(r.Context()), r.PathValue("id"),
		booking.RescheduleRequest{ScheduledAt: in.ScheduledAt, DurationMinutes: in.DurationMinutes})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]scheduledCallJSON{"scheduled_call": s.scheduledCallJSON(b)})
	return nil
}

// handleScheduleCalendar is GET /v1/schedule/{id}/calendar: the .ics
// invite (or cancellation) of a booking, for its participants.
func (s *Server) handleScheduleCalendar(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.Booking.Invite(r.Context(), CallerFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ical.ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename=vidivo-call.ics")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(ev.Marshal())
	return nil
}
