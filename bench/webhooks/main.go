// Command webhooks measures webhook delivery against a running `vidivo
// serve` (started with VIDIVO_WEBHOOK_ALLOW_NETS=127.0.0.0/8), from a
// separate process that is both the booking client and the receiver:
//
//  1. Set-up, through the API: -hosts hosts available around the clock,
//     each subscribed (user scope) to invitee.created at this process's
//     receiver on 127.0.0.1, and -clients client accounts.
//  2. Latency: -rate bookings per second for -duration, each by a client
//     of a host in turn (distinct 30-minute slots). A booking's latency is
//     from its 201 answer (the commit is before it) to the moment the
//     receiver answers 2xx to its invitee.created; every delivery is
//     checked with the Standard Webhooks signature, and each event must
//     arrive once (by webhook-id). Reports p50/p90/p99/max.
//  3. Throughput (-slow-bookings > 0): the receiver now takes -slow
//     (200 ms) before answering; -slow-bookings bookings are made as fast
//     as -workers allow, and the report is deliveries per second from the
//     first booking to the last delivery.
//
// Exit status 1 if a delivery is missing, repeated, or fails to verify.
//
//	webhooks -url http://127.0.0.1:8080 -rate 100 -duration 30s -slow-bookings 2000
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "webhooks:", err)
		os.Exit(1)
	}
}

type config struct {
	base         string
	hosts        int
	clients      int
	rate         int
	duration     time.Duration
	slow         time.Duration
	slowBookings int
	workers      int
	wait         time.Duration
}

const password = "bench-password-0123456789"

func run() error {
	var c config
	flag.StringVar(&c.base, "url", "", "vidivo's base URL (http://127.0.0.1:PORT); required")
	flag.IntVar(&c.hosts, "hosts", 20, "hosts, each with its own subscription")
	flag.IntVar(&c.clients, "clients", 400, "client accounts (a client holds at most 3 upcoming bookings per host)")
	flag.IntVar(&c.rate, "rate", 100, "bookings per second in the latency phase")
	flag.DurationVar(&c.duration, "duration", 30*time.Second, "length of the latency phase")
	flag.DurationVar(&c.slow, "slow", 200*time.Millisecond, "the receiver's answer time in the throughput phase")
	flag.IntVar(&c.slowBookings, "slow-bookings", 2000, "bookings of the throughput phase (0: skip)")
	flag.IntVar(&c.workers, "workers", 32, "concurrent booking requests")
	flag.DurationVar(&c.wait, "wait", 2*time.Minute, "how long to wait for the last deliveries")
	flag.Parse()
	if c.base == "" {
		return errors.New("-url is required")
	}
	b := &bench{c: c, http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second},
		sent: map[string]time.Time{}, got: map[string]time.Time{}, ids: map[string]int{}}
	if err := b.listen(); err != nil {
		return err
	}
	if err := b.setUp(); err != nil {
		return err
	}
	n := c.rate * int(c.duration/time.Second)
	fmt.Printf("latency: %d bookings at %d/s over %d hosts, receiver answers at once\n", n, c.rate, c.hosts)
	if err := b.latency(n); err != nil {
		return err
	}
	if c.slowBookings > 0 {
		fmt.Printf("throughput: %d bookings as fast as %d clients go, receiver answers after %s\n", c.slowBookings, c.workers, c.slow)
		if err := b.throughput(n, c.slowBookings); err != nil {
			return err
		}
	}
	return b.problems()
}

type bench struct {
	c    config
	http *http.Client
	recv string // the receiver's URL

	hosts   []account
	clients []account
	slots   atomic.Int64

	mu      sync.Mutex
	slow    time.Duration
	sent    map[string]time.Time // booking id → its 201
	got     map[string]time.Time // booking id → first 2xx of its delivery
	ids     map[string]int       // webhook-id → deliveries answered
	keys    map[string][]byte    // host id → decoded signing key
	bad     int
	strange int
}

type account struct{ id, username, token string }

func (b *bench) listen() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	b.recv = "http://" + l.Addr().String() + "/hooks"
	go http.Serve(l, http.HandlerFunc(b.receive))
	return nil
}

// receive verifies a delivery (Standard Webhooks), answers, and notes the
// time of the answer for the booking it is about.
func (b *bench) receive(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var env struct {
		Payload struct {
			URI            string `json:"uri"`
			ScheduledEvent struct {
				EventMemberships []struct {
					User string `json:"user"`
				} `json:"event_memberships"`
			} `json:"scheduled_event"`
		} `json:"payload"`
	}
	json.Unmarshal(body, &env)
	id := env.Payload.URI[strings.LastIndex(env.Payload.URI, "/")+1:]
	host := ""
	if m := env.Payload.ScheduledEvent.EventMemberships; len(m) == 1 {
		host = m[0].User[strings.LastIndex(m[0].User, "/")+1:]
	}
	b.mu.Lock()
	key, slow := b.keys[host], b.slow
	b.mu.Unlock()
	if !verify(key, r.Header, body) {
		b.mu.Lock()
		b.bad++
		b.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	time.Sleep(slow)
	w.WriteHeader(http.StatusNoContent)
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ids[r.Header.Get("webhook-id")]++
	if _, ok := b.got[id]; !ok {
		b.got[id] = now
	}
}

func verify(key []byte, h http.Header, body []byte) bool {
	sec, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || key == nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(body)))
	return h.Get("webhook-signature") == "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (b *bench) call(method, path, tok string, in, out any) (int, error) {
	var rd io.Reader
	if in != nil {
		body, _ := json.Marshal(in)
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, b.c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, nil
}

func (b *bench) signup(name, role string) (account, error) {
	var out struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AccessToken string `json:"access_token"`
	}
	_, err := b.call("POST", "/v1/auth/signup", "", map[string]string{"email": name + "@bench.example", "password": password,
		"username": name, "display_name": name, "role": role}, &out)
	return account{id: out.User.ID, username: name, token: out.AccessToken}, err
}

func (b *bench) setUp() error {
	b.keys = map[string][]byte{}
	var weekly []map[string]any
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		weekly = append(weekly, map[string]any{"day": d, "intervals": []map[string]string{{"start": "00:00", "end": "24:00"}}})
	}
	avail := map[string]any{"timezone": "UTC", "weekly": weekly, "rate_per_minute": "1.00", "slot_minutes": 30,
		"min_notice_minutes": 0, "max_days_ahead": 365}
	tag := strconv.FormatInt(time.Now().Unix()%100000, 36)
	for i := range b.c.hosts {
		h, err := b.signup(fmt.Sprintf("wh%shost%d", tag, i), "host")
		if err != nil {
			return err
		}
		if _, err := b.call("PUT", "/v1/users/me/availability", h.token, avail, nil); err != nil {
			return err
		}
		var sub struct {
			Resource struct {
				SigningKey string `json:"signing_key"`
			} `json:"resource"`
		}
		if _, err := b.call("POST", "/v1/webhook_subscriptions", h.token, map[string]any{"url": b.recv,
			"events": []string{"invitee.created"}, "user": h.id, "scope": "user"}, &sub); err != nil {
			return err
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sub.Resource.SigningKey, "whsec_"))
		if err != nil {
			return err
		}
		b.keys[h.id] = key
		b.hosts = append(b.hosts, h)
	}
	for i := range b.c.clients {
		cl, err := b.signup(fmt.Sprintf("wh%sc%d", tag, i), "client")
		if err != nil {
			return err
		}
		b.clients = append(b.clients, cl)
	}
	return nil
}

// book makes booking i: host i mod hosts, a client that has not booked
// that host three times, the host's next free slot.
func (b *bench) book(i int) error {
	h := b.hosts[i%len(b.hosts)]
	cl := b.clients[(i/len(b.hosts))%len(b.clients)]
	n := i / len(b.hosts) // the host's n-th booking
	at := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 2).Add(time.Duration(n) * 30 * time.Minute)
	var out struct {
		ScheduledCall struct {
			ID string `json:"id"`
		} `json:"scheduled_call"`
	}
	if _, err := b.call("POST", "/v1/schedule/book", cl.token, map[string]any{"host_username": h.username,
		"scheduled_at": at.Format(time.RFC3339), "duration_minutes": 30}, &out); err != nil {
		return err
	}
	now := time.Now()
	b.mu.Lock()
	b.sent[out.ScheduledCall.ID] = now
	b.mu.Unlock()
	return nil
}

// latency books n at the rate, then waits for their deliveries.
func (b *bench) latency(n int) error {
	tick := time.NewTicker(time.Second / time.Duration(b.c.rate))
	defer tick.Stop()
	var (
		wg   sync.WaitGroup
		errs atomic.Int64
		late int
	)
	sem := make(chan struct{}, 256)
	start := time.Now()
	for i := range n {
		<-tick.C
		select {
		case sem <- struct{}{}:
		default:
			late++
			sem <- struct{}{}
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := b.book(i); err != nil {
				if errs.Add(1) <= 3 {
					fmt.Fprintln(os.Stderr, err)
				}
			}
		}()
	}
	wg.Wait()
	rate := float64(n) / time.Since(start).Seconds()
	if errs.Load() > 0 {
		return fmt.Errorf("%d bookings failed", errs.Load())
	}
	fmt.Printf("  booked %d in %s (%.1f/s; %d sends waited for a free request slot)\n", n, time.Since(start).Round(time.Millisecond), rate, late)
	if err := b.await(n); err != nil {
		return err
	}
	var lat []time.Duration
	b.mu.Lock()
	for id, t := range b.sent {
		lat = append(lat, b.got[id].Sub(t))
	}
	b.mu.Unlock()
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(100 * time.Microsecond)
	}
	fmt.Printf("  booking 201 → receiver's 2xx: p50 %s, p90 %s, p99 %s, max %s (n=%d)\n", q(0.50), q(0.90), q(0.99), lat[len(lat)-1].Round(time.Millisecond), len(lat))
	return nil
}

// await waits until every booking so far has its delivery.
func (b *bench) await(n int) error {
	deadline := time.Now().Add(b.c.wait)
	for {
		b.mu.Lock()
		have := 0
		for id := range b.sent {
			if _, ok := b.got[id]; ok {
				have++
			}
		}
		b.mu.Unlock()
		if have >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d deliveries arrived within %s", have, n, b.c.wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// throughput books m more as fast as the workers go with a slow receiver.
func (b *bench) throughput(done, m int) error {
	b.mu.Lock()
	b.slow = b.c.slow
	b.mu.Unlock()
	next := atomic.Int64{}
	next.Store(int64(done))
	var wg sync.WaitGroup
	start := time.Now()
	var errs atomic.Int64
	for range b.c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= done+m {
					return
				}
				if err := b.book(i); err != nil && errs.Add(1) <= 3 {
					fmt.Fprintln(os.Stderr, err)
				}
			}
		}()
	}
	wg.Wait()
	booked := time.Since(start)
	if errs.Load() > 0 {
		return fmt.Errorf("%d bookings failed", errs.Load())
	}
	if err := b.await(done + m); err != nil {
		return err
	}
	var last time.Time
	b.mu.Lock()
	for _, t := range b.got {
		if t.After(last) {
			last = t
		}
	}
	b.mu.Unlock()
	d := last.Sub(start)
	fmt.Printf("  booked %d in %s (%.0f/s); all delivered %s after the first booking: %.0f deliveries/s\n",
		m, booked.Round(time.Millisecond), float64(m)/booked.Seconds(), d.Round(time.Millisecond), float64(m)/d.Seconds())
	return nil
}

func (b *bench) problems() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	repeated := 0
	for _, n := range b.ids {
		if n > 1 {
			repeated++
		}
	}
	fmt.Printf("checks: %d deliveries, %d failed verification, %d webhook-ids answered more than once\n", len(b.ids), b.bad, repeated)
	if b.bad > 0 || repeated > 0 || len(b.ids) != len(b.sent) {
		return fmt.Errorf("%d bad signatures, %d repeats, %d deliveries for %d bookings", b.bad, repeated, len(b.ids), len(b.sent))
	}
	return nil
}
