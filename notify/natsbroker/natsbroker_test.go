package natsbroker

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"

	"github.com/vidivo/vidivo/notify"
)

// natsURL is the NATS server (with JetStream) the tests use.
const natsURL = "nats://127.0.0.1:4222"

// instance is one hub on its own NATS connection, serving streams.
type instance struct {
	hub  *notify.Hub
	feed *recordFeed
	srv  *httptest.Server
}

// recordFeed has nothing pending and records the data of deliveries.
type recordFeed struct {
	mu        sync.Mutex
	delivered []string
}

func (f *recordFeed) Pending(context.Context, string) ([]notify.Event, error) { return nil, nil }

func (f *recordFeed) Delivered(_ context.Context, _ string, ev notify.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delivered = append(f.delivered, string(ev.Data.(json.RawMessage)))
}

func (f *recordFeed) deliveries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.delivered...)
}

// fleet starts n instances on one stream of their own, deleted at the end.
func fleet(t testing.TB, n int) []*instance {
	t.Helper()
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	cfg := Config{Stream: "VIDIVO_NOTIFY_TEST_" + hex.EncodeToString(suffix), Subject: "vidivo.notifytest." + hex.EncodeToString(suffix), MaxAge: time.Minute}
	var out []*instance
	for i := range n {
		nc, err := nats.Connect(natsURL, nats.Timeout(2*time.Second), nats.Name("vidivo-notify-test"))
		if err != nil {
			t.Fatalf("NATS is not reachable at %s: %v", natsURL, err)
		}
		b, err := New(context.Background(), nc, cfg)
		if err != nil {
			nc.Close()
			t.Fatal(err)
		}
		hub := &notify.Hub{Broker: b}
		if err := hub.Start(); err != nil {
			t.Fatal(err)
		}
		feed := &recordFeed{}
		st := &notify.Stream{Hub: hub, Feed: feed}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := st.Serve(w, r, r.URL.Query().Get("u")); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		}))
		t.Cleanup(func() {
			srv.Close()
			hub.Close()
			if i == 0 {
				if err := b.Delete(context.Background()); err != nil {
					t.Error(err)
				}
			}
			nc.Close()
		})
		out = append(out, &instance{hub: hub, feed: feed, srv: srv})
	}
	return out
}

// open opens user's stream on in, with Last-Event-ID when lastID isn't
// "", and waits until it is subscribed.
func (in *instance) open(t testing.TB, user, lastID string) (*http.Response, *bufio.Reader) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, in.srv.URL+"?u="+user, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	r := bufio.NewReader(resp.Body)
	if line, err := r.ReadString('\n'); err != nil || line != ": connected\n" {
		t.Fatalf("stream start: %q %v", line, err)
	}
	return resp, r
}

// next reads the next event's lines (id, event, data), skipping blanks
// and comments.
func next(t testing.TB, r *bufio.Reader) []string {
	t.Helper()
	var lines []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended after %q: %v", lines, err)
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" || strings.HasPrefix(line, ":") {
			continue
		}
		lines = append(lines, line)
		if strings.HasPrefix(line, "data: ") {
			return lines
		}
	}
}

func publish(t testing.TB, hub *notify.Hub, user, data string) {
	t.Helper()
	if err := hub.Publish(context.Background(), user, notify.Event{Name: "call.incoming", Data: data}); err != nil {
		t.Fatal(err)
	}
}

// TestAcrossInstances: an event published on instance A reaches the
// user's streams on A and on B, with one number, and each stream reports
// its delivery.
func TestAcrossInstances(t *testing.T) {
	t.Parallel()
	in := fleet(t, 2)
	_, onA := in[0].open(t, "jane", "")
	_, onB := in[1].open(t, "jane", "")
	publish(t, in[0].hub, "jane", "from A")
	got := next(t, onB)
	if len(got) != 3 || !strings.HasPrefix(got[0], "id: ") {
		t.Fatalf("on B: %q, want an id, event and data", got)
	}
	want := []string{got[0], "event: call.incoming", `data: "from A"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("on B (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, next(t, onA)); diff != "" {
		t.Errorf("on A (-want +got):\n%s", diff)
	}
	for i, inst := range in {
		// Delivered is told right after the flush the client just read.
		for deadline := time.Now().Add(5 * time.Second); len(inst.feed.deliveries()) == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if diff := cmp.Diff([]string{`"from A"`}, inst.feed.deliveries()); diff != "" {
			t.Errorf("instance %d deliveries (-want +got):\n%s", i, diff)
		}
	}
}

// TestReplayAcrossInstances: a stream that saw an event on A and
// reconnects to B with its id gets from B what was published (on either
// instance) while it was away, then live events.
func TestReplayAcrossInstances(t *testing.T) {
	t.Parallel()
	in := fleet(t, 2)
	resp, onA := in[0].open(t, "jane", "")
	publish(t, in[1].hub, "jane", "seen")
	seen := next(t, onA)
	resp.Body.Close()
	lastID := strings.TrimPrefix(seen[0], "id: ")
	first, err := strconv.ParseUint(lastID, 10, 64)
	if err != nil {
		t.Fatalf("first event %q: %v", seen, err)
	}
	publish(t, in[0].hub, "jane", "missed on A")
	publish(t, in[1].hub, "sam", "not jane's")
	publish(t, in[1].hub, "jane", "missed on B")

	_, onB := in[1].open(t, "jane", lastID)
	id := func(n uint64) string { return "id: " + strconv.FormatUint(first+n, 10) }
	wants := [][]string{
		{id(1), "event: call.incoming", `data: "missed on A"`},
		{id(3), "event: call.incoming", `data: "missed on B"`},
	}
	for i, want := range wants {
		if diff := cmp.Diff(want, next(t, onB)); diff != "" {
			t.Errorf("replayed event %d (-want +got):\n%s", i, diff)
		}
	}
	publish(t, in[0].hub, "jane", "live")
	if diff := cmp.Diff([]string{id(4), "event: call.incoming", `data: "live"`}, next(t, onB)); diff != "" {
		t.Errorf("live after replay (-want +got):\n%s", diff)
	}
}

// TestSubjectRoundTrip: any user id maps to one subject token and back.
func TestSubjectRoundTrip(t *testing.T) {
	t.Parallel()
	b := &Broker{cfg: Config{Subject: "vidivo.notify"}}
	tests := []struct {
		user, subject string
	}{
		{user: "01JN2X4K8M3F7QPZRVWT6YBHCE", subject: "vidivo.notify.01JN2X4K8M3F7QPZRVWT6YBHCE"},
		{user: "a.b", subject: "vidivo.notify._x612e62"},
		{user: "_x", subject: "vidivo.notify._x5f78"},
		{user: "*", subject: "vidivo.notify._x2a"},
	}
	for _, tt := range tests {
		if got := b.subject(tt.user); got != tt.subject {
			t.Errorf("subject(%q) = %q, want %q", tt.user, got, tt.subject)
		}
		if got, ok := b.user(tt.subject); !ok || got != tt.user {
			t.Errorf("user(%q) = %q, %v; want %q", tt.subject, got, ok, tt.user)
		}
	}
	if _, ok := b.user("vidivo.other.x"); ok {
		t.Error("a subject outside the prefix was taken for a user")
	}
}

// BenchmarkAcrossInstances times one event from Publish on instance B to
// its data line read from a stream served by instance A, through real
// NATS: the fleet's share of a ring. It reports p50 and p99.
func BenchmarkAcrossInstances(b *testing.B) {
	in := fleet(b, 2)
	_, onA := in[0].open(b, "jane", "")
	var ds []time.Duration
	for b.Loop() {
		t0 := time.Now()
		publish(b, in[1].hub, "jane", "ring")
		next(b, onA)
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(ds[min(len(ds)-1, len(ds)*99/100)].Microseconds()), "p99-µs")
}
