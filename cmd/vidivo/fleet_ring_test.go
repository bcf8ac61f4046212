package main

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// TestFleetRingAcrossInstances: the host's notification stream is on
// instance A, the guest joins on instance B (one database, NATS between
// them): A's stream gets call.incoming, numbered, and writing it moves the
// call to ringing, as B then sees.
func TestFleetRingAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	nc, err := nats.Connect(natsTestURL, nats.Timeout(2*time.Second), nats.Name("vidivo-fleet-ring-test"))
	if err != nil {
		t.Fatalf("NATS is not reachable at %s: %v", natsTestURL, err)
	}
	nc.Close()
	env := []string{"VIDIVO_NATS_URL=" + natsTestURL}
	if os.Getenv(sqldbtest.EnvPostgres) != "" {
		env = append(env, "VIDIVO_DATABASE_URL="+sqldbtest.URL(t, "postgres"))
	}
	dir := t.TempDir()
	a := startInstance(ctx, t, "A", dir, env...) // first: it migrates and makes the keys
	b := startInstance(ctx, t, "B", dir, env...)

	var host struct {
		AccessToken string `json:"access_token"`
	}
	if code := a.call(t, "POST", "/v1/auth/signup", "", map[string]string{"email": "ring@example.com", "password": "correct horse battery",
		"username": "ringfleet", "display_name": "Ring Fleet", "role": "host"}, &host); code != 201 {
		t.Fatalf("signup = %d", code)
	}
	if code := a.call(t, "POST", "/v1/users/me/payouts/onboarding", host.AccessToken, nil, nil); code != 200 {
		t.Fatalf("payout onboarding = %d", code)
	}
	var link struct {
		Link struct {
			ShortCode string `json:"short_code"`
		} `json:"link"`
	}
	if code := a.call(t, "POST", "/v1/links", host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10}, &link); code != 201 {
		t.Fatalf("create link = %d", code)
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/v1/notifications/stream", nil)
	req.Header.Set("Authorization", "Bearer "+host.AccessToken)
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("stream on A: %v %v", stream, err)
	}
	defer stream.Body.Close()
	r := bufio.NewReader(stream.Body)
	if line, err := r.ReadString('\n'); err != nil || line != ": connected\n" {
		t.Fatalf("stream did not start: %q %v", line, err)
	}

	var joined struct {
		Call struct {
			ID string `json:"id"`
		} `json:"call"`
	}
	if code := b.call(t, "POST", "/v1/calls/join/"+link.Link.ShortCode, "", map[string]string{"payment_method_id": "pm_card_visa", "guest_name": "Alex"}, &joined); code != 201 {
		t.Fatalf("join on B = %d", code)
	}
	var ev []string
	for len(ev) < 3 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream on A ended after %q: %v", ev, err)
		}
		if line = strings.TrimSuffix(line, "\n"); line != "" && !strings.HasPrefix(line, ":") {
			ev = append(ev, line)
		}
	}
	if !strings.HasPrefix(ev[0], "id: ") || ev[1] != "event: call.incoming" || !strings.Contains(ev[2], `"call_id":"`+joined.Call.ID+`"`) {
		t.Fatalf("on A: %q, want call.incoming for %s with an id", ev, joined.Call.ID)
	}
	for {
		var got struct {
			Call struct {
				Status string `json:"status"`
			} `json:"call"`
		}
		if code := b.call(t, "GET", "/v1/calls/"+joined.Call.ID, host.AccessToken, nil, &got); code != 200 {
			t.Fatalf("get call on B = %d", code)
		}
		if got.Call.Status == "ringing" {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("the call is %s, not ringing, after A's stream got it", got.Call.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
