package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/vidivo/vidivo/token"
)

// result is one client run against one server.
type result struct {
	Label          string  `json:"label"`
	Date           string  `json:"date"`
	Machine        string  `json:"machine"`
	Pairs          int     `json:"pairs"`
	Sockets        int     `json:"sockets"`
	Failed         int     `json:"failed"`
	ConnectSeconds float64 `json:"connect_seconds"`
	RSSBeforeKiB   int64   `json:"rss_before_kib"`
	RSSAfterRawKiB int64   `json:"rss_after_raw_kib"` // before the forced GC
	RSSAfterKiB    int64   `json:"rss_after_kib"`     // after GC + FreeOSMemory
	PerSocketKiB   float64 `json:"per_socket_kib"`
	PerSocketRaw   float64 `json:"per_socket_raw_kib"`
	Goroutines     int     `json:"server_goroutines"`
	// The server runtime's view after GC, before and after opening.
	HeapBeforeKiB  int64        `json:"heap_inuse_before_kib"`
	HeapAfterKiB   int64        `json:"heap_inuse_after_kib"`
	StackBeforeKiB int64        `json:"stack_inuse_before_kib"`
	StackAfterKiB  int64        `json:"stack_inuse_after_kib"`
	Rates          []rateResult `json:"rates"`
}

type rateResult struct {
	Rate     int     `json:"rate"`
	Sent     int64   `json:"sent"`
	Received int64   `json:"received"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
}

// client holds the load generator's sockets and latency samples.
type client struct {
	start     time.Time
	recording atomic.Bool
	from      atomic.Int64 // only messages sent at or after this (ns since start) count
	received  atomic.Int64
	mu        sync.Mutex
	samples   []time.Duration
}

type sock struct {
	ws     *websocket.Conn
	joined chan struct{}
}

func clientMain(args []string) error {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	rawURL := fs.String("url", "ws://127.0.0.1:9300/signal/ws", "relay endpoint")
	secret := fs.String("secret", "bench signaling secret", "signaling token secret (shared with the server)")
	pairs := fs.Int("pairs", 5000, "calls to open (two sockets each)")
	pid := fs.Int("server-pid", 0, "server process id, for RSS from /proc/<pid>/status")
	sources := fs.String("sources", "127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4", "local addresses to dial from, round robin (ephemeral ports)")
	parallel := fs.Int("dial-parallel", 64, "pairs set up at once")
	settle := fs.Duration("settle", 3*time.Second, "wait after connecting before reading RSS")
	ratesFlag := fs.String("rates", "1000,4000", "relay rates to measure, messages a second in total")
	duration := fs.Duration("duration", 15*time.Second, "measured time per rate")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured time before each rate")
	label := fs.String("label", "", "name of this run in the report")
	out := fs.String("out", "", "write the result as JSON here")
	hold := fs.Duration("hold", 0, "keep the sockets open this long before exiting (for profiling)")
	fs.Parse(args)

	u, err := url.Parse(*rawURL)
	if err != nil {
		return err
	}
	debugURL := "http://" + u.Host + "/debug/"
	minter := &token.SignalingMinter{Secret: []byte(*secret)}
	res := result{Label: *label, Pairs: *pairs, Date: time.Now().UTC().Format(time.RFC3339), Machine: machine()}

	gc(debugURL)
	res.RSSBeforeKiB = rss(*pid)
	st := stats(debugURL)
	res.HeapBeforeKiB, res.StackBeforeKiB = st.HeapInuse>>10, st.StackInuse>>10

	c := &client{start: time.Now()}
	dialers := httpClients(*sources)
	socks := make([][2]*sock, *pairs)
	var failed atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range *parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *pairs {
					return
				}
				call := fmt.Sprintf("bench%08d", i)
				var p [2]*sock
				for j, role := range []string{"guest", "host"} {
					tok := minter.Mint(call, fmt.Sprintf("%s-%d", role, i), role)
					s, err := c.dial(dialers[(2*i+j)%len(dialers)], *rawURL+"?token="+url.QueryEscape(tok)+"&call="+call)
					if err != nil {
						if failed.Add(1) <= 5 {
							fmt.Fprintf(os.Stderr, "dial %s %s: %v\n", call, role, err)
						}
						break
					}
					p[j] = s
				}
				if p[0] == nil || p[1] == nil {
					continue
				}
				for _, s := range p {
					select {
					case <-s.joined:
					case <-time.After(30 * time.Second):
						failed.Add(1)
						fmt.Fprintf(os.Stderr, "%s: no peer_joined\n", call)
					}
				}
				socks[i] = p
			}
		}()
	}
	wg.Wait()
	res.ConnectSeconds = time.Since(t0).Seconds()
	res.Failed = int(failed.Load())
	var live [][2]*sock
	for _, p := range socks {
		if p[0] != nil && p[1] != nil {
			live = append(live, p)
		}
	}
	res.Sockets = 2 * len(live)
	fmt.Printf("%s: %d sockets open in %.1fs (%d failed)\n", *label, res.Sockets, res.ConnectSeconds, res.Failed)

	time.Sleep(*settle)
	res.RSSAfterRawKiB = rss(*pid)
	gc(debugURL)
	res.RSSAfterKiB = rss(*pid)
	st = stats(debugURL)
	res.Goroutines = st.Goroutines
	res.HeapAfterKiB, res.StackAfterKiB = st.HeapInuse>>10, st.StackInuse>>10
	if res.Sockets > 0 {
		res.PerSocketKiB = float64(res.RSSAfterKiB-res.RSSBeforeKiB) / float64(res.Sockets)
		res.PerSocketRaw = float64(res.RSSAfterRawKiB-res.RSSBeforeKiB) / float64(res.Sockets)
	}
	fmt.Printf("%s: RSS %d → %d KiB (%d before GC): %.1f KiB a socket (%.1f before GC); %d goroutines; heap %.1f KiB, stacks %.1f KiB a socket\n",
		*label, res.RSSBeforeKiB, res.RSSAfterKiB, res.RSSAfterRawKiB, res.PerSocketKiB, res.PerSocketRaw, res.Goroutines,
		perSocket(res.HeapAfterKiB-res.HeapBeforeKiB, res.Sockets), perSocket(res.StackAfterKiB-res.StackBeforeKiB, res.Sockets))

	for _, f := range strings.Split(*ratesFlag, ",") {
		rate, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || rate <= 0 || len(live) == 0 {
			continue
		}
		rr := c.measure(live, rate, *warmup, *duration)
		fmt.Printf("%s: %d msg/s: sent %d, received %d, p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
			*label, rr.Rate, rr.Sent, rr.Received, rr.P50, rr.P90, rr.P99, rr.Max)
		res.Rates = append(res.Rates, rr)
	}
	time.Sleep(*hold)
	if *out != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d sockets failed", res.Failed)
	}
	return nil
}

// dial opens one socket and starts its reader.
func (c *client) dial(hc *http.Client, u string) (*sock, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return nil, err
	}
	s := &sock{ws: ws, joined: make(chan struct{})}
	go c.read(s)
	return s, nil
}

var tsKey = []byte(`"ts":`)

// read records the latency of every timestamped message.
func (c *client) read(s *sock) {
	joined := false
	for {
		_, data, err := s.ws.Read(context.Background())
		if err != nil {
			return
		}
		now := time.Since(c.start)
		i := bytes.Index(data, tsKey)
		if i < 0 {
			if !joined && bytes.Contains(data, []byte(`"peer_joined"`)) {
				joined = true
				close(s.joined)
			}
			continue
		}
		j := i + len(tsKey)
		k := j
		for k < len(data) && data[k] >= '0' && data[k] <= '9' {
			k++
		}
		ts, err := strconv.ParseInt(string(data[j:k]), 10, 64)
		if err != nil || !c.recording.Load() || ts < c.from.Load() {
			continue
		}
		c.received.Add(1)
		c.mu.Lock()
		c.samples = append(c.samples, now-time.Duration(ts))
		c.mu.Unlock()
	}
}

const candidate = `{"type":"ice_candidate","payload":{"candidate":"candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.2 rport 46154 generation 0 ufrag sZ1c network-cost 999","sdpMid":"0","sdpMLineIndex":0,"ts":%d}}`

// measure sends rate messages a second, spread evenly, alternating
// direction over the pairs, for warmup (unrecorded) and then duration.
func (c *client) measure(live [][2]*sock, rate int, warmup, duration time.Duration) rateResult {
	c.recording.Store(false)
	interval := time.Second / time.Duration(rate)
	var sent int64
	n := 0
	begin := time.Now()
	recordFrom := begin.Add(warmup)
	end := recordFrom.Add(duration)
	for k := 0; ; k++ {
		due := begin.Add(time.Duration(k) * interval)
		if due.After(end) {
			break
		}
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if !c.recording.Load() && !due.Before(recordFrom) {
			c.mu.Lock()
			c.samples = c.samples[:0]
			c.mu.Unlock()
			c.received.Store(0)
			c.from.Store(int64(time.Since(c.start)))
			c.recording.Store(true)
		}
		p := live[n%len(live)]
		dir := (n / len(live)) % 2
		n++
		msg := fmt.Appendf(nil, candidate, int64(time.Since(c.start)))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := p[dir].ws.Write(ctx, websocket.MessageText, msg)
		cancel()
		if err == nil && c.recording.Load() {
			sent++
		}
	}
	time.Sleep(500 * time.Millisecond) // let the last messages land
	c.recording.Store(false)
	c.mu.Lock()
	s := slices.Clone(c.samples)
	c.mu.Unlock()
	slices.Sort(s)
	pct := func(p float64) float64 {
		if len(s) == 0 {
			return 0
		}
		return float64(s[min(len(s)-1, int(p*float64(len(s))))]) / 1e6
	}
	return rateResult{Rate: rate, Sent: sent, Received: c.received.Load(),
		P50: pct(0.50), P90: pct(0.90), P99: pct(0.99), Max: pct(1)}
}

// httpClients returns one HTTP client per source address, so the sockets
// spread over several loopback addresses' ephemeral ports.
func httpClients(sources string) []*http.Client {
	var out []*http.Client
	for _, s := range strings.Split(sources, ",") {
		ip := net.ParseIP(strings.TrimSpace(s))
		if ip == nil {
			continue
		}
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
		out = append(out, &http.Client{Transport: &http.Transport{DialContext: d.DialContext}})
	}
	if len(out) == 0 {
		out = append(out, http.DefaultClient)
	}
	return out
}

// rss reads VmRSS of pid in KiB (0 if unknown).
func rss(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// gc asks the server to collect garbage and return it to the OS.
func gc(debugURL string) {
	resp, err := http.Post(debugURL+"gc", "text/plain", nil)
	if err == nil {
		resp.Body.Close()
	}
	time.Sleep(200 * time.Millisecond)
}

type serverStats struct {
	Goroutines int   `json:"goroutines"`
	HeapInuse  int64 `json:"heap_inuse"`
	StackInuse int64 `json:"stack_inuse"`
}

func stats(debugURL string) serverStats {
	var st serverStats
	resp, err := http.Get(debugURL + "stats")
	if err != nil {
		return st
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(&st)
	return st
}

func perSocket(kib int64, sockets int) float64 { return float64(kib) / float64(max(1, sockets)) }

// machine describes where the run happened.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if l, _, ok := strings.Cut(string(b), "\n"); ok {
			f := strings.Fields(l)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				mem = fmt.Sprintf(", %d GiB", (kb+(1<<19))>>20)
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs%s, %s linux/%s", model, runtime.NumCPU(), mem, runtime.Version(), runtime.GOARCH)
}

// reportMain prints the results of runs side by side, each column's ratio
// to the first (the bare relay).
func reportMain(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: signal report bare.json hub.json")
	}
	var rs []result
	for _, p := range args {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var r result
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		rs = append(rs, r)
	}
	base := rs[0]
	fmt.Printf("Machine: %s; %s\n\n", base.Machine, base.Date)
	fmt.Print("| |")
	for _, r := range rs {
		fmt.Printf(" %s |", r.Label)
	}
	for _, r := range rs[1:] {
		fmt.Printf(" %s / %s |", r.Label, base.Label)
	}
	fmt.Print("\n|---|")
	for range 2*len(rs) - 1 {
		fmt.Print("---:|")
	}
	fmt.Println()
	row := func(name, format string, get func(result) float64) {
		fmt.Printf("| %s |", name)
		for _, r := range rs {
			fmt.Printf(" "+format+" |", get(r))
		}
		for _, r := range rs[1:] {
			if b := get(base); b != 0 {
				fmt.Printf(" %.2f× |", get(r)/b)
			} else {
				fmt.Print(" – |")
			}
		}
		fmt.Println()
	}
	row("sockets open", "%.0f", func(r result) float64 { return float64(r.Sockets) })
	row("failed sockets", "%.0f", func(r result) float64 { return float64(r.Failed) })
	row("time to open all (s)", "%.1f", func(r result) float64 { return r.ConnectSeconds })
	row("server RSS, idle sockets (MiB)", "%.0f", func(r result) float64 { return float64(r.RSSAfterKiB) / 1024 })
	row("RSS per idle socket (KiB)", "%.1f", func(r result) float64 { return r.PerSocketKiB })
	row("RSS per idle socket before GC (KiB)", "%.1f", func(r result) float64 { return r.PerSocketRaw })
	row("  of which Go heap (KiB)", "%.1f", func(r result) float64 { return perSocket(r.HeapAfterKiB-r.HeapBeforeKiB, r.Sockets) })
	row("  of which goroutine stacks (KiB)", "%.1f", func(r result) float64 { return perSocket(r.StackAfterKiB-r.StackBeforeKiB, r.Sockets) })
	row("server goroutines per socket", "%.2f", func(r result) float64 { return float64(r.Goroutines) / float64(max(1, r.Sockets)) })
	for i := range base.Rates {
		rate := base.Rates[i].Rate
		get := func(f func(rateResult) float64) func(result) float64 {
			return func(r result) float64 {
				if i < len(r.Rates) {
					return f(r.Rates[i])
				}
				return 0
			}
		}
		row(fmt.Sprintf("relay p50 at %d msg/s (ms)", rate), "%.3f", get(func(x rateResult) float64 { return x.P50 }))
		row(fmt.Sprintf("relay p99 at %d msg/s (ms)", rate), "%.3f", get(func(x rateResult) float64 { return x.P99 }))
		row(fmt.Sprintf("relay max at %d msg/s (ms)", rate), "%.3f", get(func(x rateResult) float64 { return x.Max }))
		row(fmt.Sprintf("received / sent at %d msg/s", rate), "%.4f", get(func(x rateResult) float64 {
			if x.Sent == 0 {
				return 0
			}
			return float64(x.Received) / float64(x.Sent)
		}))
	}
	return nil
}
