package turn

import (
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Every UDP listening socket gets large buffers, so that datagrams wait
// rather than drop while its reading goroutine waits for a CPU.
func TestListenGrowsUDPBuffers(t *testing.T) {
	t.Parallel()
	// At least two sockets, whatever the test's GOMAXPROCS.
	n := max(2, runtime.GOMAXPROCS(0))
	s, err := Listen(ServerConfig{Addr: "127.0.0.1:0", Secret: []byte("s"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		UDPSockets: n})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.udps) != n {
		t.Fatalf("%d UDP sockets, want %d", len(s.udps), n)
	}
	for i, u := range s.udps {
		for _, c := range []struct {
			opt    int
			sysctl string
		}{{syscall.SO_RCVBUF, "rmem_max"}, {syscall.SO_SNDBUF, "wmem_max"}} {
			// The kernel grants min(asked, net.core.*mem_max) and reports
			// twice that (room for its bookkeeping).
			want := 2 * min(udpListenBuffer, sysctlInt(t, "/proc/sys/net/core/"+c.sysctl))
			if got := sockopt(t, u.(*net.UDPConn), c.opt); got < want {
				t.Errorf("socket %d: %s: socket buffer %d bytes, want at least %d", i, c.sysctl, got, want)
			}
		}
	}
}

func sockopt(t *testing.T, c *net.UDPConn, opt int) int {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var serr error
	if err := raw.Control(func(fd uintptr) { v, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, opt) }); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal(serr)
	}
	return v
}

func sysctlInt(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
