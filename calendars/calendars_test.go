package calendars_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calendar"
	"github.com/vidivo/vidivo/calendar/radicaletest"
	"github.com/vidivo/vidivo/calendars"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/testclock"
	"github.com/vidivo/vidivo/webhook"
)

var loopback = webhook.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

type fixture struct {
	svc   *calendars.Service
	db    *sqldb.DB
	clock *testclock.Clock
	host  vidivo.Caller
}

func newFixture(t *testing.T, engine string, g webhook.Guard) *fixture {
	t.Helper()
	ctx := context.Background()
	db := sqldbtest.New(t, engine)
	clock := testclock.New(time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC))
	db.Now = clock.Now
	u := &vidivo.User{Email: "host@example.com", Username: "hosta", DisplayName: "Host", Role: vidivo.RoleHost}
	if err := db.CreateUser(ctx, u, "x", nil); err != nil {
		t.Fatal(err)
	}
	if err := db.PutAvailability(ctx, u.ID, []byte(`{"timezone":"Europe/Berlin"}`)); err != nil {
		t.Fatal(err)
	}
	sealer, err := calendars.NewSealer([]byte("a test key of enough length"))
	if err != nil {
		t.Fatal(err)
	}
	svc := &calendars.Service{Store: db, Sealer: sealer, Guard: g, HTTP: calendars.NewHTTPClient(g), Now: clock.Now}
	return &fixture{svc: svc, db: db, clock: clock, host: vidivo.Caller{Subject: u.ID, Role: vidivo.RoleHost}}
}

func ptr[T any](v T) *T { return &v }

func vcal(events string) string {
	return "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n" + strings.TrimSpace(events) + "\nEND:VCALENDAR\n"
}

// The cases of the issue, in one calendar: a weekly meeting at 09:00 New
// York with an EXDATE after the clocks change, one instance moved, an
// all-day event (Berlin, the host's zone), a transparent and a cancelled
// event.
var radicaleEvents = map[string]string{
	"weekly": `BEGIN:VEVENT
UID:weekly
DTSTAMP:20261001T000000Z
DTSTART;TZID=America/New_York:20261019T090000
DTEND;TZID=America/New_York:20261019T100000
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6
EXDATE;TZID=America/New_York:20261109T090000
SUMMARY:Standup
END:VEVENT
BEGIN:VEVENT
UID:weekly
DTSTAMP:20261001T000000Z
RECURRENCE-ID;TZID=America/New_York:20261116T090000
DTSTART;TZID=America/New_York:20261116T110000
DTEND;TZID=America/New_York:20261116T120000
SUMMARY:Standup (moved)
END:VEVENT`,
	"allday": `BEGIN:VEVENT
UID:allday
DTSTAMP:20261001T000000Z
DTSTART;VALUE=DATE:20261103
DTEND;VALUE=DATE:20261104
SUMMARY:Dentist day
END:VEVENT`,
	"transparent": `BEGIN:VEVENT
UID:transparent
DTSTAMP:20261001T000000Z
DTSTART:20261105T100000Z
DTEND:20261105T110000Z
TRANSP:TRANSPARENT
END:VEVENT`,
	"cancelled": `BEGIN:VEVENT
UID:cancelled
DTSTAMP:20261001T000000Z
DTSTART:20261105T120000Z
DTEND:20261105T130000Z
STATUS:CANCELLED
END:VEVENT`,
}

func iv(start, end string) calendar.Interval {
	s, _ := time.Parse(time.RFC3339, start)
	e, _ := time.Parse(time.RFC3339, end)
	return calendar.Interval{Start: s, End: e}
}

var radicaleWant = []calendar.Interval{
	iv("2026-10-19T13:00:00Z", "2026-10-19T14:00:00Z"),
	iv("2026-10-26T13:00:00Z", "2026-10-26T14:00:00Z"),
	iv("2026-11-02T14:00:00Z", "2026-11-02T15:00:00Z"),
	iv("2026-11-02T23:00:00Z", "2026-11-03T23:00:00Z"),
	iv("2026-11-16T16:00:00Z", "2026-11-16T17:00:00Z"),
	iv("2026-11-23T14:00:00Z", "2026-11-23T15:00:00Z"),
}

func TestCalDAV(t *testing.T) {
	rad := radicaletest.Start(t)
	work := rad.MakeCalendar("work", "Work")
	rad.MakeCalendar("home", "Home")
	for uid, ev := range radicaleEvents {
		rad.Put(work, uid, vcal(ev))
	}
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, engine, loopback)
			from, to := iv("2026-10-18T00:00:00Z", "2026-11-30T00:00:00Z").Start, iv("2026-10-18T00:00:00Z", "2026-11-30T00:00:00Z").End

			_, err := f.svc.Create(ctx, f.host, calendars.NewConnection{Kind: "caldav", URL: rad.URL,
				Username: ptr(rad.User), Password: ptr("wrong")})
			if fe := fieldOf(err); fe != "password" {
				t.Fatalf("wrong password: %v, want a validation error naming password", err)
			}

			conn, err := f.svc.Create(ctx, f.host, calendars.NewConnection{Kind: "caldav", URL: rad.URL,
				Username: ptr(rad.User), Password: ptr(rad.Password)})
			if err != nil {
				t.Fatal(err)
			}
			if len(conn.Calendars) != 2 || conn.Calendars[0].Name != "Home" || conn.Calendars[1].Name != "Work" {
				t.Fatalf("calendars %+v, want Home and Work", conn.Calendars)
			}
			if strings.Contains(conn.PasswordSealed, rad.Password) || conn.PasswordSealed == "" {
				t.Fatalf("password stored as %q", conn.PasswordSealed)
			}
			busy, withhold, err := f.svc.Busy(ctx, f.host.Subject, from, to, false)
			if err != nil || withhold {
				c, _ := f.svc.Owned(ctx, f.host.Subject, conn.ID)
				t.Fatalf("busy: %v withhold=%v %+v %+v", err, withhold, c.Calendars[0], c.Calendars[1])
			}
			if diff := cmp.Diff(radicaleWant, busy); diff != "" {
				t.Fatalf("busy from radicale (-want +got):\n%s", diff)
			}

			// The server goes away: after the next refresh the calendar
			// shows its error, and slots are withheld by default.
			rad.Down()
			f.clock.Add(calendars.StaleAfter + time.Second)
			if err := f.svc.RefreshDue(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.Owned(ctx, f.host.Subject, conn.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range got.Calendars {
				if !c.Failing() || !strings.Contains(c.LastError, "could not be reached") {
					t.Fatalf("calendar %s while the server is down: failing=%v error %q", c.Name, c.Failing(), c.LastError)
				}
			}
			if _, withhold, _ := f.svc.Busy(ctx, f.host.Subject, from, to, false); !withhold {
				t.Fatal("slots offered while a calendar fails, by default")
			}
			// The host chooses to offer slots meanwhile: the last busy
			// times read still count.
			if _, err := f.svc.Update(ctx, f.host.Subject, conn.ID, calendars.ConnectionChange{WhenFailing: ptr("offer")}); err != nil {
				t.Fatal(err)
			}
			busy, withhold, err = f.svc.Busy(ctx, f.host.Subject, from, to, false)
			if err != nil || withhold || len(busy) != len(radicaleWant) {
				t.Fatalf("offer while failing: %d busy, withhold=%v, %v", len(busy), withhold, err)
			}

			// Back again: the next refresh clears the error.
			rad.Up()
			f.clock.Add(calendars.StaleAfter + time.Second)
			if err := f.svc.RefreshDue(ctx); err != nil {
				t.Fatal(err)
			}
			got, _ = f.svc.Owned(ctx, f.host.Subject, conn.ID)
			for _, c := range got.Calendars {
				if c.Failing() || c.LastError != "" || c.RefreshedAt == nil {
					t.Fatalf("calendar %s after the server came back: %+v", c.Name, c)
				}
			}
			// A fresh read sees an event added a minute ago.
			rad.Put(work, "new", vcal(`BEGIN:VEVENT
UID:new
DTSTAMP:20261001T000000Z
DTSTART:20261120T100000Z
DTEND:20261120T110000Z
END:VEVENT`))
			busy, _, _ = f.svc.Busy(ctx, f.host.Subject, from, to, true)
			if len(busy) != len(radicaleWant)+1 {
				t.Fatalf("fresh read: %d busy, want %d", len(busy), len(radicaleWant)+1)
			}
			t.Cleanup(func() { rad.Do(http.MethodDelete, work+"new.ics", "", "") })
			if err := f.svc.Delete(ctx, f.host.Subject, conn.ID); err != nil {
				t.Fatal(err)
			}
			if busy, _, _ := f.svc.Busy(ctx, f.host.Subject, from, to, false); len(busy) != 0 {
				t.Fatalf("busy after delete: %v", busy)
			}
		})
	}
}

func fieldOf(err error) string {
	e, ok := err.(*vidivo.Error)
	if !ok || e.Code != vidivo.EVALIDATION || len(e.Details) == 0 {
		return ""
	}
	return e.Details[0].Field
}

func TestICSFeed(t *testing.T) {
	feed := vcal(radicaleEvents["allday"] + "\n" + radicaleEvents["transparent"])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cal.ics":
			w.Header().Set("Content-Type", "text/calendar")
			_, _ = w.Write([]byte(strings.ReplaceAll(feed, "\n", "\r\n")))
		case "/page":
			_, _ = w.Write([]byte("<html>not a calendar</html>"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, engine, loopback)
			for _, tc := range []struct{ url, field, issue string }{
				{srv.URL + "/page", "url", "is not a calendar"},
				{srv.URL + "/missing.ics", "url", "is not a calendar (the server answered HTTP 404)"},
				{"http://127.0.0.1:1/cal.ics", "url", "could not be reached"},
				{"https://10.1.2.3/cal.ics", "url", "must not point to a loopback, private, link-local or reserved address"},
				{"https://169.254.169.254/latest", "url", "must not point to a loopback, private, link-local or reserved address"},
			} {
				_, err := f.svc.Create(ctx, f.host, calendars.NewConnection{Kind: "ics", URL: tc.url})
				e, ok := err.(*vidivo.Error)
				if !ok || len(e.Details) == 0 || e.Details[0].Field != tc.field || e.Details[0].Issue != tc.issue {
					t.Errorf("%s: %v, want %s %q", tc.url, err, tc.field, tc.issue)
				}
			}
			_, err := f.svc.Create(ctx, f.host, calendars.NewConnection{Kind: "ics", URL: srv.URL + "/cal.ics", AddBookings: ptr(true)})
			if fieldOf(err) != "add_bookings" {
				t.Errorf("ics with add_bookings: %v", err)
			}
			conn, err := f.svc.Create(ctx, f.host, calendars.NewConnection{Kind: "ics", URL: srv.URL + "/cal.ics"})
			if err != nil {
				t.Fatal(err)
			}
			busy, _, err := f.svc.Busy(ctx, f.host.Subject, radicaleWant[0].Start, radicaleWant[5].End, false)
			if err != nil || len(busy) != 1 || !busy[0].Start.Equal(radicaleWant[3].Start) {
				t.Fatalf("busy from the feed: %v, %v", busy, err)
			}
			if _, err := f.svc.Create(ctx, f.host, calendars.NewConnection{Kind: "ics", URL: srv.URL + "/cal.ics"}); vidivo.ErrorCode(err) != vidivo.ECONFLICT {
				t.Errorf("the same feed twice: %v", err)
			}
			if _, err := f.svc.Owned(ctx, "01JN2X8P3S7K1TVDWZAB0FNHJQ", conn.ID); vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
				t.Errorf("someone else's connection: %v", err)
			}
		})
	}
}

// A name that resolves to a private address is refused when dialed, not
// only a literal one.
func TestICSFeedGuardedAtDial(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	f := newFixture(t, "sqlite", webhook.Guard{})
	_, err := f.svc.Create(context.Background(), f.host, calendars.NewConnection{Kind: "ics", URL: "https://localhost:" + port + "/cal.ics"})
	e, ok := err.(*vidivo.Error)
	if !ok || len(e.Details) == 0 || e.Details[0].Issue != "points to a loopback, private, link-local or reserved address" {
		t.Fatalf("feed on localhost: %v", err)
	}
}

// The fresh read before a booking is bounded: a calendar server that
// stalls past the bound counts as failing (its error recorded), and the
// connection's when_failing rule decides with the busy times last read.
func TestFreshReadBounded(t *testing.T) {
	feed := vcal(radicaleEvents["allday"])
	var stall atomic.Bool
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stall.Load() {
			select { // far past the bound: only the reader's giving up ends it
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		_, _ = w.Write([]byte(strings.ReplaceAll(feed, "\n", "\r\n")))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, engine, loopback)
			f.svc.FreshWithin = 200 * time.Millisecond
			conn, err := f.svc.Create(ctx, f.host, calendars.NewConnection{Kind: "ics", URL: srv.URL + "/" + engine + ".ics"})
			if err != nil {
				t.Fatal(err)
			}
			from, to := radicaleWant[0].Start, radicaleWant[5].End
			stall.Store(true)
			defer stall.Store(false)

			busy, withhold, err := f.svc.Busy(ctx, f.host.Subject, from, to, true)
			if err != nil || !withhold {
				t.Fatalf("stalled read, withhold by default: withhold %v, err %v", withhold, err)
			}
			cals, err := f.db.HostCalendars(ctx, f.host.Subject)
			if err != nil || len(cals) != 1 || !cals[0].Failing() || cals[0].LastError != "url did not answer in time" {
				t.Fatalf("stalled calendar recorded as %+v, %v", cals, err)
			}
			if len(busy) != 1 {
				t.Errorf("cached busy times kept: %v", busy)
			}

			if _, err := f.svc.Update(ctx, f.host.Subject, conn.ID, calendars.ConnectionChange{WhenFailing: ptr("offer")}); err != nil {
				t.Fatal(err)
			}
			busy, withhold, err = f.svc.Busy(ctx, f.host.Subject, from, to, true)
			if err != nil || withhold || len(busy) != 1 || !busy[0].Start.Equal(radicaleWant[3].Start) {
				t.Fatalf("stalled read, offer: busy %v, withhold %v, err %v", busy, withhold, err)
			}
		})
	}
}
