package api

import (
	"net/http"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calendar"
	"github.com/vidivo/vidivo/calendars"
)

type calendarConnectionCreateRequest struct {
	Kind              string  `json:"kind"`
	URL               string  `json:"url"`
	Username          *string `json:"username"`
	Password          *string `json:"password"`
	CheckForConflicts *bool   `json:"check_for_conflicts"`
	AddBookings       *bool   `json:"add_bookings"`
	WhenFailing       *string `json:"when_failing"`
}

type calendarChangeRequest struct {
	ID                string `json:"id"`
	CheckForConflicts *bool  `json:"check_for_conflicts"`
	AddBookings       *bool  `json:"add_bookings"`
}

type calendarConnectionPatchRequest struct {
	Username    *string                 `json:"username"`
	Password    *string                 `json:"password"`
	WhenFailing *string                 `json:"when_failing"`
	Calendars   []calendarChangeRequest `json:"calendars"`
}

type calendarJSON struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	URL               string  `json:"url"`
	CheckForConflicts bool    `json:"check_for_conflicts"`
	AddBookings       bool    `json:"add_bookings"`
	Status            string  `json:"status"`
	RefreshedAt       *string `json:"refreshed_at"`
	FailingSince      *string `json:"failing_since"`
	LastError         *string `json:"last_error"`
}

// calendarConnectionJSON is a connection as its host sees it: never its
// password.
type calendarConnectionJSON struct {
	URI         string         `json:"uri"`
	ID          string         `json:"id"`
	Kind        string         `json:"kind"`
	URL         string         `json:"url"`
	Username    *string        `json:"username"`
	HasPassword bool           `json:"has_password"`
	WhenFailing string         `json:"when_failing"`
	Calendars   []calendarJSON `json:"calendars"`
	CreatedAt   string         `json:"created_at"`
	UpdatedAt   string         `json:"updated_at"`
}

func (s *Server) calendarConnectionJSON(c *calendar.Connection) calendarConnectionJSON {
	out := calendarConnectionJSON{URI: s.PublicURL + "/v1/calendar_connections/" + c.ID, ID: c.ID, Kind: string(c.Kind),
		URL: c.URL, HasPassword: c.PasswordSealed != "", WhenFailing: c.WhenFailing, Calendars: []calendarJSON{},
		CreatedAt: formatTime(c.CreatedAt), UpdatedAt: formatTime(c.UpdatedAt)}
	if c.Username != "" {
		u := c.Username
		out.Username = &u
	}
	for _, cal := range c.Calendars {
		j := calendarJSON{ID: cal.ID, Name: cal.Name, URL: cal.URL, CheckForConflicts: cal.CheckConflicts,
			AddBookings: cal.AddBookings, RefreshedAt: optTime(cal.RefreshedAt), FailingSince: optTime(cal.FailingSince)}
		switch {
		case cal.Failing():
			j.Status = "failing"
			e := cal.LastError
			j.LastError = &e
		case cal.RefreshedAt != nil:
			j.Status = "ok"
		default:
			j.Status = "not_read"
		}
		out.Calendars = append(out.Calendars, j)
	}
	return out
}

// handleCalendarConnectionCreate is POST /v1/calendar_connections.
func (s *Server) handleCalendarConnectionCreate(w http.ResponseWriter, r *http.Request) error {
	var in calendarConnectionCreateRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.Calendars.Create(r.Context(), CallerFrom(r.Context()), calendars.NewConnection{Kind: in.Kind, URL: in.URL,
		Username: in.Username, Password: in.Password, CheckForConflicts: in.CheckForConflicts, AddBookings: in.AddBookings,
		WhenFailing: in.WhenFailing})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]calendarConnectionJSON{"resource": s.calendarConnectionJSON(c)})
	return nil
}

// handleCalendarConnectionList is GET /v1/calendar_connections.
func (s *Server) handleCalendarConnectionList(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Calendars.List(r.Context(), CallerFrom(r.Context()).Subject)
	if err != nil {
		return err
	}
	out := make([]calendarConnectionJSON, len(list))
	for i, c := range list {
		out[i] = s.calendarConnectionJSON(c)
	}
	writeJSON(w, http.StatusOK, map[string][]calendarConnectionJSON{"collection": out})
	return nil
}

// handleCalendarConnectionGet is GET /v1/calendar_connections/{id}.
func (s *Server) handleCalendarConnectionGet(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Calendars.Owned(r.Context(), CallerFrom(r.Context()).Subject, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]calendarConnectionJSON{"resource": s.calendarConnectionJSON(c)})
	return nil
}

// handleCalendarConnectionPatch is PATCH /v1/calendar_connections/{id}.
func (s *Server) handleCalendarConnectionPatch(w http.ResponseWriter, r *http.Request) error {
	var in calendarConnectionPatchRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ch := calendars.ConnectionChange{Username: in.Username, Password: in.Password, WhenFailing: in.WhenFailing}
	for _, c := range in.Calendars {
		ch.Calendars = append(ch.Calendars, calendars.CalendarChange{ID: c.ID, CheckForConflicts: c.CheckForConflicts,
			AddBookings: c.AddBookings})
	}
	c, err := s.Calendars.Update(r.Context(), CallerFrom(r.Context()).Subject, r.PathValue("id"), ch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]calendarConnectionJSON{"resource": s.calendarConnectionJSON(c)})
	return nil
}

// handleCalendarConnectionDelete is DELETE /v1/calendar_connections/{id}.
func (s *Server) handleCalendarConnectionDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.Calendars.Delete(r.Context(), CallerFrom(r.Context()).Subject, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// calendarRoutes are the connected calendars' routes (hosts only); none
// without the service.
func (s *Server) calendarRoutes(m *http.ServeMux) {
	if s.Calendars == nil {
		return
	}
	// The booking service counts the connected calendars' busy times
	// (slots, the booking check, busy times) once both are there.
	if s.Booking != nil && s.Booking.External == nil {
		s.Booking.External = s.Calendars
	}
	m.Handle("POST /v1/calendar_connections", s.authed(s.handleCalendarConnectionCreate, vidivo.RoleHost))
	m.Handle("GET /v1/calendar_connections", s.authed(s.handleCalendarConnectionList, vidivo.RoleHost))
	m.Handle("GET /v1/calendar_connections/{id}", s.authed(s.handleCalendarConnectionGet, vidivo.RoleHost))
	m.Handle("PATCH /v1/calendar_connections/{id}", s.authed(s.handleCalendarConnectionPatch, vidivo.RoleHost))
	m.Handle("DELETE /v1/calendar_connections/{id}", s.authed(s.handleCalendarConnectionDelete, vidivo.RoleHost))
}
