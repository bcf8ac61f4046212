package main

import (
	"bytes"
	"flag"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo/turn"
)

func TestTURNSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		wantAllow []netip.Prefix
		wantQuota int
		wantErr   string
	}{
		{name: "defaults", wantQuota: turn.DefaultUserQuota},
		{name: "from the environment", env: map[string]string{
			"VIDIVO_TURN_ALLOW_PEERS": " 127.0.0.0/8, 10.1.2.3/16,192.168.1.7", "VIDIVO_TURN_USER_QUOTA": "0"},
			wantAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("192.168.1.7/32")}},
		{name: "flags win", env: map[string]string{"VIDIVO_TURN_ALLOW_PEERS": "10.0.0.0/8", "VIDIVO_TURN_USER_QUOTA": "3"},
			args:      []string{"--turn-allow-peers", "172.16.0.0/12", "--turn-user-quota", "4"},
			wantAllow: []netip.Prefix{netip.MustParsePrefix("172.16.0.0/12")}, wantQuota: 4},
		{name: "bad range", env: map[string]string{"VIDIVO_TURN_ALLOW_PEERS": "10.0.0.0/8,intranet"}, wantErr: "VIDIVO_TURN_ALLOW_PEERS"},
		{name: "negative quota", env: map[string]string{"VIDIVO_TURN_USER_QUOTA": "-1"}, wantErr: "TURN user quota"},
		{name: "quota not a number", env: map[string]string{"VIDIVO_TURN_USER_QUOTA": "ten"}, wantErr: "TURN user quota"},
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
			if diff := cmp.Diff(tt.wantAllow, c.TURNAllowPeers, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("allowed peers (-want +got):\n%s", diff)
			}
			if c.TURNUserQuota != tt.wantQuota {
				t.Errorf("user quota = %d, want %d", c.TURNUserQuota, tt.wantQuota)
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestStartTURNLocalRelayIP is the newcomer's run: the embedded TURN
// server on all interfaces with the default public URL on localhost gives
// peers 127.0.0.1 as relay address, as documented, not the machine's
// network address.
func TestStartTURNLocalRelayIP(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	build := registerConfig(fs, func(k string) string { return map[string]string{"VIDIVO_DATA_DIR": t.TempDir()}[k] })
	if err := fs.Parse([]string{"--turn-addr", ":0"}); err != nil {
		t.Fatal(err)
	}
	c, err := build()
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	m, stop, err := startTURN(c, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !strings.Contains(logs.String(), "relay_ip=127.0.0.1 ") {
		t.Errorf("TURN server did not start with relay address 127.0.0.1; log:\n%s", logs.String())
	}
	if len(m.URLs) == 0 || !strings.HasPrefix(m.URLs[0], "turn:localhost:") {
		t.Errorf("TURN URLs = %v, want the embedded server at localhost", m.URLs)
	}
}
