package main

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vidivo/vidivo/turn"
)

// allocResult is the allocation-rate measurement.
type allocResult struct {
	Workers     int            `json:"workers"`
	Seconds     float64        `json:"seconds"`
	OK          int64          `json:"ok"`
	Failed      int64          `json:"failed"`
	PerSecond   float64        `json:"per_second"`
	P50ms       float64        `json:"p50_ms"`
	P99ms       float64        `json:"p99_ms"`
	ServerCores float64        `json:"server_cores"`
	LoadCores   float64        `json:"load_cores"`
	Errors      map[string]int `json:"errors,omitempty"`
	Live        int64          `json:"live_after,omitempty"`
}

// allocRate runs workers concurrent clients for dur, each repeating one
// allocation's whole life on a fresh socket: Allocate (two requests: the
// 401 challenge and the authenticated one), CreatePermission for the
// peer, Refresh (lifetime 600 s), Refresh with lifetime 0 (deletion) —
// five requests, each answered before the next. A cycle counts when all
// succeed.
func allocRate(server netip.AddrPort, m *turn.Minter, peer netip.AddrPort, workers int, dur time.Duration, pid, bufBytes int) allocResult {
	var ok, failed atomic.Int64
	var mu sync.Mutex
	errs := map[string]int{}
	var lat []time.Duration
	cpu0, self0 := procCPU(pid), selfCPU()
	start := time.Now()
	end := start.Add(dur)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; time.Now().Before(end); i++ {
				t0 := time.Now()
				err := allocCycle(server, m.Mint(fmt.Sprintf("bench-alloc-%d-%d", w, i), t0), peer, bufBytes)
				if err != nil {
					failed.Add(1)
					mu.Lock()
					errs[err.Error()]++
					mu.Unlock()
					continue
				}
				ok.Add(1)
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, self1 := procCPU(pid), selfCPU()
	slices.Sort(lat)
	r := allocResult{Workers: workers, Seconds: elapsed.Seconds(), OK: ok.Load(), Failed: failed.Load(),
		PerSecond: float64(ok.Load()) / elapsed.Seconds(), P50ms: ms(pct(lat, 0.5)), P99ms: ms(pct(lat, 0.99)),
		ServerCores: (cpu1 - cpu0).Seconds() / elapsed.Seconds(), LoadCores: (self1 - self0).Seconds() / elapsed.Seconds()}
	if len(errs) > 0 {
		r.Errors = errs
	}
	return r
}

func allocCycle(server netip.AddrPort, creds turn.Credentials, peer netip.AddrPort, bufBytes int) error {
	s, err := dial(server, creds, bufBytes)
	if err != nil {
		return err
	}
	if err := s.allocate(); err != nil {
		_ = s.close(false)
		return err
	}
	if err := s.permit(peer); err != nil {
		_ = s.close(true)
		return err
	}
	if err := s.refresh(600 * time.Second); err != nil {
		_ = s.close(true)
		return err
	}
	if err := s.close(true); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return nil
}
