package main

import (
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/vidivo/vidivo/turn"
)

// The load generator against the embedded relay on loopback: flows carry
// packets to the echo peer and back without loss at a low rate, and the
// allocation cycle (allocate, permission, refresh, delete) succeeds and
// leaves no allocation behind.
func TestLoadAgainstEmbeddedRelay(t *testing.T) {
	secret := []byte("bench secret")
	peers, err := turn.ParseAllowPeers("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := turn.Listen(turn.ServerConfig{Addr: "127.0.0.1:0", Secret: secret, AllowPeers: peers, UserQuota: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := netip.MustParseAddrPort(srv.Addr().String())
	m := &turn.Minter{Secret: secret}
	echo, err := startEcho(2, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer echo.close()

	flows, err := openFlows(addr, m, 4, echo, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	st := &stepper{flows: flows, senders: 2, tick: time.Millisecond, dur: 500 * time.Millisecond, drain: time.Second}
	for _, size := range []int{160, 1200} {
		r := st.run(size, 400)
		if r.Sent < 190 || r.Recv != r.Sent || !r.Pass {
			t.Errorf("%d B at 400 pps: sent %d, received %d, pass %v, note %q", size, r.Sent, r.Recv, r.Pass, r.Note)
		}
	}
	closeFlows(flows)

	a := allocRate(addr, m, echo.addrs[0], 4, 500*time.Millisecond, 0, 0)
	if a.OK == 0 || a.Failed != 0 {
		t.Errorf("allocation cycles: %d ok, %d failed: %v", a.OK, a.Failed, a.Errors)
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.AllocationCount() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.AllocationCount(); n != 0 {
		t.Errorf("%d allocations left after every cycle deleted its own", n)
	}
}

// A wrong secret fails every cycle (the test above can fail).
func TestAllocCycleWrongSecret(t *testing.T) {
	srv, err := turn.Listen(turn.ServerConfig{Addr: "127.0.0.1:0", Secret: []byte("right"), UserQuota: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := netip.MustParseAddrPort(srv.Addr().String())
	err = allocCycle(addr, (&turn.Minter{Secret: []byte("wrong")}).Mint("p", time.Now()), netip.MustParseAddrPort("127.0.0.1:9"), 0)
	if err == nil {
		t.Fatal("allocation with a wrong secret succeeded")
	}
}
