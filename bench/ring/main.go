// Command ring measures the delay from a guest's join on one instance of a
// fleet to the ring on the host's notification stream on another: the
// host signs up on -a and holds GET /v1/notifications/stream there; -n
// times, a guest joins the host's link on -b (POST /v1/calls/join/…) and
// the delay is from sending the join to reading its call.incoming on A's
// stream. Each call is then ended by the host, so holds are released.
// The join's own answer time is reported beside it: most of the delay is
// the join (payment hold, database), the rest is NATS and the stream.
//
//	ring -a http://127.0.0.1:9410 -b http://127.0.0.1:9411 -n 200
//
// bench/ring/run.sh starts the two instances (PostgreSQL, NATS) and runs it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	a := flag.String("a", "http://127.0.0.1:9410", "the host's instance (the stream)")
	b := flag.String("b", "http://127.0.0.1:9411", "the guest's instance (the joins)")
	n := flag.Int("n", 200, "joins")
	flag.Parse()
	if err := run(*a, *b, *n); err != nil {
		fmt.Fprintln(os.Stderr, "ring:", err)
		os.Exit(1)
	}
}

// rings records when each call's call.incoming was read.
type rings struct {
	mu   sync.Mutex
	at   map[string]time.Time
	wake chan struct{}
}

func run(a, b string, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tok, code, err := host(a)
	if err != nil {
		return err
	}
	rg := &rings{at: map[string]time.Time{}, wake: make(chan struct{}, 1)}
	if err := rg.listen(ctx, a, tok); err != nil {
		return err
	}
	var delays, joins []time.Duration
	for i := range n {
		t0 := time.Now()
		var joined struct {
			Call struct {
				ID string `json:"id"`
			} `json:"call"`
		}
		if st, err := call(b, "POST", "/v1/calls/join/"+code, "", map[string]string{"payment_method_id": "pm_card_visa", "guest_name": fmt.Sprintf("Guest %d", i)}, &joined); err != nil || st != 201 {
			return fmt.Errorf("join %d on B: %d %v", i, st, err)
		}
		joins = append(joins, time.Since(t0))
		at, err := rg.wait(ctx, joined.Call.ID)
		if err != nil {
			return fmt.Errorf("ring %d: %w", i, err)
		}
		delays = append(delays, at.Sub(t0))
		if st, err := call(a, "POST", "/v1/calls/"+joined.Call.ID+"/end", tok, nil, nil); err != nil || st != 200 {
			return fmt.Errorf("end %d on A: %d %v", i, st, err)
		}
	}
	fmt.Printf("%d joins on B, rung on A's stream\n", n)
	report("join on B → ring on A", delays)
	report("join answered on B", joins)
	return nil
}

func report(what string, ds []time.Duration) {
	slices.Sort(ds)
	q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	fmt.Printf("%-24s p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms\n", what, ms(q(0.50)), ms(q(0.99)), ms(ds[len(ds)-1]))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// host signs a host up on base, connects payouts and makes a link; it
// returns the host's token and the link's short code.
func host(base string) (string, string, error) {
	var h struct {
		AccessToken string `json:"access_token"`
	}
	stamp := time.Now().UnixNano() % 1e12
	if st, err := call(base, "POST", "/v1/auth/signup", "", map[string]string{"email": fmt.Sprintf("ring-%d@example.com", stamp),
		"password": "correct horse battery", "username": fmt.Sprintf("ring%d", stamp), "display_name": "Ring Bench", "role": "host"}, &h); err != nil || st != 201 {
		return "", "", fmt.Errorf("signup: %d %v", st, err)
	}
	if st, err := call(base, "POST", "/v1/users/me/payouts/onboarding", h.AccessToken, nil, nil); err != nil || st != 200 {
		return "", "", fmt.Errorf("payouts: %d %v", st, err)
	}
	var link struct {
		Link struct {
			ShortCode string `json:"short_code"`
		} `json:"link"`
	}
	if st, err := call(base, "POST", "/v1/links", h.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10}, &link); err != nil || st != 201 {
		return "", "", fmt.Errorf("link: %d %v", st, err)
	}
	return h.AccessToken, link.Link.ShortCode, nil
}

// listen opens the host's stream on base and records every ring.
func (rg *rings) listen(ctx context.Context, base, tok string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/notifications/stream", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("stream: %s", resp.Status)
	}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			now := time.Now()
			var in struct {
				CallID string `json:"call_id"`
			}
			if json.Unmarshal([]byte(data), &in) != nil || in.CallID == "" {
				continue
			}
			rg.mu.Lock()
			rg.at[in.CallID] = now
			rg.mu.Unlock()
			select {
			case rg.wake <- struct{}{}:
			default:
			}
		}
	}()
	return nil
}

// wait returns when callID rang.
func (rg *rings) wait(ctx context.Context, callID string) (time.Time, error) {
	timeout := time.After(10 * time.Second)
	for {
		rg.mu.Lock()
		at, ok := rg.at[callID]
		rg.mu.Unlock()
		if ok {
			return at, nil
		}
		select {
		case <-rg.wake:
		case <-timeout:
			return time.Time{}, fmt.Errorf("call %s did not ring within 10 s", callID)
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

func call(base, method, path, tok string, body, out any) (int, error) {
	var rd *bytes.Reader
	if body == nil {
		rd = bytes.NewReader(nil)
	} else {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}
