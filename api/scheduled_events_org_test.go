package api_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
)

// joinOrganization makes user a member of org with role, through an
// invitation accepted as the invitations API accepts it.
func joinOrganization(t *testing.T, e *apitest.Env, orgID, invitedBy, userID string, role vidivo.OrgRole) {
	t.Helper()
	ctx := context.Background()
	u, err := e.DB.UserByID(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	hash := "test-invitation-" + userID
	inv := &vidivo.Invitation{OrganizationID: orgID, Email: u.Email, Role: role, TokenHash: hash, InvitedBy: invitedBy,
		ExpiresAt: e.Clock.Now().Add(vidivo.InvitationTTL)}
	if err := e.DB.CreateInvitation(ctx, inv); err != nil {
		t.Fatalf("invite %s: %v", u.Email, err)
	}
	if _, err := e.DB.AcceptInvitation(ctx, hash, u); err != nil {
		t.Fatalf("accept %s: %v", u.Email, err)
	}
}

// TestScheduledEventsOrganization: an organization's owners and admins
// read the events its members host (the list, each event, each invitee);
// members read only their own, and nobody reads an outsider's.
func TestScheduledEventsOrganization(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		ctx := context.Background()
		owner := mustSignup(t, e, "olivia", "client")
		admin := mustSignup(t, e, "adam", "client")
		jane, bob, xena := paidHost(t, e, "janecoach"), paidHost(t, e, "bobcoach"), paidHost(t, e, "xenacoach")
		guest := signupNamed(t, e, "alex", "client", "Alex Guest")
		org := &vidivo.Organization{Name: "Acme Coaching"}
		if _, err := e.DB.CreateOrganization(ctx, org, owner.User.ID); err != nil {
			t.Fatal(err)
		}
		joinOrganization(t, e, org.ID, owner.User.ID, admin.User.ID, vidivo.OrgAdmin)
		joinOrganization(t, e, org.ID, owner.User.ID, jane.User.ID, vidivo.OrgMember)
		joinOrganization(t, e, org.ID, owner.User.ID, bob.User.ID, vidivo.OrgMember)

		at := e.Clock.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour)
		byHost := map[string][]string{}
		// jane's and bob's second bookings start together: rows that tie
		// on start_time are ordered, and paged, by id.
		for i, h := range []session{jane, bob, xena, jane, bob} {
			putAvailability(t, e, h.AccessToken, allDay()).WantStatus(t, http.StatusOK)
			id := bookedAt(t, e, guest.AccessToken, h.User.Username, at.Add(time.Duration(min(i, 3))*time.Hour), 30)
			byHost[h.User.Username] = append(byHost[h.User.Username], apitest.PublicURL+"/v1/scheduled_events/"+id)
		}
		orgURI := apitest.PublicURL + "/v1/organizations/" + org.ID
		tied := []string{byHost["janecoach"][1], byHost["bobcoach"][1]}
		slices.Sort(tied) // same prefix: sorting the URIs sorts the ids
		members := []string{byHost["janecoach"][0], byHost["bobcoach"][0], tied[0], tied[1]}

		// The whole organization, walked one row a page, latest first too.
		latest := slices.Clone(members)
		slices.Reverse(latest)
		var desc []string
		q := url.Values{"organization": {orgURI}, "count": {"1"}, "sort": {"start_time:desc"}}
		for page := 0; page < 6; page++ {
			l := getEvents(t, e, owner.AccessToken, q)
			desc = append(desc, eventURIs(l)...)
			if l.Pagination.NextPageToken == nil {
				break
			}
			q.Set("page_token", *l.Pagination.NextPageToken)
		}
		if diff := cmp.Diff(latest, desc); diff != "" {
			t.Errorf("the organization latest first (-want +got):\n%s", diff)
		}
		for _, reader := range []session{owner, admin} {
			var got []string
			q := url.Values{"organization": {orgURI}, "count": {"1"}}
			for page := 0; ; page++ {
				l := getEvents(t, e, reader.AccessToken, q)
				got = append(got, eventURIs(l)...)
				if l.Pagination.NextPageToken == nil || page > 5 {
					break
				}
				q.Set("page_token", *l.Pagination.NextPageToken)
			}
			if diff := cmp.Diff(members, got); diff != "" {
				t.Errorf("%s reads the organization (-want +got):\n%s", reader.User.Username, diff)
			}
			one := getEvents(t, e, reader.AccessToken, url.Values{"organization": {org.ID}, "user": {userURI(jane.User.ID)}})
			if diff := cmp.Diff(byHost["janecoach"], eventURIs(one)); diff != "" {
				t.Errorf("%s reads one member in the organization (-want +got):\n%s", reader.User.Username, diff)
			}
			user := getEvents(t, e, reader.AccessToken, url.Values{"user": {userURI(bob.User.ID)}})
			if diff := cmp.Diff(byHost["bobcoach"], eventURIs(user)); diff != "" {
				t.Errorf("%s reads a member by user (-want +got):\n%s", reader.User.Username, diff)
			}
			outsider := getEvents(t, e, reader.AccessToken, url.Values{"organization": {org.ID}, "user": {userURI(xena.User.ID)}})
			if len(outsider.Collection) != 0 {
				t.Errorf("%s reads an outsider through the organization: %v", reader.User.Username, eventURIs(outsider))
			}
			for _, uri := range byHost["janecoach"] {
				e.Do(apitest.Req{Method: "GET", Path: path(t, uri), Token: reader.AccessToken}).WantStatus(t, http.StatusOK)
				e.Do(apitest.Req{Method: "GET", Path: path(t, uri) + "/invitees", Token: reader.AccessToken}).WantStatus(t, http.StatusOK)
			}
			e.Do(apitest.Req{Method: "GET", Path: path(t, byHost["xenacoach"][0]), Token: reader.AccessToken}).
				WantError(t, http.StatusNotFound, "not_found")
			e.Do(apitest.Req{Method: "GET", Path: "/v1/scheduled_events?user=" + url.QueryEscape(userURI(xena.User.ID)),
				Token: reader.AccessToken}).WantError(t, http.StatusForbidden, "forbidden")
		}

		// A member reads their own, not the organization's nor another
		// member's; outsiders read none of it.
		for _, tc := range []struct {
			who   session
			query string
		}{
			{jane, "organization=" + url.QueryEscape(orgURI)},
			{jane, "user=" + url.QueryEscape(userURI(bob.User.ID))},
			{xena, "organization=" + url.QueryEscape(orgURI)},
			{guest, "organization=" + org.ID},
			{xena, "user=" + url.QueryEscape(userURI(jane.User.ID))},
		} {
			e.Do(apitest.Req{Method: "GET", Path: "/v1/scheduled_events?" + tc.query, Token: tc.who.AccessToken}).
				WantError(t, http.StatusForbidden, "forbidden")
		}
		own := getEvents(t, e, jane.AccessToken, url.Values{"user": {userURI(jane.User.ID)}})
		if diff := cmp.Diff(byHost["janecoach"], eventURIs(own)); diff != "" {
			t.Errorf("a member's own (-want +got):\n%s", diff)
		}
		for _, p := range []string{path(t, byHost["bobcoach"][0]), path(t, byHost["bobcoach"][0]) + "/invitees"} {
			e.Do(apitest.Req{Method: "GET", Path: p, Token: jane.AccessToken}).WantError(t, http.StatusNotFound, "not_found")
		}
	})
}
