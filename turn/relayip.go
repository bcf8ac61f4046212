package turn

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
)

// parseBindHost returns the IP in a listen address's host, nil for all
// interfaces.
func parseBindHost(host string) (net.IP, error) {
	if host == "" {
		return nil, nil
	}
	if host == "localhost" {
		return net.IPv4(127, 0, 0, 1), nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, fmt.Errorf("host %q is not an IP address", host)
	}
	if ip.IsUnspecified() {
		return nil, nil
	}
	return ip, nil
}

var loopback4 = net.IPv4(127, 0, 0, 1).To4()

// chooseRelayIP implements ServerConfig.RelayIP and its defaults, in order:
//   - given, when set;
//   - 127.0.0.1 when the listening address is loopback, or when the public
//     host is (a local install listening on all interfaces, the embedded
//     default with VIDIVO_PUBLIC_URL=http://localhost:8080);
//   - the listening address when that is a specific IPv4 address;
//   - the address detect finds, the source address of the default IPv4
//     route, with a warning: right when the host's public address sits on
//     its interface, wrong behind NAT (a cloud VM with a private address
//     and a 1:1 public IP), where RelayIP must be set;
//   - 127.0.0.1 with a warning when there is no such route (a machine
//     whose only address is loopback).
func chooseRelayIP(given string, bindIP net.IP, publicHost string, detect func() (net.IP, error), logger *slog.Logger) (net.IP, error) {
	if given != "" {
		ip := net.ParseIP(given)
		if ip == nil || ip.To4() == nil || ip.IsUnspecified() {
			return nil, fmt.Errorf("turn: relay IP %q is not a usable IPv4 address", given)
		}
		return ip.To4(), nil
	}
	switch {
	case bindIP != nil && bindIP.IsLoopback(), bindIP == nil && isLoopbackHost(publicHost):
		return loopback4, nil
	case bindIP != nil && bindIP.To4() != nil:
		return bindIP.To4(), nil
	}
	ip, err := detect()
	if err != nil {
		logger.Warn("TURN relay IP not configured and no default IPv4 route to detect it from: using 127.0.0.1, which only peers on this host can reach; set the relay IP to this host's public IPv4 address", "err", err)
		return loopback4, nil
	}
	logger.Warn("TURN relay IP not configured; using the default route's source address, which is wrong behind NAT: set the relay IP to this host's public IPv4 address",
		"relay_ip", ip.String(), "private", ip.IsPrivate())
	return ip, nil
}

// isLoopbackHost says whether a URL host names this machine's loopback.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// detectRelayIP returns the source address of this host's default IPv4
// route. Connecting a UDP socket sends nothing; it only picks the route,
// and with it the source address, towards a public address (192.0.2.1 is
// TEST-NET-1, RFC 5737, routed via the default route like any other).
func detectRelayIP() (net.IP, error) {
	c, err := net.Dial("udp4", "192.0.2.1:9")
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ip := c.LocalAddr().(*net.UDPAddr).IP.To4()
	if ip == nil || ip.IsLoopback() || ip.IsUnspecified() {
		return nil, fmt.Errorf("the default route's source address is %v", ip)
	}
	return ip, nil
}
