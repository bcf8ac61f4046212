package api

import (
	"net/http"
	"net/url"
)

// calendlyPagination is the pagination block of Calendly's API v2 lists:
// next_page and previous_page are the full URLs of the neighbouring pages,
// their tokens the page_token to pass; null where there is none. Every
// Calendly-style list pages with it (scheduled events and invitees,
// organization members and invitations, webhook subscriptions and
// deliveries, sessions); lists that page forward only (see nextPagination)
// leave the previous page null. GET /v1/event_types is not paged (a host
// has few event types, all on one page), so its block is a count alone.
type calendlyPagination struct {
	Count             int     `json:"count"`
	NextPage          *string `json:"next_page"`
	PreviousPage      *string `json:"previous_page"`
	NextPageToken     *string `json:"next_page_token"`
	PreviousPageToken *string `json:"previous_page_token"`
}

// nextPagination is the pagination block of a list that pages forward
// only: the next page after the page's last item (its cursor bound to
// key), when more follow; the previous page is always null.
func (s *Server) nextPagination(r *http.Request, q url.Values, key string, n int, more bool, last func() string) calendlyPagination {
	p := calendlyPagination{Count: n}
	if !more || n == 0 {
		return p
	}
	tok := s.encodeCursor(cursor{Before: last(), HostID: key})
	next := url.Values{}
	for k, vs := range q {
		next[k] = vs
	}
	next.Set("page_token", tok)
	page := s.PublicURL + r.URL.Path + "?" + next.Encode()
	p.NextPage, p.NextPageToken = &page, &tok
	return p
}
