package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sqldb"
)

// RunAccounts runs the suite of personal access tokens and organizations
// on engine.
func RunAccounts(t *testing.T, engine string) {
	t.Run("PATs", func(t *testing.T) { testPATs(t, engine) })
	t.Run("PATCapRace", func(t *testing.T) { testPATCapRace(t, engine) })
	t.Run("Organizations", func(t *testing.T) { testOrganizations(t, engine) })
	t.Run("Invitations", func(t *testing.T) { testInvitations(t, engine) })
	t.Run("AcceptRace", func(t *testing.T) { testAcceptRace(t, engine) })
	t.Run("LastOwnerRace", func(t *testing.T) { testLastOwnerRace(t, engine) })
}

// MustCreateOrganization creates an organization owned by owner.
func MustCreateOrganization(tb testing.TB, db vidivo.OrganizationStore, owner *vidivo.User, name string) (*vidivo.Organization, *vidivo.Membership) {
	tb.Helper()
	o := &vidivo.Organization{Name: name}
	m, err := db.CreateOrganization(context.Background(), o, owner.ID)
	if err != nil {
		tb.Fatalf("create organization %s: %v", name, err)
	}
	return o, m
}

// MustJoin makes u a member of org with role through an accepted
// invitation.
func MustJoin(tb testing.TB, db vidivo.OrganizationStore, org *vidivo.Organization, u *vidivo.User, role vidivo.OrgRole) *vidivo.Membership {
	tb.Helper()
	ctx := context.Background()
	inv := &vidivo.Invitation{OrganizationID: org.ID, Email: u.Email, Role: role, TokenHash: "join-" + u.ID,
		ExpiresAt: time.Now().AddDate(50, 0, 0)} // whatever the test clock says
	if role == vidivo.OrgOwner {
		inv.Role = vidivo.OrgAdmin // owners are not invitable; promoted below
	}
	if err := db.CreateInvitation(ctx, inv); err != nil {
		tb.Fatalf("invite %s: %v", u.Username, err)
	}
	m, err := db.AcceptInvitation(ctx, inv.TokenHash, u)
	if err != nil {
		tb.Fatalf("accept %s: %v", u.Username, err)
	}
	if role == vidivo.OrgOwner {
		promoteOwner(tb, db, m)
	}
	return m
}

// promoteOwner makes m an owner, which no API does yet; the suite needs
// organizations with two owners.
func promoteOwner(tb testing.TB, db vidivo.OrganizationStore, m *vidivo.Membership) {
	tb.Helper()
	sdb, ok := db.(*sqldb.DB)
	if !ok {
		tb.Fatalf("promote owner: %T is not a *sqldb.DB", db)
	}
	err := sdb.SetMembershipRole(context.Background(), m.ID, vidivo.OrgOwner)
	if err != nil {
		tb.Fatalf("promote owner: %v", err)
	}
	m.Role = vidivo.OrgOwner
}

func testPATs(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	u := MustCreateUser(t, b.db, "janecoach", vidivo.RoleHost)
	other := MustCreateUser(t, b.db, "otherhost", vidivo.RoleHost)
	created := time.Date(2026, 3, 15, 10, 0, 0, 123456000, time.UTC)
	exp := created.Add(30 * 24 * time.Hour)

	tok := &vidivo.PersonalAccessToken{UserID: u.ID, Name: "Zapier", Hash: "hash-1", ExpiresAt: &exp}
	if err := b.db.CreatePAT(ctx, tok); err != nil {
		t.Fatalf("CreatePAT: %v", err)
	}
	if len(tok.ID) != 26 || !tok.CreatedAt.Equal(created) {
		t.Errorf("created = %+v", tok)
	}
	got, role, err := b.db.PATByHash(ctx, "hash-1")
	if err != nil || role != vidivo.RoleHost {
		t.Fatalf("PATByHash = %v, %q, %v", got, role, err)
	}
	want := &vidivo.PersonalAccessToken{ID: tok.ID, UserID: u.ID, Name: "Zapier", Hash: "hash-1", CreatedAt: created, ExpiresAt: &exp}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PATByHash mismatch (-want +got):\n%s", diff)
	}
	_, _, err = b.db.PATByHash(ctx, "nope")
	wantCode(t, err, vidivo.ENOTFOUND)

	// Touch: written once, then not again within the interval.
	first := b.clock.Now()
	if err := b.db.TouchPAT(ctx, tok.ID, first); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		after time.Duration
		want  time.Time
	}{
		{30 * time.Second, first},
		{59 * time.Second, first},
		{61 * time.Second, first.Add(61 * time.Second)},
	} {
		if err := b.db.TouchPAT(ctx, tok.ID, first.Add(step.after)); err != nil {
			t.Fatal(err)
		}
		got, _, _ := b.db.PATByHash(ctx, "hash-1")
		if got.LastUsedAt == nil || !got.LastUsedAt.Equal(step.want.Truncate(time.Microsecond)) {
			t.Errorf("after +%v last_used_at = %v, want %v", step.after, got.LastUsedAt, step.want)
		}
	}

	second := &vidivo.PersonalAccessToken{UserID: u.ID, Name: "CI", Hash: "hash-2"}
	if err := b.db.CreatePAT(ctx, second); err != nil {
		t.Fatal(err)
	}
	list, err := b.db.PATs(ctx, u.ID)
	if err != nil || len(list) != 2 || list[0].ID != tok.ID || list[1].ID != second.ID || list[1].ExpiresAt != nil {
		t.Fatalf("PATs = %v, %v", list, err)
	}
	if list, _ := b.db.PATs(ctx, other.ID); len(list) != 0 {
		t.Errorf("other's PATs = %v", list)
	}

	// Another user cannot delete it; its owner can, once.
	wantCode(t, b.db.DeletePAT(ctx, other.ID, tok.ID), vidivo.ENOTFOUND)
	if err := b.db.DeletePAT(ctx, u.ID, tok.ID); err != nil {
		t.Fatalf("DeletePAT: %v", err)
	}
	wantCode(t, b.db.DeletePAT(ctx, u.ID, tok.ID), vidivo.ENOTFOUND)
	_, _, err = b.db.PATByHash(ctx, "hash-1")
	wantCode(t, err, vidivo.ENOTFOUND)

	err = b.db.CreatePAT(ctx, &vidivo.PersonalAccessToken{UserID: "01JN2X4K8M3F7QPZRVWT6YBHCE", Name: "x", Hash: "h"})
	wantCode(t, err, vidivo.ENOTFOUND)
}

// testPATCapRace creates tokens from many goroutines at once: exactly
// MaxPATsPerUser land.
func testPATCapRace(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	u := MustCreateUser(t, b.db, "janecoach", vidivo.RoleHost)
	const n = vidivo.MaxPATsPerUser + 10
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, capd int
	)
	for i := range n {
		wg.Go(func() {
			err := b.db.CreatePAT(ctx, &vidivo.PersonalAccessToken{UserID: u.ID, Name: "t", Hash: fmt.Sprintf("h%d", i)})
			mu.Lock()
			defer mu.Unlock()
			switch vidivo.ErrorCode(err) {
			case "":
				ok++
			case vidivo.ECONFLICT:
				capd++
			default:
				t.Errorf("CreatePAT: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != vidivo.MaxPATsPerUser || capd != n-vidivo.MaxPATsPerUser {
		t.Fatalf("%d created, %d refused; want %d and %d", ok, capd, vidivo.MaxPATsPerUser, n-vidivo.MaxPATsPerUser)
	}
}

func testOrganizations(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	owner := MustCreateUser(t, b.db, "owner", vidivo.RoleHost)
	admin := MustCreateUser(t, b.db, "admin1", vidivo.RoleHost)
	member := MustCreateUser(t, b.db, "member", vidivo.RoleClient)
	loner := MustCreateUser(t, b.db, "loner", vidivo.RoleHost)
	created := time.Date(2026, 3, 15, 10, 0, 0, 123456000, time.UTC)

	org, om := MustCreateOrganization(t, b.db, owner, "Acme")
	if len(org.ID) != 26 || !org.CreatedAt.Equal(created) || om.Role != vidivo.OrgOwner || om.OrganizationID != org.ID {
		t.Fatalf("created %+v, %+v", org, om)
	}
	got, err := b.db.Organization(ctx, org.ID)
	if diff := cmp.Diff(org, got); err != nil || diff != "" {
		t.Errorf("Organization = %v (-want +got):\n%s", err, diff)
	}
	_, err = b.db.Organization(ctx, "01JN2X4K8M3F7QPZRVWT6YBHCE")
	wantCode(t, err, vidivo.ENOTFOUND)

	// One organization per user.
	_, err = b.db.CreateOrganization(ctx, &vidivo.Organization{Name: "Second"}, owner.ID)
	wantCode(t, err, vidivo.ECONFLICT)
	_, err = b.db.CreateOrganization(ctx, &vidivo.Organization{Name: "Ghost"}, "01JN2X4K8M3F7QPZRVWT6YBHCE")
	wantCode(t, err, vidivo.ENOTFOUND)

	am := MustJoin(t, b.db, org, admin, vidivo.OrgAdmin)
	mm := MustJoin(t, b.db, org, member, vidivo.OrgMember)

	m, err := b.db.Membership(ctx, org.ID, admin.ID)
	if diff := cmp.Diff(am, m); err != nil || diff != "" {
		t.Errorf("Membership = %v (-want +got):\n%s", err, diff)
	}
	_, err = b.db.Membership(ctx, org.ID, loner.ID)
	wantCode(t, err, vidivo.ENOTFOUND)
	if m, err := b.db.UserMembership(ctx, member.ID); err != nil || m.ID != mm.ID || m.Role != vidivo.OrgMember {
		t.Errorf("UserMembership = %+v, %v", m, err)
	}
	_, err = b.db.UserMembership(ctx, loner.ID)
	wantCode(t, err, vidivo.ENOTFOUND)
	if m, err := b.db.MembershipByID(ctx, am.ID); err != nil || m.UserID != admin.ID {
		t.Errorf("MembershipByID = %+v, %v", m, err)
	}
	ids, err := b.db.OrganizationMemberIDs(ctx, org.ID)
	if diff := cmp.Diff([]string{owner.ID, admin.ID, member.ID}, ids); err != nil || diff != "" {
		t.Errorf("OrganizationMemberIDs = %v (-want +got):\n%s", err, diff)
	}
	if ids, err := b.db.OrganizationMemberIDs(ctx, "01JN2X4K8M3F7QPZRVWT6YBHCE"); err != nil || len(ids) != 0 {
		t.Errorf("unknown org's member ids = %v, %v", ids, err)
	}

	t.Run("Pages", func(t *testing.T) {
		var seen []string
		after := ""
		for range 3 {
			page, err := b.db.Memberships(ctx, vidivo.MembershipFilter{OrganizationID: org.ID, After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, mu := range page.Members {
				seen = append(seen, mu.User.Username)
				if mu.User.ID != mu.UserID || mu.OrganizationID != org.ID {
					t.Errorf("member %+v", mu)
				}
			}
			if !page.More {
				break
			}
			after = page.Members[len(page.Members)-1].ID
		}
		if diff := cmp.Diff([]string{"owner", "admin1", "member"}, seen); diff != "" {
			t.Errorf("paged members (-want +got):\n%s", diff)
		}
		page, err := b.db.Memberships(ctx, vidivo.MembershipFilter{UserID: member.ID, Limit: 20})
		if err != nil || len(page.Members) != 1 || page.Members[0].ID != mm.ID || page.More {
			t.Errorf("by user = %+v, %v", page, err)
		}
		mu, err := b.db.MemberWithUser(ctx, mm.ID)
		if err != nil || mu.User.Email != member.Email || mu.Role != vidivo.OrgMember {
			t.Errorf("MemberWithUser = %+v, %v", mu, err)
		}
		_, err = b.db.MemberWithUser(ctx, "01JN2X4K8M3F7QPZRVWT6YBHCE")
		wantCode(t, err, vidivo.ENOTFOUND)
	})

	t.Run("Remove", func(t *testing.T) {
		wantCode(t, b.db.DeleteMembership(ctx, om.ID), vidivo.ECONFLICT) // the last owner
		if err := b.db.DeleteMembership(ctx, mm.ID); err != nil {
			t.Fatalf("DeleteMembership: %v", err)
		}
		wantCode(t, b.db.DeleteMembership(ctx, mm.ID), vidivo.ENOTFOUND)
		// Free again: the former member may found their own organization.
		MustCreateOrganization(t, b.db, member, "Member's own")
	})
}

func testInvitations(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	owner := MustCreateUser(t, b.db, "owner", vidivo.RoleHost)
	alex := MustCreateUser(t, b.db, "alex", vidivo.RoleClient)
	sam := MustCreateUser(t, b.db, "sam", vidivo.RoleClient)
	org, _ := MustCreateOrganization(t, b.db, owner, "Acme")
	other, _ := MustCreateOrganization(t, b.db, sam, "Other")
	now := b.clock.Now().UTC().Truncate(time.Microsecond)
	invite := func(email, hash string) (*vidivo.Invitation, error) {
		inv := &vidivo.Invitation{OrganizationID: org.ID, Email: email, Role: vidivo.OrgMember, TokenHash: hash,
			InvitedBy: owner.ID, ExpiresAt: b.clock.Now().Add(vidivo.InvitationTTL)}
		return inv, b.db.CreateInvitation(ctx, inv)
	}

	inv, err := invite(alex.Email, "tok-alex")
	if err != nil {
		t.Fatalf("CreateInvitation: %v", err)
	}
	want := &vidivo.Invitation{ID: inv.ID, OrganizationID: org.ID, Email: alex.Email, Role: vidivo.OrgMember,
		Status: vidivo.InvitationPending, TokenHash: "tok-alex", InvitedBy: owner.ID, CreatedAt: now, UpdatedAt: now,
		ExpiresAt: now.Add(vidivo.InvitationTTL)}
	got, err := b.db.Invitation(ctx, org.ID, inv.ID)
	if diff := cmp.Diff(want, got); err != nil || diff != "" {
		t.Errorf("Invitation = %v (-want +got):\n%s", err, diff)
	}
	_, err = b.db.Invitation(ctx, other.ID, inv.ID)
	wantCode(t, err, vidivo.ENOTFOUND)
	got, gotOrg, err := b.db.InvitationByToken(ctx, "tok-alex")
	if diff := cmp.Diff(want, got); err != nil || diff != "" || gotOrg.ID != org.ID || gotOrg.Name != "Acme" {
		t.Errorf("InvitationByToken = %v, org %+v (-want +got):\n%s", err, gotOrg, diff)
	}
	_, _, err = b.db.InvitationByToken(ctx, "no-such-token")
	wantCode(t, err, vidivo.ENOTFOUND)

	_, err = invite(alex.Email, "tok-alex-2")
	wantCode(t, err, vidivo.ECONFLICT) // one pending invitation per email
	_, err = invite(owner.Email, "tok-owner")
	wantCode(t, err, vidivo.ECONFLICT) // already a member
	err = b.db.CreateInvitation(ctx, &vidivo.Invitation{OrganizationID: "01JN2X4K8M3F7QPZRVWT6YBHCE", Email: "x@example.com",
		Role: vidivo.OrgMember, TokenHash: "tok-x", ExpiresAt: b.clock.Now().Add(time.Hour)})
	wantCode(t, err, vidivo.ENOTFOUND)

	t.Run("Accept", func(t *testing.T) {
		_, err := b.db.AcceptInvitation(ctx, "tok-alex", sam) // another email
		wantCode(t, err, vidivo.EFORBIDDEN)
		_, err = b.db.AcceptInvitation(ctx, "no-such-token", alex)
		wantCode(t, err, vidivo.ENOTFOUND)
		m, err := b.db.AcceptInvitation(ctx, "tok-alex", alex)
		if err != nil || m.OrganizationID != org.ID || m.UserID != alex.ID || m.Role != vidivo.OrgMember {
			t.Fatalf("AcceptInvitation = %+v, %v", m, err)
		}
		_, err = b.db.AcceptInvitation(ctx, "tok-alex", alex)
		wantCode(t, err, vidivo.ECONFLICT)
		got, _ := b.db.Invitation(ctx, org.ID, inv.ID)
		if got.Status != vidivo.InvitationAccepted || got.AcceptedBy == nil || *got.AcceptedBy != alex.ID {
			t.Errorf("accepted invitation = %+v", got)
		}
		_, err = b.db.RevokeInvitation(ctx, org.ID, inv.ID)
		wantCode(t, err, vidivo.ECONFLICT)
	})

	t.Run("MemberOfAnother", func(t *testing.T) {
		inv, err := invite(sam.Email, "tok-sam")
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.db.AcceptInvitation(ctx, "tok-sam", sam) // sam owns "Other"
		wantCode(t, err, vidivo.ECONFLICT)
		got, _ := b.db.Invitation(ctx, org.ID, inv.ID)
		if got.Status != vidivo.InvitationPending {
			t.Errorf("status after a refused accept = %s, want pending (nothing half-written)", got.Status)
		}
		revoked, err := b.db.RevokeInvitation(ctx, org.ID, inv.ID)
		if err != nil || revoked.Status != vidivo.InvitationRevoked {
			t.Fatalf("RevokeInvitation = %+v, %v", revoked, err)
		}
		if again, err := b.db.RevokeInvitation(ctx, org.ID, inv.ID); err != nil || again.Status != vidivo.InvitationRevoked {
			t.Errorf("second revoke = %+v, %v", again, err)
		}
		_, err = b.db.RevokeInvitation(ctx, other.ID, inv.ID)
		wantCode(t, err, vidivo.ENOTFOUND)
		_, err = b.db.AcceptInvitation(ctx, "tok-sam", sam)
		wantCode(t, err, vidivo.ENOTFOUND)
	})

	t.Run("Expiry", func(t *testing.T) {
		dana := MustCreateUser(t, b.db, "dana", vidivo.RoleClient)
		old, err := invite(dana.Email, "tok-dana-old")
		if err != nil {
			t.Fatal(err)
		}
		b.clock.Add(vidivo.InvitationTTL)
		_, err = b.db.AcceptInvitation(ctx, "tok-dana-old", dana)
		wantCode(t, err, vidivo.ELINKEXPIRED)
		// Inviting again replaces the expired invitation.
		if _, err := invite(dana.Email, "tok-dana-new"); err != nil {
			t.Fatalf("re-invite after expiry: %v", err)
		}
		got, _ := b.db.Invitation(ctx, org.ID, old.ID)
		if got.Status != vidivo.InvitationExpired {
			t.Errorf("replaced invitation status = %s, want expired", got.Status)
		}
		if _, err := b.db.AcceptInvitation(ctx, "tok-dana-new", dana); err != nil {
			t.Fatalf("accept the new invitation: %v", err)
		}
	})

	t.Run("List", func(t *testing.T) {
		page, err := b.db.Invitations(ctx, org.ID, "", 2)
		if err != nil || len(page.Invitations) != 2 || !page.More || page.Invitations[0].ID != inv.ID {
			t.Fatalf("first page = %+v, %v", page, err)
		}
		rest, err := b.db.Invitations(ctx, org.ID, page.Invitations[1].ID, 2)
		if err != nil || len(rest.Invitations) != 2 || rest.More {
			t.Fatalf("second page = %+v, %v", rest, err)
		}
		if page, _ := b.db.Invitations(ctx, other.ID, "", 10); len(page.Invitations) != 0 {
			t.Errorf("other org's invitations = %+v", page.Invitations)
		}
	})
}

// testAcceptRace: one user accepts invitations to two organizations at
// once (and one invitation twice); exactly one membership results.
func testAcceptRace(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	alex := MustCreateUser(t, b.db, "alex", vidivo.RoleClient)
	var hashes []string
	for i, name := range []string{"first", "second"} {
		o, _ := MustCreateOrganization(t, b.db, MustCreateUser(t, b.db, "owner"+name, vidivo.RoleHost), name)
		h := fmt.Sprintf("race-%d", i)
		inv := &vidivo.Invitation{OrganizationID: o.ID, Email: alex.Email, Role: vidivo.OrgMember, TokenHash: h,
			ExpiresAt: b.clock.Now().Add(time.Hour)}
		if err := b.db.CreateInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h, h)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for _, h := range hashes {
		wg.Go(func() {
			_, err := b.db.AcceptInvitation(ctx, h, alex)
			mu.Lock()
			defer mu.Unlock()
			switch vidivo.ErrorCode(err) {
			case "":
				wins++
			case vidivo.ECONFLICT:
			default:
				t.Errorf("AcceptInvitation: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d acceptances succeeded, want exactly 1", wins)
	}
	if _, err := b.db.UserMembership(ctx, alex.ID); err != nil {
		t.Fatalf("UserMembership: %v", err)
	}
}

// testLastOwnerRace: two owners remove each other at once; one removal
// wins and the organization keeps an owner.
func testLastOwnerRace(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	for i := range 5 {
		a := MustCreateUser(t, b.db, fmt.Sprintf("ownera%d", i), vidivo.RoleHost)
		c := MustCreateUser(t, b.db, fmt.Sprintf("ownerb%d", i), vidivo.RoleHost)
		org, ma := MustCreateOrganization(t, b.db, a, "Acme")
		mc := MustJoin(t, b.db, org, c, vidivo.OrgOwner)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for j, id := range []string{ma.ID, mc.ID} {
			wg.Go(func() { errs[j] = b.db.DeleteMembership(ctx, id) })
		}
		wg.Wait()
		codes := []string{vidivo.ErrorCode(errs[0]), vidivo.ErrorCode(errs[1])}
		if !(codes[0] == "" && codes[1] == vidivo.ECONFLICT || codes[0] == vidivo.ECONFLICT && codes[1] == "") {
			t.Fatalf("round %d: removals = %v, want one success and one conflict", i, errs)
		}
		ids, _ := b.db.OrganizationMemberIDs(ctx, org.ID)
		if len(ids) != 1 {
			t.Fatalf("round %d: members left = %v, want one owner", i, ids)
		}
	}
}
