package jobs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calendars"
	"github.com/vidivo/vidivo/jobs"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sqldb/storetest"
	"github.com/vidivo/vidivo/webhook"
)

// TestCalendarRefreshJob runs River for real: the periodic refresh reads a
// calendar whose cache is stale, so an event added to the feed after it
// was connected becomes busy without anyone asking.
func TestCalendarRefreshJob(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			start := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Hour)
			var events atomic.Int32
			events.Store(1)
			feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var b strings.Builder
				b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n")
				for i := range int(events.Load()) {
					s := start.Add(time.Duration(i) * 2 * time.Hour)
					b.WriteString("BEGIN:VEVENT\r\nUID:e" + string(rune('a'+i)) + "\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:" +
						s.Format("20060102T150405Z") + "\r\nDTEND:" + s.Add(time.Hour).Format("20060102T150405Z") + "\r\nEND:VEVENT\r\n")
				}
				b.WriteString("END:VCALENDAR\r\n")
				_, _ = w.Write([]byte(b.String()))
			}))
			t.Cleanup(feed.Close)

			url := sqldbtest.URL(t, engine)
			pool := jobPool(t, url)
			db := sqldbtest.Open(t, url, nil)
			guard := webhook.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
			sealer, err := calendars.NewSealer([]byte("jobs test calendar key"))
			if err != nil {
				t.Fatal(err)
			}
			// The service's clock runs 10 minutes ahead after the connection,
			// so the periodic job finds the calendar stale at once.
			var ahead atomic.Bool
			now := func() time.Time {
				if ahead.Load() {
					return time.Now().Add(10 * time.Minute)
				}
				return time.Now()
			}
			svc := &calendars.Service{Store: db, Sealer: sealer, Guard: guard, HTTP: calendars.NewHTTPClient(guard), Now: now}
			host := storetest.MustCreateUser(t, db, "calhost", vidivo.RoleHost)
			if _, err := svc.Create(ctx, vidivo.Caller{Subject: host.ID, Role: vidivo.RoleHost},
				calendars.NewConnection{Kind: "ics", URL: feed.URL + "/cal.ics"}); err != nil {
				t.Fatal(err)
			}
			busy := func() int {
				b, _, err := svc.Busy(ctx, host.ID, start.Add(-time.Hour), start.Add(24*time.Hour), false)
				if err != nil {
					t.Fatal(err)
				}
				return len(b)
			}
			if n := busy(); n != 1 {
				t.Fatalf("%d busy times after connecting, want 1", n)
			}
			events.Store(2)
			ahead.Store(true)

			startRunner(t, jobs.Config{Engine: engine, Pool: pool, Calendars: svc})
			deadline := time.Now().Add(30 * time.Second)
			for busy() != 2 {
				if time.Now().After(deadline) {
					t.Fatal("the periodic refresh did not read the new event")
				}
				time.Sleep(100 * time.Millisecond)
			}
			if countJobs(t, db, pool, "calendar_write") == 0 {
				t.Error("the write-back job was never run")
			}
		})
	}
}
