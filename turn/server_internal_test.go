package turn

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"testing"
)

func TestPeerPolicyPermitIP(t *testing.T) {
	t.Parallel()
	internal := []string{
		"127.0.0.1", "127.9.9.9", "::1", "10.0.0.1", "10.255.1.2", "172.16.5.5", "172.31.0.1", "192.168.1.1",
		"100.64.0.1", "100.127.255.254", "169.254.169.254", "169.254.1.1", "fd00:ec2::254", "fd00::1", "fc00::1",
		"fe80::1", "0.0.0.0", "0.1.2.3", "::", "224.0.0.1", "239.255.255.250", "ff02::1", "255.255.255.255",
		"240.0.0.1", "192.0.0.170", "198.18.0.1", "192.0.2.7", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
		"::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1", "2001:db8::1",
	}
	cases := []struct {
		name  string
		relay string
		allow string
		yes   []string
		no    []string
	}{
		{"public relay", "203.0.113.5", "", []string{"203.0.113.5", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8"}, internal},
		{"loopback relay: itself only", "127.0.0.1", "", []string{"127.0.0.1", "8.8.8.8"}, []string{"127.0.0.2", "10.0.0.1", "169.254.169.254"}},
		{"private relay: no private peers", "10.0.0.5", "", []string{"10.0.0.5", "8.8.8.8"},
			[]string{"10.0.0.6", "10.1.2.3", "172.16.5.5", "192.168.1.1", "100.64.0.1", "127.0.0.1"}},
		{"allowed ranges", "203.0.113.5", "127.0.0.0/8, 10.1.0.0/16,192.168.1.9", []string{"127.0.0.1", "::ffff:127.0.0.2", "10.1.2.3", "192.168.1.9"},
			[]string{"10.2.0.1", "192.168.1.10", "169.254.169.254"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			allow, err := ParseAllowPeers(tc.allow)
			if err != nil {
				t.Fatal(err)
			}
			p := newPeerPolicy(net.ParseIP(tc.relay).To4(), 3478, allow, &relayPorts{})
			for _, ip := range tc.yes {
				if !p.handler(nil, net.ParseIP(ip)) {
					t.Errorf("peer %s refused", ip)
				}
			}
			for _, ip := range tc.no {
				if p.handler(nil, net.ParseIP(ip)) {
					t.Errorf("peer %s permitted", ip)
				}
			}
		})
	}
}

func TestPeerPolicyPermitAddr(t *testing.T) {
	t.Parallel()
	live := &relayPorts{}
	live.add(50001)
	cases := []struct {
		name  string
		relay string
		allow string
		ports *relayPorts
		yes   []string
		no    []string
	}{
		{"live relay ports", "203.0.113.5", "", live,
			[]string{"203.0.113.5:50001", "8.8.8.8:53"},
			[]string{"203.0.113.5:3478", "203.0.113.5:50002", "203.0.113.5:22", "127.0.0.1:50001", "10.0.0.1:50001"}},
		{"configured range", "203.0.113.5", "", &relayPorts{min: 40000, max: 40100},
			[]string{"203.0.113.5:40000", "203.0.113.5:40100"},
			[]string{"203.0.113.5:39999", "203.0.113.5:40101", "203.0.113.5:3478"}},
		{"allowed loopback, but never the listening port", "127.0.0.1", "127.0.0.0/8", live,
			[]string{"127.0.0.1:9999", "127.0.0.1:50001", "127.0.0.2:53"},
			[]string{"127.0.0.1:3478", "0.0.0.0:3478"}},
		{"loopback relay", "127.0.0.1", "", live,
			[]string{"127.0.0.1:50001"},
			[]string{"127.0.0.1:9999", "127.0.0.1:3478", "0.0.0.0:9999"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			allow, err := ParseAllowPeers(tc.allow)
			if err != nil {
				t.Fatal(err)
			}
			p := newPeerPolicy(net.ParseIP(tc.relay).To4(), 3478, allow, tc.ports)
			for _, s := range tc.yes {
				if !p.permitAddr(net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s))) {
					t.Errorf("%s refused", s)
				}
			}
			for _, s := range tc.no {
				if p.permitAddr(net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s))) {
					t.Errorf("%s permitted", s)
				}
			}
			if p.permitAddr(&net.TCPAddr{IP: net.IPv4(8, 8, 8, 8), Port: 53}) {
				t.Error("a TCP address permitted")
			}
		})
	}
}

func TestParseAllowPeers(t *testing.T) {
	t.Parallel()
	got, err := ParseAllowPeers(" 10.0.0.0/8 ,, 192.168.1.7, ::ffff:127.0.0.1, fd00::/8, 172.16.1.1/12")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.168.1.7/32", "127.0.0.1/32", "fd00::/8", "172.16.0.0/12"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("[%d] = %s, want %s", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "localhost", "10.0.0.0/8;1.2.3.4"} {
		if _, err := ParseAllowPeers(bad); err == nil {
			t.Errorf("ParseAllowPeers(%q) succeeded", bad)
		}
	}
}

func TestChooseRelayIP(t *testing.T) {
	t.Parallel()
	detected := func() (net.IP, error) { return net.IPv4(192, 0, 2, 2).To4(), nil }
	noRoute := func() (net.IP, error) { return nil, errors.New("network is unreachable") }
	cases := []struct {
		name       string
		given      string
		bind       string
		publicHost string
		detect     func() (net.IP, error)
		want       string
	}{
		{"given wins", "203.0.113.5", "", "localhost", detected, "203.0.113.5"},
		{"loopback listener", "", "127.0.0.1", "vidivo.example", detected, "127.0.0.1"},
		{"all interfaces, localhost public URL", "", "", "localhost", detected, "127.0.0.1"},
		{"all interfaces, 127.0.0.1 public URL", "", "", "127.0.0.1", detected, "127.0.0.1"},
		{"all interfaces, ::1 public URL", "", "", "::1", detected, "127.0.0.1"},
		{"specific listener", "", "198.51.100.4", "localhost", detected, "198.51.100.4"},
		{"all interfaces, public host", "", "", "vidivo.example", detected, "192.0.2.2"},
		{"all interfaces, no route", "", "", "vidivo.example", noRoute, "127.0.0.1"},
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bind, err := parseBindHost(tc.bind)
			if err != nil {
				t.Fatal(err)
			}
			got, err := chooseRelayIP(tc.given, bind, tc.publicHost, tc.detect, logger)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want || got.To4() == nil {
				t.Errorf("relay IP = %v, want %s", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"nonsense", "::1", "0.0.0.0"} {
		if ip, err := chooseRelayIP(bad, nil, "", detected, logger); err == nil {
			t.Errorf("chooseRelayIP(%q) = %v", bad, ip)
		}
	}
}
