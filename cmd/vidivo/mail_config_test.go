package main

import (
	"flag"
	"strings"
	"testing"
)

// TestMailSettings: VIDIVO_SMTP_URL and VIDIVO_MAIL_FROM (--smtp-url,
// --mail-from) go together; a bad URL, a password in plain text to a
// remote host or a bad sender stops start-up with a message naming the
// setting, never the password.
func TestMailSettings(t *testing.T) {
	t.Parallel()
	const from = "Vidivo <noreply@example.com>"
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{name: "off by default"},
		{name: "STARTTLS", env: map[string]string{"VIDIVO_SMTP_URL": "smtp://u:hunter2@mail.example.com:587", "VIDIVO_MAIL_FROM": from}},
		{name: "flags", args: []string{"--smtp-url", "smtps://u:hunter2@mail.example.com", "--mail-from", from}},
		{name: "loopback in plain text", env: map[string]string{"VIDIVO_SMTP_URL": "smtp://127.0.0.1:2525?tls=none", "VIDIVO_MAIL_FROM": from}},
		{name: "no sender", env: map[string]string{"VIDIVO_SMTP_URL": "smtp://mail.example.com"}, wantErr: "go together"},
		{name: "no server", env: map[string]string{"VIDIVO_MAIL_FROM": from}, wantErr: "go together"},
		{name: "a bad scheme", env: map[string]string{"VIDIVO_SMTP_URL": "http://mail.example.com", "VIDIVO_MAIL_FROM": from}, wantErr: "VIDIVO_SMTP_URL: scheme"},
		{name: "plain text with a password", env: map[string]string{"VIDIVO_SMTP_URL": "smtp://u:hunter2@mail.example.com?tls=none", "VIDIVO_MAIL_FROM": from}, wantErr: "VIDIVO_SMTP_URL: tls=none would send the password in plain text"},
		{name: "a bad sender", env: map[string]string{"VIDIVO_SMTP_URL": "smtp://mail.example.com", "VIDIVO_MAIL_FROM": "noreply"}, wantErr: "VIDIVO_MAIL_FROM"},
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
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("err = %v, want one containing %q and no password", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (c.SMTPURL == "") != (len(tt.env)+len(tt.args) == 0) {
				t.Fatalf("SMTP URL %q", c.SMTPURL)
			}
		})
	}
}
