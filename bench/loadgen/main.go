// Command loadgen is a small closed-loop HTTP load generator, in the spirit
// of hey and wrk, for benchmarking a server on this machine.
//
// It opens -c keep-alive connections, each driven by one goroutine that sends
// a request, reads the whole response, and immediately sends the next. The
// first -warmup of traffic is discarded; the next -d is measured. It then
// prints the number of requests, the throughput, transport errors, non-2xx
// responses and latency percentiles, followed by one machine-readable
// "RESULT key=value …" line (all= counts every response, warm-up included,
// for dividing a server's CPU time by).
//
// Only loopback targets are accepted: this is a local benchmarking tool.
//
//	loadgen -url http://127.0.0.1:8080/v1/users/me -c 32 -d 10s \
//	    -H "Authorization: Bearer $TOKEN"
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// headerList is a repeatable -H flag.
type headerList []string

func (h *headerList) String() string     { return strings.Join(*h, ", ") }
func (h *headerList) Set(v string) error { *h = append(*h, v); return nil }

// Limits keep a mistyped flag from turning into a runaway process.
const (
	maxConns    = 4096
	maxDuration = 10 * time.Minute
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type config struct {
	url     *url.URL
	method  string
	body    string
	headers http.Header
	conns   int
	dur     time.Duration
	warmup  time.Duration
	timeout time.Duration
	maxReqs int64
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	var (
		rawURL  = fs.String("url", "", "target URL (loopback only); required")
		method  = fs.String("method", http.MethodGet, "HTTP method")
		body    = fs.String("body", "", "request body, sent with every request")
		conns   = fs.Int("c", 32, "concurrent keep-alive connections (one worker each)")
		dur     = fs.Duration("d", 10*time.Second, "measured duration")
		warmup  = fs.Duration("warmup", 2*time.Second, "unmeasured warm-up before -d")
		timeout = fs.Duration("timeout", 10*time.Second, "grace for requests in flight when the window closes; the run never lasts longer than warmup+d+timeout")
		maxReqs = fs.Int64("n", 0, "stop each worker after n/c measured requests (0: duration only)")
		headers headerList
	)
	fs.Var(&headers, "H", `request header "Name: value"; repeatable`)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	c := &config{method: strings.ToUpper(*method), body: *body, conns: *conns, dur: *dur,
		warmup: *warmup, timeout: *timeout, maxReqs: *maxReqs, headers: http.Header{}}
	switch {
	case *rawURL == "":
		return nil, errors.New("-url is required")
	case c.conns < 1 || c.conns > maxConns:
		return nil, fmt.Errorf("-c must be 1..%d", maxConns)
	case c.dur <= 0 || c.dur > maxDuration:
		return nil, fmt.Errorf("-d must be in (0, %v]", maxDuration)
	case c.warmup < 0 || c.warmup > maxDuration:
		return nil, fmt.Errorf("-warmup must be in [0, %v]", maxDuration)
	case c.timeout <= 0:
		return nil, errors.New("-timeout must be positive")
	case c.maxReqs < 0:
		return nil, errors.New("-n must be ≥ 0")
	}
	u, err := url.Parse(*rawURL)
	if err != nil {
		return nil, fmt.Errorf("-url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("-url must be http:// or https://")
	}
	if err := checkLoopback(u.Hostname()); err != nil {
		return nil, err
	}
	c.url = u
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("-H %q: want \"Name: value\"", h)
		}
		c.headers.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return c, nil
}

// checkLoopback refuses any host that is not a loopback address.
func checkLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing non-loopback host %q: use 127.0.0.1, [::1] or localhost", host)
	}
	return nil
}

// workerStats is what one worker measured. Workers never share it while
// running, so recording costs no synchronisation.
type workerStats struct {
	hist    histogram
	n       int64 // responses completed inside the measured window
	all     int64 // responses completed at any time, warm-up included
	errs    int64
	non2xx  int64
	lastErr error
}

func run(args []string) error {
	c, err := parseFlags(args)
	if err != nil {
		return err
	}
	tr := &http.Transport{
		Proxy:               nil, // loopback: never go through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        c.conns,
		MaxIdleConnsPerHost: c.conns,
		MaxConnsPerHost:     c.conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	defer tr.CloseIdleConnections()
	// No per-request timer: every request is bounded by ctx, which ends
	// -timeout after the measured window.
	// Redirects are not followed (a 3xx counts as non-2xx), so no request
	// ever leaves the loopback host.
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}

	start := time.Now()
	measureFrom := start.Add(c.warmup)
	measureTo := measureFrom.Add(c.dur)
	// Hard stop: requests still in flight -timeout after the window are
	// abandoned, so the run ends by itself even against a stuck server.
	ctx, cancel := context.WithDeadline(context.Background(), measureTo.Add(c.timeout))
	defer cancel()

	perWorker := int64(0)
	if c.maxReqs > 0 {
		perWorker = max(1, c.maxReqs/int64(c.conns))
	}
	stats := make([]workerStats, c.conns)
	var wg sync.WaitGroup
	for i := range stats {
		wg.Add(1)
		go func(st *workerStats) {
			defer wg.Done()
			worker(ctx, client, c, st, measureFrom, measureTo, perWorker)
		}(&stats[i])
	}
	wg.Wait()

	var total workerStats
	var lastErr error
	for i := range stats {
		st := &stats[i]
		total.hist.merge(&st.hist)
		total.n += st.n
		total.all += st.all
		total.errs += st.errs
		total.non2xx += st.non2xx
		if st.lastErr != nil {
			lastErr = st.lastErr
		}
	}
	// With -n the window may close early; use the real elapsed time then.
	elapsed := c.dur
	if now := time.Now(); now.Before(measureTo) {
		elapsed = now.Sub(measureFrom)
	}
	rps := float64(total.n) / elapsed.Seconds()
	h := &total.hist
	fmt.Printf("target:      %s %s\n", c.method, c.url.Redacted())
	fmt.Printf("connections: %d   warm-up: %v   measured: %v\n", c.conns, c.warmup, elapsed.Round(time.Millisecond))
	fmt.Printf("requests:    %d\n", total.n)
	fmt.Printf("req/s:       %.1f\n", rps)
	fmt.Printf("errors:      %d\n", total.errs)
	fmt.Printf("non-2xx:     %d\n", total.non2xx)
	fmt.Printf("latency:     p50 %s   p90 %s   p99 %s   max %s\n",
		fmtDur(h.quantile(0.50)), fmtDur(h.quantile(0.90)), fmtDur(h.quantile(0.99)), fmtDur(h.max))
	if lastErr != nil {
		fmt.Printf("last error:  %v\n", lastErr)
	}
	fmt.Printf("RESULT requests=%d all=%d rps=%.1f errors=%d non2xx=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
		total.n, total.all, rps, total.errs, total.non2xx,
		ms(h.quantile(0.50)), ms(h.quantile(0.90)), ms(h.quantile(0.99)), ms(h.max))
	if total.n == 0 {
		return errors.New("no request completed in the measured window")
	}
	return nil
}

// worker runs requests back to back on its own connection until the measured
// window closes, recording those that complete inside it.
func worker(ctx context.Context, client *http.Client, c *config, st *workerStats,
	measureFrom, measureTo time.Time, limit int64) {
	// One request, reused: the transport is done with it once the response
	// body is closed, and nothing here changes between sends.
	req, err := http.NewRequestWithContext(ctx, c.method, c.url.String(), nil)
	if err != nil {
		st.errs++
		st.lastErr = err
		return
	}
	req.Header = c.headers.Clone()
	for {
		t0 := time.Now()
		if !t0.Before(measureTo) || ctx.Err() != nil {
			return
		}
		if c.body != "" {
			// A fresh reader each time: the transport may still hold the
			// previous one.
			req.Body, req.ContentLength = io.NopCloser(strings.NewReader(c.body)), int64(len(c.body))
		}
		resp, err := client.Do(req)
		var status int
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
		}
		t1 := time.Now()
		if err == nil {
			st.all++
		}
		if t1.Before(measureFrom) || !t1.Before(measureTo) {
			if err != nil {
				backoff(ctx)
			}
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			st.errs++
			st.lastErr = err
			backoff(ctx)
			continue
		}
		if status < 200 || status > 299 {
			st.non2xx++
			if st.lastErr == nil {
				st.lastErr = fmt.Errorf("HTTP %d", status)
			}
		}
		st.n++
		st.hist.record(t1.Sub(t0))
		if limit > 0 && st.n >= limit {
			return
		}
	}
}

// backoff keeps a worker from spinning when the server refuses connections.
func backoff(ctx context.Context) {
	t := time.NewTimer(10 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2fms", ms(d))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// histogram is a log-linear latency histogram in the manner of HDR
// histograms: values are bucketed by power of two of nanoseconds, each power
// split into subBuckets linear steps, so every recorded value is kept to
// within 1/subBuckets (≈1.6%) of its size. Recording is two shifts and an
// increment; the whole histogram is a fixed 30 KiB per worker.
type histogram struct {
	counts [maxExp][subBuckets]int64
	total  int64
	max    time.Duration
}

const (
	subBits    = 6
	subBuckets = 1 << subBits
	maxExp     = 64 - subBits + 1
)

func bucketOf(v uint64) (exp, sub int) {
	if v < subBuckets {
		return 0, int(v)
	}
	// The top bit is at position p ≥ subBits; keep the subBits bits below it.
	shift := 63 - bits.LeadingZeros64(v) - subBits
	return shift + 1, int(v>>uint(shift)) & (subBuckets - 1)
}

// bucketValue is the upper edge of a bucket, in nanoseconds.
func bucketValue(exp, sub int) uint64 {
	if exp == 0 {
		return uint64(sub)
	}
	// Exponent exp covers [2^(subBits+exp-1), 2^(subBits+exp)) in
	// subBuckets steps of 2^(exp-1); sub holds the bits below the top one.
	lower := uint64(subBuckets|sub) << uint(exp-1)
	return lower + (1 << uint(exp-1)) - 1
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	e, s := bucketOf(uint64(d))
	if e >= maxExp {
		e, s = maxExp-1, subBuckets-1
	}
	h.counts[e][s]++
	h.total++
	if d > h.max {
		h.max = d
	}
}

func (h *histogram) merge(o *histogram) {
	for e := range o.counts {
		for s, n := range o.counts[e] {
			h.counts[e][s] += n
		}
	}
	h.total += o.total
	h.max = max(h.max, o.max)
}

// quantile returns the value at quantile q (0..1), never above max.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.total)))
	rank = min(max(rank, 1), h.total)
	var seen int64
	for e := range h.counts {
		for s, n := range h.counts[e] {
			seen += n
			if seen >= rank {
				return min(time.Duration(bucketValue(e, s)), h.max)
			}
		}
	}
	return h.max
}
