package vidivo

import "testing"

func TestRedactPath(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"/s/abc123", "/s/REDACTED"},
		{"/s/", "/s/"},
		{"/v1/sessions/entry/tok/pay", "/v1/sessions/entry/REDACTED/pay"},
		{"/v1/sessions/entry/tok/invite.ics", "/v1/sessions/entry/REDACTED/invite.ics"},
		{"/v1/organization_invitations/tok/accept", "/v1/organization_invitations/REDACTED/accept"},
		{"/v1/organization_invitations/tok", "/v1/organization_invitations/REDACTED"},
		{"/v1/sessions/01J0000000000000000000000", "/v1/sessions/01J0000000000000000000000"},
		{"/v1/users/me", "/v1/users/me"},
		{"/signup", "/signup"},
	} {
		if got := RedactPath(tc.path); got != tc.want {
			t.Errorf("RedactPath(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
