package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
)

// reportMain prints a Markdown table of the results given, the first as
// the reference the others' ratios are taken against.
func reportMain(files []string) error {
	if len(files) < 2 {
		return fmt.Errorf("usage: turn report reference.json other.json…")
	}
	var rs []result
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var r result
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		rs = append(rs, r)
	}
	ref := rs[0]
	fmt.Printf("machine: %s\n\n", ref.Machine)
	fmt.Print("| |")
	for _, r := range rs {
		fmt.Printf(" %s %s |", r.Label, r.Version)
	}
	for _, r := range rs[1:] {
		fmt.Printf(" %s / %s |", r.Label, ref.Label)
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
			if v := get(ref); v != 0 {
				fmt.Printf(" **%.2f** |", get(r)/v)
			} else {
				fmt.Print(" – |")
			}
		}
		fmt.Println()
	}
	var sizes []int
	for k := range ref.Best {
		n, _ := strconv.Atoi(k)
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	for _, size := range sizes {
		k := strconv.Itoa(size)
		row(fmt.Sprintf("%d B: packets/s relayed at < 1 %% loss (both directions)", size), "%.0f",
			func(r result) float64 { return 2 * float64(r.Best[k]) })
		common := commonRate(rs, size)
		row(fmt.Sprintf("%d B: server CPU µs per relayed packet at %d packets/s offered", size, common), "%.1f",
			func(r result) float64 { return cpuPerPacket(r, size, common) })
	}
	row("allocations/s (allocate + permission + refresh + delete)", "%.0f", func(r result) float64 { return r.Alloc.PerSecond })
	row("  cycle p50 (ms)", "%.2f", func(r result) float64 { return r.Alloc.P50ms })
	row("  cycle p99 (ms)", "%.2f", func(r result) float64 { return r.Alloc.P99ms })
	row("  failed cycles", "%.0f", func(r result) float64 { return float64(r.Alloc.Failed) })
	row("  server CPU (cores)", "%.2f", func(r result) float64 { return r.Alloc.ServerCores })
	row("  server CPU µs per cycle", "%.0f", func(r result) float64 {
		if r.Alloc.PerSecond == 0 {
			return 0
		}
		return r.Alloc.ServerCores / r.Alloc.PerSecond * 1e6
	})
	return nil
}

// commonRate is the highest rate of size every result passed at.
func commonRate(rs []result, size int) int {
	passed := func(r result, rate int) bool {
		for _, s := range r.Steps {
			if s.Size == size && s.Target == rate && s.Pass {
				return true
			}
		}
		return false
	}
	best := 0
	for _, s := range rs[0].Steps {
		if s.Size != size || !s.Pass || s.Target <= best {
			continue
		}
		all := true
		for _, r := range rs[1:] {
			all = all && passed(r, s.Target)
		}
		if all {
			best = s.Target
		}
	}
	return best
}

// cpuPerPacket is the server's CPU time per relayed packet (both
// directions) in the last passing step of size at rate.
func cpuPerPacket(r result, size, rate int) float64 {
	for _, s := range slices.Backward(r.Steps) {
		if s.Size == size && s.Target == rate && s.Pass && s.Recv > 0 {
			return s.ServerCores * s.Span * 1e6 / float64(s.Sent+s.Recv)
		}
	}
	return 0
}
