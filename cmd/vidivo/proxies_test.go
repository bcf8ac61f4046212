package main

import (
	"flag"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTrustedProxiesAndPublicLimitSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		env         map[string]string
		wantProxies []netip.Prefix
		wantPublic  int
		wantErr     string
	}{
		{name: "defaults", wantPublic: 120},
		{name: "addresses and CIDRs", env: map[string]string{
			"VIDIVO_TRUSTED_PROXIES": " 10.1.2.3/8, 192.0.2.7 ,fd00::/8", "VIDIVO_PUBLIC_RATE_LIMIT": "0"},
			wantProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("fd00::/8")}},
		{name: "bad proxy", env: map[string]string{"VIDIVO_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, wantErr: `"proxy.local" is neither`},
		{name: "bad public limit", env: map[string]string{"VIDIVO_PUBLIC_RATE_LIMIT": "-1"}, wantErr: "public rate limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			build := registerConfig(fs, func(k string) string { return tt.env[k] })
			if err := fs.Parse(nil); err != nil {
				t.Fatal(err)
			}
			c, err := build()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantProxies, c.TrustedProxies, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("proxies (-want +got):\n%s", diff)
			}
			if c.PublicRateLimit != tt.wantPublic {
				t.Errorf("public rate limit = %d, want %d", c.PublicRateLimit, tt.wantPublic)
			}
		})
	}
}
