package api

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"github.com/vidivo/vidivo"
)

// The read APIs for integrators follow the shapes of Calendly's API v2 (see
// the seed docs): resources are {"resource": …}, lists {"collection": […]},
// and things are named by URIs as well as ids.

// maxTimeRange bounds user_busy_times and event_type_available_times.
const maxTimeRange = 7 * 24 * time.Hour

// pastGrace is how far before now a range may start: a client computing
// "now" a moment ago is not refused.
const pastGrace = time.Minute

func (s *Server) userURI(id string) string      { return s.PublicURL + "/v1/users/" + id }
func (s *Server) eventTypeURI(id string) string { return s.PublicURL + "/v1/event_types/" + id }

var ulidRE = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)

type eventTypeJSON struct {
	ID              string `json:"id"`
	URI             string `json:"uri"`
	Name            string `json:"name"`
	Slug            string `json:"slug"`
	DurationMinutes int    `json:"duration_minutes"`
	Active          bool   `json:"active"`
	SchedulingURL   string `json:"scheduling_url"`
	CreatedAt       string `json:"created_at"`
	UpdatedAt       string `json:"updated_at"`
}

func (s *Server) eventTypeJSON(e *vidivo.EventType, host *vidivo.User) eventTypeJSON {
	return eventTypeJSON{
		ID: e.ID, URI: s.eventTypeURI(e.ID), Name: e.Name, Slug: e.Slug, DurationMinutes: e.DurationMinutes,
		Active: e.Active, SchedulingURL: s.PublicURL + "/schedule/" + host.Username + "/" + e.Slug,
		CreatedAt: formatTime(e.CreatedAt), UpdatedAt: formatTime(e.UpdatedAt),
	}
}

type eventTypeCreateRequest struct {
	Name            string `json:"name"`
	Slug            string `json:"slug"`
	DurationMinutes int    `json:"duration_minutes"`
	Active          *bool  `json:"active"`
}

// handleEventTypeCreate is POST /v1/event_types: the signed-in host offers
// a new kind of call.
func (s *Server) handleEventTypeCreate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var in eventTypeCreateRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	e := &vidivo.EventType{HostID: CallerFrom(ctx).Subject, Name: in.Name, Slug: in.Slug,
		DurationMinutes: in.DurationMinutes, Active: in.Active == nil || *in.Active}
	e.Normalize()
	if err := e.Validate(); err != nil {
		return err
	}
	host, err := s.Users.UserByID(ctx, e.HostID)
	if err != nil {
		return err
	}
	st := s.EventTypes
	if err := st.CreateEventType(ctx, e); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]eventTypeJSON{"resource": s.eventTypeJSON(e, host)})
	return nil
}

// handleEventTypeList is GET /v1/event_types: a host's event types, public
// with ?user=, else the signed-in account's own.
func (s *Server) handleEventTypeList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	var active *bool
	if v := q.Get("active"); v != "" {
		if v != "true" && v != "false" {
			return vidivo.Invalid(vidivo.FieldError{Field: "active", Issue: `must be "true" or "false"`})
		}
		b := v == "true"
		active = &b
	}
	var (
		host *vidivo.User
		err  error
	)
	if ref := q.Get("user"); ref != "" {
		host, err = s.Booking.HostByRef(ctx, ref)
	} else {
		var c vidivo.Caller
		if c, err = s.requireAccount(w, r); err == nil {
			host, err = s.Users.UserByID(ctx, c.Subject)
		}
	}
	if err != nil {
		return err
	}
	st := s.EventTypes
	list, err := st.EventTypes(ctx, host.ID, active)
	if err != nil {
		return err
	}
	out := struct {
		Collection []eventTypeJSON `json:"collection"`
		Pagination struct {
			Count int `json:"count"`
		} `json:"pagination"`
	}{Collection: make([]eventTypeJSON, 0, len(list))}
	for _, e := range list {
		out.Collection = append(out.Collection, s.eventTypeJSON(e, host))
	}
	out.Pagination.Count = len(out.Collection)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// requireAccount authenticates a request on a route that is public only
// with certain parameters, as authed would: the caller must hold an
// account's token (not a guest's).
func (s *Server) requireAccount(w http.ResponseWriter, r *http.Request) (vidivo.Caller, error) {
	tok, ok := bearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vidivo"`)
		return vidivo.Caller{}, vidivo.Errorf(vidivo.EUNAUTHORIZED, "missing bearer token; pass user to list another user's event types")
	}
	c, err := s.Auth.Authenticate(tok)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vidivo", error="invalid_token"`)
		return vidivo.Caller{}, err
	}
	if !c.Can(accountRoles...) {
		return vidivo.Caller{}, vidivo.Errorf(vidivo.EFORBIDDEN, "this action needs an account")
	}
	return c, nil
}

// eventTypeWithHost loads an event type and its host by id.
func (s *Server) eventTypeWithHost(ctx context.Context, id string) (*vidivo.EventType, *vidivo.User, error) {
	st := s.EventTypes
	e, err := st.EventType(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	host, err := s.Users.UserByID(ctx, e.HostID)
	if err != nil {
		return nil, nil, err
	}
	return e, host, nil
}

// handleEventTypeGet is GET /v1/event_types/{id}: public, as the list is.
func (s *Server) handleEventTypeGet(w http.ResponseWriter, r *http.Request) error {
	e, host, err := s.eventTypeWithHost(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]eventTypeJSON{"resource": s.eventTypeJSON(e, host)})
	return nil
}

type eventTypeUpdateRequest struct {
	Name            *string `json:"name"`
	Slug            *string `json:"slug"`
	DurationMinutes *int    `json:"duration_minutes"`
	Active          *bool   `json:"active"`
}

// handleEventTypeUpdate is PATCH /v1/event_types/{id}: its host (or an
// admin) renames, re-slugs, re-times, deactivates or reactivates it.
func (s *Server) handleEventTypeUpdate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var in eventTypeUpdateRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	upd := vidivo.EventTypeUpdate{Name: in.Name, Slug: in.Slug, DurationMinutes: in.DurationMinutes, Active: in.Active}
	if err := upd.Validate(); err != nil {
		return err
	}
	e, host, err := s.eventTypeWithHost(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if c := CallerFrom(ctx); c.Subject != e.HostID && c.Role != vidivo.RoleAdmin {
		return vidivo.Errorf(vidivo.EFORBIDDEN, "this is another host's event type")
	}
	st := s.EventTypes
	if e, err = st.UpdateEventType(ctx, e.ID, upd); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]eventTypeJSON{"resource": s.eventTypeJSON(e, host)})
	return nil
}
