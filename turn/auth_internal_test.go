package turn

import (
	"io"
	"log/slog"
	"net"
	"testing"
)

// TestQuotaHolds checks the quota counts allocations under way (reserved,
// not yet created) as well as live ones, so that requests racing each
// other cannot together pass it.
func TestQuotaHolds(t *testing.T) {
	t.Parallel()
	a := newCredentialAuth([]byte("s"), nil, 2, slog.New(slog.NewTextHandler(io.Discard, nil)))
	src := &net.UDPAddr{IP: net.IPv4(198, 51, 100, 1), Port: 5000}
	src2 := &net.UDPAddr{IP: net.IPv4(198, 51, 100, 1), Port: 5001}
	steps := []struct {
		name string
		do   func() bool
		want bool
	}{
		{"first reserved", func() bool { return a.reserve("1:p", "", src) }, true},
		{"second reserved", func() bool { return a.reserve("2:p", "", src2) }, true},
		{"third while two are under way", func() bool { return a.reserve("3:p", "", src) }, false},
		{"another participant", func() bool { return a.reserve("1:q", "", src) }, true},
		{"first created: still two", func() bool { a.created(src, nil, "UDP", "1:p", "", nil, 0); return a.reserve("3:p", "", src) }, false},
		{"second created: still two", func() bool { a.created(src2, nil, "UDP", "2:p", "", nil, 0); return a.reserve("3:p", "", src) }, false},
		{"one deleted: a slot", func() bool { a.deleted(src, nil, "UDP", "1:p", ""); return a.reserve("3:p", "", src) }, true},
	}
	for _, s := range steps {
		if got := s.do(); got != s.want {
			t.Fatalf("%s: reserve = %v, want %v", s.name, got, s.want)
		}
	}
}
