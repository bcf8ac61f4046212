package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/calendar/radicaletest"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

type calendarConnJSON struct {
	ID          string  `json:"id"`
	Kind        string  `json:"kind"`
	Username    *string `json:"username"`
	HasPassword bool    `json:"has_password"`
	WhenFailing string  `json:"when_failing"`
	Calendars   []struct {
		ID                string  `json:"id"`
		Name              string  `json:"name"`
		CheckForConflicts bool    `json:"check_for_conflicts"`
		AddBookings       bool    `json:"add_bookings"`
		Status            string  `json:"status"`
		LastError         *string `json:"last_error"`
	} `json:"calendars"`
}

// calendarEvents is one week's events of a host in Berlin, on Monday
// 2026-11-02: a busy 10:00-11:00 (one slot), a transparent 12:00-13:00,
// a cancelled 14:00-15:00, and a weekly 16:00 New York meeting (22:00
// Berlin, outside the hours) moved on this day to 09:00 New York (15:00
// Berlin).
const calendarEvents = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:busy
DTSTAMP:20261001T000000Z
DTSTART;TZID=Europe/Berlin:20261102T100000
DTEND;TZID=Europe/Berlin:20261102T110000
END:VEVENT
BEGIN:VEVENT
UID:free
DTSTAMP:20261001T000000Z
DTSTART;TZID=Europe/Berlin:20261102T120000
DTEND;TZID=Europe/Berlin:20261102T130000
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:off
DTSTAMP:20261001T000000Z
DTSTART;TZID=Europe/Berlin:20261102T140000
DTEND;TZID=Europe/Berlin:20261102T150000
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:weekly
DTSTAMP:20261001T000000Z
DTSTART;TZID=America/New_York:20261019T160000
DTEND;TZID=America/New_York:20261019T170000
RRULE:FREQ=WEEKLY
END:VEVENT
BEGIN:VEVENT
UID:weekly
DTSTAMP:20261001T000000Z
RECURRENCE-ID;TZID=America/New_York:20261102T160000
DTSTART;TZID=America/New_York:20261102T090000
DTEND;TZID=America/New_York:20261102T100000
END:VEVENT
END:VCALENDAR
`

// calendarHost is a priced host in Berlin with Monday 09:00-17:00 in
// hourly slots, the clock on 2026-10-30.
func calendarHost(t *testing.T, e *apitest.Env, username string) session {
	t.Helper()
	e.Clock.Add(time.Date(2026, 10, 30, 8, 0, 0, 0, time.UTC).Sub(e.Clock.Now()))
	host := mustHost(t, e, username)
	putAvailability(t, e, host.AccessToken, map[string]any{"timezone": "Europe/Berlin", "rate_per_minute": "1.00",
		"weekly": []map[string]any{{"day": "monday", "intervals": []map[string]string{{"start": "09:00", "end": "17:00"}}}}}).
		WantStatus(t, http.StatusOK)
	return host
}

func availableStarts(t *testing.T, e *apitest.Env, username string) []string {
	var out []string
	for _, s := range getSlots(t, e, username, "2026-11-02", "2026-11-02") {
		if s.Available {
			out = append(out, s.StartTime)
		}
	}
	return strings.Split(strings.Join(out, " "), " ")
}

func TestCalendarConnectionsCalDAV(t *testing.T) {
	rad := radicaletest.Start(t)
	work := rad.MakeCalendar("work", "Work")
	rad.PutAll(work, calendarEvents)
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			e := apitest.New(t, engine, nil)
			host := calendarHost(t, e, "calhost"+engine)
			guest := mustSignup(t, e, "calguest"+engine, "client")
			if got := strings.Join(availableStarts(t, e, "calhost"+engine), " "); got != "09:00 10:00 11:00 12:00 13:00 14:00 15:00 16:00" {
				t.Fatalf("slots before connecting: %s", got)
			}

			e.Do(apitest.Req{Method: "POST", Path: "/v1/calendar_connections", Token: host.AccessToken, Body: map[string]any{
				"kind": "caldav", "url": rad.URL, "username": rad.User, "password": "wrong-password"}}).
				WantError(t, http.StatusBadRequest, "validation_error")
			e.Do(apitest.Req{Method: "POST", Path: "/v1/calendar_connections", Token: guest.AccessToken, Body: map[string]any{
				"kind": "caldav", "url": rad.URL}}).WantError(t, http.StatusForbidden, "forbidden")

			resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/calendar_connections", Token: host.AccessToken, Body: map[string]any{
				"kind": "caldav", "url": rad.URL, "username": rad.User, "password": rad.Password}})
			resp.WantStatus(t, http.StatusCreated)
			if strings.Contains(string(resp.Body), rad.Password) {
				t.Fatalf("the password is in the answer: %s", resp.Body)
			}
			var created struct{ Resource calendarConnJSON }
			resp.Decode(t, &created)
			c := created.Resource
			if c.Kind != "caldav" || !c.HasPassword || c.WhenFailing != "withhold" || len(c.Calendars) != 1 ||
				c.Calendars[0].Name != "Work" || c.Calendars[0].Status != "ok" || !c.Calendars[0].CheckForConflicts {
				t.Fatalf("connection %+v", c)
			}

			// 10:00 is busy, 15:00 is the moved meeting; 12:00 (transparent)
			// and 14:00 (cancelled) stay free.
			if got := strings.Join(availableStarts(t, e, "calhost"+engine), " "); got != "09:00 11:00 12:00 13:00 14:00 16:00" {
				t.Fatalf("slots with the calendar: %s", got)
			}
			var busy struct {
				Collection []struct {
					Type      string `json:"type"`
					StartTime string `json:"start_time"`
				} `json:"collection"`
			}
			e.Do(apitest.Req{Method: "GET", Path: "/v1/user_busy_times?user=calhost" + engine +
				"&start_time=2026-11-02T00:00:00Z&end_time=2026-11-03T00:00:00Z"}).Decode(t, &busy)
			if len(busy.Collection) != 2 || busy.Collection[0].Type != "external" || busy.Collection[0].StartTime != "2026-11-02T09:00:00Z" {
				t.Fatalf("busy times %+v", busy.Collection)
			}

			// A booking checks a fresh read: an event added now makes its
			// time unbookable even before the cache is refreshed.
			rad.Put(work, "late", `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:late
DTSTAMP:20261001T000000Z
DTSTART;TZID=Europe/Berlin:20261102T160000
DTEND;TZID=Europe/Berlin:20261102T170000
END:VEVENT
END:VCALENDAR
`)
			book(e, guest.AccessToken, "calhost"+engine, time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC), 60).
				WantError(t, http.StatusConflict, "conflict")
			book(e, guest.AccessToken, "calhost"+engine, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), 60).
				WantStatus(t, http.StatusCreated)
			rad.Do(http.MethodDelete, work+"late.ics", "", "")

			// Someone else's connection is not found; PATCH and DELETE.
			other := mustHost(t, e, "calother"+engine)
			e.Do(apitest.Req{Method: "GET", Path: "/v1/calendar_connections/" + c.ID, Token: other.AccessToken}).
				WantError(t, http.StatusNotFound, "not_found")
			e.Do(apitest.Req{Method: "PATCH", Path: "/v1/calendar_connections/" + c.ID, Token: host.AccessToken,
				Body: map[string]any{"when_failing": "sometimes"}}).WantError(t, http.StatusBadRequest, "validation_error")
			e.Do(apitest.Req{Method: "PATCH", Path: "/v1/calendar_connections/" + c.ID, Token: host.AccessToken,
				Body: map[string]any{"calendars": []map[string]any{{"id": "01JN2X8P3S7K1TVDWZAB0FNHJQ", "add_bookings": true}}}}).
				WantError(t, http.StatusBadRequest, "validation_error")
			resp = e.Do(apitest.Req{Method: "PATCH", Path: "/v1/calendar_connections/" + c.ID, Token: host.AccessToken,
				Body: map[string]any{"when_failing": "offer", "calendars": []map[string]any{{"id": c.Calendars[0].ID, "check_for_conflicts": false}}}})
			resp.WantStatus(t, http.StatusOK)
			var patched struct{ Resource calendarConnJSON }
			resp.Decode(t, &patched)
			if patched.Resource.WhenFailing != "offer" || patched.Resource.Calendars[0].CheckForConflicts {
				t.Fatalf("patched %+v", patched.Resource)
			}
			if got := strings.Join(availableStarts(t, e, "calhost"+engine), " "); got != "09:00 10:00 12:00 13:00 14:00 15:00 16:00" {
				t.Fatalf("slots with the calendar not checked (11:00 booked): %s", got)
			}
			var list struct{ Collection []calendarConnJSON }
			e.Do(apitest.Req{Method: "GET", Path: "/v1/calendar_connections", Token: host.AccessToken}).Decode(t, &list)
			if len(list.Collection) != 1 || list.Collection[0].ID != c.ID {
				t.Fatalf("list %+v", list.Collection)
			}
			e.Do(apitest.Req{Method: "DELETE", Path: "/v1/calendar_connections/" + c.ID, Token: host.AccessToken}).
				WantStatus(t, http.StatusNoContent)
			e.Do(apitest.Req{Method: "DELETE", Path: "/v1/calendar_connections/" + c.ID, Token: host.AccessToken}).
				WantError(t, http.StatusNotFound, "not_found")
		})
	}
}

// A failing feed withholds the host's slots by default, and the list
// shows why.
func TestCalendarConnectionsFailingFeed(t *testing.T) {
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		var up atomic.Bool
		up.Store(true)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !up.Load() {
				http.Error(w, "maintenance", http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte(strings.ReplaceAll(calendarEvents, "\n", "\r\n")))
		}))
		t.Cleanup(srv.Close)
		host := calendarHost(t, e, "feedhost")
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calendar_connections", Token: host.AccessToken, Body: map[string]any{
			"kind": "ics", "url": "https://10.0.0.7/cal.ics"}}).WantError(t, http.StatusBadRequest, "validation_error")
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calendar_connections", Token: host.AccessToken, Body: map[string]any{
			"kind": "ics", "url": srv.URL + "/cal.ics"}}).WantStatus(t, http.StatusCreated)
		if got := strings.Join(availableStarts(t, e, "feedhost"), " "); got != "09:00 11:00 12:00 13:00 14:00 16:00" {
			t.Fatalf("slots with the feed: %s", got)
		}
		_ = e.Server.Calendars.RefreshDue(t.Context())
		if len(getSlots(t, e, "feedhost", "2026-11-02", "2026-11-02")) != 8 {
			t.Fatal("slots missing")
		}
		up.Store(false)
		e.Clock.Add(10 * time.Minute)
		if err := e.Server.Calendars.RefreshDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		var list struct{ Collection []calendarConnJSON }
		e.Do(apitest.Req{Method: "GET", Path: "/v1/calendar_connections", Token: login(t, e, "feedhost").AccessToken}).Decode(t, &list)
		cal := list.Collection[0].Calendars[0]
		if cal.Status != "failing" || cal.LastError == nil || !strings.Contains(*cal.LastError, "HTTP 503") {
			t.Fatalf("failing feed shown as %+v", cal)
		}
		if got := strings.TrimSpace(strings.Join(availableStarts(t, e, "feedhost"), " ")); got != "" {
			t.Fatalf("slots offered while the feed fails: %s", got)
		}
	})
}

// A booking with a host whose calendar receives bookings appears there
// (join URL inside), moves on reschedule under the same UID, and
// disappears on cancel; a write that fails while the server is away is
// retried, and the booking itself never waited for it.
func TestCalendarWriteBack(t *testing.T) {
	rad := radicaletest.Start(t)
	work := rad.MakeCalendar("bookings", "Bookings")
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			e := apitest.New(t, engine, nil)
			host := calendarHost(t, e, "wbhost"+engine)
			guest := mustSignup(t, e, "wbguest"+engine, "client")
			e.Do(apitest.Req{Method: "POST", Path: "/v1/calendar_connections", Token: host.AccessToken, Body: map[string]any{
				"kind": "caldav", "url": rad.URL, "username": rad.User, "password": rad.Password, "add_bookings": true,
				"when_failing": "offer"}}).
				WantStatus(t, http.StatusCreated)
			writeBack := func() {
				t.Helper()
				if err := e.Server.Calendars.WriteBack(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			object := func(id string) (int, string) {
				return rad.Do(http.MethodGet, work+"vidivo-"+strings.ToLower(id)+".ics", "", "")
			}

			id := bookedAt(t, e, guest.AccessToken, "wbhost"+engine, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), 60)
			writeBack()
			code, ev := object(id)
			if code != http.StatusOK || !strings.Contains(ev, "DTSTART:20261102T090000Z") ||
				!strings.Contains(ev, apitest.PublicURL+"/join/"+id) || !strings.Contains(ev, "UID:booking-"+id+"@vidivo") {
				t.Fatalf("written event %d:\n%s", code, ev)
			}

			// Moved to overlap its own old time: the written event is the
			// booking itself, never a conflict with it.
			resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/schedule/" + id + "/reschedule", Token: guest.AccessToken,
				Body: map[string]any{"scheduled_at": "2026-11-02T09:30:00Z", "duration_minutes": 60}})
			resp.WantStatus(t, http.StatusCreated)
			var moved bookingResp
			resp.Decode(t, &moved)
			writeBack()
			code, ev = object(id)
			if code != http.StatusOK || !strings.Contains(ev, "DTSTART:20261102T093000Z") || !strings.Contains(ev, "UID:booking-"+id+"@vidivo") ||
				!strings.Contains(ev, "/join/"+moved.ScheduledCall.ID) {
				t.Fatalf("moved event %d:\n%s", code, ev)
			}

			e.Do(apitest.Req{Method: "PUT", Path: "/v1/schedule/" + moved.ScheduledCall.ID + "/cancel", Token: guest.AccessToken,
				Body: map[string]any{"reason": "plans changed"}}).WantStatus(t, http.StatusNoContent)
			writeBack()
			if code, ev := object(id); code != http.StatusNotFound {
				t.Fatalf("canceled booking's event: %d\n%s", code, ev)
			}

			// The server away (the host offers slots meanwhile): the
			// booking commits, the write waits.
			rad.Down()
			later := bookedAt(t, e, guest.AccessToken, "wbhost"+engine, time.Date(2026, 11, 2, 13, 0, 0, 0, time.UTC), 60)
			writeBack()
			rad.Up()
			if code, _ := object(later); code != http.StatusNotFound {
				t.Fatalf("event written while the server was away: %d", code)
			}
			writeBack()
			if code, ev := object(later); code != http.StatusOK || !strings.Contains(ev, "DTSTART:20261102T130000Z") {
				t.Fatalf("retried write: %d\n%s", code, ev)
			}
		})
	}
}

// A booking re-reads the host's calendars, but not for long: a calendar
// server that stalls past the bound refuses the booking while the
// connection withholds (409, saying the calendar could not be checked),
// and books against the busy times last read once it offers.
func TestCalendarFreshReadStalls(t *testing.T) {
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		var stall atomic.Bool
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if stall.Load() {
				select {
				case <-r.Context().Done():
				case <-release:
				}
				return
			}
			_, _ = w.Write([]byte(strings.ReplaceAll(calendarEvents, "\n", "\r\n")))
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		e.Server.Calendars.FreshWithin = 200 * time.Millisecond
		host := calendarHost(t, e, "stallhost")
		guest := mustSignup(t, e, "stallguest", "client")
		var conn struct{ Resource calendarConnJSON }
		created := e.Do(apitest.Req{Method: "POST", Path: "/v1/calendar_connections", Token: host.AccessToken, Body: map[string]any{
			"kind": "ics", "url": srv.URL + "/cal.ics"}})
		created.WantStatus(t, http.StatusCreated)
		created.Decode(t, &conn)
		stall.Store(true)

		resp := book(e, guest.AccessToken, "stallhost", time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), 60)
		resp.WantError(t, http.StatusConflict, "conflict")
		if !strings.Contains(string(resp.Body), "calendar could not be checked") {
			t.Errorf("refusal says %s", resp.Body)
		}
		e.Do(apitest.Req{Method: "PATCH", Path: "/v1/calendar_connections/" + conn.Resource.ID, Token: host.AccessToken,
			Body: map[string]any{"when_failing": "offer"}}).WantStatus(t, http.StatusOK)
		// 10:00 Berlin is busy in the cached feed: refused as busy; 09:00
		// Berlin books against the cache.
		resp = book(e, guest.AccessToken, "stallhost", time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), 60)
		resp.WantError(t, http.StatusConflict, "conflict")
		if !strings.Contains(string(resp.Body), "the host is busy") {
			t.Errorf("busy in the cache, refusal says %s", resp.Body)
		}
		book(e, guest.AccessToken, "stallhost", time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), 60).WantStatus(t, http.StatusCreated)
	})
}

// A host whose calendar password changed gives the new one by PATCH: it
// is checked against the server first (refused, nothing changes), then
// sealed and the calendar read again with it.
func TestCalendarConnectionNewPassword(t *testing.T) {
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		var accepted atomic.Value
		accepted.Store("first-password")
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "me@example.com" || p != accepted.Load().(string) {
				w.Header().Set("WWW-Authenticate", `Basic realm="cal"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			_, _ = w.Write([]byte(strings.ReplaceAll(calendarEvents, "\n", "\r\n")))
		}))
		t.Cleanup(srv.Close)
		host := calendarHost(t, e, "pwhost")
		var conn struct{ Resource calendarConnJSON }
		created := e.Do(apitest.Req{Method: "POST", Path: "/v1/calendar_connections", Token: host.AccessToken, Body: map[string]any{
			"kind": "ics", "url": srv.URL + "/cal.ics", "username": "me@example.com", "password": "first-password"}})
		created.WantStatus(t, http.StatusCreated)
		created.Decode(t, &conn)
		path := "/v1/calendar_connections/" + conn.Resource.ID

		accepted.Store("second-password")
		e.Clock.Add(10 * time.Minute)
		if err := e.Server.Calendars.RefreshDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		status := func() string {
			var got struct{ Resource calendarConnJSON }
			resp := e.Do(apitest.Req{Method: "GET", Path: path, Token: login(t, e, "pwhost").AccessToken})
			resp.WantStatus(t, http.StatusOK)
			resp.Decode(t, &got)
			return got.Resource.Calendars[0].Status
		}
		if s := status(); s != "failing" {
			t.Fatalf("after the password changed at the server: %s", s)
		}

		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"password": "wrong-password"}, "password"},
			{map[string]any{"username": "", "password": "second-password"}, "username"},
			{map[string]any{"password": strings.Repeat("p", 1025)}, "password"},
			{map[string]any{"url": srv.URL + "/other.ics"}, ""},
		} {
			eb := e.Do(apitest.Req{Method: "PATCH", Path: path, Token: host.AccessToken, Body: tc.body}).
				WantError(t, http.StatusBadRequest, "validation_error")
			if tc.field != "" && (len(eb.Error.Details) == 0 || eb.Error.Details[0].Field != tc.field) {
				t.Errorf("PATCH %v: %+v, want field %s", tc.body, eb.Error, tc.field)
			}
		}
		if s := status(); s != "failing" {
			t.Fatalf("a refused PATCH changed the connection: %s", s)
		}

		resp := e.Do(apitest.Req{Method: "PATCH", Path: path, Token: host.AccessToken,
			Body: map[string]any{"password": "second-password"}})
		resp.WantStatus(t, http.StatusOK)
		if strings.Contains(string(resp.Body), "second-password") {
			t.Fatalf("the password is in the answer: %s", resp.Body)
		}
		var patched struct{ Resource calendarConnJSON }
		resp.Decode(t, &patched)
		if c := patched.Resource; !c.HasPassword || c.Username == nil || *c.Username != "me@example.com" || c.Calendars[0].Status != "ok" {
			t.Fatalf("after the new password: %+v", c)
		}
		e.Clock.Add(10 * time.Minute)
		if err := e.Server.Calendars.RefreshDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		if s := status(); s != "ok" {
			t.Fatalf("the next refresh with the stored password: %s", s)
		}
	})
}
