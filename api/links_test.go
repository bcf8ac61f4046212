package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
)

// mustHost signs up a host whose payouts are connected and returns its
// session.
func mustHost(t *testing.T, e *apitest.Env, username string) session {
	t.Helper()
	s := mustSignup(t, e, username, "host")
	if err := e.DB.SetPayoutsConnected(t.Context(), s.User.ID, true); err != nil {
		t.Fatal(err)
	}
	return s
}

type linkObj struct {
	ID                string  `json:"id"`
	ShortCode         string  `json:"short_code"`
	URL               string  `json:"url"`
	HostID            string  `json:"host_id"`
	RatePerMinute     string  `json:"rate_per_minute"`
	WindowSizeMinutes int     `json:"window_size_minutes"`
	ExpiresAt         *string `json:"expires_at"`
	MaxUses           *int    `json:"max_uses"`
	UseCount          int     `json:"use_count"`
	Label             *string `json:"label"`
	IsActive          bool    `json:"is_active"`
	CreatedAt         string  `json:"created_at"`
	ScheduledStart    *string `json:"scheduled_start"`
	ScheduledEnd      *string `json:"scheduled_end"`
	Host              *struct {
		DisplayName string  `json:"display_name"`
		AvatarURL   *string `json:"avatar_url"`
		Username    string  `json:"username"`
	} `json:"host"`
}

func (e2 linkObj) String() string { return fmt.Sprintf("%+v", struct{ linkObj }{e2}) }

func createLink(t *testing.T, e *apitest.Env, tok string, body map[string]any) linkObj {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/links", Token: tok, Body: body})
	resp.WantStatus(t, http.StatusCreated)
	var out struct {
		Link linkObj `json:"link"`
	}
	resp.Decode(t, &out)
	return out.Link
}

func future(e *apitest.Env, d time.Duration) string {
	return e.Clock.Now().Add(d).UTC().Format(time.RFC3339)
}

// TestLinksDocExamples walks the curl examples of the /v1/links doc.
func TestLinksDocExamples(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := mustHost(t, e, "janecoach")
		expires := future(e, 7*24*time.Hour)

		// Create a single-use link.
		l := createLink(t, e, host.AccessToken, map[string]any{
			"rate_per_minute": "2.50", "window_size_minutes": 10, "max_uses": 1,
			"expires_at": expires, "label": "Session with Alex",
		})
		if l.RatePerMinute != "2.50" || l.WindowSizeMinutes != 10 || *l.MaxUses != 1 || l.UseCount != 0 ||
			*l.Label != "Session with Alex" || !l.IsActive || l.HostID != host.User.ID || *l.ExpiresAt != expires ||
			l.ScheduledStart != nil || l.ScheduledEnd != nil || len(l.ShortCode) < 8 {
			t.Errorf("created link = %v", l)
		}
		if l.URL != apitest.PublicURL+"/c/"+l.ShortCode {
			t.Errorf("url = %q", l.URL)
		}

		// List active links.
		resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/links?active=true", Token: host.AccessToken})
		resp.WantStatus(t, http.StatusOK)
		var list struct {
			Links      []linkObj `json:"links"`
			Pagination struct {
				Cursor  *string `json:"cursor"`
				HasMore bool    `json:"has_more"`
				Limit   int     `json:"limit"`
			} `json:"pagination"`
		}
		resp.Decode(t, &list)
		if len(list.Links) != 1 || list.Links[0].ID != l.ID || list.Pagination.HasMore || list.Pagination.Cursor != nil || list.Pagination.Limit != 20 {
			t.Errorf("list = %+v", list)
		}

		// Get a link (public): no token, public metadata only.
		resp = e.Do(apitest.Req{Method: "GET", Path: "/v1/links/" + l.ShortCode})
		resp.WantStatus(t, http.StatusOK)
		var pub struct {
			Link linkObj `json:"link"`
		}
		resp.Decode(t, &pub)
		if pub.Link.Host == nil || pub.Link.Host.DisplayName != "Jane Smith" || pub.Link.ID != "" || pub.Link.Label != nil ||
			pub.Link.RatePerMinute != "2.50" || pub.Link.URL != l.URL {
			t.Errorf("public link = %v", pub.Link)
		}
		if strings.Contains(string(resp.Body), "use_count") || strings.Contains(string(resp.Body), "Session with Alex") {
			t.Errorf("public view leaks owner details: %s", resp.Body)
		}
		// The owner sees full details; another host and a stale token do not.
		resp = e.Do(apitest.Req{Method: "GET", Path: "/v1/links/" + l.ShortCode, Token: host.AccessToken})
		var own struct {
			Link linkObj `json:"link"`
		}
		resp.Decode(t, &own)
		if own.Link.ID != l.ID || own.Link.Label == nil || own.Link.MaxUses == nil || own.Link.Host == nil {
			t.Errorf("owner view = %v", own.Link)
		}
		other := mustHost(t, e, "otherhost")
		for _, tok := range []string{other.AccessToken, "garbage"} {
			resp = e.Do(apitest.Req{Method: "GET", Path: "/v1/links/" + l.ShortCode, Token: tok})
			resp.WantStatus(t, http.StatusOK)
			if strings.Contains(string(resp.Body), "use_count") {
				t.Errorf("non-owner sees details: %s", resp.Body)
			}
		}

		// Delete a link: not someone else's, then the owner's.
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/links/" + l.ID, Token: other.AccessToken}).
			WantError(t, http.StatusForbidden, "forbidden")
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/links/" + l.ID, Token: host.AccessToken}).WantStatus(t, http.StatusNoContent)
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/links/" + l.ID, Token: host.AccessToken}).WantError(t, http.StatusNotFound, "not_found")
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/links/01JN2X7N1Q6I0TSCUYZ9AELGHI", Token: host.AccessToken}).WantError(t, http.StatusNotFound, "not_found")
		e.Do(apitest.Req{Method: "GET", Path: "/v1/links/" + l.ShortCode}).WantError(t, http.StatusNotFound, "not_found")

		resp = e.Do(apitest.Req{Method: "GET", Path: "/v1/links?active=false", Token: host.AccessToken})
		resp.Decode(t, &list)
		if len(list.Links) != 1 || list.Links[0].IsActive {
			t.Errorf("inactive list = %+v", list.Links)
		}
	})
}

// TestCallLinksDocExamples walks the /v1/calls/links routes of the Calls doc.
func TestCallLinksDocExamples(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := mustHost(t, e, "janecoach")
		avatar := "https://cdn.vidivo.app/avatars/01JN2X4K.jpg"
		e.Do(apitest.Req{Method: "PATCH", Path: "/v1/users/me", Token: host.AccessToken, Body: map[string]any{"avatar_url": avatar}}).
			WantStatus(t, http.StatusOK)

		resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/links", Token: host.AccessToken, Body: map[string]any{
			"rate_per_minute": "2.50", "window_size_minutes": 10, "max_uses": 1, "label": "Session with Alex",
		}})
		resp.WantStatus(t, http.StatusCreated)
		var l linkObj
		resp.Decode(t, &l)
		if l.ID == "" || l.HostID != host.User.ID || l.RatePerMinute != "2.50" || l.ExpiresAt != nil || !l.IsActive {
			t.Errorf("created = %v", l)
		}
		if strings.Contains(string(resp.Body), `"link"`) || strings.Contains(string(resp.Body), "scheduled_start") {
			t.Errorf("calls/links answers a bare object without a window: %s", resp.Body)
		}
		// The calls/links API has no scheduled window.
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/links", Token: host.AccessToken, Body: map[string]any{
			"rate_per_minute": "2.50", "window_size_minutes": 10, "scheduled_start": future(e, time.Hour),
		}}).WantError(t, http.StatusBadRequest, "validation_error")

		resp = e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/links", Token: host.AccessToken})
		var all []linkObj
		resp.Decode(t, &all)
		if len(all) != 1 || all[0].ID != l.ID {
			t.Errorf("calls/links list = %v", all)
		}

		resp = e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/links/" + l.ShortCode + "/info"})
		resp.WantStatus(t, http.StatusOK)
		var info linkObj
		resp.Decode(t, &info)
		if info.ShortCode != l.ShortCode || info.Host == nil || info.Host.Username != "janecoach" ||
			info.Host.DisplayName != "Jane Smith" || info.Host.AvatarURL == nil || *info.Host.AvatarURL != avatar ||
			info.RatePerMinute != "2.50" || info.WindowSizeMinutes != 10 || !info.IsActive {
			t.Errorf("info = %v", info)
		}

		resp = e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/links/active/janecoach"})
		resp.WantStatus(t, http.StatusOK)
		var active linkObj
		resp.Decode(t, &active)
		if active.ShortCode != l.ShortCode {
			t.Errorf("active = %v", active)
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/links/active/nobody"}).WantError(t, http.StatusNotFound, "not_found")
		e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/links/nope/info"}).WantError(t, http.StatusNotFound, "not_found")
		e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/links/abc/other", Unrouted: true}).WantError(t, http.StatusNotFound, "not_found")

		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/calls/links/" + l.ID, Token: host.AccessToken}).WantStatus(t, http.StatusNoContent)
		e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/links/" + l.ShortCode + "/info"}).WantError(t, http.StatusNotFound, "not_found")
		e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/links/active/janecoach"}).WantError(t, http.StatusNotFound, "not_found")
	})
}

func TestLinkCreateErrors(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		body := map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10}
		client := mustSignup(t, e, "alex", "client")
		unpaid := mustSignup(t, e, "newhost", "host")
		for _, path := range []string{"/v1/links", "/v1/calls/links"} {
			e.Do(apitest.Req{Method: "POST", Path: path, Token: client.AccessToken, Body: body}).WantError(t, http.StatusForbidden, "forbidden")
			e.Do(apitest.Req{Method: "POST", Path: path, Token: unpaid.AccessToken, Body: body}).
				WantError(t, http.StatusPaymentRequired, "stripe_not_connected")
			e.Do(apitest.Req{Method: "POST", Path: path, Body: body}).WantError(t, http.StatusUnauthorized, "unauthorized")
			e.Do(apitest.Req{Method: "GET", Path: path, Token: client.AccessToken}).WantError(t, http.StatusForbidden, "forbidden")
		}
	})
}

func TestLinkValidation(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	host := mustHost(t, e, "janecoach")
	with := func(k string, v any) map[string]any {
		b := map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10}
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"rate missing", with("rate_per_minute", nil), "rate_per_minute"},
		{"rate below min", with("rate_per_minute", "0.49"), "rate_per_minute"},
		{"rate above max", with("rate_per_minute", "1000.00"), "rate_per_minute"},
		{"rate three decimals", with("rate_per_minute", "2.505"), "rate_per_minute"},
		{"rate exponent", with("rate_per_minute", "1e2"), "rate_per_minute"},
		{"rate negative", with("rate_per_minute", "-1"), "rate_per_minute"},
		{"rate padded", with("rate_per_minute", " 2"), "rate_per_minute"},
		{"rate as number", with("rate_per_minute", 2.5), "rate_per_minute"},
		{"window missing", with("window_size_minutes", nil), "window_size_minutes"},
		{"window zero", with("window_size_minutes", 0), "window_size_minutes"},
		{"window 61", with("window_size_minutes", 61), "window_size_minutes"},
		{"window fractional", with("window_size_minutes", 10.5), "window_size_minutes"},
		{"window as string", with("window_size_minutes", "10"), "window_size_minutes"},
		{"expires in the past", with("expires_at", "2020-01-01T00:00:00Z"), "expires_at"},
		{"expires not a time", with("expires_at", "tomorrow"), "expires_at"},
		{"max uses zero", with("max_uses", 0), "max_uses"},
		{"max uses negative", with("max_uses", -3), "max_uses"},
		{"max uses as string", with("max_uses", "1"), "max_uses"},
		{"huge label", with("label", strings.Repeat("x", 121)), "label"},
		{"label as number", with("label", 5), "label"},
		{"end before start", with("scheduled_end", "2030-01-01T00:00:00Z"), "scheduled_end"},
		{"unknown field", with("price", "2.50"), "price"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if tc.name == "end before start" {
				body["scheduled_start"] = "2030-01-02T00:00:00Z"
			}
			eb := e.Do(apitest.Req{Method: "POST", Path: "/v1/links", Token: host.AccessToken, Body: body}).
				WantError(t, http.StatusBadRequest, "validation_error")
			if len(eb.Error.Details) == 0 || eb.Error.Details[0].Field != tc.field {
				t.Errorf("details = %+v, want %q", eb.Error.Details, tc.field)
			}
		})
	}
	// Boundaries are accepted; a 120-character label too.
	createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "0.50", "window_size_minutes": 1, "label": strings.Repeat("é", 120)})
	createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "999.99", "window_size_minutes": 60, "max_uses": nil, "expires_at": nil})
}

func TestLinkListPagination(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := mustHost(t, e, "janecoach")
		var want []string
		for i := range 7 {
			e.Clock.Add(time.Millisecond)
			l := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10, "label": fmt.Sprint(i)})
			want = append([]string{l.ID}, want...)
		}
		type page struct {
			Links      []linkObj `json:"links"`
			Pagination struct {
				Cursor  *string `json:"cursor"`
				HasMore bool    `json:"has_more"`
				Limit   int     `json:"limit"`
			} `json:"pagination"`
		}
		var got []string
		path := "/v1/links?limit=3"
		var firstCursor string
		for pages := 0; ; pages++ {
			var p page
			e.Do(apitest.Req{Method: "GET", Path: path, Token: host.AccessToken}).Decode(t, &p)
			for _, l := range p.Links {
				got = append(got, l.ID)
			}
			if pages == 0 {
				// A link created mid-listing does not shift later pages.
				createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10})
			}
			if !p.Pagination.HasMore {
				if p.Pagination.Cursor != nil {
					t.Error("last page has a cursor")
				}
				break
			}
			if firstCursor == "" {
				firstCursor = *p.Pagination.Cursor
			}
			path = "/v1/links?limit=3&cursor=" + url.QueryEscape(*p.Pagination.Cursor)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("paged ids\n got %v\nwant %v", got, want)
		}

		other := mustHost(t, e, "otherhost")
		tampered := []byte(firstCursor)
		tampered[2] ^= 1
		for name, req := range map[string]apitest.Req{
			"tampered cursor":     {Path: "/v1/links?cursor=" + url.QueryEscape(string(tampered)), Token: host.AccessToken},
			"garbage cursor":      {Path: "/v1/links?cursor=eyJpZCI6IjEyMyJ9", Token: host.AccessToken},
			"other host's cursor": {Path: "/v1/links?cursor=" + url.QueryEscape(firstCursor), Token: other.AccessToken},
			"limit 0":             {Path: "/v1/links?limit=0", Token: host.AccessToken},
			"limit 101":           {Path: "/v1/links?limit=101", Token: host.AccessToken},
			"limit word":          {Path: "/v1/links?limit=ten", Token: host.AccessToken},
			"active yes":          {Path: "/v1/links?active=yes", Token: host.AccessToken},
		} {
			req.Method = "GET"
			eb := e.Do(req).WantError(t, http.StatusBadRequest, "validation_error")
			if len(eb.Error.Details) == 0 {
				t.Errorf("%s: no field named", name)
			}
		}
	})
}

func TestLinkGoneStates(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := mustHost(t, e, "janecoach")
		exhausted := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10, "max_uses": 1})
		if _, _, err := e.DB.ClaimLinkUse(t.Context(), exhausted.ID, e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		expiring := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10, "expires_at": future(e, time.Hour)})
		scheduled := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10,
			"scheduled_start": future(e, 2*time.Hour), "scheduled_end": future(e, 3*time.Hour)})

		get := func(code string) *apitest.Response {
			return e.Do(apitest.Req{Method: "GET", Path: "/v1/links/" + code})
		}
		info := func(code string) *apitest.Response {
			return e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/links/" + code + "/info"})
		}
		get(exhausted.ShortCode).WantError(t, http.StatusGone, "link_exhausted")
		info(exhausted.ShortCode).WantError(t, http.StatusGone, "link_exhausted")
		get(expiring.ShortCode).WantStatus(t, http.StatusOK)
		// Not open yet: still shown, with its window.
		resp := get(scheduled.ShortCode)
		resp.WantStatus(t, http.StatusOK)
		if !strings.Contains(string(resp.Body), *scheduled.ScheduledStart) {
			t.Errorf("scheduled link without its window: %s", resp.Body)
		}

		e.Clock.Add(90 * time.Minute)
		get(expiring.ShortCode).WantError(t, http.StatusGone, "link_expired")
		info(expiring.ShortCode).WantError(t, http.StatusGone, "link_expired")
		e.Clock.Add(2 * time.Hour)
		get(scheduled.ShortCode).WantError(t, http.StatusGone, "link_expired")
		get("doesnotexist").WantError(t, http.StatusNotFound, "not_found")
	})
}
