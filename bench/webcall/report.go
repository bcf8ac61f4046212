package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// results is a run's report: the samples of each ICE policy and the pages'
// weights.
type results struct {
	Calls, Warmup int
	Samples       map[string][]sample
	Weights       []weight
}

// percentile is the nearest-rank percentile p (0–100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank, 1)-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%d", d.Milliseconds()) }

func kib(n int) string { return fmt.Sprintf("%.1f", float64(n)/1024) }

// print writes the report as the Markdown tables of bench/README.md.
func (r results) print(w io.Writer) {
	fmt.Fprintf(w, "\nFrom the click on \"Answer\" to each step, in ms, over %d calls per policy (after %d warm-up call(s)); p95 is the nearest rank.\n\n", r.Calls, r.Warmup)
	fmt.Fprintln(w, "| ICE policy | side | step | p50 | p95 | min | max |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, policy := range []string{"relay", "all"} {
		samples, ok := r.Samples[policy]
		if !ok {
			continue
		}
		for _, row := range []struct {
			side, step string
			get        func(sample) time.Duration
		}{
			{"host", "in-call page loaded", func(s sample) time.Duration { return s.HostLoaded }},
			{"host", "connected", func(s sample) time.Duration { return s.HostConnected }},
			{"host", "first frame decoded", func(s sample) time.Duration { return s.HostDecoded }},
			{"host", "**first frame shown**", func(s sample) time.Duration { return s.HostShown }},
			{"guest", "connected", func(s sample) time.Duration { return s.GuestConnected }},
			{"guest", "first frame decoded", func(s sample) time.Duration { return s.GuestDecoded }},
			{"guest", "**first frame shown**", func(s sample) time.Duration { return s.GuestShown }},
		} {
			var ds []time.Duration
			for _, s := range samples {
				ds = append(ds, row.get(s))
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", policy, row.side, row.step,
				ms(percentile(ds, 50)), ms(percentile(ds, 95)), ms(slices.Min(ds)), ms(slices.Max(ds)))
		}
	}
	fmt.Fprintln(w, "\nPage weights: HTML + CSS + JS as served (uncompressed), bytes; gzip -6 of the same files for comparison.")
	fmt.Fprintln(w, "\n| page | path | HTML | CSS | JS | total | total KiB | gzip KiB | files |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, p := range r.Weights {
		fmt.Fprintf(w, "| %s | `%s` | %d | %d | %d | %d | %s | %s | %v |\n", p.Page, displayPath(p.Path), p.HTML, p.CSS, p.JS,
			p.Total(), kib(p.Total()), kib(p.Gzip), p.Files)
	}
}

// displayPath hides ids and codes: /call/{id}, /c/{code}.
func displayPath(p string) string {
	for _, prefix := range []string{"/call/", "/c/"} {
		if len(p) > len(prefix) && p[:len(prefix)] == prefix {
			if prefix == "/c/" {
				return "/c/{code}"
			}
			return "/call/{id}"
		}
	}
	return p
}
