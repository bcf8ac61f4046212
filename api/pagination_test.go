package api_test

import (
	"net/http"
	"testing"

	"github.com/vidivo/vidivo/api/apitest"
)

// TestPageBounds: page numbers whose row offset overflows answered 500
// ("OFFSET must not be negative") on PostgreSQL. Both page-style lists
// refuse them, naming the parameter, and serve the last allowed page.
func TestPageBounds(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		user := mustSignup(t, e, "alex", "client")
		for _, route := range []string{"/v1/calls/history", "/v1/schedule/mine"} {
			for _, tc := range []struct {
				query string
				field string // "" means 200
			}{
				{"?page=9223372036854775807&per_page=100", "page"},
				{"?page=92233720368547758&per_page=100", "page"},
				{"?page=99999999999999999999", "page"},
				{"?page=10001", "page"},
				{"?page=0", "page"},
				{"?per_page=101", "per_page"},
				{"?per_page=0", "per_page"},
				{"?page=10000&per_page=100", ""},
				{"?page=2&per_page=1", ""},
			} {
				t.Run(route+tc.query, func(t *testing.T) {
					resp := e.Do(apitest.Req{Method: "GET", Path: route + tc.query, Token: user.AccessToken})
					if tc.field == "" {
						resp.WantStatus(t, http.StatusOK)
						return
					}
					wantField(t, resp, tc.field)
				})
			}
		}
	})
}
