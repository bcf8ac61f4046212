package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/testclock"
)

// TestLimitsSharedAcrossInstances: two servers on one database, as a fleet
// behind a load balancer, count one budget per client: once one instance
// has spent it, the other refuses, with Retry-After, on the API's routes
// and on the pages' checks alike.
func TestLimitsSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			db := sqldbtest.New(t, engine)
			clock := testclock.New(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
			instance := func() *api.Server {
				s := &api.Server{Now: clock.Now, Logger: slog.New(slog.DiscardHandler),
					Limits: api.Limits{Auth: 4, Public: 3, Shared: db}}
				s.Routes()
				return s
			}
			a, b := instance(), instance()
			req := func(from string) *http.Request {
				r := httptest.NewRequest("GET", "/v1/links/abcdefgh", nil)
				r.RemoteAddr = from + ":4321"
				return r
			}
			// check runs a limit and wants it to pass, or to refuse with
			// Retry-After retry.
			check := func(what string, limit func(http.ResponseWriter, *http.Request) error, from, retry string) {
				t.Helper()
				w := httptest.NewRecorder()
				err := limit(w, req(from))
				if got := w.Header().Get("Retry-After"); (err != nil) != (retry != "") || got != retry {
					t.Errorf("%s from %s: err = %v, Retry-After %q; want Retry-After %q", what, from, err, got, retry)
				}
			}

			// Public reads: A spends the address's budget, B refuses it.
			for range 3 {
				check("public on A", a.LimitPublic, "127.0.0.2", "")
			}
			w := httptest.NewRecorder()
			b.ServeHTTP(w, req("127.0.0.2"))
			if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "20" {
				t.Errorf("link info on B: %d, Retry-After %q; want 429, 20\n%s", w.Code, w.Header().Get("Retry-After"), w.Body)
			}
			check("public on B, another address", b.LimitPublic, "127.0.0.3", "")

			// Log-in: one attempt per account and address a minute (a
			// quarter of 4); the address's own budget of 4 is shared too.
			login := func(s *api.Server, id string) func(http.ResponseWriter, *http.Request) error {
				return func(w http.ResponseWriter, r *http.Request) error { return s.LimitLogin(w, r, id) }
			}
			check("log-in on A", login(a, "jane@example.com"), "127.0.0.2", "")
			check("log-in on B, same account", login(b, " JANE@example.com"), "127.0.0.2", "60")
			check("sign-up on B", b.LimitSignup, "127.0.0.2", "")
			check("sign-up on A", a.LimitSignup, "127.0.0.2", "")
			check("sign-up on B, budget spent", b.LimitSignup, "127.0.0.2", "15")

			clock.Add(time.Minute)
			check("log-in on B a minute later", login(b, "jane@example.com"), "127.0.0.2", "")
		})
	}
}
