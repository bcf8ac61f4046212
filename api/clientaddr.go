package api

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address of the client that sent r: the peer, unless
// the peer is one of TrustedProxies, in which case X-Forwarded-For is read
// from the right, skipping trusted hops, and the first address not trusted
// is the client. Entries left of it were written by the client and are not
// believed. Without TrustedProxies the header is ignored, so nobody can
// choose their own address by sending it.
func (s *Server) clientAddr(r *http.Request) string {
	peer := clientIP(r)
	if len(s.TrustedProxies) == 0 {
		return peer
	}
	hop, err := netip.ParseAddr(peer)
	if err != nil || !s.trusted(hop) {
		return peer
	}
	fwd := strings.Join(r.Header.Values("X-Forwarded-For"), ",")
	parts := strings.Split(fwd, ",")
	for i := len(parts) - 1; i >= 0; i-- {
		a, ok := parseHop(parts[i])
		if !ok {
			break // garbage: the last hop we could read is as far as we trust
		}
		hop = a
		if !s.trusted(a) {
			break
		}
	}
	return hop.String()
}

// trusted reports whether a is one of TrustedProxies.
func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one X-Forwarded-For entry: an address, perhaps with a
// port or in brackets.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// limitKey is the bucket key of a client address: IPv4 as itself (mapped
// or not), IPv6 by its /64, the block one subscriber usually holds, so
// stepping through it gains nothing.
func limitKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return "ip:" + addr
	}
	if a = a.Unmap(); a.Is4() {
		return "ip:" + a.String()
	}
	p, _ := a.Prefix(64)
	return "ip:" + p.String()
}
