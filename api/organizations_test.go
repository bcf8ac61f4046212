package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
)

type orgBody struct {
	ID   string `json:"id"`
	URI  string `json:"uri"`
	Name string `json:"name"`
}

type invitationBody struct {
	ID            string  `json:"id"`
	URI           string  `json:"uri"`
	Organization  string  `json:"organization"`
	Email         string  `json:"email"`
	Role          string  `json:"role"`
	Status        string  `json:"status"`
	User          *string `json:"user"`
	InvitationURL string  `json:"invitation_url"`
}

type membershipBody struct {
	ID   string `json:"id"`
	URI  string `json:"uri"`
	Role string `json:"role"`
	User struct {
		URI           string  `json:"uri"`
		Name          string  `json:"name"`
		Slug          string  `json:"slug"`
		Email         string  `json:"email"`
		SchedulingURL *string `json:"scheduling_url"`
		Timezone      string  `json:"timezone"`
	} `json:"user"`
	Organization string `json:"organization"`
}

type orgPage struct {
	Count         int     `json:"count"`
	NextPage      *string `json:"next_page"`
	NextPageToken *string `json:"next_page_token"`
}

type membershipListBody struct {
	Collection []membershipBody `json:"collection"`
	Pagination orgPage          `json:"pagination"`
}

type invitationListBody struct {
	Collection []invitationBody `json:"collection"`
	Pagination orgPage          `json:"pagination"`
}

// mustCreateOrg founds an organization as the holder of tok.
func mustCreateOrg(t *testing.T, e *apitest.Env, tok, name string) orgBody {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/organizations", Token: tok, Body: map[string]any{"name": name}})
	resp.WantStatus(t, http.StatusCreated)
	var out struct{ Resource orgBody }
	resp.Decode(t, &out)
	return out.Resource
}

// mustInvite invites email to org as role and returns the invitation and
// its token.
func mustInvite(t *testing.T, e *apitest.Env, tok, orgID, email, role string) (invitationBody, string) {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/organizations/" + orgID + "/invitations", Token: tok,
		Body: map[string]any{"email": email, "role": role}})
	resp.WantStatus(t, http.StatusCreated)
	var out struct{ Resource invitationBody }
	resp.Decode(t, &out)
	prefix := apitest.PublicURL + "/v1/organization_invitations/"
	if !strings.HasPrefix(out.Resource.InvitationURL, prefix) {
		t.Fatalf("invitation_url = %q", out.Resource.InvitationURL)
	}
	return out.Resource, strings.TrimPrefix(out.Resource.InvitationURL, prefix)
}

func accept(e *apitest.Env, tok, inviteToken string) *apitest.Response {
	return e.Do(apitest.Req{Method: "POST", Path: "/v1/organization_invitations/" + inviteToken + "/accept", Token: tok})
}

// mustJoinOrg invites the user of s to org as role (by the holder of
// ownerTok) and accepts as them.
func mustJoinOrg(t *testing.T, e *apitest.Env, ownerTok, orgID string, s session, role string) membershipBody {
	t.Helper()
	_, it := mustInvite(t, e, ownerTok, orgID, s.User.Email, role)
	resp := accept(e, s.AccessToken, it)
	resp.WantStatus(t, http.StatusCreated)
	var out struct{ Resource membershipBody }
	resp.Decode(t, &out)
	return out.Resource
}

func listMembers(e *apitest.Env, tok string, q url.Values) *apitest.Response {
	return e.Do(apitest.Req{Method: "GET", Path: "/v1/organization_memberships?" + q.Encode(), Token: tok})
}

func TestOrganizations(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		owner := mustSignup(t, e, "ownerhost", "host")
		admin := mustSignup(t, e, "adminhost", "host")
		member := mustSignup(t, e, "memberclient", "client")
		// Personal access tokens outlast the clock's jump past an
		// invitation's expiry below.
		for _, s := range []*session{&owner, &admin, &member} {
			s.AccessToken = mustCreatePAT(t, e, s.AccessToken, "test").Token
		}

		org := mustCreateOrg(t, e, owner.AccessToken, "  Acme Coaching ")
		if org.Name != "Acme Coaching" || org.URI != apitest.PublicURL+"/v1/organizations/"+org.ID {
			t.Fatalf("org = %+v", org)
		}
		if me := getMe(t, e, owner.AccessToken); me.CurrentOrganization == nil || *me.CurrentOrganization != org.URI ||
			me.SchedulingURL == nil || *me.SchedulingURL != apitest.PublicURL+"/ownerhost" {
			t.Errorf("owner's me = %+v", me)
		}
		if me := getMe(t, e, member.AccessToken); me.CurrentOrganization != nil || me.SchedulingURL != nil {
			t.Errorf("a client outside any organization: me = %+v", me)
		}
		// The uri round-trips.
		got := e.Do(apitest.Req{Method: "GET", Path: strings.TrimPrefix(org.URI, apitest.PublicURL), Token: owner.AccessToken})
		got.WantStatus(t, http.StatusOK)
		// One organization per account.
		e.Do(apitest.Req{Method: "POST", Path: "/v1/organizations", Token: owner.AccessToken, Body: map[string]any{"name": "Second"}}).
			WantError(t, http.StatusConflict, vidivo.ECONFLICT)

		inv, it := mustInvite(t, e, owner.AccessToken, org.ID, " ADMINHOST@example.com ", "admin")
		if inv.Email != "adminhost@example.com" || inv.Status != "pending" || inv.Role != "admin" || inv.User != nil ||
			inv.Organization != org.URI || len(it) < 22 {
			t.Fatalf("invitation = %+v, token %q", inv, it)
		}
		// Only the invited account accepts.
		accept(e, member.AccessToken, it).WantError(t, http.StatusForbidden, vidivo.EFORBIDDEN)
		resp := accept(e, admin.AccessToken, it)
		resp.WantStatus(t, http.StatusCreated)
		var am struct{ Resource membershipBody }
		resp.Decode(t, &am)
		if am.Resource.Role != "admin" || am.Resource.Organization != org.URI || am.Resource.User.Slug != "adminhost" ||
			am.Resource.User.URI != apitest.PublicURL+"/v1/users/"+admin.User.ID ||
			am.Resource.User.SchedulingURL == nil || *am.Resource.User.SchedulingURL != apitest.PublicURL+"/adminhost" {
			t.Fatalf("admin membership = %+v", am.Resource)
		}
		accept(e, admin.AccessToken, it).WantError(t, http.StatusConflict, vidivo.ECONFLICT) // used once

		// The admin invites the member; a client has no scheduling page.
		mm := mustJoinOrg(t, e, admin.AccessToken, org.ID, member, "member")
		if mm.Role != "member" || mm.User.SchedulingURL != nil {
			t.Errorf("member membership = %+v", mm)
		}

		t.Run("List", func(t *testing.T) {
			var all []string
			q := url.Values{"organization": {org.URI}, "count": {"2"}}
			for range 3 {
				resp := listMembers(e, owner.AccessToken, q)
				resp.WantStatus(t, http.StatusOK)
				var page membershipListBody
				resp.Decode(t, &page)
				for _, m := range page.Collection {
					all = append(all, m.User.Slug+":"+m.Role)
				}
				if page.Pagination.Count != len(page.Collection) {
					t.Errorf("count = %d for %d items", page.Pagination.Count, len(page.Collection))
				}
				if page.Pagination.NextPageToken == nil {
					break
				}
				next, err := url.Parse(*page.Pagination.NextPage)
				if err != nil || next.Query().Get("page_token") != *page.Pagination.NextPageToken {
					t.Fatalf("next_page = %q", *page.Pagination.NextPage)
				}
				q = next.Query()
			}
			want := "ownerhost:owner adminhost:admin memberclient:member"
			if strings.Join(all, " ") != want {
				t.Errorf("members = %v, want %s", all, want)
			}
			// By id too, and the admin reads them as well.
			listMembers(e, admin.AccessToken, url.Values{"organization": {org.ID}}).WantStatus(t, http.StatusOK)
			// A member reads only their own membership.
			listMembers(e, member.AccessToken, url.Values{"organization": {org.URI}}).WantError(t, http.StatusForbidden, vidivo.EFORBIDDEN)
			listMembers(e, member.AccessToken, url.Values{"user": {apitest.PublicURL + "/v1/users/" + owner.User.ID}}).
				WantError(t, http.StatusForbidden, vidivo.EFORBIDDEN)
			resp := listMembers(e, member.AccessToken, url.Values{"user": {apitest.PublicURL + "/v1/users/" + member.User.ID}})
			resp.WantStatus(t, http.StatusOK)
			var own membershipListBody
			resp.Decode(t, &own)
			if len(own.Collection) != 1 || own.Collection[0].ID != mm.ID || own.Pagination.NextPage != nil {
				t.Errorf("own = %+v", own)
			}
			e.Do(apitest.Req{Method: "GET", Path: "/v1/organization_memberships/" + mm.ID, Token: member.AccessToken}).WantStatus(t, http.StatusOK)
			e.Do(apitest.Req{Method: "GET", Path: "/v1/organization_memberships/" + am.Resource.ID, Token: member.AccessToken}).
				WantError(t, http.StatusForbidden, vidivo.EFORBIDDEN)
			e.Do(apitest.Req{Method: "GET", Path: "/v1/organization_memberships/" + mm.ID, Token: admin.AccessToken}).WantStatus(t, http.StatusOK)
			// Members read the organization itself but not its invitations.
			e.Do(apitest.Req{Method: "GET", Path: "/v1/organizations/" + org.ID, Token: member.AccessToken}).WantStatus(t, http.StatusOK)
			e.Do(apitest.Req{Method: "GET", Path: "/v1/organizations/" + org.ID + "/invitations", Token: member.AccessToken}).
				WantError(t, http.StatusForbidden, vidivo.EFORBIDDEN)
			e.Do(apitest.Req{Method: "POST", Path: "/v1/organizations/" + org.ID + "/invitations", Token: member.AccessToken,
				Body: map[string]any{"email": "x@example.com", "role": "member"}}).WantError(t, http.StatusForbidden, vidivo.EFORBIDDEN)
		})

		t.Run("Invitations", func(t *testing.T) {
			gone := mustSignup(t, e, "latecomer", "client")
			gone.AccessToken = mustCreatePAT(t, e, gone.AccessToken, "test").Token
			inv, it := mustInvite(t, e, owner.AccessToken, org.ID, gone.User.Email, "member")
			e.Do(apitest.Req{Method: "POST", Path: "/v1/organizations/" + org.ID + "/invitations", Token: owner.AccessToken,
				Body: map[string]any{"email": gone.User.Email, "role": "admin"}}).WantError(t, http.StatusConflict, vidivo.ECONFLICT)
			e.Do(apitest.Req{Method: "POST", Path: "/v1/organizations/" + org.ID + "/invitations", Token: owner.AccessToken,
				Body: map[string]any{"email": member.User.Email, "role": "admin"}}).WantError(t, http.StatusConflict, vidivo.ECONFLICT)

			resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/organizations/" + org.ID + "/invitations", Token: admin.AccessToken})
			resp.WantStatus(t, http.StatusOK)
			var list invitationListBody
			resp.Decode(t, &list)
			statuses := map[string]string{}
			for _, i := range list.Collection {
				statuses[i.Email] = i.Status
				if i.InvitationURL != "" {
					t.Errorf("listed invitation shows its link: %+v", i)
				}
			}
			if statuses[admin.User.Email] != "accepted" || statuses[gone.User.Email] != "pending" {
				t.Errorf("statuses = %v", statuses)
			}

			// The link shows what it invites to, to anyone holding it.
			preview := func(token string) *apitest.Response {
				return e.Do(apitest.Req{Method: "GET", Path: "/v1/organization_invitations/" + token})
			}
			var pv struct {
				Resource struct {
					invitationBody
					OrganizationName string `json:"organization_name"`
				}
			}
			preview(it).Decode(t, &pv)
			if pv.Resource.OrganizationName != "Acme Coaching" || pv.Resource.Status != "pending" || pv.Resource.ID != inv.ID ||
				pv.Resource.InvitationURL != "" {
				t.Errorf("preview = %+v", pv.Resource)
			}
			preview(strings.Repeat("A", 43)).WantError(t, http.StatusNotFound, vidivo.ENOTFOUND)
			preview("short").WantError(t, http.StatusNotFound, vidivo.ENOTFOUND)

			revoke := apitest.Req{Method: "DELETE", Path: "/v1/organizations/" + org.ID + "/invitations/" + inv.ID, Token: admin.AccessToken}
			e.Do(revoke).WantStatus(t, http.StatusNoContent)
			e.Do(revoke).WantStatus(t, http.StatusNoContent)
			accept(e, gone.AccessToken, it).WantError(t, http.StatusNotFound, vidivo.ENOTFOUND)
			preview(it).Decode(t, &pv)
			if pv.Resource.Status != "revoked" {
				t.Errorf("revoked invitation's preview status = %s", pv.Resource.Status)
			}

			// Expired after 14 days.
			_, it = mustInvite(t, e, owner.AccessToken, org.ID, gone.User.Email, "member")
			e.Clock.Add(vidivo.InvitationTTL + time.Second)
			accept(e, gone.AccessToken, it).WantError(t, http.StatusGone, vidivo.ELINKEXPIRED)
			// A new person signs up with the invited email, then accepts.
			_, it = mustInvite(t, e, owner.AccessToken, org.ID, "newcomer@example.com", "member")
			fresh := mustSignup(t, e, "newcomer", "host")
			accept(e, fresh.AccessToken, it).WantStatus(t, http.StatusCreated)
		})

		t.Run("Remove", func(t *testing.T) {
			om := ownMembership(t, e, owner)
			// An admin cannot remove an owner; the last owner cannot leave.
			e.Do(apitest.Req{Method: "DELETE", Path: "/v1/organization_memberships/" + om.ID, Token: admin.AccessToken}).
				WantError(t, http.StatusForbidden, vidivo.EFORBIDDEN)
			e.Do(apitest.Req{Method: "DELETE", Path: "/v1/organization_memberships/" + om.ID, Token: owner.AccessToken}).
				WantError(t, http.StatusConflict, vidivo.ECONFLICT)
			// A member cannot remove others but may leave.
			e.Do(apitest.Req{Method: "DELETE", Path: "/v1/organization_memberships/" + am.Resource.ID, Token: member.AccessToken}).
				WantError(t, http.StatusForbidden, vidivo.EFORBIDDEN)
			e.Do(apitest.Req{Method: "DELETE", Path: "/v1/organization_memberships/" + mm.ID, Token: member.AccessToken}).
				WantStatus(t, http.StatusNoContent)
			e.Do(apitest.Req{Method: "GET", Path: "/v1/organizations/" + org.ID, Token: member.AccessToken}).
				WantError(t, http.StatusNotFound, vidivo.ENOTFOUND)
			if me := getMe(t, e, member.AccessToken); me.CurrentOrganization != nil {
				t.Errorf("after leaving, current_organization = %s", *me.CurrentOrganization)
			}
			// The owner removes the admin.
			e.Do(apitest.Req{Method: "DELETE", Path: "/v1/organization_memberships/" + am.Resource.ID, Token: owner.AccessToken}).
				WantStatus(t, http.StatusNoContent)
			e.Do(apitest.Req{Method: "DELETE", Path: "/v1/organization_memberships/" + am.Resource.ID, Token: owner.AccessToken}).
				WantError(t, http.StatusNotFound, vidivo.ENOTFOUND)
			// Free again, the former member founds their own.
			mustCreateOrg(t, e, member.AccessToken, "Member's own")
		})
	})
}

type meBody struct {
	SchedulingURL       *string `json:"scheduling_url"`
	CurrentOrganization *string `json:"current_organization"`
}

// getMe reads the integrator's fields of GET /v1/users/me.
func getMe(t *testing.T, e *apitest.Env, tok string) meBody {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: tok})
	resp.WantStatus(t, http.StatusOK)
	var out struct{ User meBody }
	resp.Decode(t, &out)
	return out.User
}

// ownMembership reads the membership of the holder of s.
func ownMembership(t *testing.T, e *apitest.Env, s session) membershipBody {
	t.Helper()
	resp := listMembers(e, s.AccessToken, url.Values{"user": {s.User.ID}})
	resp.WantStatus(t, http.StatusOK)
	var list membershipListBody
	resp.Decode(t, &list)
	if len(list.Collection) != 1 {
		t.Fatalf("own memberships of %s = %+v", s.User.Username, list.Collection)
	}
	return list.Collection[0]
}

func TestOrganizationInput(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		owner := mustSignup(t, e, "ownerhost", "host")
		org := mustCreateOrg(t, e, owner.AccessToken, "Acme")
		base := "/v1/organizations/" + org.ID

		for _, tc := range []struct {
			name   string
			req    apitest.Req
			status int
			code   string
			field  string
		}{
			{"blank name", apitest.Req{Method: "POST", Path: "/v1/organizations", Body: map[string]any{"name": " "}}, 400, vidivo.EVALIDATION, "name"},
			{"long name", apitest.Req{Method: "POST", Path: "/v1/organizations", Body: map[string]any{"name": strings.Repeat("n", 101)}}, 400, vidivo.EVALIDATION, "name"},
			{"bad email", apitest.Req{Method: "POST", Path: base + "/invitations", Body: map[string]any{"email": "nobody", "role": "member"}}, 400, vidivo.EVALIDATION, "email"},
			{"owner role", apitest.Req{Method: "POST", Path: base + "/invitations", Body: map[string]any{"email": "a@example.com", "role": "owner"}}, 400, vidivo.EVALIDATION, "role"},
			{"no role", apitest.Req{Method: "POST", Path: base + "/invitations", Body: map[string]any{"email": "a@example.com"}}, 400, vidivo.EVALIDATION, "role"},
			{"unknown org", apitest.Req{Method: "GET", Path: "/v1/organizations/01JN2X4K8M3F7QPZRVWT6YBHCE"}, 404, vidivo.ENOTFOUND, ""},
			{"org id shape", apitest.Req{Method: "GET", Path: "/v1/organizations/acme"}, 404, vidivo.ENOTFOUND, ""},
			{"invite unknown org", apitest.Req{Method: "POST", Path: "/v1/organizations/01JN2X4K8M3F7QPZRVWT6YBHCE/invitations", Body: map[string]any{"email": "a@example.com", "role": "member"}}, 404, vidivo.ENOTFOUND, ""},
			{"revoke bad id", apitest.Req{Method: "DELETE", Path: base + "/invitations/nope"}, 404, vidivo.ENOTFOUND, ""},
			{"revoke unknown", apitest.Req{Method: "DELETE", Path: base + "/invitations/01JN2X4K8M3F7QPZRVWT6YBHCE"}, 404, vidivo.ENOTFOUND, ""},
			{"accept bad token", apitest.Req{Method: "POST", Path: "/v1/organization_invitations/short/accept"}, 404, vidivo.ENOTFOUND, ""},
			{"accept unknown token", apitest.Req{Method: "POST", Path: "/v1/organization_invitations/" + strings.Repeat("A", 43) + "/accept"}, 404, vidivo.ENOTFOUND, ""},
			{"no filter", apitest.Req{Method: "GET", Path: "/v1/organization_memberships"}, 400, vidivo.EVALIDATION, "organization"},
			{"bad organization", apitest.Req{Method: "GET", Path: "/v1/organization_memberships?organization=acme"}, 400, vidivo.EVALIDATION, "organization"},
			{"bad user", apitest.Req{Method: "GET", Path: "/v1/organization_memberships?user=https://vidivo.test/v1/users/x"}, 400, vidivo.EVALIDATION, "user"},
			{"bad count", apitest.Req{Method: "GET", Path: "/v1/organization_memberships?organization=" + org.ID + "&count=101"}, 400, vidivo.EVALIDATION, "count"},
			{"forged page_token", apitest.Req{Method: "GET", Path: "/v1/organization_memberships?organization=" + org.ID + "&page_token=abc.def"}, 400, vidivo.EVALIDATION, "page_token"},
			{"membership bad id", apitest.Req{Method: "GET", Path: "/v1/organization_memberships/x"}, 404, vidivo.ENOTFOUND, ""},
			{"membership unknown", apitest.Req{Method: "DELETE", Path: "/v1/organization_memberships/01JN2X4K8M3F7QPZRVWT6YBHCE"}, 404, vidivo.ENOTFOUND, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.req.Token = owner.AccessToken
				body := e.Do(tc.req).WantError(t, tc.status, tc.code)
				if tc.field != "" && (len(body.Error.Details) == 0 || body.Error.Details[0].Field != tc.field) {
					t.Errorf("details = %+v, want %s", body.Error.Details, tc.field)
				}
			})
		}

		// A page_token of one list is refused by another.
		other := mustSignup(t, e, "otherhost", "host")
		otherOrg := mustCreateOrg(t, e, other.AccessToken, "Other")
		for _, s := range []string{"a1host", "a2host"} {
			mustJoinOrg(t, e, owner.AccessToken, org.ID, mustSignup(t, e, s, "host"), "member")
		}
		resp := listMembers(e, owner.AccessToken, url.Values{"organization": {org.ID}, "count": {"1"}})
		var page membershipListBody
		resp.Decode(t, &page)
		if page.Pagination.NextPageToken == nil {
			t.Fatal("no next page")
		}
		listMembers(e, other.AccessToken, url.Values{"organization": {otherOrg.ID}, "page_token": {*page.Pagination.NextPageToken}}).
			WantError(t, http.StatusBadRequest, vidivo.EVALIDATION)

		// Guests are not members of anything.
		guest, _, err := e.Tokens.Issue(vidivo.Caller{Subject: "01JN2X6M0P5H9SRBTXY8ZDKEFH", Role: vidivo.RoleGuest, CallID: "01JN2X6M0P5H9SRBTXY8ZDKEFG"})
		if err != nil {
			t.Fatal(err)
		}
		e.Do(apitest.Req{Method: "POST", Path: "/v1/organizations", Token: guest, Body: map[string]any{"name": "x"}}).
			WantError(t, http.StatusForbidden, vidivo.EFORBIDDEN)
	})
}
