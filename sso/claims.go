package sso

import (
	"net/url"
	"strings"

	"github.com/vidivo/vidivo"
)

// DefaultTimeZone is the zone of a sign-up token without time_zone, as the
// partner guide says ("default Pacific Time (US & Canada)").
const DefaultTimeZone = "Pacific Time (US & Canada)"

// Limits on claims beyond the account's own.
const (
	MaxBusinessNameLen = 200
	maxURLLen          = 2048
)

// newAccount is what a sign-up token's claims make.
type newAccount struct {
	Email, Name, BusinessName, Zone string
}

// signupClaims checks and normalizes a sign-up token's user claims.
// Returns EVALIDATION naming every bad claim.
func signupClaims(c *Claims) (newAccount, error) {
	a := newAccount{
		Email:        vidivo.NormalizeEmail(c.Email),
		Name:         strings.TrimSpace(c.Name),
		BusinessName: strings.TrimSpace(c.BusinessName),
	}
	var errs []vidivo.FieldError
	if issue := vidivo.CheckEmail(a.Email); issue != "" {
		errs = append(errs, vidivo.FieldError{Field: "email", Issue: issue})
	}
	if issue := vidivo.TextIssue(a.Name, vidivo.TextRule{Required: true, Max: vidivo.MaxDisplayNameLen}); issue != "" {
		errs = append(errs, vidivo.FieldError{Field: "name", Issue: issue})
	}
	if issue := vidivo.TextIssue(a.BusinessName, vidivo.TextRule{Max: MaxBusinessNameLen}); issue != "" {
		errs = append(errs, vidivo.FieldError{Field: "business_name", Issue: issue})
	}
	zone := strings.TrimSpace(c.TimeZone)
	if zone == "" {
		zone = DefaultTimeZone
	}
	var ok bool
	if a.Zone, ok = vidivo.ZoneFromName(zone); !ok {
		errs = append(errs, vidivo.FieldError{Field: "time_zone",
			Issue: `unknown time zone; use a name from the partner guide such as "Eastern Time (US & Canada)", or an IANA name such as America/New_York`})
	}
	if issue := checkLogoutURL(c.LogoutRedirectURL); issue != "" {
		errs = append(errs, vidivo.FieldError{Field: "logout_redirect_url", Issue: issue})
	}
	if len(errs) > 0 {
		return newAccount{}, vidivo.Invalid(errs...)
	}
	return a, nil
}

// loginClaims checks a login token's user claims and returns the
// normalized email. Returns EVALIDATION naming every bad claim.
func loginClaims(c *Claims) (string, error) {
	email := vidivo.NormalizeEmail(c.Email)
	var errs []vidivo.FieldError
	if fe := vidivo.CheckText("email", email, vidivo.TextRule{Required: true, Max: vidivo.MaxEmailLen}); fe != nil {
		errs = append(errs, *fe)
	}
	if issue := checkLogoutURL(c.LogoutRedirectURL); issue != "" {
		errs = append(errs, vidivo.FieldError{Field: "logout_redirect_url", Issue: issue})
	}
	if len(errs) > 0 {
		return "", vidivo.Invalid(errs...)
	}
	return email, nil
}

// checkLogoutURL returns what is wrong with a logout_redirect_url, or "":
// it may be absent, else an absolute http or https URL, since the browser
// is sent there.
func checkLogoutURL(raw string) string {
	if raw == "" {
		return ""
	}
	if len(raw) > maxURLLen {
		return "must be at most 2048 characters"
	}
	if issue := vidivo.TextIssue(raw, vidivo.TextRule{}); issue != "" {
		return issue
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "must be an absolute http or https URL"
	}
	return ""
}
