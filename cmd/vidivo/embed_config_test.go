package main

import (
	"flag"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEmbedOriginsSetting: VIDIVO_EMBED_ORIGINS (--embed-origins) lists the
// origins allowed to frame the widget, normalised as browsers write
// origins; anything that is not a plain http(s) origin is refused, since
// it would go into a frame-ancestors list.
func TestEmbedOriginsSetting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    []string
		wantErr string
	}{
		{name: "none by default"},
		{name: "from the environment", env: map[string]string{"VIDIVO_EMBED_ORIGINS": " https://Coach.Example/ , http://127.0.0.1:8081,"},
			want: []string{"https://coach.example", "http://127.0.0.1:8081"}},
		{name: "flag wins", env: map[string]string{"VIDIVO_EMBED_ORIGINS": "https://a.example"},
			args: []string{"--embed-origins", "https://b.example"}, want: []string{"https://b.example"}},
		{name: "a path", args: []string{"--embed-origins", "https://a.example/page"}, wantErr: "is not an origin"},
		{name: "a wildcard", args: []string{"--embed-origins", "https://*.example"}, wantErr: "is not an origin"},
		{name: "star", args: []string{"--embed-origins", "*"}, wantErr: "is not an origin"},
		{name: "a keyword", args: []string{"--embed-origins", "'self'"}, wantErr: "is not an origin"},
		{name: "another scheme", args: []string{"--embed-origins", "javascript://a.example"}, wantErr: "is not an origin"},
		{name: "a query", args: []string{"--embed-origins", "https://a.example?x=1"}, wantErr: "is not an origin"},
		{name: "a second directive", args: []string{"--embed-origins", "https://a.example; script-src *"}, wantErr: "is not an origin"},
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
			if diff := cmp.Diff(tt.want, c.EmbedOrigins); diff != "" {
				t.Errorf("EmbedOrigins (-want +got):\n%s", diff)
			}
		})
	}
}
