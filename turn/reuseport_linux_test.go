package turn

import (
	"io"
	"log/slog"
	"net"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestListenUDPSockets checks how many UDP sockets Listen opens on its
// port: one per CPU by default, or as configured, all on the TCP
// listener's port; several share it with SO_REUSEPORT, a single one keeps
// it to itself.
func TestListenUDPSockets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  int
		want int
	}{
		{"default: one per CPU", 0, runtime.GOMAXPROCS(0)},
		{"one", 1, 1},
		{"three", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Listen(ServerConfig{Addr: "127.0.0.1:0", Secret: []byte("s"),
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), UDPSockets: tc.cfg})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if len(s.udps) != tc.want {
				t.Fatalf("%d UDP sockets, want %d", len(s.udps), tc.want)
			}
			port := s.TCPAddr().(*net.TCPAddr).Port
			wantShared := 0
			if tc.want > 1 {
				wantShared = 1
			}
			for i, u := range s.udps {
				if got := u.LocalAddr().(*net.UDPAddr).Port; got != port {
					t.Errorf("socket %d on port %d, want the TCP port %d", i, got, port)
				}
				if got := sockopt(t, u.(*net.UDPConn), unix.SO_REUSEPORT); got != wantShared {
					t.Errorf("socket %d: SO_REUSEPORT = %d, want %d", i, got, wantShared)
				}
			}
		})
	}
	if _, err := Listen(ServerConfig{Addr: "127.0.0.1:0", Secret: []byte("s"), UDPSockets: -1}); err == nil {
		t.Error("Listen with -1 UDP sockets succeeded")
	}
}
