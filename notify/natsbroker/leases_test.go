package natsbroker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vidivo/vidivo/notify"
)

// leaseBucket returns a bucket name of the test's own, deleted at the end.
func leaseBucket(t *testing.T) string {
	t.Helper()
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "VIDIVO_NOTIFY_STREAMS_TEST_" + hex.EncodeToString(suffix)
	t.Cleanup(func() {
		nc, err := nats.Connect(natsURL)
		if err != nil {
			return
		}
		defer nc.Close()
		if js, err := jetstream.New(nc); err == nil {
			_ = js.DeleteKeyValue(context.Background(), name)
		}
	})
	return name
}

// newLeases opens the bucket on a NATS connection of its own, as each
// instance of a fleet does.
func newLeases(t *testing.T, cfg LeaseConfig) *Leases {
	t.Helper()
	nc, err := nats.Connect(natsURL, nats.Timeout(2*time.Second), nats.Name("vidivo-leases-test"))
	if err != nil {
		t.Fatalf("NATS is not reachable at %s: %v", natsURL, err)
	}
	t.Cleanup(nc.Close)
	l, err := NewLeases(context.Background(), nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// leasedHub is one instance's hub, capped fleet-wide by leases.
func leasedHub(t *testing.T, l *Leases, max int) *notify.Hub {
	t.Helper()
	h := &notify.Hub{MaxPerUser: max, Leases: l}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func waitHeld(t *testing.T, l *Leases, user string, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := l.Held(context.Background(), user)
		if err != nil {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %d leases, want %d", user, n, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLeasesCapAcrossInstances: with a cap of 3, a user's streams on two
// instances count together: the fourth is refused on either instance, and
// a stream closed on one frees a place on the other. Another user is not
// affected.
func TestLeasesCapAcrossInstances(t *testing.T) {
	t.Parallel()
	bucket := leaseBucket(t)
	la, lb := newLeases(t, LeaseConfig{Bucket: bucket}), newLeases(t, LeaseConfig{Bucket: bucket})
	a, b := leasedHub(t, la, 3), leasedHub(t, lb, 3)
	const user = "01JN2X4K8M3F7QPZRVWT6YBHCE"

	var subs []*notify.Subscription
	for _, h := range []*notify.Hub{a, b, a} {
		s, err := h.Subscribe(user)
		if err != nil {
			t.Fatalf("stream %d: %v", len(subs)+1, err)
		}
		subs = append(subs, s)
	}
	for name, h := range map[string]*notify.Hub{"a": a, "b": b} {
		if s, err := h.Subscribe(user); !errors.Is(err, notify.ErrTooManyStreams) {
			t.Errorf("a fourth stream on %s: %v, %v; want ErrTooManyStreams", name, s, err)
		}
	}
	if s, err := b.Subscribe("someone-else"); err != nil {
		t.Errorf("another user's stream: %v", err)
	} else {
		s.Close()
	}

	subs[0].Close() // on a; its lease goes in the background
	waitHeld(t, lb, user, 2)
	if _, err := b.Subscribe(user); err != nil {
		t.Errorf("a stream on b after one closed on a: %v", err)
	}
	if n := a.Subscribers(user) + b.Subscribers(user); n != 3 {
		t.Errorf("%d streams open, want 3", n)
	}
}

// TestLeasesOfADeadInstanceRunOut: an instance that dies holds its leases
// until they run out, no longer: then the user may open streams elsewhere
// again. The survivor's clock is moved past the lease's life instead of
// waiting for it.
func TestLeasesOfADeadInstanceRunOut(t *testing.T) {
	t.Parallel()
	bucket := leaseBucket(t)
	var skew atomic.Int64
	later := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	dead := leasedHub(t, newLeases(t, LeaseConfig{Bucket: bucket, TTL: time.Minute}), 2)
	live := newLeases(t, LeaseConfig{Bucket: bucket, TTL: time.Minute, Now: later})
	survivor := leasedHub(t, live, 2)
	const user = "01JN2X4K8M3F7QPZRVWT6YBHCF"
	for range 2 {
		if _, err := dead.Subscribe(user); err != nil {
			t.Fatal(err)
		}
	}
	dead.Close() // no more renewals, and its streams are never closed
	if _, err := survivor.Subscribe(user); !errors.Is(err, notify.ErrTooManyStreams) {
		t.Fatalf("while the dead instance's leases last: %v, want ErrTooManyStreams", err)
	}
	skew.Store(int64(time.Minute + time.Second))
	for i := range 2 {
		if _, err := survivor.Subscribe(user); err != nil {
			t.Fatalf("stream %d after the leases ran out: %v", i+1, err)
		}
	}
}

// TestLeasesRenewed: an open stream's lease outlives its TTL as long as
// its hub renews it.
func TestLeasesRenewed(t *testing.T) {
	t.Parallel()
	l := newLeases(t, LeaseConfig{Bucket: leaseBucket(t), TTL: 300 * time.Millisecond})
	h := &notify.Hub{MaxPerUser: 1, Leases: l, LeaseRenew: 50 * time.Millisecond}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	const user = "01JN2X4K8M3F7QPZRVWT6YBHCG"
	if _, err := h.Subscribe(user); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // three TTLs
	if n, err := l.Held(context.Background(), user); err != nil || n != 1 {
		t.Errorf("after three TTLs with renewals: %d leases held, %v; want 1", n, err)
	}
	h.Close()
	waitHeld(t, l, user, 0) // not renewed any more: it runs out
}

// TestLeasesTakeRace: instances racing for a user's last places never
// take more than the cap, nor fewer.
func TestLeasesTakeRace(t *testing.T) {
	t.Parallel()
	bucket := leaseBucket(t)
	const racers, max = 8, 3
	ls := make([]*Leases, racers)
	for i := range ls {
		ls[i] = newLeases(t, LeaseConfig{Bucket: bucket})
	}
	const user = "racer"
	var (
		wg       sync.WaitGroup
		took     atomic.Int32
		refused  atomic.Int32
		failures = make(chan error, racers)
	)
	for i, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := l.Take(context.Background(), user, hex.EncodeToString([]byte{byte(i)}), max); {
			case err == nil:
				took.Add(1)
			case errors.Is(err, notify.ErrTooManyStreams):
				refused.Add(1)
			default:
				failures <- err
			}
		}()
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
	if took.Load() != max || refused.Load() != racers-max {
		t.Errorf("took %d, refused %d; want %d and %d", took.Load(), refused.Load(), max, racers-max)
	}
	waitHeld(t, ls[0], user, max)
}

// TestLeasesUnsafeUserID: a user id that is not a safe key is encoded,
// not refused.
func TestLeasesUnsafeUserID(t *testing.T) {
	t.Parallel()
	l := newLeases(t, LeaseConfig{Bucket: leaseBucket(t)})
	for _, user := range []string{"a.b", "*", "_x", "ü"} {
		if err := l.Take(context.Background(), user, "s", 1); err != nil {
			t.Errorf("Take(%q): %v", user, err)
		}
		waitHeld(t, l, user, 1)
	}
}
