package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calendar"
	"github.com/vidivo/vidivo/calendars"
)

// calendarRoutes are the host's connected-calendars settings: connect a
// CalDAV account or an .ics link, choose which calendars count and which
// receives bookings, see each one's status. None without the service.
func (s *Server) calendarRoutes(m *http.ServeMux) {
	if s.Calendars == nil {
		return
	}
	m.Handle("GET /settings/calendars", s.page(s.handleCalendars))
	m.Handle("POST /settings/calendars", s.page(s.handleCalendarConnect))
	m.Handle("POST /settings/calendars/{id}", s.page(s.handleCalendarChoose))
	m.Handle("POST /settings/calendars/{id}/delete", s.page(s.handleCalendarDisconnect))
}

// calendarsView is the settings page's data.
type calendarsView struct {
	Connections []*calendar.Connection
	Form        calendarForm
	Error       string
	Saved       bool
}

type calendarForm struct {
	Kind, URL, Username, WhenFailing string
}

func (s *Server) handleCalendars(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireCalendarHost(w, r)
	if !ok {
		return err
	}
	v := calendarsView{Form: calendarForm{Kind: "caldav", WhenFailing: calendar.WhenFailingWithhold},
		Saved: r.URL.Query().Get("saved") == "1"}
	return s.renderCalendars(w, r, u, http.StatusOK, v)
}

func (s *Server) renderCalendars(w http.ResponseWriter, r *http.Request, u *vidivo.User, status int, v calendarsView) error {
	var err error
	if v.Connections, err = s.Calendars.List(r.Context(), u.ID); err != nil {
		return err
	}
	s.render(w, r, status, "calendars", view{Title: "Calendars", User: u, Data: v})
	return nil
}

// requireCalendarHost is requireUser for hosts only.
func (s *Server) requireCalendarHost(w http.ResponseWriter, r *http.Request) (*vidivo.User, bool, error) {
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return nil, false, err
	}
	if u.Role != vidivo.RoleHost && u.Role != vidivo.RoleAdmin {
		return nil, false, vidivo.Errorf(vidivo.EFORBIDDEN, "only hosts connect calendars")
	}
	return u, true, nil
}

// handleCalendarConnect is POST /settings/calendars: checks the calendar
// with its server and connects it, or shows why not.
func (s *Server) handleCalendarConnect(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	u, ok, err := s.requireCalendarHost(w, r)
	if !ok {
		return err
	}
	f := calendarForm{Kind: r.PostFormValue("kind"), URL: strings.TrimSpace(r.PostFormValue("url")),
		Username: strings.TrimSpace(r.PostFormValue("username")), WhenFailing: r.PostFormValue("when_failing")}
	in := calendars.NewConnection{Kind: f.Kind, URL: f.URL, Username: &f.Username, WhenFailing: &f.WhenFailing,
		AddBookings: boolPtr(r.PostFormValue("add_bookings") == "on")}
	if p := r.PostFormValue("password"); p != "" {
		in.Password = &p
	}
	if _, err := s.Calendars.Create(r.Context(), vidivo.Caller{Subject: u.ID, Role: u.Role}, in); err != nil {
		if !isUserError(err) {
			return err
		}
		return s.renderCalendars(w, r, u, vidivo.HTTPStatus(vidivo.ErrorCode(err)), calendarsView{Form: f, Error: calendarProblem(err)})
	}
	http.Redirect(w, r, "/settings/calendars?saved=1", http.StatusSeeOther)
	return nil
}

// handleCalendarChoose is POST /settings/calendars/{id}: which of the
// connection's calendars check for conflicts, which receives bookings,
// and what slots do while one fails.
func (s *Server) handleCalendarChoose(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	u, ok, err := s.requireCalendarHost(w, r)
	if !ok {
		return err
	}
	conn, err := s.Calendars.Owned(r.Context(), u.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	ch := calendars.ConnectionChange{WhenFailing: strPtr(r.PostFormValue("when_failing"))}
	adds := r.PostFormValue("add_bookings")
	for _, c := range conn.Calendars {
		cc := calendars.CalendarChange{ID: c.ID, CheckForConflicts: boolPtr(r.PostFormValue("check_"+c.ID) == "on")}
		if conn.Kind == calendar.KindCalDAV {
			cc.AddBookings = boolPtr(adds == c.ID)
		}
		ch.Calendars = append(ch.Calendars, cc)
	}
	if _, err := s.Calendars.Update(r.Context(), u.ID, conn.ID, ch); err != nil {
		if !isUserError(err) {
			return err
		}
		return s.renderCalendars(w, r, u, vidivo.HTTPStatus(vidivo.ErrorCode(err)),
			calendarsView{Form: calendarForm{Kind: "caldav", WhenFailing: calendar.WhenFailingWithhold}, Error: calendarProblem(err)})
	}
	http.Redirect(w, r, "/settings/calendars?saved=1", http.StatusSeeOther)
	return nil
}

// handleCalendarDisconnect is POST /settings/calendars/{id}/delete.
func (s *Server) handleCalendarDisconnect(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	u, ok, err := s.requireCalendarHost(w, r)
	if !ok {
		return err
	}
	if err := s.Calendars.Delete(r.Context(), u.ID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/calendars", http.StatusSeeOther)
	return nil
}

// isUserError reports an error the form shows rather than an error page.
func isUserError(err error) bool {
	switch vidivo.ErrorCode(err) {
	case vidivo.EVALIDATION, vidivo.ECONFLICT:
		return true
	}
	return false
}

// calendarProblem says what went wrong in words for people.
func calendarProblem(err error) string {
	var e *vidivo.Error
	if !errors.As(err, &e) {
		return "Something went wrong; try again."
	}
	if len(e.Details) == 0 {
		return e.Message
	}
	var parts []string
	for _, d := range e.Details {
		name := map[string]string{"url": "The address", "password": "The password", "username": "The user name",
			"kind": "The kind", "add_bookings": "Adding bookings", "when_failing": "The choice for failures"}[d.Field]
		if name == "" {
			name = d.Field
		}
		parts = append(parts, name+" "+d.Issue+".")
	}
	return strings.Join(parts, " ")
}

func boolPtr(b bool) *bool { return &b }

func strPtr(s string) *string { return &s }
