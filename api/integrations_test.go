package api_test

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo/api/apitest"
)

type eventType struct {
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

type eventTypeList struct {
	Collection []eventType `json:"collection"`
	Pagination struct {
		Count int `json:"count"`
	} `json:"pagination"`
}

func createEventType(e *apitest.Env, tok string, body any) *apitest.Response {
	return e.Do(apitest.Req{Method: "POST", Path: "/v1/event_types", Token: tok, Body: body})
}

// mustEventType creates an active event type and returns it.
func mustEventType(t *testing.T, e *apitest.Env, tok, slug string, minutes int) eventType {
	t.Helper()
	resp := createEventType(e, tok, map[string]any{"name": "Call " + slug, "slug": slug, "duration_minutes": minutes})
	resp.WantStatus(t, http.StatusCreated)
	var out struct {
		Resource eventType `json:"resource"`
	}
	resp.Decode(t, &out)
	return out.Resource
}

// wantField asserts a validation error whose details name field.
func wantField(t *testing.T, resp *apitest.Response, field string) {
	t.Helper()
	eb := resp.WantError(t, http.StatusBadRequest, "validation_error")
	for _, d := range eb.Error.Details {
		if d.Field == field {
			return
		}
	}
	t.Errorf("details %+v do not name %s", eb.Error.Details, field)
}

func TestEventTypes(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		other := paidHost(t, e, "otherhost")
		client := mustSignup(t, e, "alex", "client")

		resp := createEventType(e, host.AccessToken, map[string]any{"name": " 30 minute coaching ", "slug": "Coaching-30", "duration_minutes": 30})
		resp.WantStatus(t, http.StatusCreated)
		var created struct {
			Resource eventType `json:"resource"`
		}
		resp.Decode(t, &created)
		got := created.Resource
		now := e.Clock.Now().UTC().Format(time.RFC3339)
		want := eventType{ID: got.ID, URI: apitest.PublicURL + "/v1/event_types/" + got.ID, Name: "30 minute coaching",
			Slug: "coaching-30", DurationMinutes: 30, Active: true, SchedulingURL: apitest.PublicURL + "/schedule/janecoach/coaching-30",
			CreatedAt: now, UpdatedAt: now}
		if diff := cmp.Diff(want, got); diff != "" || len(got.ID) != 26 {
			t.Errorf("created event type mismatch (-want +got):\n%s", diff)
		}
		intro := mustEventType(t, e, host.AccessToken, "intro", 15)
		resp = createEventType(e, host.AccessToken, map[string]any{"name": "Old", "slug": "old", "duration_minutes": 60, "active": false})
		resp.WantStatus(t, http.StatusCreated)
		var old struct {
			Resource eventType `json:"resource"`
		}
		resp.Decode(t, &old)
		if old.Resource.Active {
			t.Errorf("created with active false: %+v", old.Resource)
		}
		// Another host may use the same slug.
		mustEventType(t, e, other.AccessToken, "intro", 20)

		t.Run("CreateErrors", func(t *testing.T) {
			eb := createEventType(e, host.AccessToken, map[string]any{"name": "Again", "slug": "INTRO", "duration_minutes": 30}).
				WantError(t, http.StatusConflict, "conflict")
			if len(eb.Error.Details) != 1 || eb.Error.Details[0].Field != "slug" {
				t.Errorf("duplicate slug details = %+v", eb.Error.Details)
			}
			for name, tc := range map[string]struct {
				body  any
				field string
			}{
				"no name":          {map[string]any{"slug": "a", "duration_minutes": 30}, "name"},
				"blank name":       {map[string]any{"name": "  ", "slug": "a", "duration_minutes": 30}, "name"},
				"long name":        {map[string]any{"name": strings.Repeat("x", 101), "slug": "a", "duration_minutes": 30}, "name"},
				"control in name":  {map[string]any{"name": "a\x00b", "slug": "a", "duration_minutes": 30}, "name"},
				"no slug":          {map[string]any{"name": "A", "duration_minutes": 30}, "slug"},
				"slug with space":  {map[string]any{"name": "A", "slug": "a b", "duration_minutes": 30}, "slug"},
				"slug with _":      {map[string]any{"name": "A", "slug": "a_b", "duration_minutes": 30}, "slug"},
				"long slug":        {map[string]any{"name": "A", "slug": strings.Repeat("a", 61), "duration_minutes": 30}, "slug"},
				"no duration":      {map[string]any{"name": "A", "slug": "a"}, "duration_minutes"},
				"too short":        {map[string]any{"name": "A", "slug": "a", "duration_minutes": 4}, "duration_minutes"},
				"too long":         {map[string]any{"name": "A", "slug": "a", "duration_minutes": 481}, "duration_minutes"},
				"duration a float": {map[string]any{"name": "A", "slug": "a", "duration_minutes": 30.5}, "duration_minutes"},
				"active a string":  {map[string]any{"name": "A", "slug": "a", "duration_minutes": 30, "active": "yes"}, "active"},
				"unknown field":    {map[string]any{"name": "A", "slug": "a", "duration_minutes": 30, "color": "red"}, "color"},
			} {
				t.Run(name, func(t *testing.T) { wantField(t, createEventType(e, host.AccessToken, tc.body), tc.field) })
			}
			createEventType(e, host.AccessToken, "not json").WantError(t, http.StatusBadRequest, "validation_error")
			createEventType(e, client.AccessToken, map[string]any{"name": "A", "slug": "a", "duration_minutes": 30}).
				WantError(t, http.StatusForbidden, "forbidden")
			createEventType(e, "", map[string]any{"name": "A", "slug": "a", "duration_minutes": 30}).
				WantError(t, http.StatusUnauthorized, "unauthorized")
		})

		list := func(t *testing.T, query, tok string) eventTypeList {
			t.Helper()
			resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/event_types" + query, Token: tok})
			resp.WantStatus(t, http.StatusOK)
			var l eventTypeList
			resp.Decode(t, &l)
			if l.Pagination.Count != len(l.Collection) {
				t.Errorf("count %d for %d event types", l.Pagination.Count, len(l.Collection))
			}
			return l
		}
		slugs := func(l eventTypeList) []string {
			out := []string{}
			for _, et := range l.Collection {
				out = append(out, et.Slug)
			}
			return out
		}
		t.Run("List", func(t *testing.T) {
			userURI := apitest.PublicURL + "/v1/users/" + host.User.ID
			for name, tc := range map[string]struct {
				query, tok string
				want       []string
			}{
				"by username":        {"?user=janecoach", "", []string{"coaching-30", "intro", "old"}},
				"by username, case":  {"?user=JaneCoach", "", []string{"coaching-30", "intro", "old"}},
				"by id":              {"?user=" + host.User.ID, "", []string{"coaching-30", "intro", "old"}},
				"by uri":             {"?user=" + url.QueryEscape(userURI), "", []string{"coaching-30", "intro", "old"}},
				"active":             {"?user=janecoach&active=true", "", []string{"coaching-30", "intro"}},
				"inactive":           {"?user=janecoach&active=false", "", []string{"old"}},
				"another host's":     {"?user=otherhost", host.AccessToken, []string{"intro"}},
				"own":                {"", host.AccessToken, []string{"coaching-30", "intro", "old"}},
				"own active":         {"?active=true", host.AccessToken, []string{"coaching-30", "intro"}},
				"a client's own":     {"", client.AccessToken, []string{}},
				"a host with none":   {"?user=" + paidHost(t, e, "newhost").User.Username, "", []string{}},
				"bad token, by user": {"?user=janecoach", "not-a-token", []string{"coaching-30", "intro", "old"}},
			} {
				if diff := cmp.Diff(tc.want, slugs(list(t, tc.query, tc.tok))); diff != "" {
					t.Errorf("%s: mismatch (-want +got):\n%s", name, diff)
				}
			}
			if got := list(t, "?user=janecoach", "").Collection[0]; got != want {
				t.Errorf("listed %+v, created %+v", got, want)
			}
			wantField(t, e.Do(apitest.Req{Method: "GET", Path: "/v1/event_types?user=janecoach&active=yes"}), "active")
			e.Do(apitest.Req{Method: "GET", Path: "/v1/event_types"}).WantError(t, http.StatusUnauthorized, "unauthorized")
			e.Do(apitest.Req{Method: "GET", Path: "/v1/event_types", Token: "not-a-token"}).WantError(t, http.StatusUnauthorized, "unauthorized")
			for _, user := range []string{"nobody", "alex", client.User.ID, "01JN2X4K8M3F7QPZRVWT6YBHCE", "https://vidivo.test/v1/users/nobody"} {
				e.Do(apitest.Req{Method: "GET", Path: "/v1/event_types?user=" + url.QueryEscape(user)}).WantError(t, http.StatusNotFound, "not_found")
			}
		})

		t.Run("Get", func(t *testing.T) {
			var res struct {
				Resource eventType `json:"resource"`
			}
			e.Do(apitest.Req{Method: "GET", Path: "/v1/event_types/" + want.ID}).Decode(t, &res)
			if res.Resource != want {
				t.Errorf("GET = %+v, want %+v", res.Resource, want)
			}
			e.Do(apitest.Req{Method: "GET", Path: "/v1/event_types/01JN2X4K8M3F7QPZRVWT6YBHCE"}).WantError(t, http.StatusNotFound, "not_found")
		})

		t.Run("Update", func(t *testing.T) {
			patch := func(id, tok string, body any) *apitest.Response {
				return e.Do(apitest.Req{Method: "PATCH", Path: "/v1/event_types/" + id, Token: tok, Body: body})
			}
			resp := patch(intro.ID, host.AccessToken, map[string]any{"name": "Quick intro", "duration_minutes": 20, "active": false})
			resp.WantStatus(t, http.StatusOK)
			var res struct {
				Resource eventType `json:"resource"`
			}
			resp.Decode(t, &res)
			wantUpd := intro
			wantUpd.Name, wantUpd.DurationMinutes, wantUpd.Active = "Quick intro", 20, false
			if diff := cmp.Diff(wantUpd, res.Resource); diff != "" {
				t.Errorf("PATCH mismatch (-want +got):\n%s", diff)
			}
			resp = patch(intro.ID, host.AccessToken, map[string]any{"active": true, "slug": "Quick"})
			resp.Decode(t, &res)
			if !res.Resource.Active || res.Resource.Slug != "quick" || !strings.HasSuffix(res.Resource.SchedulingURL, "/schedule/janecoach/quick") {
				t.Errorf("reactivated and renamed = %+v", res.Resource)
			}
			patch(intro.ID, host.AccessToken, map[string]any{}).WantStatus(t, http.StatusOK)
			patch(intro.ID, host.AccessToken, map[string]any{"slug": "coaching-30"}).WantError(t, http.StatusConflict, "conflict")
			wantField(t, patch(intro.ID, host.AccessToken, map[string]any{"duration_minutes": 500}), "duration_minutes")
			wantField(t, patch(intro.ID, host.AccessToken, map[string]any{"name": ""}), "name")
			wantField(t, patch(intro.ID, host.AccessToken, map[string]any{"slug": "no/slash"}), "slug")
			wantField(t, patch(intro.ID, host.AccessToken, map[string]any{"enabled": true}), "enabled")
			patch(intro.ID, other.AccessToken, map[string]any{"active": false}).WantError(t, http.StatusForbidden, "forbidden")
			patch(intro.ID, client.AccessToken, map[string]any{"active": false}).WantError(t, http.StatusForbidden, "forbidden")
			patch(intro.ID, "", map[string]any{"active": false}).WantError(t, http.StatusUnauthorized, "unauthorized")
			patch("01JN2X4K8M3F7QPZRVWT6YBHCE", host.AccessToken, map[string]any{"active": false}).WantError(t, http.StatusNotFound, "not_found")
		})
	})
}

func TestUserAvailabilitySchedules(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		bare := paidHost(t, e, "barehost")
		mustSignup(t, e, "alex", "client")
		week := map[string]any{
			"timezone": "Europe/Berlin",
			"weekly": []map[string]any{
				{"day": "friday", "intervals": []map[string]string{{"start": "09:00", "end": "12:00"}}},
				{"day": "monday", "intervals": []map[string]string{{"start": "13:00", "end": "24:00"}, {"start": "09:00", "end": "12:00"}}},
				{"day": "sunday", "intervals": []map[string]string{}},
			},
			"overrides": []map[string]any{
				{"date": "2026-12-31", "intervals": []map[string]string{{"start": "10:00", "end": "12:00"}}},
				{"date": "2026-12-24", "intervals": []map[string]string{}},
			},
			"rate_per_minute": "2.50",
		}
		putAvailability(t, e, host.AccessToken, week).WantStatus(t, http.StatusOK)

		type interval struct{ From, To string }
		type rule struct {
			Type      string     `json:"type"`
			Wday      string     `json:"wday"`
			Date      string     `json:"date"`
			Intervals []interval `json:"intervals"`
		}
		type sched struct {
			URI      string `json:"uri"`
			Default  bool   `json:"default"`
			Name     string `json:"name"`
			User     string `json:"user"`
			Timezone string `json:"timezone"`
			Rules    []rule `json:"rules"`
		}
		none := []interval{}
		wantFor := func(id, tz string, rules ...rule) sched {
			return sched{URI: apitest.PublicURL + "/v1/user_availability_schedules/" + id, Default: true, Name: "Working hours",
				User: apitest.PublicURL + "/v1/users/" + id, Timezone: tz, Rules: rules}
		}
		want := wantFor(host.User.ID, "Europe/Berlin",
			rule{Type: "wday", Wday: "monday", Intervals: []interval{{"09:00", "12:00"}, {"13:00", "24:00"}}},
			rule{Type: "wday", Wday: "tuesday", Intervals: none},
			rule{Type: "wday", Wday: "wednesday", Intervals: none},
			rule{Type: "wday", Wday: "thursday", Intervals: none},
			rule{Type: "wday", Wday: "friday", Intervals: []interval{{"09:00", "12:00"}}},
			rule{Type: "wday", Wday: "saturday", Intervals: none},
			rule{Type: "wday", Wday: "sunday", Intervals: none},
			rule{Type: "date", Date: "2026-12-24", Intervals: none},
			rule{Type: "date", Date: "2026-12-31", Intervals: []interval{{"10:00", "12:00"}}},
		)
		get := func(query string) []sched {
			t.Helper()
			resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/user_availability_schedules" + query})
			resp.WantStatus(t, http.StatusOK)
			var out struct {
				Collection []sched `json:"collection"`
			}
			resp.Decode(t, &out)
			return out.Collection
		}
		for _, q := range []string{"?user=janecoach", "?user=" + host.User.ID, "?user=" + url.QueryEscape(want.User)} {
			if diff := cmp.Diff([]sched{want}, get(q)); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", q, diff)
			}
		}
		var empty []rule
		for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
			empty = append(empty, rule{Type: "wday", Wday: d, Intervals: none})
		}
		if diff := cmp.Diff([]sched{wantFor(bare.User.ID, "UTC", empty...)}, get("?user=barehost")); diff != "" {
			t.Errorf("a host with no availability: mismatch (-want +got):\n%s", diff)
		}

		// The schedule's uri serves it.
		resp := e.Do(apitest.Req{Method: "GET", Path: strings.TrimPrefix(want.URI, apitest.PublicURL)})
		resp.WantStatus(t, http.StatusOK)
		var one struct {
			Resource sched `json:"resource"`
		}
		resp.Decode(t, &one)
		if diff := cmp.Diff(want, one.Resource); diff != "" {
			t.Errorf("GET by uri: mismatch (-want +got):\n%s", diff)
		}

		wantField(t, e.Do(apitest.Req{Method: "GET", Path: "/v1/user_availability_schedules"}), "user")
		for _, user := range []string{"nobody", "alex", "01JN2X4K8M3F7QPZRVWT6YBHCE"} {
			e.Do(apitest.Req{Method: "GET", Path: "/v1/user_availability_schedules?user=" + user}).WantError(t, http.StatusNotFound, "not_found")
		}
		for _, id := range []string{"janecoach", "01JN2X4K8M3F7QPZRVWT6YBHCE"} {
			e.Do(apitest.Req{Method: "GET", Path: "/v1/user_availability_schedules/" + id}).WantError(t, http.StatusNotFound, "not_found")
		}
	})
}

// rangeQuery is start_time and end_time as a query string.
func rangeQuery(start, end time.Time) string {
	return "start_time=" + url.QueryEscape(start.Format(time.RFC3339)) + "&end_time=" + url.QueryEscape(end.Format(time.RFC3339))
}

// testRangeErrors checks the documented limits of a time-range route whose
// other parameters are in base.
func testRangeErrors(t *testing.T, e *apitest.Env, base string) {
	t.Helper()
	now := e.Clock.Now()
	day := now.Add(48 * time.Hour).Truncate(time.Hour)
	for name, tc := range map[string]struct {
		query, field string
	}{
		"no start":           {"&end_time=" + day.Format(time.RFC3339), "start_time"},
		"no end":             {"&start_time=" + day.Format(time.RFC3339), "end_time"},
		"bad start":          {"&start_time=tomorrow&end_time=" + day.Format(time.RFC3339), "start_time"},
		"a date, not a time": {"&start_time=" + day.Format("2006-01-02") + "&end_time=" + day.Add(time.Hour).Format(time.RFC3339), "start_time"},
		"bad end":            {"&start_time=" + day.Format(time.RFC3339) + "&end_time=2026-13-01T00:00:00Z", "end_time"},
		"end before start":   {"&" + rangeQuery(day, day.Add(-time.Hour)), "end_time"},
		"end at start":       {"&" + rangeQuery(day, day), "end_time"},
		"over 7 days":        {"&" + rangeQuery(day, day.Add(7*24*time.Hour+time.Second)), "end_time"},
		"in the past":        {"&" + rangeQuery(now.Add(-2*time.Minute), day), "start_time"},
		"long past":          {"&" + rangeQuery(now.Add(-48*time.Hour), now.Add(-24*time.Hour)), "start_time"},
	} {
		t.Run(name, func(t *testing.T) {
			wantField(t, e.Do(apitest.Req{Method: "GET", Path: base + tc.query}), tc.field)
		})
	}
	// Exactly seven days, and a start a moment ago, are fine.
	e.Do(apitest.Req{Method: "GET", Path: base + "&" + rangeQuery(day, day.Add(7*24*time.Hour))}).WantStatus(t, http.StatusOK)
	e.Do(apitest.Req{Method: "GET", Path: base + "&" + rangeQuery(now.Add(-30*time.Second), day)}).WantStatus(t, http.StatusOK)
	e.Do(apitest.Req{Method: "GET", Path: base + "&" + rangeQuery(day.In(time.FixedZone("", 2*3600)), day.Add(time.Hour))}).WantStatus(t, http.StatusOK)
}

func TestUserBusyTimes(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		avail := allDay()
		avail["buffer_before_minutes"], avail["buffer_after_minutes"] = 10, 5
		putAvailability(t, e, host.AccessToken, avail).WantStatus(t, http.StatusOK)
		day := nextWeekday(e, time.Wednesday)
		at := day.Add(10 * time.Hour)
		var first, second bookingResp
		book(e, guest.AccessToken, "janecoach", at, 30).Decode(t, &first)
		book(e, guest.AccessToken, "janecoach", at.Add(3*time.Hour), 60).Decode(t, &second)
		book(e, guest.AccessToken, "janecoach", day.Add(48*time.Hour), 30).WantStatus(t, http.StatusCreated)

		type busy struct {
			Type              string `json:"type"`
			StartTime         string `json:"start_time"`
			EndTime           string `json:"end_time"`
			BufferedStartTime string `json:"buffered_start_time"`
			BufferedEndTime   string `json:"buffered_end_time"`
		}
		get := func(t *testing.T, user string, start, end time.Time) []busy {
			t.Helper()
			resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/user_busy_times?user=" + user + "&" + rangeQuery(start, end)})
			resp.WantStatus(t, http.StatusOK)
			if strings.Contains(string(resp.Body), guest.User.ID) || strings.Contains(string(resp.Body), "alex") {
				t.Errorf("busy times name the guest: %s", resp.Body)
			}
			var out struct {
				Collection []busy `json:"collection"`
			}
			resp.Decode(t, &out)
			return out.Collection
		}
		f := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
		b1 := busy{"vidivo", f(at), f(at.Add(30 * time.Minute)), f(at.Add(-10 * time.Minute)), f(at.Add(35 * time.Minute))}
		b2 := busy{"vidivo", f(at.Add(3 * time.Hour)), f(at.Add(4 * time.Hour)), f(at.Add(3*time.Hour - 10*time.Minute)), f(at.Add(4*time.Hour + 5*time.Minute))}
		for name, tc := range map[string]struct {
			start, end time.Time
			want       []busy
		}{
			"the day":                  {day, day.Add(24 * time.Hour), []busy{b1, b2}},
			"inside the after buffer":  {at.Add(32 * time.Minute), at.Add(time.Hour), []busy{b1}},
			"after the after buffer":   {at.Add(35 * time.Minute), at.Add(time.Hour), []busy{}},
			"inside the before buffer": {day, at.Add(-5 * time.Minute), []busy{b1}},
			"before the before buffer": {day, at.Add(-10 * time.Minute), []busy{}},
			"between them":             {at.Add(time.Hour), at.Add(2 * time.Hour), []busy{}},
		} {
			if diff := cmp.Diff(tc.want, get(t, "janecoach", tc.start, tc.end)); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", name, diff)
			}
		}
		if got := get(t, host.User.ID, day, day.Add(7*24*time.Hour)); len(got) != 3 {
			t.Errorf("the week by user id: %+v", got)
		}

		// A canceled booking is not busy.
		e.Do(apitest.Req{Method: "PUT", Path: "/v1/schedule/" + first.ScheduledCall.ID + "/cancel", Token: guest.AccessToken}).WantStatus(t, http.StatusNoContent)
		if diff := cmp.Diff([]busy{b2}, get(t, "janecoach", day, day.Add(24*time.Hour))); diff != "" {
			t.Errorf("after the cancel: mismatch (-want +got):\n%s", diff)
		}

		testRangeErrors(t, e, "/v1/user_busy_times?user=janecoach")
		wantField(t, e.Do(apitest.Req{Method: "GET", Path: "/v1/user_busy_times?" + rangeQuery(day, day.Add(time.Hour))}), "user")
		eb := e.Do(apitest.Req{Method: "GET", Path: "/v1/user_busy_times"}).WantError(t, http.StatusBadRequest, "validation_error")
		if len(eb.Error.Details) != 3 {
			t.Errorf("no parameters: details %+v, want user, start_time and end_time", eb.Error.Details)
		}
		for _, user := range []string{"nobody", "alex"} {
			e.Do(apitest.Req{Method: "GET", Path: "/v1/user_busy_times?user=" + user + "&" + rangeQuery(day, day.Add(time.Hour))}).
				WantError(t, http.StatusNotFound, "not_found")
		}
	})
}

type availableTime struct {
	Status            string `json:"status"`
	InviteesRemaining int    `json:"invitees_remaining"`
	StartTime         string `json:"start_time"`
	SchedulingURL     string `json:"scheduling_url"`
}

func availableTimes(t *testing.T, e *apitest.Env, ref string, start, end time.Time) []availableTime {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/event_type_available_times?event_type=" + url.QueryEscape(ref) + "&" + rangeQuery(start, end)})
	resp.WantStatus(t, http.StatusOK)
	var out struct {
		Collection []availableTime `json:"collection"`
	}
	resp.Decode(t, &out)
	return out.Collection
}

func startTimes(ts []availableTime) []string {
	out := []string{}
	for _, a := range ts {
		out = append(out, a.StartTime[11:16])
	}
	return out
}

func TestEventTypeAvailableTimes(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		putAvailability(t, e, host.AccessToken, seedWeek).WantStatus(t, http.StatusOK)
		short := mustEventType(t, e, host.AccessToken, "coaching-30", 30)
		hour := mustEventType(t, e, host.AccessToken, "session", 60)
		odd := mustEventType(t, e, host.AccessToken, "odd", 45)
		monday := nextWeekday(e, time.Monday)
		day := func(et eventType) []availableTime {
			return availableTimes(t, e, et.ID, monday, monday.Add(24*time.Hour))
		}

		got := day(short)
		if len(got) != 16 || got[0].StartTime != monday.Add(9*time.Hour).Format(time.RFC3339) || got[15].StartTime[11:16] != "16:30" {
			t.Fatalf("30-minute times = %v", startTimes(got))
		}
		date := monday.Format("2006-01-02")
		wantFirst := availableTime{Status: "available", InviteesRemaining: 1, StartTime: got[0].StartTime,
			SchedulingURL: apitest.PublicURL + "/schedule/janecoach/coaching-30/" + got[0].StartTime + "?month=" + date[:7] + "&date=" + date}
		if got[0] != wantFirst {
			t.Errorf("first time = %+v, want %+v", got[0], wantFirst)
		}
		if n := len(day(hour)); n != 8 {
			t.Errorf("%d 60-minute times, want 8", n)
		}
		if got := startTimes(day(odd)); len(got) != 10 || got[9] != "15:45" {
			t.Errorf("45-minute times = %v, want 10 from 09:00 to 15:45", got)
		}

		// By uri, and within a range that crosses midnight: [16:00, 10:00).
		if diff := cmp.Diff([]string{"16:00", "16:30", "09:00", "09:30"},
			startTimes(availableTimes(t, e, short.URI, monday.Add(16*time.Hour), monday.Add(34*time.Hour)))); diff != "" {
			t.Errorf("by uri, overnight: mismatch (-want +got):\n%s", diff)
		}
		// Slots that start in the range, its end excluded.
		if diff := cmp.Diff([]string{"12:00", "12:30"},
			startTimes(availableTimes(t, e, short.ID, monday.Add(12*time.Hour), monday.Add(13*time.Hour)))); diff != "" {
			t.Errorf("12:00-13:00: mismatch (-want +got):\n%s", diff)
		}

		// A 30-minute booking at 14:00 takes one 30-minute time, one hour
		// and the two 45-minute slots it overlaps.
		bookET(e, guest.AccessToken, "janecoach", monday.Add(14*time.Hour), "coaching-30", nil).WantStatus(t, http.StatusCreated)
		if got := startTimes(day(short)); len(got) != 15 || strings.Contains(strings.Join(got, ","), "14:00") {
			t.Errorf("30-minute times after booking 14:00 = %v", got)
		}
		if n := len(day(hour)); n != 7 {
			t.Errorf("%d 60-minute times after booking 14:00, want 7", n)
		}
		if n := len(day(odd)); n != 8 {
			t.Errorf("%d 45-minute times after booking 14:00, want 8", n)
		}

		// An inactive event type has no times.
		e.Do(apitest.Req{Method: "PATCH", Path: "/v1/event_types/" + hour.ID, Token: host.AccessToken, Body: map[string]any{"active": false}}).
			WantStatus(t, http.StatusOK)
		for _, ref := range []string{hour.ID, hour.URI, "01JN2X4K8M3F7QPZRVWT6YBHCE", "session", "https://vidivo.test/v1/event_types/nope"} {
			e.Do(apitest.Req{Method: "GET", Path: "/v1/event_type_available_times?event_type=" + url.QueryEscape(ref) + "&" + rangeQuery(monday, monday.Add(time.Hour))}).
				WantError(t, http.StatusNotFound, "not_found")
		}
		testRangeErrors(t, e, "/v1/event_type_available_times?event_type="+short.ID)
		wantField(t, e.Do(apitest.Req{Method: "GET", Path: "/v1/event_type_available_times?" + rangeQuery(monday, monday.Add(time.Hour))}), "event_type")
	})
}

// bookET books through an event type; minutes nil leaves the duration out.
func bookET(e *apitest.Env, tok, host string, at time.Time, eventType any, minutes any) *apitest.Response {
	body := map[string]any{"host_username": host, "scheduled_at": at.UTC().Format(time.RFC3339), "event_type": eventType}
	if minutes != nil {
		body["duration_minutes"] = minutes
	}
	return e.Do(apitest.Req{Method: "POST", Path: "/v1/schedule/book", Token: tok, Body: body})
}

func TestBookingWithEventType(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		other := paidHost(t, e, "otherhost")
		guest := mustSignup(t, e, "alex", "client")
		week := maps.Clone(seedWeek)
		week["max_upcoming_bookings_per_guest"] = 10 // one guest books four times
		putAvailability(t, e, host.AccessToken, week).WantStatus(t, http.StatusOK)
		mustEventType(t, e, host.AccessToken, "intro", 15)
		hour := mustEventType(t, e, host.AccessToken, "session", 60)
		retired := mustEventType(t, e, host.AccessToken, "retired", 30)
		e.Do(apitest.Req{Method: "PATCH", Path: "/v1/event_types/" + retired.ID, Token: host.AccessToken, Body: map[string]any{"active": false}}).
			WantStatus(t, http.StatusOK)
		foreign := mustEventType(t, e, other.AccessToken, "foreign", 30)
		monday := nextWeekday(e, time.Monday)
		day := monday.Format("2006-01-02")

		// The booking page's slots are cut at the event type's length.
		type slots struct {
			Slots []struct {
				StartTime string `json:"start_time"`
				EndTime   string `json:"end_time"`
			} `json:"slots"`
		}
		var s slots
		e.Do(apitest.Req{Method: "GET", Path: "/v1/schedule/janecoach?start_date=" + day + "&end_date=" + day + "&event_type=intro"}).Decode(t, &s)
		if len(s.Slots) != 32 || s.Slots[0].StartTime != "09:00" || s.Slots[0].EndTime != "09:15" {
			t.Errorf("intro slots = %+v", s.Slots)
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/schedule/janecoach?start_date=" + day + "&end_date=" + day + "&event_type=" + hour.ID}).Decode(t, &s)
		if len(s.Slots) != 8 || s.Slots[0].EndTime != "10:00" {
			t.Errorf("session slots by id = %+v", s.Slots)
		}
		for _, ref := range []string{"retired", "nope", foreign.ID} {
			e.Do(apitest.Req{Method: "GET", Path: "/v1/schedule/janecoach?start_date=" + day + "&end_date=" + day + "&event_type=" + ref}).
				WantError(t, http.StatusNotFound, "not_found")
		}

		// The duration comes from the event type when left out…
		var b bookingResp
		resp := bookET(e, guest.AccessToken, "janecoach", monday.Add(9*time.Hour), "intro", nil)
		resp.WantStatus(t, http.StatusCreated)
		resp.Decode(t, &b)
		if b.ScheduledCall.DurationMinutes != 15 || b.ScheduledCall.EndsAt != monday.Add(9*time.Hour+15*time.Minute).Format(time.RFC3339) {
			t.Errorf("booked intro = %+v", b.ScheduledCall)
		}
		// …may be given if it agrees, and the event type may be named by id.
		bookET(e, guest.AccessToken, "janecoach", monday.Add(10*time.Hour), hour.ID, 60).Decode(t, &b)
		if b.ScheduledCall.DurationMinutes != 60 {
			t.Errorf("booked session = %+v", b.ScheduledCall)
		}
		bookET(e, guest.AccessToken, "janecoach", monday.Add(12*time.Hour), "INTRO", nil).WantStatus(t, http.StatusCreated)

		for name, tc := range map[string]struct {
			at      time.Time
			et, min any
			field   string
		}{
			"another duration":   {monday.Add(13 * time.Hour), "intro", 30, "duration_minutes"},
			"zero duration":      {monday.Add(13 * time.Hour), "intro", 0, "duration_minutes"},
			"inactive":           {monday.Add(13 * time.Hour), "retired", nil, "event_type"},
			"empty event type":   {monday.Add(13 * time.Hour), "", nil, "event_type"},
			"runs past the end":  {monday.Add(16*time.Hour + 30*time.Minute), "session", nil, "scheduled_at"},
			"no duration at all": {monday.Add(13 * time.Hour), nil, nil, "duration_minutes"},
			"event type number":  {monday.Add(13 * time.Hour), 15, nil, "event_type"},
		} {
			t.Run(name, func(t *testing.T) {
				wantField(t, bookET(e, guest.AccessToken, "janecoach", tc.at, tc.et, tc.min), tc.field)
			})
		}
		bookET(e, guest.AccessToken, "janecoach", monday.Add(13*time.Hour), "nope", nil).WantError(t, http.StatusNotFound, "not_found")
		bookET(e, guest.AccessToken, "janecoach", monday.Add(13*time.Hour), foreign.ID, nil).WantError(t, http.StatusNotFound, "not_found")
		// The session's hour starts before the hours, or overlaps the
		// intro's quarter.
		bookET(e, guest.AccessToken, "janecoach", monday.Add(8*time.Hour+45*time.Minute), "session", nil).WantError(t, http.StatusBadRequest, "validation_error")
		bookET(e, guest.AccessToken, "janecoach", monday.Add(9*time.Hour), "session", nil).WantError(t, http.StatusConflict, "conflict")
		// Without an event type, booking works as before.
		book(e, guest.AccessToken, "janecoach", monday.Add(14*time.Hour), 30).WantStatus(t, http.StatusCreated)
	})
}
