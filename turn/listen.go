package turn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"syscall"
)

// udpSocketCount is how many UDP sockets Listen opens on its port for
// ServerConfig.UDPSockets n: n, or one per CPU the Go scheduler runs on
// (GOMAXPROCS) when n is zero; always one where sockets cannot share a
// port (canSharePort).
func udpSocketCount(n int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("turn: %d UDP sockets", n)
	case !canSharePort:
		return 1, nil
	case n == 0:
		return runtime.GOMAXPROCS(0), nil
	}
	return n, nil
}

// listenSockets listens on host:port over TCP and, with n sockets sharing
// the port, over UDP. TCP comes first: a port someone else listens on
// fails there, before any UDP socket could join another process's
// SO_REUSEPORT group. With port 0 the kernel picks a free TCP port and UDP
// takes the same number, retrying when that is taken over UDP.
func listenSockets(host, port string, n int) ([]net.PacketConn, net.Listener, error) {
	if port != "0" {
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, nil, err
		}
		udps, err := listenUDP(host, port, n)
		if err != nil {
			_ = tcp.Close()
			return nil, nil, err
		}
		return udps, tcp, nil
	}
	var lastErr error
	for range 20 {
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, nil, err
		}
		p := strconv.Itoa(tcp.Addr().(*net.TCPAddr).Port)
		udps, err := listenUDP(host, p, n)
		if err == nil {
			return udps, tcp, nil
		}
		_ = tcp.Close()
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, err
		}
		lastErr = err
	}
	return nil, nil, fmt.Errorf("no port free over both UDP and TCP: %w", lastErr)
}

// listenUDP opens n UDP sockets on host:port, sharing it (reusePort) when
// n > 1; a single socket keeps the port to itself, as before.
func listenUDP(host, port string, n int) ([]net.PacketConn, error) {
	var lc net.ListenConfig
	if n > 1 {
		lc.Control = reusePort
	}
	addr := net.JoinHostPort(host, port)
	udps := make([]net.PacketConn, 0, n)
	for range n {
		c, err := lc.ListenPacket(context.Background(), "udp", addr)
		if err != nil {
			closeAll(udps)
			return nil, err
		}
		udps = append(udps, c)
	}
	return udps, nil
}

func closeAll(cs []net.PacketConn) {
	for _, c := range cs {
		_ = c.Close()
	}
}
