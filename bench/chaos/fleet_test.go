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
