package sso

import (
	"strings"
	"testing"

	"github.com/vidivo/vidivo"
)

func TestUsernameBase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, email, want string }{
		{"Jane Smith", "jane@example.com", "jane-smith"},
		{"  Dr. Jane  O'Neil  ", "x@example.com", "dr-jane-o-neil"},
		{"José Álvarez", "x@example.com", "jos-lvarez"},
		{"李小龍", "bruce.lee@example.com", "bruce-lee"},
		{"Al", "al@example.com", "host"},
		{"a_b", "x@example.com", "a_b"},
		{"Wolfeschlegelsteinhausenbergerdorff Senior", "x@example.com", "wolfeschlegelsteinhausen"},
		{"Jane-------Smith---", "x@example.com", "jane-smith"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := usernameBase(tc.name, tc.email)
			if got != tc.want {
				t.Errorf("usernameBase(%q, %q) = %q, want %q", tc.name, tc.email, got, tc.want)
			}
			for attempt := range 3 {
				if c := usernameCandidate(got, attempt); vidivo.CheckUsername(c) != "" {
					t.Errorf("candidate %d %q: %s", attempt, c, vidivo.CheckUsername(c))
				}
			}
		})
	}
	// A reserved name is never tried as is.
	if c := usernameCandidate("admin", 0); !strings.HasPrefix(c, "admin-") || vidivo.CheckUsername(c) != "" {
		t.Errorf("candidate for a reserved name = %q", c)
	}
}
