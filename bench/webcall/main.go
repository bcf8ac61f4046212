// Command webcall measures the call in the browser: how long after the
// host presses "Answer" each side sees the other's video, and how heavy
// each page is.
//
// It starts the real vidivo binary (-bin; run.sh builds it) on loopback
// with a fresh SQLite data dir, the sandbox gateway and the embedded TURN
// server, once per ICE policy in -policies, and drives Debian's chromium
// with a fake camera and microphone through chromedp, as the browser tests
// do. A host signs up, connects payouts and creates a link on the pages,
// and keeps the dashboard open. Then, -warmup + -calls times, one after
// the other: a guest in a fresh browser context opens the link, pays with
// the sandbox test card and waits on the in-call page; the host's
// dashboard rings; the clock starts as the click on "Answer" is sent;
// the host's browser posts the answer, loads the in-call page, connects
// to signaling and the guest's page offers; the benchmark records, on each
// side, when the peer connection connects, when getStats first counts a
// decoded remote video frame (polled every 10 ms), and when the "Remote
// video" element presents its first frame (requestVideoFrameCallback).
// The guest hangs up and the host returns to the dashboard.
//
// Page weights: each page's HTML and the CSS and JavaScript modules it
// loads from us, fetched with the host's or the guest's cookies where the
// page needs them (see weight.go).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vidivo/vidivo/headless"
)

func main() {
	bin := flag.String("bin", "", "the vidivo binary to run (run.sh builds it)")
	chromium := flag.String("chromium", headless.Chromium, "the browser")
	calls := flag.Int("calls", 20, "measured calls per ICE policy")
	warmup := flag.Int("warmup", 1, "calls before the measured ones, not counted (the browser's first WebRTC set-up)")
	policies := flag.String("policies", "relay,all", `ICE policies to run, each with its own server: "relay" (TURN only) and/or "all"`)
	out := flag.String("out", "", "write the samples and weights as JSON to this file")
	flag.Parse()
	if *bin == "" {
		log.Fatal("-bin is required: the vidivo binary (go build -o /tmp/vidivo ./cmd/vidivo)")
	}
	work, err := os.MkdirTemp("", "vidivo-webcall-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)

	res := results{Calls: *calls, Warmup: *warmup, Samples: map[string][]sample{}}
	for _, policy := range strings.Split(*policies, ",") {
		samples, weights, err := runPolicy(*bin, *chromium, work, policy, *warmup, *calls)
		if err != nil {
			log.Fatalf("%s: %v", policy, err)
		}
		res.Samples[policy] = samples
		if res.Weights == nil {
			res.Weights = weights
		}
	}
	res.print(os.Stdout)
	if *out != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// runPolicy runs a server with icePolicy and its calls, and weighs the
// pages.
func runPolicy(bin, chromium, work, icePolicy string, warmup, calls int) ([]sample, []weight, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(warmup+calls)*time.Minute+time.Minute)
	defer cancel()
	srv, err := startServer(ctx, bin, work, icePolicy)
	if err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	browser, closeBrowser, err := headless.Start(chromium, filepath.Join(work, "chromium-"+icePolicy))
	if err != nil {
		return nil, nil, err
	}
	defer closeBrowser()
	host, closeHost, err := newTab(browser)
	if err != nil {
		return nil, nil, err
	}
	defer closeHost()
	r := &run{srv: srv, browser: browser, host: host}
	if err := r.setUpHost(host); err != nil {
		return nil, nil, err
	}
	var samples []sample
	for n := range warmup + calls {
		s, err := r.call(ctx, n+1)
		if err != nil {
			return nil, nil, fmt.Errorf("call %d: %w (server log: %s)", n+1, err, srv.logPath)
		}
		fmt.Fprintf(os.Stderr, "%s call %2d: host shows the guest after %4d ms, guest shows the host after %4d ms\n",
			icePolicy, n+1, s.HostShown.Milliseconds(), s.GuestShown.Milliseconds())
		if n >= warmup {
			samples = append(samples, s)
		}
	}
	weights, err := r.weighPages(ctx)
	return samples, weights, err
}
