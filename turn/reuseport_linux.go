//go:build linux

package turn

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// reusePort marks a socket, before it is bound, as sharing its port with
// the other sockets of this process so marked (SO_REUSEPORT). Linux then
// spreads the incoming datagrams over them by a hash of the sender's
// address, so each client (5-tuple) always reaches the same socket — the
// one pion/turn keeps its allocation with — and the sockets are read by
// as many goroutines, on as many CPUs. Only sockets of the same user can
// join the group, and Listen takes the port's TCP listener first, which
// no one else may hold: another instance on the same port fails there
// instead of joining.
func reusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); err != nil {
		return err
	}
	return serr
}

// canSharePort reports whether several UDP sockets can serve one port
// (see reusePort).
const canSharePort = true
