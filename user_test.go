package vidivo_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
)

func TestSignupValidate(t *testing.T) {
	t.Parallel()
	valid := func() vidivo.Signup {
		return vidivo.Signup{Email: " Jane@Example.COM ", Password: "0123456789", Username: " JaneCoach ", DisplayName: " Jane ", Role: vidivo.RoleHost}
	}
	for _, tc := range []struct {
		name   string
		edit   func(*vidivo.Signup)
		fields []string // empty: valid
	}{
		{"valid", func(*vidivo.Signup) {}, nil},
		{"10 runes of multibyte password", func(s *vidivo.Signup) { s.Password = "ääääääääää" }, nil},
		{"9 char password", func(s *vidivo.Signup) { s.Password = "012345678" }, []string{"password"}},
		{"huge password", func(s *vidivo.Signup) { s.Password = strings.Repeat("x", 257) }, []string{"password"}},
		{"no at sign", func(s *vidivo.Signup) { s.Email = "jane.example.com" }, []string{"email"}},
		{"no dot in domain", func(s *vidivo.Signup) { s.Email = "jane@localhost" }, []string{"email"}},
		{"display form email", func(s *vidivo.Signup) { s.Email = "Jane <jane@example.com>" }, []string{"email"}},
		{"username 2 chars", func(s *vidivo.Signup) { s.Username = "ab" }, []string{"username"}},
		{"username 32 chars", func(s *vidivo.Signup) { s.Username = strings.Repeat("a", 32) }, nil},
		{"username unicode", func(s *vidivo.Signup) { s.Username = "jäne" }, []string{"username"}},
		{"admin", func(s *vidivo.Signup) { s.Role = vidivo.RoleAdmin }, []string{"role"}},
		{"everything wrong", func(s *vidivo.Signup) { *s = vidivo.Signup{} }, []string{"email", "password", "username", "display_name", "role"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := valid()
			tc.edit(&s)
			s.Normalize()
			err := s.Validate()
			var got []string
			for _, d := range vidivo.ErrorDetails(err) {
				got = append(got, d.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("fields = %v, want %v (err %v)", got, tc.fields, err)
			}
			if len(tc.fields) > 0 && vidivo.ErrorCode(err) != vidivo.EVALIDATION {
				t.Errorf("code = %q", vidivo.ErrorCode(err))
			}
		})
	}
	s := valid()
	s.Normalize()
	if s.Email != "jane@example.com" || s.Username != "janecoach" || s.DisplayName != "Jane" {
		t.Errorf("Normalize = %+v", s)
	}
	s.Role = vidivo.RoleAdmin
	if err := s.ValidateAnyRole(); err != nil {
		t.Errorf("operators may create admins: %v", err)
	}
}

func TestCheckTimezone(t *testing.T) {
	t.Parallel()
	for zone, ok := range map[string]bool{
		"UTC": true, "Europe/Berlin": true, "America/New_York": true, "Asia/Kolkata": true,
		"": false, "Local": false, "Mars/Olympus": false, "../../etc/passwd": false, "europe/berlin": false,
	} {
		if got := vidivo.CheckTimezone(zone) == ""; got != ok {
			t.Errorf("CheckTimezone(%q) ok = %v, want %v", zone, got, ok)
		}
	}
}

func TestCallerCan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role  vidivo.Role
		check []vidivo.Role
		want  bool
	}{
		{vidivo.RoleHost, []vidivo.Role{vidivo.RoleHost}, true},
		{vidivo.RoleClient, []vidivo.Role{vidivo.RoleHost}, false},
		{vidivo.RoleClient, []vidivo.Role{vidivo.RoleClient, vidivo.RoleHost}, true},
		{vidivo.RoleAdmin, []vidivo.Role{vidivo.RoleHost}, true},
		{vidivo.RoleAdmin, []vidivo.Role{vidivo.RoleGuest}, false},
		{vidivo.RoleGuest, []vidivo.Role{vidivo.RoleClient, vidivo.RoleHost, vidivo.RoleAdmin}, false},
		{vidivo.RoleGuest, []vidivo.Role{vidivo.RoleGuest}, true},
	} {
		if got := (vidivo.Caller{Role: tc.role}).Can(tc.check...); got != tc.want {
			t.Errorf("%s.Can(%v) = %v, want %v", tc.role, tc.check, got, tc.want)
		}
	}
}

func TestErrorHelpers(t *testing.T) {
	t.Parallel()
	if vidivo.ErrorCode(nil) != "" {
		t.Error("ErrorCode(nil) != \"\"")
	}
	wrapped := errorsJoin(vidivo.Errorf(vidivo.ECONFLICT, "taken"))
	if vidivo.ErrorCode(wrapped) != vidivo.ECONFLICT || vidivo.ErrorMessage(wrapped) != "taken" {
		t.Errorf("wrapped error lost its code: %v", wrapped)
	}
	plain := errorsJoin(nil)
	if vidivo.ErrorCode(plain) != vidivo.EINTERNAL || vidivo.ErrorMessage(plain) != "internal error" {
		t.Errorf("plain error = %q %q", vidivo.ErrorCode(plain), vidivo.ErrorMessage(plain))
	}
}

func TestUserUpdateText(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	tests := []struct {
		name string
		upd  vidivo.UserUpdate
		want []vidivo.FieldError
	}{
		{"ok", vidivo.UserUpdate{DisplayName: str(" Jane "), AvatarURL: str("https://x.io/a.png")}, nil},
		{"NUL in name", vidivo.UserUpdate{DisplayName: str("Ja\x00ne")}, []vidivo.FieldError{{Field: "display_name", Issue: "must not contain control characters"}}},
		{"newline in name", vidivo.UserUpdate{DisplayName: str("Ja\nne")}, []vidivo.FieldError{{Field: "display_name", Issue: "must be a single line"}}},
		{"C1 control in avatar", vidivo.UserUpdate{AvatarURL: str("https://x.io/\u0085")}, []vidivo.FieldError{{Field: "avatar_url", Issue: "must not contain control characters"}}},
		{"NUL in zone", vidivo.UserUpdate{Timezone: str("UTC\x00")}, []vidivo.FieldError{{Field: "timezone", Issue: "unknown time zone; use an IANA name such as Europe/Berlin"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.upd.Validate()
			if diff := cmp.Diff(tt.want, vidivo.ErrorDetails(err)); diff != "" {
				t.Errorf("Validate() details (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckUsernameReservesPagePaths(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"janecoach", true},
		{"jane-coach_2", true},
		{"dashboard", false},
		{"login", false},
		{"settings", false},
		{"bookings", false},
		{"embed", false},
		{"dashboards", true},
		{"ab", false},
		{"Jane", false},
	} {
		if got := vidivo.CheckUsername(tt.name) == ""; got != tt.ok {
			t.Errorf("CheckUsername(%q) ok = %v, want %v", tt.name, got, tt.ok)
		}
	}
}
