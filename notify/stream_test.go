package notify

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
)

// fakeFeed has pending events for "jane" and records deliveries. Each
// delivery first waits for gate, when set.
type fakeFeed struct {
	pending []Event
	err     error
	gate    chan struct{}

	mu        sync.Mutex
	delivered []string
}

func (f *fakeFeed) Pending(_ context.Context, userID string) ([]Event, error) {
	if userID != "jane" {
		return nil, nil
	}
	return f.pending, f.err
}

func (f *fakeFeed) Delivered(_ context.Context, userID string, ev Event) {
	if f.gate != nil {
		<-f.gate
	}
	data, ok := ev.Data.(string)
	if raw, isRaw := ev.Data.(json.RawMessage); isRaw {
		ok = json.Unmarshal(raw, &data) == nil
	}
	if !ok {
		panic(fmt.Sprintf("delivered data %#v", ev.Data))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delivered = append(f.delivered, userID+":"+data)
}

func (f *fakeFeed) deliveries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.delivered...)
}

// serve runs st behind an httptest server; the user is the query's "u".
func serve(t *testing.T, st *Stream) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := st.Serve(w, r, r.URL.Query().Get("u")); err != nil {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(vidivo.ErrorCode(err) + ": " + vidivo.ErrorMessage(err)))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// open opens user's stream and returns a reader of its lines. A
// lastEventID other than "" is sent as the Last-Event-ID header.
func open(t *testing.T, srv *httptest.Server, user string, lastEventID ...string) (*http.Response, *bufio.Reader) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"?u="+user, nil)
	for _, id := range lastEventID {
		req.Header.Set("Last-Event-ID", id)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp, bufio.NewReader(resp.Body)
}

// readUntil reads lines until one equals stop, returning them all.
func readUntil(t *testing.T, r *bufio.Reader, stop string) []string {
	t.Helper()
	var lines []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended after %q: %v", lines, err)
		}
		line = strings.TrimSuffix(line, "\n")
		lines = append(lines, line)
		if line == stop {
			return lines
		}
	}
}

func TestStreamPendingLiveAndDelivered(t *testing.T) {
	t.Parallel()
	hub := &Hub{}
	feed := &fakeFeed{pending: []Event{{Name: "call.incoming", Data: "waiting"}}}
	srv := serve(t, &Stream{Hub: hub, Feed: feed, Ping: 50 * time.Millisecond})
	resp, r := open(t, srv, "jane")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	got := readUntil(t, r, `data: "waiting"`)
	want := []string{": connected", "", "event: call.incoming", `data: "waiting"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("start of stream (-want +got):\n%s", diff)
	}
	for hub.Subscribers("jane") == 0 {
		time.Sleep(time.Millisecond)
	}
	publish(t, hub, "jane", "live")
	if diff := cmp.Diff([]string{"id: 1", "event: call.incoming", `data: "live"`}, readUntil(t, r, `data: "live"`)[1:]); diff != "" {
		t.Errorf("live event (-want +got):\n%s", diff)
	}
	// Keep-alives come while nothing happens.
	readUntil(t, r, ": ping")
	if diff := cmp.Diff([]string{"jane:waiting", "jane:live"}, feed.deliveries()); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
}

func TestStreamCapAndFeedError(t *testing.T) {
	t.Parallel()
	hub := &Hub{MaxPerUser: 1}
	feed := &fakeFeed{}
	srv := serve(t, &Stream{Hub: hub, Feed: feed})
	open(t, srv, "sam")
	for hub.Subscribers("sam") == 0 {
		time.Sleep(time.Millisecond)
	}
	resp, r := open(t, srv, "sam")
	body, _ := r.ReadString('\n')
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "30" ||
		!strings.HasPrefix(body, vidivo.ERATELIMITED+": at most 1 notification streams") {
		t.Errorf("second stream = %d Retry-After %q %q, want the cap's refusal", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}

	// A feed that fails answers an error before anything is written, and
	// leaves no subscription behind.
	feed.err = errors.New("database down")
	st := &Stream{Hub: hub, Feed: feed}
	rec := httptest.NewRecorder()
	err := st.Serve(rec, httptest.NewRequest(http.MethodGet, "/", nil), "jane")
	if err == nil || rec.Body.Len() != 0 || hub.Subscribers("jane") != 0 {
		t.Errorf("failing feed: err %v, body %q, %d subscribers", err, rec.Body.String(), hub.Subscribers("jane"))
	}
}

func TestStreamEndsWhenDone(t *testing.T) {
	t.Parallel()
	hub := &Hub{}
	done := make(chan struct{})
	srv := serve(t, &Stream{Hub: hub, Feed: &fakeFeed{}, Done: done})
	_, r := open(t, srv, "jane")
	readUntil(t, r, ": connected")
	close(done)
	deadline := time.Now().Add(5 * time.Second)
	for hub.Subscribers("jane") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stream is still subscribed after Done closed")
		}
		time.Sleep(time.Millisecond)
	}
}

// publish publishes a call.incoming event whose data is the string data.
func publish(t *testing.T, hub *Hub, user, data string) {
	t.Helper()
	if err := hub.Publish(context.Background(), user, Event{Name: "call.incoming", Data: data}); err != nil {
		t.Fatal(err)
	}
}

// waitSubscribers waits until user has n streams open on hub.
func waitSubscribers(t *testing.T, hub *Hub, user string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for hub.Subscribers(user) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d streams open, want %d", user, hub.Subscribers(user), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestStreamReplaysAfterLastEventID: a stream that reconnects with the id
// of the last event it saw gets what was published while it was away,
// numbered, then live events; one without the header starts afresh.
func TestStreamReplaysAfterLastEventID(t *testing.T) {
	t.Parallel()
	hub := &Hub{}
	srv := serve(t, &Stream{Hub: hub, Feed: &fakeFeed{}})
	resp, r := open(t, srv, "jane")
	waitSubscribers(t, hub, "jane", 1)
	publish(t, hub, "jane", "first")
	readUntil(t, r, `data: "first"`)
	resp.Body.Close()
	waitSubscribers(t, hub, "jane", 0)
	publish(t, hub, "jane", "missed")
	publish(t, hub, "sam", "not jane's")
	publish(t, hub, "jane", "missed too")

	tests := []struct {
		name        string
		lastEventID string
		want        []string
	}{
		{name: "reconnect", lastEventID: "1", want: []string{": connected", "",
			"id: 2", "event: call.incoming", `data: "missed"`, "",
			"id: 4", "event: call.incoming", `data: "missed too"`, "",
			"id: 5", "event: call.incoming", `data: "live"`}},
		{name: "up to date", lastEventID: "4", want: []string{": connected", "",
			"id: 5", "event: call.incoming", `data: "live"`}},
		{name: "not a number", lastEventID: "x", want: []string{": connected", "",
			"id: 5", "event: call.incoming", `data: "live"`}},
		{name: "fresh", want: []string{": connected", "",
			"id: 5", "event: call.incoming", `data: "live"`}},
	}
	readers := make([]*bufio.Reader, len(tests))
	for i, tt := range tests {
		_, readers[i] = open(t, srv, "jane", tt.lastEventID)
	}
	waitSubscribers(t, hub, "jane", len(tests))
	publish(t, hub, "jane", "live")
	for i, tt := range tests {
		if diff := cmp.Diff(tt.want, readUntil(t, readers[i], `data: "live"`)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestStreamClosesSlowStream: a stream that falls behind by more than its
// queue is ended with stream.closed naming the reason, not left open
// with a gap.
func TestStreamClosesSlowStream(t *testing.T) {
	t.Parallel()
	hub := &Hub{}
	feed := &fakeFeed{gate: make(chan struct{})}
	srv := serve(t, &Stream{Hub: hub, Feed: feed})
	_, r := open(t, srv, "jane")
	waitSubscribers(t, hub, "jane", 1)
	// The first event holds the stream in Delivered; the next fill its
	// queue, and one more overflows it.
	for i := range streamBuffer + 2 {
		publish(t, hub, "jane", strconv.Itoa(i))
	}
	waitSubscribers(t, hub, "jane", 0)
	close(feed.gate)
	lines := readUntil(t, r, "event: stream.closed")
	if line, _ := r.ReadString('\n'); line != `data: {"reason":"slow"}`+"\n" {
		t.Errorf("closing event's data = %q", line)
	}
	if _, err := io.ReadAll(r); err != nil {
		t.Errorf("stream did not end cleanly after stream.closed: %v", err)
	}
	if n := strings.Count(strings.Join(lines, "\n"), "event: call.incoming"); n > streamBuffer+1 {
		t.Errorf("%d events written before closing, want at most %d", n, streamBuffer+1)
	}
}
