// Command sessions measures one group session in the browser: it starts
// the real `vidivo serve` (SQLite, sandbox payments, relay-only ICE
// through the embedded TURN server on loopback), schedules a session of
// -people participants (all hosts, so nobody waits in the lobby), opens
// each entry URL in its own headless Chromium browser context and enters
// the room; once every page decodes video from every other participant, it
// samples for -seconds the service's CPU (user + system, all threads, from
// /proc/<pid>/stat; the embedded TURN relay is in the same process) and
// peak resident memory, and each page's decoded frames a second per
// remote participant.
//
//	go build -o /tmp/vidivo ./cmd/vidivo
//	go run ./bench/sessions -vidivo /tmp/vidivo -people 6 -seconds 30
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vidivo/vidivo/bench/internal/api"
	"github.com/vidivo/vidivo/headless"
)

func main() {
	bin := flag.String("vidivo", "/tmp/vidivo", "the vidivo binary")
	people := flag.Int("people", 6, "participants in the session (at most 6)")
	seconds := flag.Int("seconds", 30, "how long to sample once everyone sees everyone")
	flag.Parse()
	if err := run(*bin, *people, *seconds); err != nil {
		log.Fatal(err)
	}
}

func run(bin string, people, seconds int) error {
	dir, err := os.MkdirTemp("", "vidivo-bench-sessions")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	cmd := exec.Command(bin, "serve", "--turn-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "VIDIVO_ADDR="+addr, "VIDIVO_PUBLIC_URL="+base, "VIDIVO_DATA_DIR="+dir,
		"VIDIVO_METRICS_ADDR=off", "VIDIVO_PAYMENTS=sandbox", "VIDIVO_AUTH_RATE_LIMIT=0", "VIDIVO_LOG_LEVEL=warn",
		"VIDIVO_ICE_POLICY=relay", "VIDIVO_TURN_ALLOW_PEERS=127.0.0.0/8", "VIDIVO_DATABASE_URL=", "VIDIVO_NATS_URL=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		return fmt.Errorf("vidivo did not start: %w", err)
	}
	go io.Copy(io.Discard, out)

	urls, err := schedule(base, people)
	if err != nil {
		return err
	}
	browser, cancel, err := headless.Start(headless.Chromium, dir)
	if err != nil {
		return err
	}
	defer cancel()
	ctx, stop := context.WithTimeout(browser, 10*time.Minute)
	defer stop()
	var tabs []context.Context
	for _, u := range urls {
		tab, closeTab := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		defer closeTab()
		if err := chromedp.Do(tab, chromedp.Navigate(u), chromedp.Click(chromedp.CSS(`#enter`))); err != nil {
			return fmt.Errorf("enter %s: %w", u, err)
		}
		tabs = append(tabs, tab)
	}
	start := time.Now()
	for i, tab := range tabs {
		if err := waitVideo(tab, people-1); err != nil {
			return fmt.Errorf("page %d: %w", i, err)
		}
	}
	fmt.Printf("everyone decodes everyone after %s\n", time.Since(start).Round(time.Second))

	before := make([][]float64, len(tabs))
	for i, tab := range tabs {
		if before[i], err = frames(tab); err != nil {
			return err
		}
	}
	cpu0, err := cpuTicks(cmd.Process.Pid)
	if err != nil {
		return err
	}
	peak := 0
	for range seconds {
		time.Sleep(time.Second)
		if rss, err := rssKiB(cmd.Process.Pid); err == nil && rss > peak {
			peak = rss
		}
	}
	cpu1, err := cpuTicks(cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Printf("service + embedded TURN: %.3f cores, peak RSS %.1f MiB over %d s, %d people\n",
		float64(cpu1-cpu0)/100/float64(seconds), float64(peak)/1024, seconds, people)
	for i, tab := range tabs {
		after, err := frames(tab)
		if err != nil {
			return err
		}
		var fps []string
		for j := range after {
			if j < len(before[i]) {
				fps = append(fps, strconv.FormatFloat((after[j]-before[i][j])/float64(seconds), 'f', 1, 64))
			}
		}
		fmt.Printf("page %d: decoded frames/s per remote participant: %s\n", i, strings.Join(fps, " "))
	}
	return nil
}

// schedule signs a host up and schedules a session starting in a minute
// with people participants, all hosts; it returns their entry URLs.
func schedule(base string, people int) ([]string, error) {
	var signup struct {
		AccessToken string `json:"access_token"`
	}
	if err := api.Call(base, "POST", "/v1/auth/signup", "", map[string]string{"email": "bench@example.com",
		"password": "correct horse battery", "username": "benchhost", "display_name": "Bench Host", "role": "host"}, &signup); err != nil {
		return nil, err
	}
	if err := api.Call(base, "POST", "/v1/users/me/payouts/onboarding", signup.AccessToken, nil, nil); err != nil {
		return nil, err
	}
	var ps []map[string]any
	for i := range people {
		ps = append(ps, map[string]any{"display_name": fmt.Sprintf("Person %d", i+1), "role": "host"})
	}
	start := time.Now().UTC().Add(time.Minute).Truncate(time.Second)
	var sess struct {
		Resource struct {
			Participants []struct {
				EntryURL string `json:"entry_url"`
			} `json:"participants"`
		} `json:"resource"`
	}
	if err := api.Call(base, "POST", "/v1/sessions", signup.AccessToken, map[string]any{"session_name": "Bench",
		"start_time": start.Format(time.RFC3339), "end_time": start.Add(time.Hour).Format(time.RFC3339), "participants": ps}, &sess); err != nil {
		return nil, err
	}
	var urls []string
	for _, p := range sess.Resource.Participants {
		urls = append(urls, p.EntryURL)
	}
	return urls, nil
}

// framesJS answers each remote tile's peer id and the frames its video
// element has decoded.
const framesJS = `(async () => {
  const out = [];
  for (const f of document.querySelectorAll('figure[data-peer] video')) {
    const q = f.getVideoPlaybackQuality ? f.getVideoPlaybackQuality() : null;
    out.push([f.closest('figure').dataset.peer, q ? q.totalVideoFrames : 0]);
  }
  return out;
})()`

// frames returns each remote tile's decoded frames, ordered by peer id.
func frames(tab context.Context) ([]float64, error) {
	pairs, err := chromedp.Run(tab, chromedp.Evaluate[[][]any](framesJS, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, err
	}
	sort.Slice(pairs, func(i, j int) bool { return fmt.Sprint(pairs[i][0]) < fmt.Sprint(pairs[j][0]) })
	var out []float64
	for _, p := range pairs {
		n, _ := p[1].(float64)
		out = append(out, n)
	}
	return out, nil
}

// waitVideo waits until n remote tiles have decoded frames.
func waitVideo(tab context.Context, n int) error {
	deadline := time.Now().Add(3 * time.Minute)
	var (
		f   []float64
		err error
	)
	for time.Now().Before(deadline) {
		f, err = frames(tab)
		ok := err == nil && len(f) == n
		for _, x := range f {
			ok = ok && x > 0
		}
		if ok {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("not every remote video plays: frames %v (%v)", f, err)
}

func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may hold spaces): utime is
	// the 14th field, stime the 15th.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s, nil
}

func rssKiB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmRSS")
}
