package api_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
)

// orgFixture is one organization of the ownership test: an owner, an
// admin and a member (a host with a booked event), each calling with a
// personal access token, plus a pending invitation and two webhook
// subscriptions (the member's own, the organization's by its owner).
type orgFixture struct {
	id, uri              string
	owner, admin, member session
	memberPAT            patBody
	memberships          map[string]string // role → membership id
	invitationID         string
	inviteToken          string
	eventPath            string
	inviteePath          string
	userSub, orgSub      string
	secrets              []string // ids no other organization's reader may see
}

// withPAT swaps s's short-lived access token for a personal access token.
func withPAT(t *testing.T, e *apitest.Env, s session) (session, patBody) {
	t.Helper()
	p := mustCreatePAT(t, e, s.AccessToken, "integration")
	s.AccessToken = p.Token
	return s, p
}

func newOrgFixture(t *testing.T, e *apitest.Env, prefix string, guest session, at time.Time) *orgFixture {
	t.Helper()
	f := &orgFixture{memberships: map[string]string{}}
	f.owner, _ = withPAT(t, e, mustSignup(t, e, prefix+"owner", "host"))
	f.admin, _ = withPAT(t, e, mustSignup(t, e, prefix+"admin", "host"))
	f.member, f.memberPAT = withPAT(t, e, paidHost(t, e, prefix+"member"))
	org := mustCreateOrg(t, e, f.owner.AccessToken, "Org "+prefix)
	f.id, f.uri = org.ID, org.URI
	f.memberships["admin"] = mustJoinOrg(t, e, f.owner.AccessToken, f.id, f.admin, "admin").ID
	f.memberships["member"] = mustJoinOrg(t, e, f.owner.AccessToken, f.id, f.member, "member").ID
	f.memberships["owner"] = ownMembership(t, e, f.owner).ID
	var inv invitationBody
	inv, f.inviteToken = mustInvite(t, e, f.owner.AccessToken, f.id, prefix+"invitee@example.com", "member")
	f.invitationID = inv.ID

	putAvailability(t, e, f.member.AccessToken, allDay()).WantStatus(t, http.StatusOK)
	eventID := bookedAt(t, e, guest.AccessToken, f.member.User.Username, at, 30)
	f.eventPath = "/v1/scheduled_events/" + eventID
	resp := e.Do(apitest.Req{Method: "GET", Path: f.eventPath + "/invitees", Token: f.member.AccessToken})
	resp.WantStatus(t, http.StatusOK)
	var invitees struct {
		Collection []inviteeOut `json:"collection"`
	}
	resp.Decode(t, &invitees)
	if len(invitees.Collection) != 1 {
		t.Fatalf("invitees of %s = %+v", f.eventPath, invitees.Collection)
	}
	f.inviteePath = path(t, invitees.Collection[0].URI)

	f.userSub = mustCreateSub(t, e, f.member.AccessToken, map[string]any{"url": "https://hooks.example.com/" + prefix + "-member",
		"events": []string{"invitee.created"}, "user": userURI(f.member.User.ID), "scope": "user"})
	f.orgSub = mustCreateSub(t, e, f.owner.AccessToken, map[string]any{"url": "https://hooks.example.com/" + prefix + "-org",
		"events": []string{"invitee.created", "invitee.canceled"}, "organization": f.uri, "scope": "organization"})
	f.secrets = []string{f.id, f.owner.User.ID, f.admin.User.ID, f.member.User.ID, eventID, f.invitationID, f.userSub, f.orgSub,
		f.memberPAT.ID}
	return f
}

func mustCreateSub(t *testing.T, e *apitest.Env, tok string, body map[string]any) string {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/webhook_subscriptions", Token: tok, Body: body})
	resp.WantStatus(t, http.StatusCreated)
	var out struct {
		Resource struct {
			URI string `json:"uri"`
		} `json:"resource"`
	}
	resp.Decode(t, &out)
	return out.Resource.URI[strings.LastIndex(out.Resource.URI, "/")+1:]
}

// want is the status each kind of caller gets; 0 skips callers for whom
// the request would succeed and change what later rows read.
type want struct{ owner, admin, member, outsider int }

func (w want) of(role string) int {
	switch role {
	case "owner":
		return w.owner
	case "admin":
		return w.admin
	case "member":
		return w.member
	}
	return w.outsider
}

var codeOf = map[int]string{http.StatusForbidden: vidivo.EFORBIDDEN, http.StatusNotFound: vidivo.ENOTFOUND,
	http.StatusConflict: vidivo.ECONFLICT}

// TestIntegrationsOwnership: two organizations, each with an owner, an
// admin and a member, and a stranger in none. Every caller tries every
// organization's tokens, memberships, invitations, scheduled events,
// invitees and webhook subscriptions; only owners and admins read
// organization-wide data, members their own, and nobody outside reads
// anything (403 on lists, 404 on things by id). No answer a reader gets
// mentions the other organization's ids.
func TestIntegrationsOwnership(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		guest := signupNamed(t, e, "guestclient", "client", "Alex Guest")
		at := e.Clock.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour)
		orgs := []*orgFixture{newOrgFixture(t, e, "a", guest, at), newOrgFixture(t, e, "b", guest, at.Add(2*time.Hour))}
		stranger, _ := withPAT(t, e, mustSignup(t, e, "stranger", "host"))

		for i, v := range orgs {
			o := orgs[1-i]
			rows := []struct {
				name string
				req  apitest.Req
				want want
			}{
				{"get organization", apitest.Req{Method: "GET", Path: "/v1/organizations/" + v.id}, want{200, 200, 200, 404}},
				{"members by organization", apitest.Req{Method: "GET", Path: "/v1/organization_memberships?organization=" + url.QueryEscape(v.uri)}, want{200, 200, 403, 403}},
				{"member by user", apitest.Req{Method: "GET", Path: "/v1/organization_memberships?user=" + url.QueryEscape(userURI(v.member.User.ID))}, want{200, 200, 200, 403}},
				{"owner by user", apitest.Req{Method: "GET", Path: "/v1/organization_memberships?user=" + v.owner.User.ID}, want{200, 200, 403, 403}},
				{"admin's membership", apitest.Req{Method: "GET", Path: "/v1/organization_memberships/" + v.memberships["admin"]}, want{200, 200, 403, 404}},
				{"remove the owner", apitest.Req{Method: "DELETE", Path: "/v1/organization_memberships/" + v.memberships["owner"]}, want{409, 403, 403, 404}},
				{"remove the admin", apitest.Req{Method: "DELETE", Path: "/v1/organization_memberships/" + v.memberships["admin"]}, want{0, 0, 403, 404}},
				{"remove the member", apitest.Req{Method: "DELETE", Path: "/v1/organization_memberships/" + v.memberships["member"]}, want{0, 0, 0, 404}},
				{"list invitations", apitest.Req{Method: "GET", Path: "/v1/organizations/" + v.id + "/invitations"}, want{200, 200, 403, 404}},
				{"invite", apitest.Req{Method: "POST", Path: "/v1/organizations/" + v.id + "/invitations",
					Body: map[string]any{"email": "intruder@example.com", "role": "admin"}}, want{0, 0, 403, 404}},
				{"revoke invitation", apitest.Req{Method: "DELETE", Path: "/v1/organizations/" + v.id + "/invitations/" + v.invitationID}, want{0, 0, 403, 404}},
				{"revoke invitation through another organization", apitest.Req{Method: "DELETE", Path: "/v1/organizations/" + o.id + "/invitations/" + v.invitationID}, want{404, 404, 404, 0}},
				{"accept someone else's invitation", apitest.Req{Method: "POST", Path: "/v1/organization_invitations/" + v.inviteToken + "/accept"}, want{403, 403, 403, 403}},
				{"delete the member's token", apitest.Req{Method: "DELETE", Path: "/v1/personal_access_tokens/" + v.memberPAT.ID}, want{404, 404, 0, 404}},
				{"events by organization", apitest.Req{Method: "GET", Path: "/v1/scheduled_events?organization=" + url.QueryEscape(v.uri)}, want{200, 200, 403, 403}},
				{"events by member", apitest.Req{Method: "GET", Path: "/v1/scheduled_events?user=" + url.QueryEscape(userURI(v.member.User.ID))}, want{200, 200, 200, 403}},
				{"event", apitest.Req{Method: "GET", Path: v.eventPath}, want{200, 200, 200, 404}},
				{"invitees", apitest.Req{Method: "GET", Path: v.eventPath + "/invitees"}, want{200, 200, 200, 404}},
				{"invitee", apitest.Req{Method: "GET", Path: v.inviteePath}, want{200, 200, 200, 404}},
				{"organization's subscriptions", apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions?scope=organization&organization=" + url.QueryEscape(v.uri)}, want{200, 200, 403, 403}},
				{"member's subscriptions", apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions?scope=user&user=" + url.QueryEscape(userURI(v.member.User.ID))}, want{403, 403, 200, 403}},
				{"organization's subscription", apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions/" + v.orgSub}, want{200, 200, 404, 404}},
				{"its deliveries", apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions/" + v.orgSub + "/deliveries"}, want{200, 200, 404, 404}},
				{"delete the organization's subscription", apitest.Req{Method: "DELETE", Path: "/v1/webhook_subscriptions/" + v.orgSub}, want{0, 0, 404, 404}},
				{"member's subscription", apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions/" + v.userSub}, want{404, 404, 200, 404}},
				{"delete the member's subscription", apitest.Req{Method: "DELETE", Path: "/v1/webhook_subscriptions/" + v.userSub}, want{404, 404, 0, 404}},
				{"subscribe to the organization", apitest.Req{Method: "POST", Path: "/v1/webhook_subscriptions", Body: map[string]any{
					"url": "https://hooks.example.com/intruder", "events": []string{"invitee.created"}, "organization": v.uri, "scope": "organization"}},
					want{0, 0, 403, 403}},
			}
			callers := []struct {
				name, role string
				s          session
			}{
				{"owner", "owner", v.owner}, {"admin", "admin", v.admin}, {"member", "member", v.member},
				{"other owner", "other", o.owner}, {"other admin", "other", o.admin}, {"other member", "other", o.member},
				{"stranger", "other", stranger},
			}
			for _, row := range rows {
				for _, c := range callers {
					status := row.want.of(c.role)
					if row.name == "revoke invitation through another organization" {
						// Only the other organization's managers pass its own
						// check; everyone else is stopped there already.
						status = map[string]int{"other owner": 404, "other admin": 404, "other member": 403, "stranger": 404}[c.name]
					}
					if status == 0 {
						continue
					}
					t.Run(v.owner.User.Username[:1]+"/"+row.name+"/"+c.name, func(t *testing.T) {
						req := row.req
						req.Token = c.s.AccessToken
						resp := e.Do(req)
						if status >= 400 {
							resp.WantError(t, status, codeOf[status])
							return
						}
						resp.WantStatus(t, status)
						for _, id := range o.secrets {
							if bytes.Contains(resp.Body, []byte(id)) {
								t.Errorf("the answer mentions %s of the other organization: %s", id, resp.Body)
							}
						}
					})
				}
			}
		}

		// Each caller's token list holds their own tokens only, and every
		// token still works: nothing above removed or revoked anything.
		for _, s := range []session{orgs[0].owner, orgs[0].member, orgs[1].admin, stranger} {
			list := listPATs(t, e, s.AccessToken)
			if len(list) != 1 {
				t.Errorf("%s lists %d tokens, want their one", s.User.Username, len(list))
			}
		}
		for _, f := range orgs {
			for role, id := range f.memberships {
				if _, err := e.DB.MembershipByID(t.Context(), id); err != nil {
					t.Errorf("%s's %s membership: %v", f.owner.User.Username, role, err)
				}
			}
		}
	})
}
