package turn

import (
	"net"
	"sync"

	pionturn "github.com/pion/turn/v4"
)

// relayGenerator wraps pion's relay address generator: it records each
// relay socket's port as a relay port while the socket is open, and hands
// pion a socket that exchanges datagrams only with the peers the policy
// permits (pion's permission handler sees addresses, not ports).
type relayGenerator struct {
	pionturn.RelayAddressGenerator
	policy *peerPolicy
}

func (g *relayGenerator) AllocatePacketConn(network string, requestedPort int) (net.PacketConn, net.Addr, error) {
	conn, addr, err := g.RelayAddressGenerator.AllocatePacketConn(network, requestedPort)
	if err != nil {
		return nil, nil, err
	}
	port := 0
	if ua, ok := addr.(*net.UDPAddr); ok {
		port = ua.Port
	}
	g.policy.ports.add(port)
	return &filteredConn{PacketConn: conn, policy: g.policy, port: port}, addr, nil
}

// filteredConn is a relay socket that drops datagrams to and from peers
// the policy does not permit, silently, as a firewall would.
type filteredConn struct {
	net.PacketConn
	policy *peerPolicy
	port   int

	closeOnce sync.Once
}

func (c *filteredConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if !c.policy.permitAddr(addr) {
		return len(p), nil
	}
	return c.PacketConn.WriteTo(p, addr)
}

func (c *filteredConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil || c.policy.permitAddr(addr) {
			return n, addr, err
		}
	}
}

func (c *filteredConn) Close() error {
	c.closeOnce.Do(func() { c.policy.ports.remove(c.port) })
	return c.PacketConn.Close()
}
