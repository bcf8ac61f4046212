package api

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		xff     []string
		want    string
	}{
		{name: "no proxies: the header is ignored", peer: "203.0.113.7:4000", xff: []string{"198.51.100.1"}, want: "203.0.113.7"},
		{name: "untrusted peer: the header is ignored", trusted: proxies, peer: "203.0.113.7:4000", xff: []string{"198.51.100.1"}, want: "203.0.113.7"},
		{name: "trusted peer: the client it names", trusted: proxies, peer: "10.1.2.3:4000", xff: []string{"198.51.100.1"}, want: "198.51.100.1"},
		{name: "a spoofed entry left of the real one is not believed", trusted: proxies, peer: "10.1.2.3:4000",
			xff: []string{"1.2.3.4, 198.51.100.1"}, want: "198.51.100.1"},
		{name: "trusted hops are skipped, over several headers", trusted: proxies, peer: "10.1.2.3:4000",
			xff: []string{"1.2.3.4, 198.51.100.1", "10.9.9.9"}, want: "198.51.100.1"},
		{name: "IPv6 with brackets and port", trusted: proxies, peer: "[fd00::1]:4000", xff: []string{"[2001:db8::5]:1234"}, want: "2001:db8::5"},
		{name: "garbage stops at the last readable hop", trusted: proxies, peer: "10.1.2.3:4000", xff: []string{"198.51.100.1, bogus"}, want: "10.1.2.3"},
		{name: "no header from a trusted peer", trusted: proxies, peer: "10.1.2.3:4000", want: "10.1.2.3"},
		{name: "only trusted hops", trusted: proxies, peer: "10.1.2.3:4000", xff: []string{"10.7.7.7"}, want: "10.7.7.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &Server{TrustedProxies: tt.trusted}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientAddr(r); got != tt.want {
				t.Errorf("clientAddr = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLimitKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ addr, want string }{
		{"203.0.113.7", "ip:203.0.113.7"},
		{"2001:db8:1:2:aaaa::1", "ip:2001:db8:1:2::/64"},
		{"2001:db8:1:2:bbbb::9", "ip:2001:db8:1:2::/64"},
		{"::ffff:203.0.113.7", "ip:203.0.113.7"},
		{"not an address", "ip:not an address"},
	}
	for _, tt := range tests {
		if got := limitKey(tt.addr); got != tt.want {
			t.Errorf("limitKey(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}
