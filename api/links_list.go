package api

import (
	"net/http"
	"strconv"

	"github.com/vidivo/vidivo"
)

// Page sizes of GET /v1/links.
const (
	defaultLinkLimit = 20
	maxLinkLimit     = 100
	// maxCallLinks caps the unpaged GET /v1/calls/links array.
	maxCallLinks = 1000
)

func (s *Server) handleLinkList(w http.ResponseWriter, r *http.Request) error {
	hostID := CallerFrom(r.Context()).Subject
	f, err := s.linkFilter(r, hostID)
	if err != nil {
		return err
	}
	page, err := s.Links.Links(r.Context(), f)
	if err != nil {
		return err
	}
	out := linkList{Links: make([]linkListItem, 0, len(page.Links)), Pagination: pagination{HasMore: page.More, Limit: f.Limit}}
	for _, l := range page.Links {
		out.Links = append(out.Links, s.linkListItem(l))
	}
	if page.More {
		next := s.encodeCursor(cursor{Before: page.Links[len(page.Links)-1].ID, HostID: hostID})
		out.Pagination.Cursor = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// linkFilter reads limit, cursor and active from the query string.
func (s *Server) linkFilter(r *http.Request, hostID string) (vidivo.LinkFilter, error) {
	q := r.URL.Query()
	f := vidivo.LinkFilter{HostID: hostID, Limit: defaultLinkLimit}
	var errs []vidivo.FieldError
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLinkLimit {
			errs = append(errs, vidivo.FieldError{Field: "limit", Issue: "must be an integer from 1 to 100"})
		}
		f.Limit = n
	}
	if v := q.Get("active"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil || (v != "true" && v != "false") {
			errs = append(errs, vidivo.FieldError{Field: "active", Issue: `must be "true" or "false"`})
		}
		f.Active = &b
	}
	if v := q.Get("cursor"); v != "" {
		c, ok := s.decodeCursor(v, hostID)
		if !ok {
			errs = append(errs, vidivo.FieldError{Field: "cursor", Issue: "is not a cursor from a previous page"})
		}
		f.Before = c.Before
	}
	if len(errs) > 0 {
		return f, vidivo.Invalid(errs...)
	}
	return f, nil
}

func (s *Server) handleCallLinkList(w http.ResponseWriter, r *http.Request) error {
	page, err := s.Links.Links(r.Context(), vidivo.LinkFilter{HostID: CallerFrom(r.Context()).Subject, Limit: maxCallLinks})
	if err != nil {
		return err
	}
	out := make([]callLinkJSON, 0, len(page.Links))
	for _, l := range page.Links {
		out = append(out, s.callLinkJSON(l))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
