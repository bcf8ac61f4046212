package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// TestFleetRound runs a brief chaos round on a fleet — two instances of
// the real binary on one PostgreSQL database and NATS, behind nginx —
// killing one instance at a time under paid-call load, then audits every
// call and plants each kind of violation (the audit's, a call job
// completed twice, calls open past their time while an instance was up):
// the round must find nothing it did not plant, and flag all it did.
func TestFleetRound(t *testing.T) {
	t.Parallel()
	pg := os.Getenv(sqldbtest.EnvPostgres)
	if pg == "" {
		t.Fatalf("a fleet runs on PostgreSQL: set %s", sqldbtest.EnvPostgres)
	}
	const natsAddr = "127.0.0.1:4222"
	if c, err := net.DialTimeout("tcp", natsAddr, 2*time.Second); err != nil {
		t.Fatalf("NATS is not reachable at %s: %v", natsAddr, err)
	} else {
		c.Close()
	}
	work := t.TempDir()
	bin := filepath.Join(work, "vidivo")
	build := exec.Command("go", "build", "-o", bin, "./cmd/vidivo")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cfg := config{engines: []string{"postgres"}, fleet: 2, natsURL: "nats://" + natsAddr, duration: 30 * time.Second,
		killEvery: 6 * time.Second, maxCall: 15 * time.Second, settleTimeout: 40 * time.Second, liveSlack: time.Minute,
		patience: time.Minute, workers: 6, hosts: 4, bookable: 2, bookShare: 0.2, plant: true, pgURL: pg, bin: bin,
		work: work}
	r := &run{cfg: cfg, engine: "postgres", tag: fmt.Sprintf("ft%x", time.Now().UnixNano()), work: filepath.Join(work, "fleet"),
		stats: &counters{}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r.execute(ctx)
	if code := r.summary(); code != 0 {
		t.Errorf("the round's outcome is %d, want 0 (see the summary above)", code)
	}
	st := r.fl.stats()
	if st.kills < 2 || r.stats.get("join.ok") == 0 || r.report == nil || r.report.Calls == 0 {
		t.Errorf("the round did too little to tell: %d kills, %d joins", st.kills, r.stats.get("join.ok"))
	}
	if len(r.fl.members) != 2 || r.fl.proxy == nil {
		t.Errorf("the round ran %d instances, proxy %v; want 2 behind nginx", len(r.fl.members), r.fl.proxy != nil)
	}
}

// TestCoveredSince: the start of the stretch in which some instance has
// answered at every moment up to now, or zero when none answers now.
func TestCoveredSince(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	open := time.Time{}
	for _, tc := range []struct {
		name  string
		spans []span
		want  time.Time
	}{
		{"one up", []span{{at(0), open}}, at(0)},
		{"one restarted", []span{{at(0), at(10)}, {at(12), open}}, at(12)},
		{"the other covered the restart", []span{{at(0), at(10)}, {at(1), open}, {at(12), open}}, at(0)},
		{"kills in turn, never all down", []span{{at(0), at(10)}, {at(1), at(20)}, {at(12), at(30)}, {at(21), open}}, at(0)},
		{"both down a moment", []span{{at(0), at(10)}, {at(1), at(9)}, {at(11), open}, {at(14), open}}, at(11)},
		{"a short span inside a long one", []span{{at(0), at(30)}, {at(5), at(6)}, {at(20), open}}, at(0)},
		{"all down now", []span{{at(0), at(10)}, {at(1), at(9)}}, time.Time{}},
		{"nothing yet", nil, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := coveredSince(tc.spans); !got.Equal(tc.want) {
				t.Errorf("coveredSince = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestByRiverClient: a River client id names the instance whose process
// was started last before the client.
func TestByRiverClient(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	a := &server{name: "a", execs: []time.Time{t0, t0.Add(20 * time.Second)}}
	b := &server{name: "b", execs: []time.Time{t0.Add(2 * time.Second)}}
	f := &fleet{members: []*server{a, b}}
	for id, want := range map[string]*server{
		"box_2026_12_03T10_00_00_500000": a,
		"box_2026_12_03T10_00_03_000001": b,
		"box_2026_12_03T10_00_21_250000": a,
		"box_2026_12_03T09_59_59_000000": nil,
		"not a river client id":          nil,
	} {
		if got := f.byRiverClient(id); got != want {
			t.Errorf("byRiverClient(%q) = %v, want %v", id, got, want)
		}
	}
}
