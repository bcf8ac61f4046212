package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo/api/apitest"
)

// scheduledEvent is a scheduled event as the API renders it.
type scheduledEvent struct {
	URI       string `json:"uri"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
	EventType *string
	Location  struct {
		Type    string `json:"type"`
		JoinURL string `json:"join_url"`
	} `json:"location"`
	InviteesCounter  struct{ Total, Active, Limit int } `json:"invitees_counter"`
	EventMemberships []struct {
		User      string `json:"user"`
		UserEmail string `json:"user_email"`
		UserName  string `json:"user_name"`
	} `json:"event_memberships"`
	Cancellation *cancellationOut `json:"cancellation"`
}

type cancellationOut struct {
	CanceledBy   string `json:"canceled_by"`
	Reason       string `json:"reason"`
	CancelerType string `json:"canceler_type"`
}

type inviteeOut struct {
	URI           string           `json:"uri"`
	Email         string           `json:"email"`
	Name          string           `json:"name"`
	Status        string           `json:"status"`
	Timezone      string           `json:"timezone"`
	Event         string           `json:"event"`
	CancelURL     string           `json:"cancel_url"`
	RescheduleURL string           `json:"reschedule_url"`
	Rescheduled   bool             `json:"rescheduled"`
	OldInvitee    *string          `json:"old_invitee"`
	NewInvitee    *string          `json:"new_invitee"`
	Tracking      trackingOut      `json:"tracking"`
	Cancellation  *cancellationOut `json:"cancellation"`
	Payment       *struct {
		Rate          string  `json:"rate"`
		Currency      string  `json:"currency"`
		WindowMinutes int     `json:"window_minutes"`
		BilledMinutes *int64  `json:"billed_minutes"`
		Total         *string `json:"total"`
	} `json:"payment"`
}

type calendlyPage struct {
	Count             int     `json:"count"`
	NextPage          *string `json:"next_page"`
	PreviousPage      *string `json:"previous_page"`
	NextPageToken     *string `json:"next_page_token"`
	PreviousPageToken *string `json:"previous_page_token"`
}

type eventList struct {
	Collection []scheduledEvent `json:"collection"`
	Pagination calendlyPage     `json:"pagination"`
}

func userURI(id string) string { return apitest.PublicURL + "/v1/users/" + id }

// path turns a URI the API gave into the path to GET it here: URIs are
// the public URL's, the test server is elsewhere.
func path(t *testing.T, uri string) string {
	t.Helper()
	p, ok := strings.CutPrefix(uri, apitest.PublicURL)
	if !ok {
		t.Fatalf("uri %q is not under the public URL %s", uri, apitest.PublicURL)
	}
	return p
}

func getEvents(t *testing.T, e *apitest.Env, tok string, q url.Values) eventList {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/scheduled_events?" + q.Encode(), Token: tok})
	resp.WantStatus(t, http.StatusOK)
	var out eventList
	resp.Decode(t, &out)
	return out
}

func eventURIs(l eventList) []string {
	out := make([]string, len(l.Collection))
	for i, ev := range l.Collection {
		out[i] = ev.URI
	}
	return out
}

// eventsFixture is a host with five 30-minute bookings by one guest, an
// hour apart from at; the third is canceled by the guest.
type eventsFixture struct {
	host, guest, stranger session
	at                    time.Time
	ids                   []string
}

func newEventsFixture(t *testing.T, e *apitest.Env) eventsFixture {
	t.Helper()
	f := eventsFixture{host: paidHost(t, e, "janecoach"), guest: signupNamed(t, e, "alex", "client", "Alex Guest"),
		stranger: mustSignup(t, e, "sam", "client")}
	a := allDay()
	a["max_upcoming_bookings_per_guest"] = 10
	putAvailability(t, e, f.host.AccessToken, a).WantStatus(t, http.StatusOK)
	f.at = e.Clock.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour)
	// Booked out of order, so the list's order is the start's, not the
	// booking's.
	for _, h := range []int{3, 0, 4, 1, 2} {
		f.ids = append(f.ids, bookedAt(t, e, f.guest.AccessToken, "janecoach", f.at.Add(time.Duration(h)*time.Hour), 30))
	}
	f.ids = []string{f.ids[1], f.ids[3], f.ids[4], f.ids[0], f.ids[2]} // by start
	e.Do(apitest.Req{Method: "PUT", Path: "/v1/schedule/" + f.ids[2] + "/cancel", Token: f.guest.AccessToken,
		Body: map[string]string{"reason": "Something came up"}}).WantStatus(t, http.StatusNoContent)
	return f
}

func (f eventsFixture) uris(idx ...int) []string {
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = apitest.PublicURL + "/v1/scheduled_events/" + f.ids[n]
	}
	return out
}

func TestScheduledEventsFiltersAndSort(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		f := newEventsFixture(t, e)
		host := userURI(f.host.User.ID)
		rfc := func(d time.Duration) string { return f.at.Add(d).Format(time.RFC3339) }
		for _, tc := range []struct {
			name string
			tok  string
			q    url.Values
			want []int
		}{
			{"the host's, earliest first", f.host.AccessToken, url.Values{"user": {host}}, []int{0, 1, 2, 3, 4}},
			{"by bare id", f.host.AccessToken, url.Values{"user": {f.host.User.ID}}, []int{0, 1, 2, 3, 4}},
			{"latest first", f.host.AccessToken, url.Values{"user": {host}, "sort": {"start_time:desc"}}, []int{4, 3, 2, 1, 0}},
			{"active", f.host.AccessToken, url.Values{"user": {host}, "status": {"active"}}, []int{0, 1, 3, 4}},
			{"canceled", f.host.AccessToken, url.Values{"user": {host}, "status": {"canceled"}}, []int{2}},
			{"min inclusive, max exclusive", f.host.AccessToken,
				url.Values{"user": {host}, "min_start_time": {rfc(time.Hour)}, "max_start_time": {rfc(3 * time.Hour)}}, []int{1, 2}},
			{"min alone", f.host.AccessToken, url.Values{"user": {host}, "min_start_time": {rfc(3*time.Hour - time.Second)}}, []int{3, 4}},
			{"the guest's own (as guest)", f.guest.AccessToken, url.Values{"user": {userURI(f.guest.User.ID)}}, []int{0, 1, 2, 3, 4}},
			{"a stranger's own", f.stranger.AccessToken, url.Values{"user": {userURI(f.stranger.User.ID)}}, []int{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := getEvents(t, e, tc.tok, tc.q)
				if diff := cmp.Diff(f.uris(tc.want...), eventURIs(got)); diff != "" {
					t.Errorf("events (-want +got):\n%s", diff)
				}
				if got.Pagination.Count != len(tc.want) || got.Pagination.NextPage != nil || got.Pagination.PreviousPage != nil {
					t.Errorf("pagination = %+v, want count %d and no other pages", got.Pagination, len(tc.want))
				}
			})
		}
	})
}

func TestScheduledEventsBadParameters(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		f := newEventsFixture(t, e)
		host := userURI(f.host.User.ID)
		other := getEvents(t, e, f.host.AccessToken, url.Values{"user": {host}, "count": {"1"}, "status": {"active"}})
		for _, tc := range []struct {
			query, field string
		}{
			{"", "user"},
			{"user=" + url.QueryEscape(host) + "&status=confirmed", "status"},
			{"user=" + url.QueryEscape(host) + "&min_start_time=yesterday", "min_start_time"},
			{"user=" + url.QueryEscape(host) + "&max_start_time=2026-13-01T00:00:00Z", "max_start_time"},
			{"user=" + url.QueryEscape(host) + "&min_start_time=2026-03-02T00:00:00Z&max_start_time=2026-03-01T00:00:00Z", "max_start_time"},
			{"user=" + url.QueryEscape(host) + "&sort=created_at:asc", "sort"},
			{"user=" + url.QueryEscape(host) + "&count=0", "count"},
			{"user=" + url.QueryEscape(host) + "&count=101", "count"},
			{"user=" + url.QueryEscape(host) + "&count=ten", "count"},
			{"user=" + url.QueryEscape(host) + "&page_token=forged", "page_token"},
			{"user=" + url.QueryEscape(host) + "&page_token=" + *other.Pagination.NextPageToken, "page_token"}, // status differs
			{"user=" + url.QueryEscape(host+"x"), "user"},
			{"user=janecoach", "user"},
			{"organization=acme", "organization"},
		} {
			eb := e.Do(apitest.Req{Method: "GET", Path: "/v1/scheduled_events?" + tc.query, Token: f.host.AccessToken}).
				WantError(t, http.StatusBadRequest, "validation_error")
			if len(eb.Error.Details) != 1 || eb.Error.Details[0].Field != tc.field {
				t.Errorf("%s: details %+v, want %s named", tc.query, eb.Error.Details, tc.field)
			}
		}
		// Others' events: forbidden, whether or not the user exists.
		for _, q := range []string{"user=" + url.QueryEscape(host), "user=01JN2X6M0P5H9SRBTXY8ZDKEFG",
			"organization=" + url.QueryEscape(apitest.PublicURL+"/v1/organizations/01JN2X6M0P5H9SRBTXY8ZDKEFG")} {
			e.Do(apitest.Req{Method: "GET", Path: "/v1/scheduled_events?" + q, Token: f.stranger.AccessToken}).
				WantError(t, http.StatusForbidden, "forbidden")
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/scheduled_events?user=" + url.QueryEscape(host)}).
			WantError(t, http.StatusUnauthorized, "unauthorized")
	})
}

// TestScheduledEventsPagination walks every page forward by next_page and
// back by previous_page_token, in both sorts, while a booking made
// between pages neither repeats nor shifts a row.
func TestScheduledEventsPagination(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		f := newEventsFixture(t, e)
		host := userURI(f.host.User.ID)
		for _, tc := range []struct {
			sort string
			want []int
		}{{"start_time:asc", []int{0, 1, 2, 3, 4}}, {"start_time:desc", []int{4, 3, 2, 1, 0}}} {
			first := getEvents(t, e, f.host.AccessToken, url.Values{"user": {host}, "count": {"2"}, "sort": {tc.sort}})
			if first.Pagination.PreviousPage != nil || first.Pagination.PreviousPageToken != nil {
				t.Errorf("%s: the first page has a previous page: %+v", tc.sort, first.Pagination)
			}
			pages := []eventList{first}
			for p := first; p.Pagination.NextPage != nil; {
				if len(pages) > 5 {
					t.Fatalf("%s: more pages than rows", tc.sort)
				}
				u := *p.Pagination.NextPage
				if !strings.Contains(u, "page_token="+url.QueryEscape(*p.Pagination.NextPageToken)) {
					t.Errorf("next_page %q lacks its token", u)
				}
				resp := e.Do(apitest.Req{Method: "GET", Path: path(t, u), Token: f.host.AccessToken})
				resp.WantStatus(t, http.StatusOK)
				p = eventList{}
				resp.Decode(t, &p)
				pages = append(pages, p)
			}
			var got []string
			var counts []int
			for _, p := range pages {
				got, counts = append(got, eventURIs(p)...), append(counts, p.Pagination.Count)
			}
			if diff := cmp.Diff(f.uris(tc.want...), got); diff != "" {
				t.Errorf("%s: every page in order (-want +got):\n%s", tc.sort, diff)
			}
			if !slices.Equal(counts, []int{2, 2, 1}) {
				t.Errorf("%s: page counts %v, want [2 2 1]", tc.sort, counts)
			}
			// Back from the last page, page by page, to the first.
			back := pages[len(pages)-1]
			for i := len(pages) - 2; i >= 0; i-- {
				if back.Pagination.PreviousPageToken == nil {
					t.Fatalf("%s: page %d has no previous page", tc.sort, i+1)
				}
				back = getEvents(t, e, f.host.AccessToken, url.Values{"user": {host}, "count": {"2"}, "sort": {tc.sort},
					"page_token": {*back.Pagination.PreviousPageToken}})
				if diff := cmp.Diff(eventURIs(pages[i]), eventURIs(back)); diff != "" {
					t.Errorf("%s: page %d read backward (-want +got):\n%s", tc.sort, i, diff)
				}
				if back.Pagination.NextPageToken == nil {
					t.Errorf("%s: page %d read backward has no next page", tc.sort, i)
				}
			}
			if back.Pagination.PreviousPageToken != nil {
				t.Errorf("%s: the first page, read backward, has a previous page", tc.sort)
			}
		}

		// A booking made before the current page's key does not shift the
		// rows after it.
		first := getEvents(t, e, f.host.AccessToken, url.Values{"user": {host}, "count": {"2"}})
		bookedAt(t, e, f.guest.AccessToken, "janecoach", f.at.Add(-2*time.Hour), 30)
		second := getEvents(t, e, f.host.AccessToken, url.Values{"user": {host}, "count": {"2"},
			"page_token": {*first.Pagination.NextPageToken}})
		if diff := cmp.Diff(f.uris(2, 3), eventURIs(second)); diff != "" {
			t.Errorf("second page after an earlier booking (-want +got):\n%s", diff)
		}
		// A token is bound to its user.
		eb := e.Do(apitest.Req{Method: "GET", Token: f.guest.AccessToken, Path: "/v1/scheduled_events?user=" +
			url.QueryEscape(userURI(f.guest.User.ID)) + "&page_token=" + *first.Pagination.NextPageToken}).
			WantError(t, http.StatusBadRequest, "validation_error")
		if eb.Error.Details[0].Field != "page_token" {
			t.Errorf("another user's token: %+v", eb.Error)
		}
	})
}

// TestScheduledEventURIsRoundTrip: every uri the API gives (event,
// invitee, invitee.event) is the route that returns that resource, to
// its host and guest; to anyone else it does not exist.
func TestScheduledEventURIsRoundTrip(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		f := newEventsFixture(t, e)
		list := getEvents(t, e, f.host.AccessToken, url.Values{"user": {userURI(f.host.User.ID)}})
		for _, ev := range list.Collection {
			for _, tok := range []string{f.host.AccessToken, f.guest.AccessToken} {
				var one struct {
					Resource scheduledEvent `json:"resource"`
				}
				resp := e.Do(apitest.Req{Method: "GET", Path: path(t, ev.URI), Token: tok})
				resp.WantStatus(t, http.StatusOK)
				resp.Decode(t, &one)
				if diff := cmp.Diff(ev, one.Resource); diff != "" {
					t.Errorf("GET %s (-list +resource):\n%s", ev.URI, diff)
				}
				var invs struct {
					Collection []inviteeOut `json:"collection"`
					Pagination calendlyPage `json:"pagination"`
				}
				resp = e.Do(apitest.Req{Method: "GET", Path: path(t, ev.URI) + "/invitees", Token: tok})
				resp.WantStatus(t, http.StatusOK)
				resp.Decode(t, &invs)
				if len(invs.Collection) != 1 || invs.Pagination.Count != 1 || invs.Pagination.NextPage != nil {
					t.Fatalf("invitees of %s = %+v", ev.URI, invs)
				}
				inv := invs.Collection[0]
				if inv.Event != ev.URI || inv.Email != "alex@example.com" || inv.Name != "Alex Guest" || inv.Status != ev.Status {
					t.Errorf("invitee %+v of event %+v", inv, ev)
				}
				var got struct {
					Resource inviteeOut `json:"resource"`
				}
				resp = e.Do(apitest.Req{Method: "GET", Path: path(t, inv.URI), Token: tok})
				resp.WantStatus(t, http.StatusOK)
				resp.Decode(t, &got)
				if diff := cmp.Diff(inv, got.Resource); diff != "" {
					t.Errorf("GET %s (-list +resource):\n%s", inv.URI, diff)
				}
			}
			if ev.Location.JoinURL != apitest.PublicURL+"/join/"+ev.URI[strings.LastIndex(ev.URI, "/")+1:] ||
				len(ev.EventMemberships) != 1 || ev.EventMemberships[0].User != userURI(f.host.User.ID) ||
				ev.EventMemberships[0].UserName != "Jane Smith" || ev.InviteesCounter.Total != 1 {
				t.Errorf("event %+v", ev)
			}
			// Strangers are told nothing exists.
			for _, p := range []string{path(t, ev.URI), path(t, ev.URI) + "/invitees",
				path(t, ev.URI) + "/invitees/" + ev.URI[strings.LastIndex(ev.URI, "/")+1:]} {
				e.Do(apitest.Req{Method: "GET", Path: p, Token: f.stranger.AccessToken}).WantError(t, http.StatusNotFound, "not_found")
			}
		}
		ev := "/v1/scheduled_events/" + f.ids[0]
		for _, p := range []string{"/v1/scheduled_events/01JN2X6M0P5H9SRBTXY8ZDKEFG", "/v1/scheduled_events/nope",
			"/v1/scheduled_events/01JN2X6M0P5H9SRBTXY8ZDKEFG/invitees", ev + "/invitees/" + f.ids[1], ev + "/invitees/nope"} {
			e.Do(apitest.Req{Method: "GET", Path: p, Token: f.host.AccessToken}).WantError(t, http.StatusNotFound, "not_found")
		}

		// The invitee list's filters.
		count := func(q string) int {
			var out struct {
				Collection []inviteeOut `json:"collection"`
			}
			resp := e.Do(apitest.Req{Method: "GET", Path: ev + "/invitees?" + q, Token: f.host.AccessToken})
			resp.WantStatus(t, http.StatusOK)
			resp.Decode(t, &out)
			return len(out.Collection)
		}
		for q, want := range map[string]int{"status=active": 1, "status=canceled": 0, "email=ALEX%40example.com": 1,
			"email=sam%40example.com": 0, "sort=created_at:desc&count=5": 1} {
			if got := count(q); got != want {
				t.Errorf("invitees?%s: %d, want %d", q, got, want)
			}
		}
		for q, field := range map[string]string{"status=gone": "status", "email=alex": "email", "sort=start_time:asc": "sort",
			"count=0": "count", "page_token=x": "page_token"} {
			eb := e.Do(apitest.Req{Method: "GET", Path: ev + "/invitees?" + q, Token: f.host.AccessToken}).
				WantError(t, http.StatusBadRequest, "validation_error")
			if len(eb.Error.Details) != 1 || eb.Error.Details[0].Field != field {
				t.Errorf("invitees?%s: %+v, want %s named", q, eb.Error.Details, field)
			}
		}
	})
}

func getInvitee(t *testing.T, e *apitest.Env, tok, id string) inviteeOut {
	t.Helper()
	var out struct {
		Resource inviteeOut `json:"resource"`
	}
	resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/scheduled_events/" + id + "/invitees/" + id, Token: tok})
	resp.WantStatus(t, http.StatusOK)
	resp.Decode(t, &out)
	return out.Resource
}

func inviteeURI(id string) string {
	return apitest.PublicURL + "/v1/scheduled_events/" + id + "/invitees/" + id
}

// TestScheduledEventRescheduleAndCancellation: a reschedule cancels the
// old booking as rescheduled, linked both ways to the new one; a
// cancellation says who (by name, host or invitee) and why.
func TestScheduledEventRescheduleAndCancellation(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := signupNamed(t, e, "alex", "client", "Alex Guest")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		at := e.Clock.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour)
		resp := bookBody(e, guest.AccessToken, map[string]any{"host_username": "janecoach",
			"scheduled_at": at.Format(time.RFC3339), "duration_minutes": 30,
			"tracking": map[string]any{"utm_source": "newsletter", "utm_campaign": "spring"}})
		resp.WantStatus(t, http.StatusCreated)
		var b bookingResp
		resp.Decode(t, &b)
		oldID := b.ScheduledCall.ID

		resp = e.Do(apitest.Req{Method: "POST", Path: "/v1/schedule/" + oldID + "/reschedule", Token: host.AccessToken,
			Body: map[string]any{"scheduled_at": at.Add(2 * time.Hour).Format(time.RFC3339), "duration_minutes": 30}})
		resp.WantStatus(t, http.StatusCreated)
		resp.Decode(t, &b)
		newID := b.ScheduledCall.ID

		old, next := getInvitee(t, e, guest.AccessToken, oldID), getInvitee(t, e, host.AccessToken, newID)
		if old.Status != "canceled" || !old.Rescheduled || old.NewInvitee == nil || *old.NewInvitee != inviteeURI(newID) ||
			old.OldInvitee != nil {
			t.Errorf("old invitee = %+v, want canceled, rescheduled, new_invitee %s", old, inviteeURI(newID))
		}
		if diff := cmp.Diff(&cancellationOut{CanceledBy: "Jane Smith", CancelerType: "host"}, old.Cancellation); diff != "" {
			t.Errorf("old invitee's cancellation (-want +got):\n%s", diff)
		}
		if next.Status != "active" || next.Rescheduled || next.OldInvitee == nil || *next.OldInvitee != inviteeURI(oldID) ||
			next.NewInvitee != nil || next.Cancellation != nil {
			t.Errorf("new invitee = %+v, want active with old_invitee %s", next, inviteeURI(oldID))
		}
		// The old invitee's links round-trip.
		if got := getInvitee(t, e, guest.AccessToken, newID); *old.NewInvitee != got.URI || *got.OldInvitee != old.URI {
			t.Errorf("links %s ↔ %s", *old.NewInvitee, got.URI)
		}
		wantTracking := trackingOut{UTMSource: strp("newsletter"), UTMCampaign: strp("spring")}
		for _, inv := range []inviteeOut{old, next} {
			if diff := cmp.Diff(wantTracking, inv.Tracking); diff != "" {
				t.Errorf("%s tracking (-want +got):\n%s", inv.URI, diff)
			}
			if inv.RescheduleURL != apitest.PublicURL+"/bookings/"+inv.URI[strings.LastIndex(inv.URI, "/")+1:]+"/reschedule" {
				t.Errorf("reschedule_url %q", inv.RescheduleURL)
			}
		}

		// The guest cancels the new booking, with a reason.
		e.Do(apitest.Req{Method: "PUT", Path: "/v1/schedule/" + newID + "/cancel", Token: guest.AccessToken,
			Body: map[string]string{"reason": "Something came up"}}).WantStatus(t, http.StatusNoContent)
		next = getInvitee(t, e, host.AccessToken, newID)
		want := &cancellationOut{CanceledBy: "Alex Guest", Reason: "Something came up", CancelerType: "invitee"}
		if diff := cmp.Diff(want, next.Cancellation); diff != "" || next.Status != "canceled" || next.Rescheduled {
			t.Errorf("canceled invitee %+v; cancellation (-want +got):\n%s", next, diff)
		}
		var ev struct {
			Resource scheduledEvent `json:"resource"`
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/scheduled_events/" + newID, Token: host.AccessToken}).Decode(t, &ev)
		if diff := cmp.Diff(want, ev.Resource.Cancellation); diff != "" || ev.Resource.Status != "canceled" ||
			ev.Resource.InviteesCounter.Active != 0 {
			t.Errorf("canceled event %+v; cancellation (-want +got):\n%s", ev.Resource, diff)
		}
	})
}

// TestScheduledEventPayment: a paid booking's invitee carries the agreed
// price, and once its call has ended and settled, the minutes billed and
// the total.
func TestScheduledEventPayment(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		paidHost(t, e, "janecoach")
		guest := signupNamed(t, e, "alex", "client", "Alex Guest")
		putAvailability(t, e, login(t, e, "janecoach").AccessToken, allDay()).WantStatus(t, http.StatusOK)
		at := e.Clock.Now().UTC().Truncate(time.Hour).Add(3 * time.Hour)
		id := bookedAt(t, e, guest.AccessToken, "janecoach", at, 30)

		inv := getInvitee(t, e, guest.AccessToken, id)
		if p := inv.Payment; p == nil || p.Rate != "2.00" || p.Currency != "usd" || p.WindowMinutes != 10 ||
			p.BilledMinutes != nil || p.Total != nil {
			t.Fatalf("payment before the call = %+v", p)
		}

		e.Clock.Add(at.Sub(e.Clock.Now()) - 2*time.Minute)
		host, guest := login(t, e, "janecoach"), login(t, e, "alex")
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + id + "/join", Token: guest.AccessToken}).WantStatus(t, http.StatusCreated)
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + id + "/host-join", Token: host.AccessToken}).WantStatus(t, http.StatusCreated)
		if p := getInvitee(t, e, host.AccessToken, id).Payment; p == nil || p.BilledMinutes != nil {
			t.Errorf("payment during the call = %+v, want no totals yet", p)
		}
		e.Clock.Add(90 * time.Second)
		var out ended
		endCall(e, guest.AccessToken, id, "user_ended", "").Decode(t, &out)
		if out.Call.Status != "completed" {
			t.Fatalf("end = %+v", out.Call)
		}

		inv = getInvitee(t, e, host.AccessToken, id)
		p := inv.Payment
		if p == nil || p.BilledMinutes == nil || *p.BilledMinutes != out.Call.BilledMinutes || p.Total == nil ||
			*p.Total != out.Call.TotalCharged || *p.Total != "4.00" || p.Rate != "2.00" {
			t.Errorf("payment after the call = %+v, want %d minutes, 4.00", p, out.Call.BilledMinutes)
		}
	})
}
