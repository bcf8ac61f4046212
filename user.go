package vidivo

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// User is an account: a host who sells calls, a client who books them, or an
// admin. Emails and usernames are stored lower-case, so uniqueness is
// case-insensitive.
type User struct {
	ID          string    `json:"id"`
	Email       string    `json:"email"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	AvatarURL   *string   `json:"avatar_url"`
	Role        Role      `json:"role"`
	Timezone    string    `json:"timezone"`
	CreatedAt   time.Time `json:"created_at"`
	// PayoutsConnected is true once a host has finished payout onboarding;
	// until then they cannot sell calls.
	PayoutsConnected bool `json:"-"`
	// PayoutAccountID is the host's account at the payments gateway.
	PayoutAccountID string `json:"-"`
}

// Limits on account fields.
const (
	MinPasswordLen    = 10
	MaxPasswordLen    = 256
	MaxEmailLen       = 254
	MaxDisplayNameLen = 100
	MaxAvatarURLLen   = 2048
)

var usernameRE = regexp.MustCompile(`^[a-z0-9_-]{3,32}$`)

// Signup is the input that creates an account.
type Signup struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        Role   `json:"role"`
}

// Normalize trims spaces and lower-cases the email and username, so
// "Jane@Example.com" and "jane@example.com" are one account.
func (s *Signup) Normalize() {
	s.Email = NormalizeEmail(s.Email)
	s.Username = strings.ToLower(strings.TrimSpace(s.Username))
	s.DisplayName = strings.TrimSpace(s.DisplayName)
}

// Validate checks a normalized Signup from the public API. Only client and
// host may be chosen: admins are made with the CLI. Returns EVALIDATION
// naming every bad field.
func (s *Signup) Validate() error { return s.validate(RoleClient, RoleHost) }

// ValidateAnyRole checks a normalized Signup made by an operator, who may
// also create admins. Returns EVALIDATION naming every bad field.
func (s *Signup) ValidateAnyRole() error { return s.validate(RoleClient, RoleHost, RoleAdmin) }

func (s *Signup) validate(roles ...Role) error {
	var errs []FieldError
	if issue := CheckEmail(s.Email); issue != "" {
		errs = append(errs, FieldError{"email", issue})
	}
	if issue := CheckPassword(s.Password); issue != "" {
		errs = append(errs, FieldError{"password", issue})
	}
	if issue := CheckUsername(s.Username); issue != "" {
		errs = append(errs, FieldError{"username", issue})
	}
	if issue := checkDisplayName(s.DisplayName); issue != "" {
		errs = append(errs, FieldError{"display_name", issue})
	}
	if !slices.Contains(roles, s.Role) {
		errs = append(errs, FieldError{"role", "must be one of " + roleNames(roles)})
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// UserUpdate changes a user's profile. Nil fields are left alone; an empty
// AvatarURL clears the avatar.
type UserUpdate struct {
	DisplayName *string
	AvatarURL   *string
	Timezone    *string
}

// Validate checks the fields being set. Returns EVALIDATION naming every bad
// field.
func (u *UserUpdate) Validate() error {
	var errs []FieldError
	if u.DisplayName != nil {
		*u.DisplayName = strings.TrimSpace(*u.DisplayName)
		if issue := checkDisplayName(*u.DisplayName); issue != "" {
			errs = append(errs, FieldError{"display_name", issue})
		}
	}
	if u.AvatarURL != nil && *u.AvatarURL != "" {
		if issue := checkAvatarURL(*u.AvatarURL); issue != "" {
			errs = append(errs, FieldError{"avatar_url", issue})
		}
	}
	if u.Timezone != nil {
		if issue := CheckTimezone(*u.Timezone); issue != "" {
			errs = append(errs, FieldError{"timezone", issue})
		}
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// CheckPassword returns what is wrong with a password, or "".
func CheckPassword(pw string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return "must be at least 10 characters"
	case len(pw) > MaxPasswordLen:
		return "must be at most 256 bytes"
	}
	return ""
}

// CheckUsername returns what is wrong with a normalized username for a new
// account, or "".
func CheckUsername(name string) string {
	if !IsUsername(name) {
		return "must be 3-32 characters of a-z, 0-9, _ and -"
	}
	if reservedUsernames[name] {
		return "is taken"
	}
	return ""
}

// IsUsername reports whether name has a username's shape, so it is worth
// looking up (reserved names included: accounts may predate the rule).
func IsUsername(name string) bool { return usernameRE.MatchString(name) }

// reservedUsernames are the first path segments of the service's own
// pages and routes: a host's scheduling page lives at /{username}, so a
// username equal to one of these would never be reachable there.
var reservedUsernames = map[string]bool{
	"admin": true, "api": true, "booked": true, "bookings": true, "call": true, "dashboard": true,
	"embed": true, "healthz": true, "join": true, "login": true, "logout": true,
	"metrics": true, "oauth": true, "readyz": true, "schedule": true, "settings": true, "signal": true,
	"signup": true, "static": true, "vidivo": true, "www": true,
}

// CheckTimezone returns what is wrong with an IANA time zone name, or "".
func CheckTimezone(name string) string {
	// LoadLocation also accepts "" and "Local", which mean the server's zone.
	if name == "" || name == "Local" {
		return "must be an IANA time zone name such as Europe/Berlin"
	}
	if _, err := LoadZone(name); err != nil {
		return "unknown time zone; use an IANA name such as Europe/Berlin"
	}
	return ""
}

func roleNames(roles []Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = `"` + string(r) + `"`
	}
	return strings.Join(names, ", ")
}

// zones caches time zones by name: loading one reads and parses the zone
// database, and a host's zone is needed on every schedule request. Only
// valid names are stored, so the cache stays as small as the set of zones
// in use.
var zones sync.Map // string → *time.Location

// LoadZone is time.LoadLocation, cached.
func LoadZone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

func checkDisplayName(name string) string {
	return TextIssue(name, TextRule{Required: true, Max: MaxDisplayNameLen})
}

func checkAvatarURL(raw string) string {
	if len(raw) > MaxAvatarURLLen {
		return "must be at most 2048 characters"
	}
	if issue := TextIssue(raw, TextRule{}); issue != "" {
		return issue
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "must be an absolute http or https URL"
	}
	return ""
}
