package main

import (
	"flag"
	"strings"
	"testing"
)

// TestPagesSettings covers the settings only the web pages read: the ICE
// policy of the call pages and Stripe's publishable key.
func TestPagesSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantICE string
		wantPK  string
		wantErr string
	}{
		{name: "defaults", wantICE: "all"},
		{name: "relay from the environment", env: map[string]string{"VIDIVO_ICE_POLICY": "relay"}, wantICE: "relay"},
		{name: "flag wins", env: map[string]string{"VIDIVO_ICE_POLICY": "relay"}, args: []string{"--ice-policy", "all"}, wantICE: "all"},
		{name: "publishable key", env: map[string]string{"VIDIVO_STRIPE_PUBLISHABLE_KEY": " pk_test_123 "},
			args: []string{"--ice-policy", "relay"}, wantICE: "relay", wantPK: "pk_test_123"},
		{name: "publishable key flag", args: []string{"--stripe-publishable-key", "pk_test_9"}, wantICE: "all", wantPK: "pk_test_9"},
		{name: "unknown policy", env: map[string]string{"VIDIVO_ICE_POLICY": "turn-only"}, wantErr: `ICE policy must be "all" or "relay"`},
		{name: "case matters", args: []string{"--ice-policy", "RELAY"}, wantErr: `got "RELAY"`},
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
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.ICEPolicy != tt.wantICE || c.StripePublishableKey != tt.wantPK {
				t.Errorf("ICE policy %q, publishable key %q; want %q, %q", c.ICEPolicy, c.StripePublishableKey, tt.wantICE, tt.wantPK)
			}
		})
	}
}
