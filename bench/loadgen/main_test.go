package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 1000, 123456, 1 << 40, 1<<63 + 12345} {
		e, s := bucketOf(v)
		hi := bucketValue(e, s)
		if hi < v {
			t.Errorf("value %d: bucket upper edge %d is below it", v, hi)
		}
		if v >= subBuckets && float64(hi-v) > float64(v)/subBuckets {
			t.Errorf("value %d: bucket upper edge %d is more than 1/%d above it", v, hi, subBuckets)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h histogram
	vals := make([]time.Duration, 100_000)
	for i := range vals {
		// Log-uniform between 10µs and 1s.
		vals[i] = time.Duration(10_000 * math.Pow(100_000, r.Float64()))
		h.record(vals[i])
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := vals[int(q*float64(len(vals)))-1]
		got := h.quantile(q)
		if rel := float64(got-want) / float64(want); rel < -0.001 || rel > 2.0/subBuckets {
			t.Errorf("p%v = %v, exact %v (relative error %.4f)", q*100, got, want, rel)
		}
	}
	if h.quantile(1) != vals[len(vals)-1] || h.max != vals[len(vals)-1] {
		t.Errorf("max = %v / %v, want %v", h.quantile(1), h.max, vals[len(vals)-1])
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, h := range []string{"127.0.0.1", "::1", "localhost", "127.1.2.3"} {
		if err := checkLoopback(h); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	for _, h := range []string{"10.0.0.1", "example.com", "0.0.0.0", ""} {
		if err := checkLoopback(h); err == nil {
			t.Errorf("%s accepted", h)
		}
	}
}
