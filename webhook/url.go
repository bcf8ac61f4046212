package webhook

import (
	"net/netip"
	"net/url"
	"strings"
)

// MaxURLLen bounds a callback URL.
const MaxURLLen = 2048

// CheckURL returns what is wrong with a callback URL, or "". It must be
// absolute https with a host, no user info and no fragment. Plain http is
// accepted only for an IP address in an allowed range: on a network the
// operator vouches for, TLS is theirs to choose. A literal address the
// guard refuses is refused here already; names are resolved, and checked,
// at every delivery.
func (g Guard) CheckURL(raw string) string {
	if raw == "" {
		return "is required"
	}
	if len(raw) > MaxURLLen {
		return "must be at most 2048 characters"
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		return "must be an absolute https URL"
	}
	host := u.Hostname()
	switch {
	case host == "":
		return "must name a host"
	case u.User != nil:
		return "must not contain a user name or password"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not contain a fragment"
	case strings.ContainsAny(raw, " \t\r\n\\"):
		return "must not contain spaces or backslashes"
	}
	if p := u.Port(); p != "" && !validPort(p) {
		return "has an invalid port"
	}
	addr, err := netip.ParseAddr(strings.Trim(host, "[]"))
	literal := err == nil
	switch u.Scheme {
	case "https":
	case "http":
		if !literal || !g.Allowed(addr) {
			return "must use https (http only for an address in VIDIVO_WEBHOOK_ALLOW_NETS)"
		}
	default:
		return "must be an absolute https URL"
	}
	if literal && g.Check(addr) != nil {
		return "must not point to a loopback, private, link-local or reserved address"
	}
	return ""
}

func validPort(p string) bool {
	if len(p) > 5 {
		return false
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n >= 1 && n <= 65535
}
