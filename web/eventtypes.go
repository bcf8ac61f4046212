package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/vidivo/vidivo"
)

// eventTypesView is /settings/event-types: the host's event types, each
// with its own scheduling page, and the form that adds one.
type eventTypesView struct {
	List   []eventTypeRow
	Form   eventTypeForm
	Notice string
}

// eventTypeRow is one event type in the list.
type eventTypeRow struct {
	ID, Name, Slug, URL string
	Minutes             int
	Active              bool
}

// eventTypeForm is the create or edit form, as typed, with the message of
// each bad field.
type eventTypeForm struct {
	// ID is set when editing.
	ID, Name, Slug, Duration string
	Active                   bool
	URL                      string
	Error                    string
	Fields                   map[string]string
}

var eventTypeNotices = map[string]string{
	"created": "The event type is ready. Share its scheduling page.",
	"saved":   "The event type is saved.",
}

// schedulingURL is an event type's scheduling page, as the API's
// scheduling_url names it.
func (s *Server) schedulingURL(u *vidivo.User, slug string) string {
	return s.PublicURL + "/schedule/" + u.Username + "/" + slug
}

func (s *Server) handleEventTypes(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r, vidivo.RoleHost)
	if !ok {
		return err
	}
	ev := eventTypesView{Form: eventTypeForm{Duration: "30", Active: true},
		Notice: eventTypeNotices[r.URL.Query().Get("done")]}
	return s.renderEventTypes(w, r, http.StatusOK, u, ev)
}

func (s *Server) renderEventTypes(w http.ResponseWriter, r *http.Request, status int, u *vidivo.User, ev eventTypesView) error {
	list, err := s.EventTypes.EventTypes(r.Context(), u.ID, nil)
	if err != nil {
		return err
	}
	for _, e := range list {
		ev.List = append(ev.List, eventTypeRow{ID: e.ID, Name: e.Name, Slug: e.Slug, Minutes: e.DurationMinutes,
			Active: e.Active, URL: s.schedulingURL(u, e.Slug)})
	}
	s.render(w, r, status, "eventtypes", view{Title: "Event types", User: u, Data: ev})
	return nil
}

// readEventTypeForm reads the posted form. A duration that is not a
// number is 0, which the domain's rule explains.
func readEventTypeForm(r *http.Request) (eventTypeForm, vidivo.EventType) {
	f := eventTypeForm{Name: r.PostFormValue("name"), Slug: r.PostFormValue("slug"),
		Duration: strings.TrimSpace(r.PostFormValue("duration_minutes")), Active: r.PostFormValue("active") == "true"}
	minutes, _ := strconv.Atoi(f.Duration)
	e := vidivo.EventType{Name: f.Name, Slug: f.Slug, DurationMinutes: minutes, Active: f.Active}
	e.Normalize()
	return f, e
}

// failEventType shows a refused form again at the refusal's status (400
// for bad fields, 409 for a slug in use), the message next to its field.
func failEventType(f *eventTypeForm, err error) (int, error) {
	code := vidivo.ErrorCode(err)
	if code != vidivo.EVALIDATION && code != vidivo.ECONFLICT {
		return 0, err
	}
	f.Error, f.Fields = formError(err)
	return statusOf(code), nil
}

// handleEventTypeCreate adds an event type.
func (s *Server) handleEventTypeCreate(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.hostPOST(w, r)
	if !ok {
		return err
	}
	f, e := readEventTypeForm(r)
	e.HostID = u.ID
	err = e.Validate()
	if err == nil {
		err = s.EventTypes.CreateEventType(r.Context(), &e)
	}
	if err != nil {
		status, ferr := failEventType(&f, err)
		if ferr != nil {
			return ferr
		}
		return s.renderEventTypes(w, r, status, u, eventTypesView{Form: f})
	}
	http.Redirect(w, r, "/settings/event-types?done=created#event-type-"+e.ID, http.StatusSeeOther)
	return nil
}

// hostEventType loads one of u's event types; anyone else's is not found.
func (s *Server) hostEventType(r *http.Request, u *vidivo.User) (*vidivo.EventType, error) {
	id := r.PathValue("id")
	notFound := vidivo.Errorf(vidivo.ENOTFOUND, "there is no such event type")
	if !vidivo.IsID(id) {
		return nil, notFound
	}
	e, err := s.EventTypes.EventType(r.Context(), id)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND || (err == nil && e.HostID != u.ID) {
		return nil, notFound
	}
	return e, err
}

// handleEventTypeEdit is /settings/event-types/{id}: the edit form.
func (s *Server) handleEventTypeEdit(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r, vidivo.RoleHost)
	if !ok {
		return err
	}
	e, err := s.hostEventType(r, u)
	if err != nil {
		return err
	}
	f := eventTypeForm{ID: e.ID, Name: e.Name, Slug: e.Slug, Duration: strconv.Itoa(e.DurationMinutes), Active: e.Active}
	return s.renderEventTypeEdit(w, r, http.StatusOK, u, e, f)
}

func (s *Server) renderEventTypeEdit(w http.ResponseWriter, r *http.Request, status int, u *vidivo.User, e *vidivo.EventType, f eventTypeForm) error {
	f.ID, f.URL = e.ID, s.schedulingURL(u, e.Slug)
	s.render(w, r, status, "eventtype-edit", view{Title: "Edit " + e.Name, User: u, Data: f})
	return nil
}

// handleEventTypeUpdate saves the edit form: all four fields at once.
func (s *Server) handleEventTypeUpdate(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.hostPOST(w, r)
	if !ok {
		return err
	}
	e, err := s.hostEventType(r, u)
	if err != nil {
		return err
	}
	f, in := readEventTypeForm(r)
	upd := vidivo.EventTypeUpdate{Name: &in.Name, Slug: &in.Slug, DurationMinutes: &in.DurationMinutes, Active: &in.Active}
	err = upd.Validate()
	if err == nil {
		_, err = s.EventTypes.UpdateEventType(r.Context(), e.ID, upd)
	}
	if err != nil {
		status, ferr := failEventType(&f, err)
		if ferr != nil {
			return ferr
		}
		return s.renderEventTypeEdit(w, r, status, u, e, f)
	}
	http.Redirect(w, r, "/settings/event-types?done=saved#event-type-"+e.ID, http.StatusSeeOther)
	return nil
}
