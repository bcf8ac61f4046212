//go:build !linux

package turn

import "syscall"

// reusePort is not used outside Linux: elsewhere SO_REUSEPORT does not
// spread unicast datagrams over the sockets sharing a port (BSDs and macOS
// deliver them all to one), or does not exist (Windows), so Listen opens
// a single UDP socket.
func reusePort(_, _ string, _ syscall.RawConn) error { return nil }

// canSharePort reports whether several UDP sockets can serve one port.
const canSharePort = false
