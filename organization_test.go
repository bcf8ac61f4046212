package vidivo

import (
	"strings"
	"testing"
	"time"
)

func TestMembershipCanReadOrganization(t *testing.T) {
	for _, tc := range []struct {
		m    *Membership
		want bool
	}{
		{&Membership{Role: OrgOwner}, true},
		{&Membership{Role: OrgAdmin}, true},
		{&Membership{Role: OrgMember}, false},
		{&Membership{Role: "boss"}, false},
		{nil, false},
	} {
		if got := tc.m.CanReadOrganization(); got != tc.want {
			t.Errorf("%+v.CanReadOrganization() = %v, want %v", tc.m, got, tc.want)
		}
		if got := tc.m.CanManage(); got != tc.want {
			t.Errorf("%+v.CanManage() = %v, want %v", tc.m, got, tc.want)
		}
	}
}

func TestOrgRoleInvitable(t *testing.T) {
	for role, want := range map[OrgRole]bool{OrgOwner: false, OrgAdmin: true, OrgMember: true, "": false, "guest": false} {
		if got := role.Invitable(); got != want {
			t.Errorf("%q.Invitable() = %v, want %v", role, got, want)
		}
	}
}

func TestInvitationStatusAt(t *testing.T) {
	exp := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		stored InvitationStatus
		at     time.Time
		want   InvitationStatus
	}{
		{InvitationPending, exp.Add(-time.Second), InvitationPending},
		{InvitationPending, exp, InvitationExpired},
		{InvitationAccepted, exp.Add(time.Hour), InvitationAccepted},
		{InvitationRevoked, exp.Add(time.Hour), InvitationRevoked},
	} {
		inv := &Invitation{Status: tc.stored, ExpiresAt: exp}
		if got := inv.StatusAt(tc.at); got != tc.want {
			t.Errorf("%s at %v = %s, want %s", tc.stored, tc.at, got, tc.want)
		}
	}
}

func TestPATCreateValidate(t *testing.T) {
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	for name, tc := range map[string]struct {
		in     PATCreate
		fields []string
	}{
		"ok":         {PATCreate{Name: " Zapier "}, nil},
		"ok expiry":  {PATCreate{Name: "ci", ExpiresAt: at(MaxPATLifetime)}, nil},
		"empty name": {PATCreate{Name: "  "}, []string{"name"}},
		"long name":  {PATCreate{Name: strings.Repeat("é", 101)}, []string{"name"}},
		"past":       {PATCreate{Name: "x", ExpiresAt: at(-time.Second)}, []string{"expires_at"}},
		"now":        {PATCreate{Name: "x", ExpiresAt: at(0)}, []string{"expires_at"}},
		"too far":    {PATCreate{Name: "x", ExpiresAt: at(MaxPATLifetime + time.Second)}, []string{"expires_at"}},
		"both":       {PATCreate{Name: "", ExpiresAt: at(-time.Hour)}, []string{"name", "expires_at"}},
	} {
		err := tc.in.Validate(now)
		details := ErrorDetails(err)
		if len(details) != len(tc.fields) {
			t.Errorf("%s: Validate = %v, want fields %v", name, err, tc.fields)
			continue
		}
		for i, f := range tc.fields {
			if details[i].Field != f {
				t.Errorf("%s: field %d = %s, want %s", name, i, details[i].Field, f)
			}
		}
	}
}
