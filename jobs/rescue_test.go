package jobs_test

import (
	"context"
	"database/sql"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/calls"
	"github.com/vidivo/vidivo/jobs"
	"github.com/vidivo/vidivo/sandbox"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sqldb/storetest"
	"github.com/vidivo/vidivo/testclock"
)

// queue is a store, the calls service and a River runner that works its
// jobs, not yet started.
type queue struct {
	db      *sqldb.DB
	pool    *sql.DB
	svc     *calls.Service
	gateway *sandbox.Gateway
	clock   *testclock.Clock
	runner  *jobs.Runner
	host    *vidivo.User
}

func newQueue(t *testing.T, engine string) *queue {
	t.Helper()
	ctx := context.Background()
	url := sqldbtest.URL(t, engine)
	pool, _, err := sqldb.OpenJobPool(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	enq, err := jobs.NewEnqueuer(ctx, engine, pool)
	if err != nil {
		t.Fatal(err)
	}
	db := sqldbtest.Open(t, url, &sqldb.Opts{Jobs: enq})
	// The service's clock stands still a little in the past: jobs it
	// schedules are due at once by River's real clock, and nothing ages
	// past reconciliation's grace unless a test moves it.
	clk := testclock.New(time.Now().UTC().Add(-10 * time.Minute))
	db.Now = clk.Now
	gw := &sandbox.Gateway{Store: db}
	svc := &calls.Service{Store: db, Gateway: gw, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)}
	runner, err := jobs.New(jobs.Config{Engine: engine, Pool: pool, Calls: svc})
	if err != nil {
		t.Fatal(err)
	}
	return &queue{db: db, pool: pool, svc: svc, gateway: gw, clock: clk, runner: runner,
		host: storetest.MustCreateUser(t, db, "janecoach", vidivo.RoleHost)}
}

func (q *queue) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := q.runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		q.runner.Stop(stop)
		cancel()
	})
}

// exec runs q on the job pool with ? placeholders on both engines.
func (q *queue) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if q.db.Engine() == "postgres" {
		query = pgPlaceholders(query)
	}
	if _, err := q.pool.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func pgPlaceholders(q string) string {
	for n := 1; strings.Contains(q, "?"); n++ {
		q = strings.Replace(q, "?", "$"+strconv.Itoa(n), 1)
	}
	return q
}

// riverTime is t as River stores it on the engine.
func (q *queue) riverTime(t time.Time) any {
	if q.db.Engine() == "sqlite" {
		return t.UTC().Round(time.Millisecond).Format("2006-01-02 15:04:05.000")
	}
	return t
}

// waitFor polls cond for up to limit of real time.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s did not happen within %v", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return time.Since(start)
}

// chargeState is the state of a call's ledger entry of kind.
func (q *queue) chargeState(t *testing.T, callID string, kind vidivo.ChargeKind) vidivo.ChargeState {
	t.Helper()
	charges, err := q.db.Charges(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range charges {
		if ch.Kind == kind {
			return ch.State
		}
	}
	return ""
}

// TestStuckJobIsRescuedWithinAMinute is issue 17's second defect: a job
// that a killed process was running stays "running" in the queue, and
// River only takes it up again after RescueStuckJobsAfter — an hour by
// default, far past any billing window. Here a settlement job was running
// when its process died two minutes ago; a new process must run it again
// within about a minute.
func TestStuckJobIsRescuedWithinAMinute(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			q := newQueue(t, engine)
			link := storetest.MustCreateLink(t, q.db, q.host.ID, nil)
			c, _, err := q.svc.Join(ctx, calls.JoinRequest{ShortCode: link.ShortCode, PaymentMethodID: "pm_card_visa"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := q.svc.HostJoin(ctx, vidivo.Caller{Subject: q.host.ID, Role: vidivo.RoleHost}, c.ID); err != nil {
				t.Fatal(err)
			}
			q.clock.Add(2 * time.Minute)
			q.gateway.FailNext(1, "capture", billing.KindTemporary) // the in-line settlement fails
			if _, err := q.svc.End(ctx, vidivo.Caller{Subject: q.host.ID, Role: vidivo.RoleHost}, c.ID, vidivo.EndUserEnded); err != nil {
				t.Fatal(err)
			}
			if got := q.chargeState(t, c.ID, vidivo.ChargeCapture); got != vidivo.ChargePending {
				t.Fatalf("capture is %q before the job runs, want pending", got)
			}
			// Its settlement job was running when the process was killed.
			q.exec(t, "UPDATE river_job SET state = 'running', attempt = 1, attempted_at = ? WHERE kind = ?",
				q.riverTime(time.Now().Add(-2*time.Minute)), vidivo.SettleJob{}.Kind())

			q.start(t)
			took := waitFor(t, 75*time.Second, "the stuck settlement's retry", func() bool {
				return q.chargeState(t, c.ID, vidivo.ChargeCapture) == vidivo.ChargeSucceeded
			})
			t.Logf("rescued and settled %v after start", took.Round(time.Second))
		})
	}
}

// TestReconciliationRunsContinuously is issue 17's fifth defect at the
// queue: reconciliation is a periodic job of the leader (and runs when it
// starts), not only a step of start-up. A first hold placed at the gateway
// whose join died before the call was recorded is released by the queue
// alone.
func TestReconciliationRunsContinuously(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			q := newQueue(t, engine)
			orphan := &vidivo.Charge{CallID: "01JN2X6M0P5H9SRBTXY8ZDKEFG", Kind: vidivo.ChargeHold, Amount: 2500,
				IdempotencyKey: "call/01JN2X6M0P5H9SRBTXY8ZDKEFG/hold/0", Hold: &vidivo.HoldDetails{PaymentMethodID: "pm_card_visa"}}
			if err := q.db.AddCharge(ctx, orphan); err != nil {
				t.Fatal(err)
			}
			res, err := q.gateway.Hold(ctx, billing.HoldRequest{IdempotencyKey: orphan.IdempotencyKey, Amount: 2500, PaymentMethodID: "pm_card_visa"})
			if err != nil {
				t.Fatal(err)
			}
			q.clock.Add(time.Minute) // older than reconciliation's grace

			q.start(t)
			waitFor(t, 45*time.Second, "the orphan hold's release", func() bool {
				_, _, status, err := q.db.SandboxHold(ctx, res.HoldID)
				return err == nil && status == billing.HoldCanceled
			})
			if got := q.chargeState(t, orphan.CallID, vidivo.ChargeRelease); got != vidivo.ChargeSucceeded {
				t.Errorf("release in the ledger is %q, want succeeded", got)
			}
		})
	}
}
