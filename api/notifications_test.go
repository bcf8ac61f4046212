package api_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/notify"
)

// openRawStream opens a notification stream, waits for ": connected", and
// returns a function that closes it.
func openRawStream(t *testing.T, e *apitest.Env, tok string) (closeStream func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.URL+"/v1/notifications/stream", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("stream = %d", resp.StatusCode)
	}
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || !strings.HasPrefix(line, ": connected") {
		t.Fatalf("stream did not start: %q %v", line, err)
	}
	return func() { cancel(); resp.Body.Close() }
}

// TestNotificationStreamCap: a user may hold notify.DefaultMaxPerUser
// streams; one more is refused with 429 until one closes, and other users
// are not affected.
func TestNotificationStreamCap(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	host := mustSignup(t, e, "jane", "host")
	other := mustSignup(t, e, "sam", "host")
	var closers []func()
	for range notify.DefaultMaxPerUser {
		closers = append(closers, openRawStream(t, e, host.AccessToken))
	}
	// Without a cap the next stream would open and never end: look at
	// its status with a deadline before reading a whole answer.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.URL+"/v1/notifications/stream", nil)
	req.Header.Set("Authorization", "Bearer "+host.AccessToken)
	raw, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw.Body.Close()
	if raw.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("stream %d = %d, want 429", notify.DefaultMaxPerUser+1, raw.StatusCode)
	}
	resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/notifications/stream", Token: host.AccessToken})
	wantLimited(t, resp)
	if !strings.Contains(string(resp.Body), "at most 5") {
		t.Errorf("the refusal does not say the cap: %s", resp.Body)
	}
	openRawStream(t, e, other.AccessToken)()

	closers[0]()
	// The server notices the closed stream asynchronously.
	for i := 0; e.Hub.Subscribers(host.User.ID) >= notify.DefaultMaxPerUser; i++ {
		if i == 500 {
			t.Fatal("a closed stream still counts after 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	openRawStream(t, e, host.AccessToken)
}
