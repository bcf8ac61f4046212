package api_test

import (
	"net/http"
	"testing"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/sqldb/storetest"
)

// TestSessionOrganizationReaders: an organization's owner and admins read
// its members' sessions (without entry URLs) and see them in their
// calendar, but cannot change them; a plain member and another
// organization's admin see nothing.
func TestSessionOrganizationReaders(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		f := newSessionFixture(t, e, "drsmith")
		user := func(s session) *vidivo.User {
			u, err := e.DB.UserByID(t.Context(), s.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		owner := mustSignup(t, e, "clinicowner", "host")
		admin := mustSignup(t, e, "clinicadmin", "host")
		member := mustSignup(t, e, "clinicmember", "host")
		outsider := mustSignup(t, e, "otheradmin", "host")
		org, _ := storetest.MustCreateOrganization(t, e.DB, user(owner), "Clinic")
		storetest.MustJoin(t, e.DB, org, user(f.host), vidivo.OrgMember)
		storetest.MustJoin(t, e.DB, org, user(admin), vidivo.OrgAdmin)
		storetest.MustJoin(t, e.DB, org, user(member), vidivo.OrgMember)
		storetest.MustCreateOrganization(t, e.DB, user(outsider), "Other")

		for _, reader := range []session{owner, admin} {
			var got struct {
				Resource sessionObj `json:"resource"`
			}
			e.Do(apitest.Req{Method: "GET", Path: "/v1/sessions/" + f.sess.ID, Token: reader.AccessToken}).Decode(t, &got)
			for _, p := range got.Resource.Participants {
				if p.EntryURL != "" {
					t.Fatalf("%s sees an entry URL", reader.User.Username)
				}
			}
			var list struct {
				Collection []sessionObj `json:"collection"`
			}
			e.Do(apitest.Req{Method: "GET", Path: "/v1/sessions", Token: reader.AccessToken}).Decode(t, &list)
			if len(list.Collection) != 1 || list.Collection[0].ID != f.sess.ID {
				t.Fatalf("%s's calendar = %+v", reader.User.Username, list.Collection)
			}
			e.Do(apitest.Req{Method: "DELETE", Path: "/v1/sessions/" + f.sess.ID, Token: reader.AccessToken}).
				WantError(t, http.StatusForbidden, "forbidden")
		}
		for _, stranger := range []session{member, outsider} {
			e.Do(apitest.Req{Method: "GET", Path: "/v1/sessions/" + f.sess.ID, Token: stranger.AccessToken}).
				WantError(t, http.StatusNotFound, "not_found")
		}
	})
}
