package notify

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
)

// fakeFeed has pending events for "jane" and records deliveries.
type fakeFeed struct {
	pending []Event
	err     error

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
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delivered = append(f.delivered, userID+":"+ev.Data.(string))
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

// open opens user's stream and returns a reader of its lines.
func open(t *testing.T, srv *httptest.Server, user string) (*http.Response, *bufio.Reader) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"?u="+user, nil)
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
	hub.Publish("jane", Event{Name: "call.incoming", Data: "live"})
	readUntil(t, r, `data: "live"`)
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
