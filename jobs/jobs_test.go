package jobs_test

import (
	"context"
	"database/sql"
	"log/slog"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calls"
	"github.com/vidivo/vidivo/jobs"
	"github.com/vidivo/vidivo/sandbox"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sqldb/storetest"
	"github.com/vidivo/vidivo/testclock"
)

// TestWorkersRunCallJobs runs River for real: jobs enqueued in a store
// transaction are picked up and worked — a no-show check marks an
// unanswered call missed and settlement releases its hold.
func TestWorkersRunCallJobs(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := sqldbtest.URL(t, engine)
			pool := jobPool(t, url)
			enqueuer, err := jobs.NewEnqueuer(ctx, engine, pool)
			if err != nil {
				t.Fatal(err)
			}
			db := sqldbtest.Open(t, url, &sqldb.Opts{Jobs: enqueuer})
			clk := testclock.New(time.Now().UTC())
			db.Now = clk.Now
			svc := &calls.Service{Store: db, Gateway: &sandbox.Gateway{Store: db}, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)}
			runner := newRunner(t, jobs.Config{Engine: engine, Pool: pool, Calls: svc}) // migrated after the enqueuer: twice is fine

			host := storetest.MustCreateUser(t, db, "janecoach", vidivo.RoleHost)
			link := storetest.MustCreateLink(t, db, host.ID, nil)
			c, _, err := svc.Join(ctx, calls.JoinRequest{ShortCode: link.ShortCode, PaymentMethodID: "pm_card_visa"})
			if err != nil {
				t.Fatal(err)
			}
			if n := countJobs(t, db, pool, "call_no_show"); n != 1 {
				t.Fatalf("%d no-show jobs enqueued by the join, want 1", n)
			}

			// The no-show job is due 5 minutes after the join by real time;
			// enqueue one due now, and let the service's clock be past the
			// deadline, as it would be then.
			clk.Add(vidivo.NoShowAfter)
			if err := enqueueNow(ctx, db, runner, c.ID); err != nil {
				t.Fatal(err)
			}
			run(t, runner)
			// The worker marks the call missed, then releases its hold.
			deadline := time.Now().Add(20 * time.Second)
			for {
				got, err := db.CallByID(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				charges, err := db.Charges(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				last := charges[len(charges)-1]
				if got.Status == vidivo.CallMissed && last.Kind == vidivo.ChargeRelease && last.State == vidivo.ChargeSucceeded {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the worker never finished the no-show: status %s, last ledger entry %+v", got.Status, last)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// enqueueNow inserts a no-show job due at once, in its own transaction.
func enqueueNow(ctx context.Context, db *sqldb.DB, r *jobs.Runner, callID string) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		return r.EnqueueTx(ctx, tx, []vidivo.ScheduledJob{{Job: vidivo.NoShowJob{CallID: callID}, RunAt: time.Now()}})
	})
}

func countJobs(t *testing.T, db *sqldb.DB, pool *sql.DB, kind string) int {
	t.Helper()
	var n int
	q := "SELECT count(*) FROM river_job WHERE kind = $1"
	if db.Engine() == "sqlite" {
		q = "SELECT count(*) FROM river_job WHERE kind = ?"
	}
	if err := pool.QueryRow(q, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
