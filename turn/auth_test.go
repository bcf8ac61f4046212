package turn_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/stun/v3"
	pionturn "github.com/pion/turn/v4"

	"github.com/vidivo/vidivo/turn"
)

// errorCode is the STUN error code of a refused request, 0 for another
// error or none.
func errorCode(err error) stun.ErrorCode {
	var te *stun.TurnError
	if errors.As(err, &te) {
		return te.ErrorCodeAttr.Code
	}
	return 0
}

// TestUserQuota checks that one participant holds at most UserQuota live
// allocations, also with renewed credentials and concurrent requests, and
// gets a slot back when an allocation goes.
func TestUserQuota(t *testing.T) {
	t.Parallel()
	srv, w := startServer(t, turn.ServerConfig{UserQuota: 2})
	m := &turn.Minter{Secret: testSecret}
	now := time.Now()

	first := allocate(t, dial(t, srv, w, "udp", m.Mint("p1", now)))
	allocate(t, dial(t, srv, w, "tcp", m.Mint("p1", now)))
	for name, creds := range map[string]turn.Credentials{
		"same credentials":    m.Mint("p1", now),
		"renewed credentials": m.Mint("p1", now.Add(time.Minute)),
	} {
		r, err := dial(t, srv, w, "udp", creds).Allocate()
		if err == nil {
			_ = r.Close()
			t.Fatalf("%s: third allocation of p1 succeeded", name)
		}
		if got := errorCode(err); got != stun.CodeAllocQuotaReached {
			t.Errorf("%s: Allocate: %v, want 486 Allocation Quota Reached", name, err)
		}
	}
	allocate(t, dial(t, srv, w, "udp", m.Mint("p2", now))) // others are not affected

	// Closing sends a Refresh with lifetime 0; the slot comes back once
	// the server has deleted the allocation.
	_ = first.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := dial(t, srv, w, "udp", m.Mint("p1", now)).Allocate()
		if err == nil {
			_ = r.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no allocation 5 s after one of two was closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUserQuotaConcurrent races allocations of one participant over TCP,
// where pion serves connections in parallel: no more than the quota win.
func TestUserQuotaConcurrent(t *testing.T) {
	t.Parallel()
	srv, w := startServer(t, turn.ServerConfig{UserQuota: 2})
	m := &turn.Minter{Secret: testSecret}
	const n = 8
	var (
		wg  sync.WaitGroup
		won atomic.Int32
	)
	clients := make([]*pionturn.Client, n)
	for i := range clients {
		clients[i] = dial(t, srv, w, "tcp", m.Mint("racer", time.Now()))
	}
	for _, c := range clients {
		wg.Go(func() {
			r, err := c.Allocate()
			switch {
			case err == nil:
				won.Add(1)
				t.Cleanup(func() { _ = r.Close() })
			case errorCode(err) != stun.CodeAllocQuotaReached:
				t.Errorf("Allocate: %v", err)
			}
		})
	}
	wg.Wait()
	if got := won.Load(); got != 2 {
		t.Errorf("%d of %d concurrent allocations succeeded, want the quota, 2", got, n)
	}
}

// TestCredentialExpiry checks that minted credentials are short-lived:
// past DefaultTTL they create no allocation, while an allocation made in
// time keeps working, and fresh credentials work.
func TestCredentialExpiry(t *testing.T) {
	t.Parallel()
	if turn.DefaultTTL > 10*time.Minute {
		t.Errorf("DefaultTTL = %v, want minutes, about a signaling token's life", turn.DefaultTTL)
	}
	start := time.Now()
	var clock atomic.Int64
	clock.Store(start.UnixNano())
	srv, w := startServer(t, turn.ServerConfig{Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	m := &turn.Minter{Secret: testSecret}
	creds := m.Mint("guest", start)

	inTime := dial(t, srv, w, "udp", creds)
	allocate(t, inTime)

	clock.Store(start.Add(turn.DefaultTTL + time.Second).UnixNano())
	for _, tr := range transports {
		r, err := dial(t, srv, w, tr, creds).Allocate()
		if err == nil {
			_ = r.Close()
			t.Errorf("%s: allocation with credentials past their TTL succeeded", tr)
		} else if errorCode(err) != stun.CodeBadRequest {
			t.Errorf("%s: Allocate: %v, want a 400 error response", tr, err)
		}
	}
	if err := inTime.CreatePermission(udpAddr(t, "8.8.8.8:9")); err != nil {
		t.Errorf("CreatePermission on the allocation made in time: %v", err)
	}
	allocate(t, dial(t, srv, w, "udp", m.Mint("guest", time.Unix(0, clock.Load()))))
}
