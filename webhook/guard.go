package webhook

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// blocked are the ranges a webhook never reaches unless allowed: the
// service's own host, private networks, link-local (and so cloud metadata
// at 169.254.169.254), shared CGNAT space, and addresses that are no
// single public host.
var blocked = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (CGNAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (metadata)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64"},
	{netip.MustParsePrefix("fc00::/7"), "private (ULA, metadata)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// Guard decides which addresses deliveries may reach.
type Guard struct {
	// Allow are ranges reachable although blocked
	// (VIDIVO_WEBHOOK_ALLOW_NETS: tests, private deployments).
	Allow []netip.Prefix
}

// ParseAllow reads a comma-separated list of CIDRs.
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("webhook: allowed network %q: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Check returns why addr may not be reached, or nil.
func (g Guard) Check(addr netip.Addr) error {
	addr = addr.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	for _, p := range g.Allow {
		if p.Contains(addr) {
			return nil
		}
	}
	if !addr.IsValid() {
		return fmt.Errorf("webhook: refused: no address")
	}
	for _, b := range blocked {
		if b.prefix.Contains(addr) {
			return fmt.Errorf("webhook: refused: %s is a %s address", addr, b.why)
		}
	}
	return nil
}

// Allowed reports whether addr lies in an allowed range.
func (g Guard) Allowed(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range g.Allow {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Control is a net.Dialer Control function: it checks the address
// actually being dialed, after name resolution, so a name that resolves
// to a private address (or changes its answer between a check and the
// dial) is refused.
func (g Guard) Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("webhook: refused: %w", err)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("webhook: refused: %w", err)
	}
	return g.Check(addr)
}
