package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vidivo/vidivo/turn"
)

// result is one server's measurements (the JSON the report reads).
type result struct {
	Label   string         `json:"label"`
	Version string         `json:"version"`
	Machine string         `json:"machine"`
	Start   time.Time      `json:"start"`
	Flows   int            `json:"flows"`
	Best    map[string]int `json:"best_pps"` // size → highest offered rate with < 1 % loss
	Steps   []stepResult   `json:"steps"`
	Alloc   allocResult    `json:"alloc"`
	LoadAvg []string       `json:"load_avg"` // 1-minute load average at start and end
}

func loadMain(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	server := fs.String("server", "127.0.0.1:3478", "TURN server, UDP")
	secret := fs.String("secret", "", "REST-API shared secret (coturn static-auth-secret, VIDIVO_TURN_SECRET)")
	pid := fs.Int("server-pid", 0, "server process id, for its CPU time from /proc")
	label := fs.String("label", "server", "name in the report")
	version := fs.String("version", "", "server version, for the report")
	out := fs.String("out", "", "write the result as JSON here")
	flows := fs.Int("flows", 40, "allocations carrying packets")
	sizes := fs.String("sizes", "160,1200", "packet sizes (application bytes), comma-separated")
	start := fs.Int("start", 4000, "first offered rate, packets/s")
	maxRate := fs.Int("max", 400000, "highest offered rate tried, packets/s")
	factor := fs.Float64("factor", 1.5, "rate growth per step until a failure")
	bisect := fs.Int("bisect", 3, "bisection steps after the first failure")
	stepDur := fs.Duration("step", 4*time.Second, "sending time per step")
	drain := fs.Duration("drain", time.Second, "wait after a step for the last echoes; later ones count as lost")
	senders := fs.Int("senders", 2, "sending goroutines")
	tick := fs.Duration("tick", time.Millisecond, "pacing interval")
	echoN := fs.Int("echo", 2, "echo peer sockets")
	buf := fs.Int("sockbuf", 4<<20, "socket buffer size asked for on the load generator's sockets (capped by net.core.rmem_max)")
	workers := fs.Int("alloc-workers", 32, "concurrent clients for the allocation rate; 0 skips it")
	allocDur := fs.Duration("alloc-duration", 10*time.Second, "allocation-rate measuring time")
	skipRelay := fs.Bool("skip-relay", false, "skip the packet-rate search")
	fs.Parse(args)
	if *secret == "" {
		return fmt.Errorf("-secret is required")
	}
	srv, err := netip.ParseAddrPort(*server)
	if err != nil {
		return fmt.Errorf("-server: %w", err)
	}
	m := &turn.Minter{Secret: []byte(*secret)}
	echo, err := startEcho(*echoN, *buf)
	if err != nil {
		return err
	}
	defer echo.close()

	res := result{Label: *label, Version: *version, Machine: machine(), Start: time.Now().UTC(), Flows: *flows,
		Best: map[string]int{}, LoadAvg: []string{loadAvg()}}
	if !*skipRelay {
		fl, err := openFlows(srv, m, *flows, echo, *buf)
		if err != nil {
			return err
		}
		st := &stepper{flows: fl, senders: *senders, tick: *tick, dur: *stepDur, drain: *drain, pid: *pid}
		for _, f := range strings.Split(*sizes, ",") {
			size, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || size < headerLen || size > 1400 {
				closeFlows(fl)
				return fmt.Errorf("-sizes: %q is not a size from %d to 1400", f, headerLen)
			}
			fmt.Printf("%s: %d-byte packets over %d relays\n", *label, size, *flows)
			best, steps := st.search(size, *start, *maxRate, *factor, *bisect)
			res.Best[strconv.Itoa(size)] = best
			res.Steps = append(res.Steps, steps...)
			fmt.Printf("%s: %d B best %d pps offered (%d relayed)\n", *label, size, best, 2*best)
		}
		closeFlows(fl)
	}
	if *workers > 0 {
		time.Sleep(time.Second) // let the flows' deallocations pass
		res.Alloc = allocRate(srv, m, echo.addrs[0], *workers, *allocDur, *pid, 0)
		a := res.Alloc
		fmt.Printf("%s: allocations %.0f/s (%d ok, %d failed, %d workers), cycle p50 %.2f p99 %.2f ms, server %.2f cores, load %.2f cores\n",
			*label, a.PerSecond, a.OK, a.Failed, a.Workers, a.P50ms, a.P99ms, a.ServerCores, a.LoadCores)
		for e, n := range a.Errors {
			fmt.Printf("  %d× %s\n", n, e)
		}
	}
	res.LoadAvg = append(res.LoadAvg, loadAvg())
	if *out == "" {
		return nil
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*out, b, 0o644)
}
