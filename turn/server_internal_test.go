package turn

import (
	"net"
	"testing"
)

func TestPeerPermission(t *testing.T) {
	t.Parallel()
	cases := []struct {
		relay string
		allow []string
		deny  []string
	}{
		{
			relay: "203.0.113.5",
			allow: []string{"203.0.113.5", "198.51.100.7", "8.8.8.8", "2001:db8::1"},
			deny: []string{"127.0.0.1", "127.9.9.9", "::1", "10.0.0.1", "172.16.5.5", "192.168.1.1", "100.64.0.1",
				"fd00::1", "169.254.169.254", "fe80::1", "0.0.0.0", "0.1.2.3", "::", "224.0.0.1", "255.255.255.255", "::ffff:127.0.0.1"},
		},
		{
			relay: "127.0.0.1",
			allow: []string{"127.0.0.1", "127.0.0.2", "198.51.100.7"},
			deny:  []string{"10.0.0.1", "169.254.169.254", "0.0.0.0"},
		},
		{
			relay: "192.168.1.10",
			allow: []string{"192.168.1.10", "192.168.1.20", "10.0.0.1", "198.51.100.7"},
			deny:  []string{"127.0.0.1", "169.254.169.254", "224.0.0.1"},
		},
	}
	for _, c := range cases {
		h := peerPermission(net.ParseIP(c.relay).To4())
		for _, p := range c.allow {
			if !h(nil, net.ParseIP(p)) {
				t.Errorf("relay %s: peer %s denied", c.relay, p)
			}
		}
		for _, p := range c.deny {
			if h(nil, net.ParseIP(p)) {
				t.Errorf("relay %s: peer %s allowed", c.relay, p)
			}
		}
	}
}
