package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
)

// Page sizes of the sessions calendar.
const (
	defaultSessionCount = 20
	maxSessionCount     = 100
)

type sessionCreateRequest struct {
	SessionName  string               `json:"session_name"`
	StartTime    string               `json:"start_time"`
	EndTime      string               `json:"end_time"`
	Picture      string               `json:"picture"`
	Participants []participantRequest `json:"participants"`
}

// handleSessionCreate is POST /v1/sessions: 201 with every participant's
// entry URL.
func (s *Server) handleSessionCreate(w http.ResponseWriter, r *http.Request) error {
	var in sessionCreateRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var errs []vidivo.FieldError
	input := vidivo.SessionInput{Name: in.SessionName, Picture: in.Picture,
		StartTime: parseSessionTime("start_time", in.StartTime, &errs),
		EndTime:   parseSessionTime("end_time", in.EndTime, &errs)}
	if len(in.Participants) == 0 {
		errs = append(errs, vidivo.FieldError{Field: "participants", Issue: "is required"})
	}
	for i, p := range in.Participants {
		input.Participants = append(input.Participants, p.input("participants["+strconv.Itoa(i)+"]", &errs))
	}
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	sess, err := s.Sessions.Create(r.Context(), CallerFrom(r.Context()), input)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]sessionJSON{"resource": s.sessionJSON(sess, true)})
	return nil
}

// handleSessionGet is GET /v1/sessions/{id}.
func (s *Server) handleSessionGet(w http.ResponseWriter, r *http.Request) error {
	caller := CallerFrom(r.Context())
	sess, err := s.Sessions.Get(r.Context(), caller, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]sessionJSON{"resource": s.sessionJSON(sess, s.Sessions.CanManage(caller, sess))})
	return nil
}

// handleSessionList is GET /v1/sessions?start=&end=: the calendar,
// upcoming first (start defaults to now).
func (s *Server) handleSessionList(w http.ResponseWriter, r *http.Request) error {
	caller := CallerFrom(r.Context())
	q := r.URL.Query()
	var errs []vidivo.FieldError
	f := vidivo.SessionFilter{Start: parseSessionTime("start", q.Get("start"), &errs),
		End: parseSessionTime("end", q.Get("end"), &errs)}
	if q.Get("start") == "" {
		f.Start = s.now().UTC().Truncate(time.Second)
	}
	if !f.End.IsZero() && !f.End.After(f.Start) {
		errs = append(errs, vidivo.FieldError{Field: "end", Issue: "must be after start"})
	}
	key := "sessions|" + caller.Subject
	limit, before, errs := s.webhookPage(q, key, errs)
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	f.Limit = limit
	if before != "" {
		f.After = decodeSessionKey(before)
	}
	list, more, err := s.Sessions.List(r.Context(), caller, f)
	if err != nil {
		return err
	}
	out := struct {
		Collection []sessionJSON      `json:"collection"`
		Pagination calendlyPagination `json:"pagination"`
	}{Collection: make([]sessionJSON, 0, len(list))}
	for _, sess := range list {
		out.Collection = append(out.Collection, s.sessionJSON(sess, s.Sessions.CanManage(caller, sess)))
	}
	out.Pagination = s.nextPagination(r, q, key, len(list), more, func() string {
		last := list[len(list)-1]
		return last.StartTime.UTC().Format(time.RFC3339Nano) + "|" + last.ID
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

// decodeSessionKey reads the calendar position a signed cursor holds.
func decodeSessionKey(v string) *vidivo.SessionKey {
	at, id, _ := strings.Cut(v, "|")
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return nil
	}
	return &vidivo.SessionKey{StartTime: t, ID: id}
}

type sessionUpdateRequest struct {
	SessionName *string          `json:"session_name"`
	Picture     nullable[string] `json:"picture"`
	StartTime   *string          `json:"start_time"`
	EndTime     *string          `json:"end_time"`
}

// handleSessionUpdate is PATCH /v1/sessions/{id}: the invites are sent
// again with SEQUENCE + 1.
func (s *Server) handleSessionUpdate(w http.ResponseWriter, r *http.Request) error {
	var in sessionUpdateRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var (
		errs []vidivo.FieldError
		upd  vidivo.SessionUpdate
	)
	upd.Name = in.SessionName
	if in.Picture.Set {
		pic := in.Picture.Value
		upd.Picture = &pic
	}
	for _, f := range []struct {
		name string
		in   *string
		out  **time.Time
	}{{"start_time", in.StartTime, &upd.StartTime}, {"end_time", in.EndTime, &upd.EndTime}} {
		if f.in == nil {
			continue
		}
		t := parseSessionTime(f.name, *f.in, &errs)
		if *f.in == "" {
			errs = append(errs, vidivo.FieldError{Field: f.name, Issue: "must be an RFC 3339 time"})
		}
		*f.out = &t
	}
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	sess, err := s.Sessions.Update(r.Context(), CallerFrom(r.Context()), r.PathValue("id"), upd)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]sessionJSON{"resource": s.sessionJSON(sess, true)})
	return nil
}

// handleSessionCancel is DELETE /v1/sessions/{id}: the session is
// canceled and every fee refunded in full; repeating it finishes refunds
// that failed.
func (s *Server) handleSessionCancel(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.Sessions.Cancel(r.Context(), CallerFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]sessionJSON{"resource": s.sessionJSON(sess, true)})
	return nil
}

// handleSessionParticipantAdd is POST /v1/sessions/{id}/participants.
func (s *Server) handleSessionParticipantAdd(w http.ResponseWriter, r *http.Request) error {
	var in participantRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var errs []vidivo.FieldError
	input := in.input("", &errs)
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	_, p, err := s.Sessions.AddParticipant(r.Context(), CallerFrom(r.Context()), r.PathValue("id"), input)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]participantJSON{"resource": s.participantJSON(p, true)})
	return nil
}

// handleSessionParticipantRemove is DELETE
// /v1/sessions/{id}/participants/{pid}: a paid fee is refunded first.
func (s *Server) handleSessionParticipantRemove(w http.ResponseWriter, r *http.Request) error {
	err := s.Sessions.RemoveParticipant(r.Context(), CallerFrom(r.Context()), r.PathValue("id"), r.PathValue("pid"))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleSessionParticipantReissue is POST
// /v1/sessions/{id}/participants/{pid}/reissue: the old entry URL stops
// working; the answer holds the new one.
func (s *Server) handleSessionParticipantReissue(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Sessions.Reissue(r.Context(), CallerFrom(r.Context()), r.PathValue("id"), r.PathValue("pid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]participantJSON{"resource": s.participantJSON(p, true)})
	return nil
}

// sessionRoutes registers the sessions API: the hosts' management under
// authentication, and the entry API, public, its token the credential.
func (s *Server) sessionRoutes(m *http.ServeMux) {
	m.Handle("POST /v1/sessions", s.authed(s.handleSessionCreate, vidivo.RoleHost))
	m.Handle("GET /v1/sessions", s.authed(s.handleSessionList, accountRoles...))
	m.Handle("GET /v1/sessions/payments", s.authed(s.handleSessionPayments, vidivo.RoleHost))
	m.Handle("GET /v1/sessions/{id}", s.authed(s.handleSessionGet, accountRoles...))
	m.Handle("PATCH /v1/sessions/{id}", s.authed(s.handleSessionUpdate, accountRoles...))
	m.Handle("DELETE /v1/sessions/{id}", s.authed(s.handleSessionCancel, accountRoles...))
	m.Handle("POST /v1/sessions/{id}/participants", s.authed(s.handleSessionParticipantAdd, accountRoles...))
	m.Handle("DELETE /v1/sessions/{id}/participants/{pid}", s.authed(s.handleSessionParticipantRemove, accountRoles...))
	m.Handle("POST /v1/sessions/{id}/participants/{pid}/reissue", s.authed(s.handleSessionParticipantReissue, accountRoles...))
	m.Handle("GET /v1/sessions/entry/{token}", s.public(s.handle(s.handleSessionEntry)))
	m.Handle("POST /v1/sessions/entry/{token}/pay", s.public(s.handle(s.handleSessionPay)))
	m.Handle("POST /v1/sessions/entry/{token}/join", s.public(s.handle(s.handleSessionJoin)))
	m.Handle("GET /v1/sessions/entry/{token}/invite.ics", s.public(s.handle(s.handleSessionInvite)))
}
