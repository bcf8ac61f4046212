// Command booking measures booking throughput through Vidivo's HTTP API
// (POST /v1/schedule/book) against a running `vidivo serve`, from a
// separate process:
//
//  1. Set-up, through the API: one host (payouts connected, a call link)
//     available around the clock — 00:00–24:00 UTC every day, 30-minute
//     slots, no notice, bookable 365 days ahead, $2.50/min — and -clients
//     client accounts (sign-up; run the server with
//     VIDIVO_AUTH_RATE_LIMIT=0).
//  2. Distinct slots: -workers workers book -bookings different 30-minute
//     slots of that host (a shuffled sample of the ~17,500 in the year, so
//     no two requests ask for the same slot), each request as one of the
//     clients in turn. Every booking should succeed: the run reports
//     bookings/s, latency percentiles, and counts conflicts and errors,
//     which should both be zero.
//  3. Collisions: every worker tries to book each of -collide-slots other
//     slots, in the same order, so all workers race for every slot. Exactly
//     one attempt per slot should succeed and every other get 409 conflict.
//  4. Check: the host's bookings, read back page by page through GET
//     /v1/schedule/mine, are exactly the successful ones, none overlapping.
//
// Exit status 1 if any of those expectations fails.
//
//	booking -url http://127.0.0.1:8080 -clients 64 -workers 32 -bookings 6000
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
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
		fmt.Fprintln(os.Stderr, "booking:", err)
		os.Exit(1)
	}
}

type config struct {
	base         string
	clients      int
	workers      int
	bookings     int
	collideSlots int
	serverPID    int
	prefix       string
}

const (
	slot     = 30 * time.Minute
	daysMax  = 365
	password = "bench-password-0123456789"
)

func run() error {
	var c config
	flag.StringVar(&c.base, "url", "", "vidivo's base URL, loopback only (http://127.0.0.1:PORT); required")
	flag.IntVar(&c.clients, "clients", 64, "client accounts to sign up")
	flag.IntVar(&c.workers, "workers", 32, "concurrent clients (one connection each)")
	flag.IntVar(&c.bookings, "bookings", 6000, "distinct slots to book")
	flag.IntVar(&c.collideSlots, "collide-slots", 100, "slots every worker races for (0: skip)")
	flag.IntVar(&c.serverPID, "server-pid", 0, "vidivo's process id, to report its CPU time per request (optional)")
	flag.StringVar(&c.prefix, "prefix", "bk", "prefix of the usernames created")
	flag.Parse()
	u, err := url.Parse(c.base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return errors.New("-url must be http://HOST:PORT")
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("refusing non-loopback host %q", u.Hostname())
	}
	c.base = strings.TrimRight(c.base, "/")
	switch {
	case c.clients < 1 || c.workers < 1 || c.bookings < 0 || c.collideSlots < 0:
		return errors.New("-clients and -workers must be ≥ 1, -bookings and -collide-slots ≥ 0")
	case c.bookings+c.collideSlots > (daysMax-1)*24*2:
		return fmt.Errorf("-bookings + -collide-slots must be at most %d (the slots of days 1–%d)", (daysMax-1)*48, daysMax-1)
	case c.bookings+c.collideSlots > 100*c.clients:
		return errors.New("-bookings + -collide-slots must be at most 100 × -clients: a guest holds at most 100 upcoming bookings with a host")
	}

	cl := &client{base: c.base, hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: c.workers + 8, MaxIdleConnsPerHost: c.workers + 8, IdleConnTimeout: time.Minute,
	}}}
	ctx := context.Background()

	// 1. Set-up.
	t0 := time.Now()
	host := c.prefix + "host"
	hostTok, err := cl.signup(ctx, host, "host")
	if err != nil {
		return fmt.Errorf("host sign-up: %w", err)
	}
	if _, err := cl.must(ctx, "POST", "/v1/users/me/payouts/onboarding", hostTok, nil); err != nil {
		return err
	}
	if _, err := cl.must(ctx, "POST", "/v1/links", hostTok, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10}); err != nil {
		return err
	}
	days := make([]map[string]any, 0, 7)
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		days = append(days, map[string]any{"day": d, "intervals": []map[string]string{{"start": "00:00", "end": "24:00"}}})
	}
	avail := map[string]any{"timezone": "UTC", "weekly": days, "slot_minutes": 30, "min_notice_minutes": 0,
		"max_days_ahead": daysMax, "rate_per_minute": "2.50", "window_size_minutes": 10,
		// Each client books many slots: lift the per-guest cap (default 3)
		// to its maximum.
		"max_upcoming_bookings_per_guest": 100}
	if _, err := cl.must(ctx, "PUT", "/v1/users/me/availability", hostTok, avail); err != nil {
		return err
	}
	tokens := make([]string, c.clients)
	var (
		wg      sync.WaitGroup
		signErr atomic.Value
		next    atomic.Int64
	)
	ts := time.Now()
	for range min(8, c.clients) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= c.clients {
					return
				}
				tok, err := cl.signup(ctx, c.prefix+"client"+strconv.Itoa(i), "client")
				if err != nil {
					signErr.CompareAndSwap(nil, err)
					return
				}
				tokens[i] = tok
			}
		}()
	}
	wg.Wait()
	if err, _ := signErr.Load().(error); err != nil {
		return fmt.Errorf("client sign-up: %w", err)
	}
	fmt.Printf("set-up: host %s (UTC, 00:00–24:00 daily, 30-min slots, 365 days ahead), %d clients signed up in %.1fs (%.0f sign-ups/s); total %.1fs\n",
		host, c.clients, time.Since(ts).Seconds(), float64(c.clients)/time.Since(ts).Seconds(), time.Since(t0).Seconds())

	// The year's slots from tomorrow 00:00 UTC: the last -collide-slots for
	// the race, a shuffled sample of the rest for the distinct run.
	today := time.Now().UTC().Truncate(24 * time.Hour)
	all := make([]time.Time, 0, (daysMax-1)*48)
	for t := today.Add(24 * time.Hour); t.Before(today.Add(daysMax * 24 * time.Hour)); t = t.Add(slot) {
		all = append(all, t)
	}
	collide := all[len(all)-c.collideSlots:]
	distinct := slices.Clone(all[:len(all)-c.collideSlots])
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(distinct), func(i, j int) { distinct[i], distinct[j] = distinct[j], distinct[i] })
	distinct = distinct[:c.bookings]

	ok := true
	booked := map[time.Time]bool{}

	// 2. Distinct slots.
	if c.bookings > 0 {
		var idx atomic.Int64
		cpu0 := cpuTicks(c.serverPID)
		res := race(c.workers, func(w int, rec *recorder) {
			for {
				i := int(idx.Add(1)) - 1
				if i >= len(distinct) {
					return
				}
				rec.book(ctx, cl, tokens[i%len(tokens)], host, distinct[i])
			}
		})
		cpu := cpuTicks(c.serverPID) - cpu0
		fmt.Printf("\ndistinct slots: %d workers, %d bookings of different slots\n", c.workers, len(distinct))
		res.print(cpu, c.serverPID)
		for t, n := range res.created {
			booked[t] = n > 0
		}
		if res.n201 != len(distinct) || res.n409 != 0 || res.nErr != 0 {
			fmt.Printf("FAIL: want %d created, 0 conflicts, 0 errors\n", len(distinct))
			ok = false
		}
		if res.nErr > 0 {
			fmt.Printf("  first error: %s\n", res.firstErr)
		}
	}

	// 3. Collisions.
	if c.collideSlots > 0 {
		cpu0 := cpuTicks(c.serverPID)
		res := race(c.workers, func(w int, rec *recorder) {
			for _, t := range collide {
				rec.book(ctx, cl, tokens[w%len(tokens)], host, t)
			}
		})
		cpu := cpuTicks(c.serverPID) - cpu0
		fmt.Printf("\ncollisions: %d workers each try the same %d slots in the same order (%d attempts)\n",
			c.workers, len(collide), c.workers*len(collide))
		res.print(cpu, c.serverPID)
		one, bad := 0, 0
		for _, t := range collide {
			n := res.created[t]
			if n == 1 {
				one++
			} else {
				bad++
			}
			booked[t] = n > 0
		}
		fmt.Printf("slots with exactly one success: %d of %d; slots with 0 or ≥ 2: %d\n", one, len(collide), bad)
		want409 := (c.workers - 1) * len(collide)
		if bad != 0 || res.n201 != len(collide) || res.n409 != want409 || res.nErr != 0 {
			fmt.Printf("FAIL: want exactly one success per slot, %d conflicts, 0 errors\n", want409)
			ok = false
		}
		if res.nErr > 0 {
			fmt.Printf("  first error: %s\n", res.firstErr)
		}
	}

	// 4. Read back the host's bookings.
	tr := time.Now()
	starts, err := cl.hostBookings(ctx, hostTok)
	if err != nil {
		return err
	}
	want := 0
	for _, b := range booked {
		if b {
			want++
		}
	}
	slices.SortFunc(starts, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	overlaps, unknown := 0, 0
	for i, s := range starts {
		if i > 0 && s[0].Before(starts[i-1][1]) {
			overlaps++
		}
		if !booked[s[0]] {
			unknown++
		}
	}
	fmt.Printf("\ncheck: the host has %d confirmed bookings (want %d), %d overlapping, %d not among the successes (read back in %.1fs)\n",
		len(starts), want, overlaps, unknown, time.Since(tr).Seconds())
	if len(starts) != want || overlaps != 0 || unknown != 0 {
		fmt.Println("FAIL: the stored bookings do not match the successful requests")
		ok = false
	}
	if !ok {
		return errors.New("expectations failed")
	}
	fmt.Println("PASS")
	return nil
}

// recorder is one worker's results; merged after the run.
type recorder struct {
	start    time.Time       // of the phase
	lat      []time.Duration // of each request, in the order sent
	done     []time.Duration // when each request ended, since start
	n201     int
	n409     int
	nErr     int
	firstErr string
	created  map[time.Time]int
}

func (r *recorder) book(ctx context.Context, cl *client, tok, host string, at time.Time) {
	body := map[string]any{"host_username": host, "scheduled_at": at.Format(time.RFC3339),
		"duration_minutes": 30, "payment_method_id": "pm_card_visa"}
	t := time.Now()
	status, resp, err := cl.do(ctx, "POST", "/v1/schedule/book", tok, body)
	end := time.Now()
	r.lat = append(r.lat, end.Sub(t))
	r.done = append(r.done, end.Sub(r.start))
	switch {
	case err != nil:
		r.fail(err.Error())
	case status == http.StatusCreated:
		r.n201++
		r.created[at]++
	case status == http.StatusConflict && bytes.Contains(resp, []byte(`"conflict"`)):
		r.n409++
	default:
		r.fail(fmt.Sprintf("HTTP %d: %s", status, bytes.TrimSpace(resp)))
	}
}

func (r *recorder) fail(msg string) {
	if r.nErr == 0 {
		r.firstErr = msg
	}
	r.nErr++
}

type result struct {
	recorder
	wall time.Duration
}

// race runs fn on n workers at once and merges what they recorded.
func race(n int, fn func(w int, rec *recorder)) *result {
	recs := make([]*recorder, n)
	var wg sync.WaitGroup
	t := time.Now()
	for w := range n {
		recs[w] = &recorder{start: t, created: map[time.Time]int{}}
		wg.Add(1)
		go func() { defer wg.Done(); fn(w, recs[w]) }()
	}
	wg.Wait()
	out := &result{recorder: recorder{created: map[time.Time]int{}}, wall: time.Since(t)}
	for _, r := range recs {
		out.lat = append(out.lat, r.lat...)
		out.done = append(out.done, r.done...)
		out.n201 += r.n201
		out.n409 += r.n409
		if r.nErr > 0 && out.nErr == 0 {
			out.firstErr = r.firstErr
		}
		out.nErr += r.nErr
		for t, k := range r.created {
			out.created[t] += k
		}
	}
	return out
}

func (r *result) print(cpuTicks int64, pid int) {
	r.progress(6)
	slices.Sort(r.lat)
	pct := func(p float64) float64 {
		if len(r.lat) == 0 {
			return 0
		}
		return float64(r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))].Microseconds()) / 1000
	}
	n := len(r.lat)
	fmt.Printf("  %d requests in %.2fs: %.0f requests/s, %.0f bookings created/s\n",
		n, r.wall.Seconds(), float64(n)/r.wall.Seconds(), float64(r.n201)/r.wall.Seconds())
	fmt.Printf("  201 created %d, 409 conflict %d, errors %d\n", r.n201, r.n409, r.nErr)
	fmt.Printf("  latency ms: p50 %.2f, p90 %.2f, p99 %.2f, max %.2f\n", pct(0.50), pct(0.90), pct(0.99), pct(1))
	if pid > 0 && n > 0 {
		sec := float64(cpuTicks) / 100
		fmt.Printf("  server CPU: %.2f cores, %.0f µs/request\n", sec/r.wall.Seconds(), sec*1e6/float64(n))
	}
	fmt.Printf("RESULT requests=%d seconds=%.3f rps=%.1f created=%d conflicts=%d errors=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
		n, r.wall.Seconds(), float64(n)/r.wall.Seconds(), r.n201, r.n409, r.nErr, pct(0.5), pct(0.9), pct(0.99), pct(1))
}

// progress prints throughput and latency over k successive parts of the
// run, by completion order: in the distinct run, request i finds about i
// bookings already made, so this shows how the rate depends on that.
func (r *result) progress(k int) {
	n := len(r.lat)
	if n < 10*k {
		return
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return int(r.done[a] - r.done[b]) })
	fmt.Printf("  by completion order (requests done before → rate, latency p50 / p99):\n")
	prev := time.Duration(0)
	for part := range k {
		lo, hi := part*n/k, (part+1)*n/k
		lats := make([]time.Duration, 0, hi-lo)
		for _, i := range idx[lo:hi] {
			lats = append(lats, r.lat[i])
		}
		slices.Sort(lats)
		end := r.done[idx[hi-1]]
		fmt.Printf("    %6d–%-6d %7.0f requests/s  %8.2f / %8.2f ms\n", lo, hi, float64(hi-lo)/(end-prev).Seconds(),
			ms(lats[len(lats)/2]), ms(lats[min(len(lats)-1, len(lats)*99/100)]))
		prev = end
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cpuTicks is the process's user+system CPU time in clock ticks (USER_HZ,
// 100 on Linux), or 0 without a pid.
func cpuTicks(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

type client struct {
	base string
	hc   *http.Client
}

// do sends one request with an optional token and JSON body; it returns
// the status and the whole response body.
func (c *client) do(ctx context.Context, method, path, tok string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// must is do for set-up: anything but 2xx is an error.
func (c *client) must(ctx context.Context, method, path, tok string, body any) ([]byte, error) {
	status, b, err := c.do(ctx, method, path, tok, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if status/100 != 2 {
		return nil, fmt.Errorf("%s %s: HTTP %d: %s", method, path, status, bytes.TrimSpace(b))
	}
	return b, nil
}

func (c *client) signup(ctx context.Context, username, role string) (string, error) {
	b, err := c.must(ctx, "POST", "/v1/auth/signup", "", map[string]string{"email": username + "@example.com",
		"password": password, "username": username, "display_name": "Bench " + username, "role": role})
	if err != nil {
		return "", err
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.AccessToken == "" {
		return "", fmt.Errorf("sign-up: no access_token in %s", b)
	}
	return out.AccessToken, nil
}

// hostBookings reads the host's confirmed bookings through GET
// /v1/schedule/mine, 100 a page: [start, end) of each.
func (c *client) hostBookings(ctx context.Context, tok string) ([][2]time.Time, error) {
	var out [][2]time.Time
	for page := 1; ; page++ {
		b, err := c.must(ctx, "GET", "/v1/schedule/mine?per_page=100&page="+strconv.Itoa(page), tok, nil)
		if err != nil {
			return nil, err
		}
		var res struct {
			ScheduledCalls []struct {
				ScheduledAt time.Time `json:"scheduled_at"`
				EndsAt      time.Time `json:"ends_at"`
				Status      string    `json:"status"`
			} `json:"scheduled_calls"`
			Pagination struct {
				Total int `json:"total"`
			} `json:"pagination"`
		}
		if err := json.Unmarshal(b, &res); err != nil {
			return nil, fmt.Errorf("GET /v1/schedule/mine: %w", err)
		}
		for _, s := range res.ScheduledCalls {
			if s.Status == "confirmed" {
				out = append(out, [2]time.Time{s.ScheduledAt.UTC(), s.EndsAt.UTC()})
			}
		}
		if len(res.ScheduledCalls) == 0 || page*100 >= res.Pagination.Total {
			return out, nil
		}
	}
}
