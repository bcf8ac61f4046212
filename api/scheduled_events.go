package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/resources"
)

// Page sizes of the scheduled-event lists (Calendly's count).
const (
	defaultEventCount = 20
	maxEventCount     = 100
)

type scheduledEventList struct {
	Collection []resources.ScheduledEvent `json:"collection"`
	Pagination calendlyPagination         `json:"pagination"`
}

type inviteeList struct {
	Collection []resources.Invitee `json:"collection"`
	Pagination calendlyPagination  `json:"pagination"`
}

// handleScheduledEventList is GET /v1/scheduled_events.
func (s *Server) handleScheduledEventList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, tok, err := s.eventFilter(q)
	if err != nil {
		return err
	}
	list, err := s.Events.List(r.Context(), booking.EventQuery{Caller: CallerFrom(r.Context()),
		User: q.Get("user"), Organization: q.Get("organization"), Filter: f})
	if err != nil {
		return err
	}
	scope := list.Scope + "|" + eventQuerySignature(q)
	if tok != nil && tok.Scope != scope {
		return vidivo.Invalid(vidivo.FieldError{Field: "page_token", Issue: "belongs to a list with other parameters"})
	}
	out := scheduledEventList{Collection: list.Events}
	out.Pagination.Count = len(list.Events)
	// Forward, More says a next page follows; a page reached by a token
	// always has one on the side it came from. Backward, the reverse.
	hasNext, hasPrev := list.More, tok != nil
	if f.Backward {
		hasNext, hasPrev = true, list.More
	}
	if hasNext && list.Last != nil {
		s.setPage(&out.Pagination.NextPage, &out.Pagination.NextPageToken, q,
			pageToken{Scope: scope, Key: *list.Last})
	}
	if hasPrev && list.First != nil {
		s.setPage(&out.Pagination.PreviousPage, &out.Pagination.PreviousPageToken, q,
			pageToken{Scope: scope, Key: *list.First, Backward: true})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// setPage fills a neighbouring page's URL and token.
func (s *Server) setPage(page, token **string, q url.Values, t pageToken) {
	raw := s.encodePageToken(t)
	next := url.Values{}
	for k, v := range q {
		next[k] = v
	}
	next.Set("page_token", raw)
	u := s.PublicURL + "/v1/scheduled_events?" + next.Encode()
	*page, *token = &u, &raw
}

// eventQuerySignature names the filters a page token is bound to: a token
// continues the list it came from, not another.
func eventQuerySignature(q url.Values) string {
	return strings.Join([]string{q.Get("status"), q.Get("min_start_time"), q.Get("max_start_time"), q.Get("sort")}, "|")
}

// eventFilter reads the list's filters; each bad one is named.
func (s *Server) eventFilter(q url.Values) (vidivo.EventFilter, *pageToken, error) {
	f := vidivo.EventFilter{Limit: defaultEventCount}
	var errs []vidivo.FieldError
	bad := func(field, issue string) { errs = append(errs, vidivo.FieldError{Field: field, Issue: issue}) }
	switch q.Get("status") {
	case "":
	case resources.StatusActive:
		f.Status = vidivo.BookingConfirmed
	case resources.StatusCanceled:
		f.Status = vidivo.BookingCanceled
	default:
		bad("status", `must be "active" or "canceled"`)
	}
	for _, p := range []struct {
		field string
		dst   *time.Time
	}{{"min_start_time", &f.MinStart}, {"max_start_time", &f.MaxStart}} {
		if v := q.Get(p.field); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				bad(p.field, `must be an RFC 3339 time such as "2026-03-16T09:00:00Z"`)
			}
			*p.dst = t.UTC()
		}
	}
	if !f.MinStart.IsZero() && !f.MaxStart.IsZero() && !f.MaxStart.After(f.MinStart) {
		bad("max_start_time", "must be after min_start_time")
	}
	switch q.Get("sort") {
	case "", "start_time:asc":
	case "start_time:desc":
		f.Desc = true
	default:
		bad("sort", `must be "start_time:asc" or "start_time:desc"`)
	}
	f.Limit = readCount(q, bad)
	var tok *pageToken
	if v := q.Get("page_token"); v != "" {
		t, ok := s.decodePageToken(v)
		if !ok {
			bad("page_token", "is not a page token from a previous page")
		} else {
			tok, f.After, f.Backward = &t, &t.Key, t.Backward
		}
	}
	if len(errs) > 0 {
		return f, nil, vidivo.Invalid(errs...)
	}
	return f, tok, nil
}

// readCount reads count: 1 to 100, 20 when left out.
func readCount(q url.Values, bad func(field, issue string)) int {
	v := q.Get("count")
	if v == "" {
		return defaultEventCount
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxEventCount {
		bad("count", "must be an integer from 1 to 100")
		return defaultEventCount
	}
	return n
}

// handleScheduledEventGet is GET /v1/scheduled_events/{uuid}.
func (s *Server) handleScheduledEventGet(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.Events.Event(r.Context(), CallerFrom(r.Context()), r.PathValue("uuid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]resources.ScheduledEvent{"resource": ev})
	return nil
}

// handleInviteeList is GET /v1/scheduled_events/{uuid}/invitees: an event
// has one invitee, so the list is it or, filtered out, empty, on one page.
func (s *Server) handleInviteeList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var errs []vidivo.FieldError
	bad := func(field, issue string) { errs = append(errs, vidivo.FieldError{Field: field, Issue: issue}) }
	status := q.Get("status")
	if status != "" && status != resources.StatusActive && status != resources.StatusCanceled {
		bad("status", `must be "active" or "canceled"`)
	}
	if v := q.Get("sort"); v != "" && v != "created_at:asc" && v != "created_at:desc" {
		bad("sort", `must be "created_at:asc" or "created_at:desc"`)
	}
	email := q.Get("email")
	if email != "" && vidivo.CheckEmail(vidivo.NormalizeEmail(email)) != "" {
		bad("email", "must be an email address")
	}
	readCount(q, bad)
	if q.Get("page_token") != "" {
		// No invitee list has a second page, so no token was ever given.
		bad("page_token", "is not a page token from a previous page")
	}
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	inv, err := s.Events.Invitee(r.Context(), CallerFrom(r.Context()), r.PathValue("uuid"))
	if err != nil {
		return err
	}
	out := inviteeList{Collection: []resources.Invitee{}}
	if (status == "" || status == inv.Status) && (email == "" || vidivo.NormalizeEmail(email) == inv.Email) {
		out.Collection = append(out.Collection, inv)
	}
	out.Pagination.Count = len(out.Collection)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleInviteeGet is GET /v1/scheduled_events/{uuid}/invitees/{invitee_uuid}:
// the event's one invitee shares its uuid.
func (s *Server) handleInviteeGet(w http.ResponseWriter, r *http.Request) error {
	if r.PathValue("invitee_uuid") != r.PathValue("uuid") {
		return vidivo.Errorf(vidivo.ENOTFOUND, "invitee not found")
	}
	inv, err := s.Events.Invitee(r.Context(), CallerFrom(r.Context()), r.PathValue("uuid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]resources.Invitee{"resource": inv})
	return nil
}
