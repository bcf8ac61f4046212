package main

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSSOPartnersSetting: VIDIVO_SSO_PARTNERS (--sso-partners) lists the
// partners as issuer=key pairs or in a file; a bad entry stops start-up
// with a message naming the setting and the entry, never a key.
func TestSSOPartnersSetting(t *testing.T) {
	t.Parallel()
	const key = "0123456789abcdef0123456789abcdef"
	file := filepath.Join(t.TempDir(), "partners")
	if err := os.WriteFile(file, []byte("# issuer=key\nabcd="+key+"\nxyz="+key+"x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    []string
		wantErr string
	}{
		{name: "none by default"},
		{name: "from the environment", env: map[string]string{"VIDIVO_SSO_PARTNERS": "abcd=" + key + ", xyz=" + key}, want: []string{"abcd", "xyz"}},
		{name: "from a file", args: []string{"--sso-partners", "@" + file}, want: []string{"abcd", "xyz"}},
		{name: "a short key", env: map[string]string{"VIDIVO_SSO_PARTNERS": "abcd=short"}, wantErr: "VIDIVO_SSO_PARTNERS: entry 1: the key of issuer \"abcd\" is shorter than 32 bytes"},
		{name: "no key", env: map[string]string{"VIDIVO_SSO_PARTNERS": "abcd=" + key + ",xyz"}, wantErr: "VIDIVO_SSO_PARTNERS: entry 2: want issuer=key"},
		{name: "a missing file", args: []string{"--sso-partners", "@" + file + ".missing"}, wantErr: "VIDIVO_SSO_PARTNERS: read partners file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			build := registerConfig(fs, func(k string) string { return tt.env[k] })
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := build()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), key) {
					t.Fatalf("err = %v, want one containing %q and no key", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for iss := range c.SSOPartners {
				got = append(got, iss)
			}
			slices.Sort(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("partners (-want +got):\n%s", diff)
			}
			if (ssoService(c, nil, nil) == nil) != (len(tt.want) == 0) {
				t.Errorf("ssoService is nil = %v with %d partners", ssoService(c, nil, nil) == nil, len(tt.want))
			}
		})
	}
}
