package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// hookReceiver is a webhook receiver on loopback that checks both
// signatures with its own code and keeps each event once by webhook-id.
type hookReceiver struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	secret string
	down   bool           // answer 503
	seen   map[string]int // webhook-id → requests answered 200
	uris   []string       // the invitee uri of each event kept, in order
}

func newHookReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{t: t, seen: map[string]int{}}
	rc.srv = httptest.NewServer(rc)
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(rc.secret, "whsec_"))
	id, stamp := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	sec, _ := strconv.ParseInt(stamp, 10, 64)
	std := hmac.New(sha256.New, key)
	std.Write([]byte(id + "." + stamp + "." + string(body)))
	own := hmac.New(sha256.New, key)
	own.Write([]byte(stamp + "." + string(body)))
	if time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute ||
		r.Header.Get("webhook-signature") != "v1,"+base64.StdEncoding.EncodeToString(std.Sum(nil)) ||
		r.Header.Get("Vidivo-Webhook-Signature") != "t="+stamp+",v1="+hex.EncodeToString(own.Sum(nil)) {
		rc.t.Errorf("receiver: a delivery does not verify: %v", r.Header)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if rc.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	rc.seen[id]++
	if rc.seen[id] == 1 {
		var env struct {
			Event   string `json:"event"`
			Payload struct {
				URI string `json:"uri"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(body, &env); err != nil || env.Event != "invitee.created" {
			rc.t.Errorf("receiver: body %s (%v)", body, err)
		}
		rc.uris = append(rc.uris, env.Payload.URI)
	}
	w.WriteHeader(http.StatusOK)
}

func (rc *hookReceiver) setDown(down bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.down = down
}

// waitFor polls until the receiver kept n events.
func (rc *hookReceiver) waitFor(ctx context.Context, n int) []string {
	rc.t.Helper()
	for {
		rc.mu.Lock()
		uris := append([]string(nil), rc.uris...)
		rc.mu.Unlock()
		if len(uris) >= n {
			return uris
		}
		select {
		case <-ctx.Done():
			rc.t.Fatalf("the receiver has %d events, want %d", len(uris), n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestWebhooksAcrossKill: a booking's webhook reaches a receiver through
// the real job queue; the service killed (SIGKILL) after a booking's
// commit, with its delivery failing or not yet made, delivers it after
// a restart, and every event arrives once by webhook-id.
func TestWebhooksAcrossKill(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			dir := t.TempDir()
			env := []string{"VIDIVO_DATA_DIR=" + dir, "VIDIVO_DATABASE_URL=" + sqldbtest.URL(t, engine),
				"VIDIVO_WEBHOOK_ALLOW_NETS=127.0.0.0/8"}
			s := startInstance(ctx, t, "first", dir, env...)
			rc := newHookReceiver(t)

			hostTok := apiAccount(t, s, "hollis", "host")
			week := map[string]any{"timezone": "UTC", "rate_per_minute": "1.00", "weekly": []any{}}
			for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
				week["weekly"] = append(week["weekly"].([]any), map[string]any{"day": d, "intervals": []any{map[string]string{"start": "00:00", "end": "24:00"}}})
			}
			if code := s.call(t, "PUT", "/v1/users/me/availability", hostTok, week, nil); code != 200 {
				t.Fatalf("PUT availability = %d", code)
			}
			var me struct {
				User struct {
					ID string `json:"id"`
				} `json:"user"`
			}
			s.call(t, "GET", "/v1/users/me", hostTok, nil, &me)
			var sub struct {
				Resource struct {
					URI        string `json:"uri"`
					SigningKey string `json:"signing_key"`
				} `json:"resource"`
				Error json.RawMessage `json:"error"`
			}
			if code := s.call(t, "POST", "/v1/webhook_subscriptions", hostTok, map[string]any{"url": rc.srv.URL + "/hooks",
				"events": []string{"invitee.created"}, "user": "http://localhost:8080/v1/users/" + me.User.ID, "scope": "user"}, &sub); code != 201 {
				t.Fatalf("subscribe = %d %s", code, sub.Error)
			}
			rc.mu.Lock()
			rc.secret = sub.Resource.SigningKey
			rc.mu.Unlock()

			start := time.Now().UTC().Truncate(time.Hour).Add(48 * time.Hour)
			bookings := 0
			book := func() string {
				t.Helper()
				bookings++
				tok := apiAccount(t, s, "casey"+strconv.Itoa(bookings), "client")
				var out struct {
					ScheduledCall struct {
						ID string `json:"id"`
					} `json:"scheduled_call"`
				}
				if code := s.call(t, "POST", "/v1/schedule/book", tok, map[string]any{"host_username": "hollis",
					"scheduled_at": start.Add(time.Duration(bookings) * time.Hour).Format(time.RFC3339), "duration_minutes": 30}, &out); code != 201 {
					t.Fatalf("book = %d", code)
				}
				return "http://localhost:8080/v1/scheduled_events/" + out.ScheduledCall.ID + "/invitees/" + out.ScheduledCall.ID
			}
			restart := func() {
				t.Helper()
				s.cmd.Process.Kill() // SIGKILL: no shutdown, jobs stay as they were
				s.cmd.Wait()
				s = startInstance(ctx, t, "again", dir, env...)
			}

			// Through the real queue, shortly after the commit.
			want := []string{book()}
			rc.waitFor(ctx, 1)

			// The receiver fails the first attempt; the service dies before
			// the retry.
			rc.setDown(true)
			want = append(want, book())
			subID := sub.Resource.URI[strings.LastIndex(sub.Resource.URI, "/")+1:]
			for attempted := false; !attempted; {
				var ds struct {
					Collection []struct {
						Attempt int `json:"attempt"`
					} `json:"collection"`
				}
				s.call(t, "GET", "/v1/webhook_subscriptions/"+url.PathEscape(subID)+"/deliveries", hostTok, nil, &ds)
				attempted = len(ds.Collection) == 2 && ds.Collection[0].Attempt > 0
				select {
				case <-ctx.Done():
					t.Fatal("the second delivery was never attempted")
				case <-time.After(20 * time.Millisecond):
				}
			}
			restart()
			rc.setDown(false)

			// Killed right after a booking's commit, before or while its
			// delivery is made.
			want = append(want, book())
			restart()

			got := rc.waitFor(ctx, 3)
			if strings.Join(got, " ") != strings.Join(want, " ") && len(got) == 3 {
				seen := map[string]bool{}
				for _, u := range got {
					seen[u] = true
				}
				for _, u := range want {
					if !seen[u] {
						t.Errorf("never delivered: %s (got %v)", u, got)
					}
				}
			}
			// Nothing more arrives once everything was delivered: wait out
			// a sweep and a retry and count again.
			time.Sleep(12 * time.Second)
			rc.mu.Lock()
			defer rc.mu.Unlock()
			if len(rc.uris) != 3 {
				t.Errorf("the receiver kept %d events, want 3: %v", len(rc.uris), rc.uris)
			}
		})
	}
}
