package turn

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
)

// deniedPeers are the addresses no peer may have unless allowed
// (ServerConfig.AllowPeers), as coturn's recommended denied-peer-ip list:
// this network, private (RFC 1918), shared/CGNAT (RFC 6598, which also
// holds some clouds' metadata services), loopback, link-local (cloud
// metadata at 169.254.169.254), IETF protocol assignments, documentation,
// 6to4 relay anycast, benchmarking, multicast and reserved ranges
// (broadcast included). IPv4-mapped IPv6 addresses are checked as the IPv4
// address they carry; other IPv6 addresses must be global unicast
// (2000::/3), minus the ranges that tunnel or translate to IPv4 (NAT64,
// Teredo, 6to4) and documentation. ULA (fc00::/7, with the EC2 metadata
// address fd00:ec2::254), link-local and multicast IPv6 lie outside
// 2000::/3 and are refused with it.
var deniedPeers = mustPrefixes(
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
	"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
	"64:ff9b::/96", "64:ff9b:1::/48", "2001::/23", "2001:db8::/32", "2002::/16",
)

var globalUnicast6 = netip.MustParsePrefix("2000::/3")

func mustPrefixes(ss ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}

// ParseAllowPeers parses a comma-separated list of CIDRs (a bare address
// counts as one address) for ServerConfig.AllowPeers. Blank entries are
// ignored; anything else that is not a CIDR or an address is an error.
func ParseAllowPeers(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("turn: allowed peers: %q is not a CIDR or an IP address", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// peerPolicy decides which peers the relay talks to (see Server). The
// permission handler asks permitIP when a client creates a permission or
// binds a channel; every relay socket asks permitAddr for each datagram,
// which is where ports are checked: TURN permissions are per address.
type peerPolicy struct {
	allow   []netip.Prefix
	relayIP netip.Addr
	// own holds this host's interface addresses: services on the host
	// listen on them.
	own        map[netip.Addr]bool
	listenPort int
	ports      *relayPorts
}

func newPeerPolicy(relayIP net.IP, listenPort int, allow []netip.Prefix, ports *relayPorts) *peerPolicy {
	p := &peerPolicy{allow: allow, relayIP: toAddr(relayIP), own: map[netip.Addr]bool{}, listenPort: listenPort, ports: ports}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				p.own[toAddr(n.IP)] = true
			}
		}
	}
	return p
}

func toAddr(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// handler is the pion PermissionHandler: it admits the relay address
// (peers relaying through this server reach each other there; ports are
// checked per datagram), allowed ranges, and public addresses that are not
// this host's.
func (p *peerPolicy) handler(_ net.Addr, peer net.IP) bool {
	return p.permitIP(toAddr(peer))
}

func (p *peerPolicy) permitIP(a netip.Addr) bool {
	if a == p.relayIP || p.allowed(a) {
		return true
	}
	return !p.isOwn(a) && !denied(a)
}

// permitAddr says whether the relay may send a datagram to addr or accept
// one from it. On this host's own addresses only relay ports are open,
// and the TURN server's listening port never is, allowed ranges or not.
func (p *peerPolicy) permitAddr(addr net.Addr) bool {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return false
	}
	a := toAddr(ua.IP)
	own := a == p.relayIP || p.isOwn(a)
	switch {
	case own && ua.Port == p.listenPort:
		return false
	case a == p.relayIP && p.ports.has(ua.Port):
		return true
	case p.allowed(a):
		return true
	case own:
		return false
	}
	return !denied(a)
}

func (p *peerPolicy) allowed(a netip.Addr) bool {
	for _, n := range p.allow {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// isOwn says whether a reaches this host: an interface address, loopback
// or unspecified (which the kernel delivers locally).
func (p *peerPolicy) isOwn(a netip.Addr) bool {
	return p.own[a] || a.IsLoopback() || a.IsUnspecified()
}

// denied says whether a is in deniedPeers (see there).
func denied(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() {
		return true
	}
	if a.Is6() && !globalUnicast6.Contains(a) {
		return true
	}
	for _, n := range deniedPeers {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// relayPorts knows this server's relay ports: the configured range when
// there is one (a range reserved for TURN, which several servers on one
// host may share), else the ports of its live allocations.
type relayPorts struct {
	min, max int

	mu   sync.Mutex
	live map[int]int
}

func (r *relayPorts) has(port int) bool {
	if r.min != 0 {
		return port >= r.min && port <= r.max
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.live[port] > 0
}

func (r *relayPorts) add(port int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live == nil {
		r.live = map[int]int{}
	}
	r.live[port]++
}

func (r *relayPorts) remove(port int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live[port]--; r.live[port] <= 0 {
		delete(r.live, port)
	}
}
