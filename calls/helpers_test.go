package calls_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
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

// bundle is a calls service on a real store and the sandbox gateway, with
// River's tables for its jobs (enqueued, never worked by River: tests run
// due jobs themselves with runDue, at the test clock's time).
type bundle struct {
	db      *sqldb.DB
	svc     *calls.Service
	gateway *sandbox.Gateway
	clock   *testclock.Clock
	host    *vidivo.User

	mu      sync.Mutex
	retryAt map[int64]time.Time // failed jobs wait until then
}

// forEngines runs fn on SQLite, and on PostgreSQL when configured.
func forEngines(t *testing.T, fn func(t *testing.T, b *bundle)) {
	t.Helper()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, engine))
		})
	}
}

func setup(t testing.TB, engine string) *bundle {
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
	clk := testclock.New(time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC))
	db.Now = clk.Now
	gw := &sandbox.Gateway{Store: db}
	svc := &calls.Service{Store: db, Gateway: gw, Now: clk.Now, Logger: slog.New(slog.DiscardHandler),
		Metrics: calls.NewMetrics()}
	host := storetest.MustCreateUser(t, db, "janecoach", vidivo.RoleHost)
	return &bundle{db: db, svc: svc, gateway: gw, clock: clk, host: host}
}

// link stores a link of the host at rate cents a minute and window
// minutes.
func (b *bundle) link(t testing.TB, rate vidivo.Money, window int) *vidivo.Link {
	t.Helper()
	l := &vidivo.Link{HostID: b.host.ID, Rate: rate, WindowMinutes: window}
	if err := b.db.CreateLink(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	return l
}

// activeCall is a guest who joined a new link at rate and window, with the
// host joined: a call whose timer runs from now.
func (b *bundle) activeCall(t testing.TB, rate vidivo.Money, window int) *vidivo.Call {
	t.Helper()
	ctx := context.Background()
	c, _, err := b.svc.Join(ctx, calls.JoinRequest{ShortCode: b.link(t, rate, window).ShortCode, PaymentMethodID: "pm_card_visa"})
	if err != nil {
		t.Fatal(err)
	}
	c, err = b.svc.HostJoin(ctx, vidivo.Caller{Subject: b.host.ID, Role: vidivo.RoleHost}, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (b *bundle) call(t *testing.T, id string) *vidivo.Call {
	t.Helper()
	c, err := b.db.CallByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (b *bundle) hostCaller() vidivo.Caller {
	return vidivo.Caller{Subject: b.host.ID, Role: vidivo.RoleHost}
}

// queued is a job as River stores it.
type queued struct {
	id    int64
	kind  string
	state string
	at    time.Time
	args  struct {
		CallID string `json:"call_id"`
		Window int    `json:"window"`
	}
}

// queue lists the jobs of a call that River would still run or is
// running, in the order they come due.
func (b *bundle) queue(t *testing.T, callID string) []queued {
	t.Helper()
	var out []queued
	err := b.db.WithTx(context.Background(), func(tx *sql.Tx) error {
		args := "args" // SQLite keeps JSONB
		if b.db.Engine() == "sqlite" {
			args = "json(args)"
		}
		rows, err := tx.Query(`SELECT id, kind, state, scheduled_at, ` + args + ` FROM river_job
			WHERE state IN ('available', 'scheduled', 'retryable', 'running') ORDER BY scheduled_at, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				q    queued
				at   any
				args []byte
			)
			if err := rows.Scan(&q.id, &q.kind, &q.state, &at, &args); err != nil {
				return err
			}
			if err := json.Unmarshal(args, &q.args); err != nil {
				return err
			}
			if q.at, err = riverTime(at); err != nil {
				return err
			}
			if q.args.CallID == callID {
				out = append(out, q)
			}
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatalf("read the job queue: %v", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// riverTime reads a River timestamp: time.Time from PostgreSQL, text from
// SQLite.
func riverTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v.UTC(), nil
	case []byte:
		return riverTime(string(v))
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("unreadable job time %v", v)
}

// setJobState puts a job in state, as a process that died leaves it
// ("running") or River's rescuer makes it ("retryable").
func (b *bundle) setJobState(t *testing.T, id int64, state string) {
	t.Helper()
	q := "UPDATE river_job SET state = ? WHERE id = ?"
	if b.db.Engine() == "postgres" {
		q = "UPDATE river_job SET state = $1 WHERE id = $2"
	}
	err := b.db.WithTx(context.Background(), func(tx *sql.Tx) error { _, err := tx.Exec(q, state, id); return err })
	if err != nil {
		t.Fatal(err)
	}
}

// runDue works a call's jobs that are due at the test clock's time, as
// River would (a running job is left to its process), until none is due.
// A job that fails stays queued for the next run. It returns the kinds
// worked, for messages.
func (b *bundle) runDue(t *testing.T, callID string) []string {
	t.Helper()
	var done []string
	for range 50 {
		due := b.nextDue(t, callID)
		if due == nil {
			return done
		}
		if err := b.work(*due); err != nil {
			b.deferJob(due.id) // retried on a later run
			continue
		}
		done = append(done, fmt.Sprintf("%s/%d", due.kind, due.args.Window))
		b.complete(t, due.id)
	}
	t.Fatalf("jobs of %s keep coming due: %v", callID, done)
	return nil
}

func (b *bundle) nextDue(t *testing.T, callID string) *queued {
	t.Helper()
	now := b.clock.Now()
	for _, q := range b.queue(t, callID) {
		if q.state != "running" && !q.at.After(now) && !b.deferred(q.id) {
			return &q
		}
	}
	return nil
}

func (b *bundle) work(q queued) error {
	ctx := context.Background()
	switch q.kind {
	case vidivo.RenewHoldJob{}.Kind():
		return b.svc.RenewHold(ctx, q.args.CallID, q.args.Window)
	case vidivo.NoShowJob{}.Kind():
		return b.svc.NoShow(ctx, q.args.CallID)
	case vidivo.SettleJob{}.Kind():
		return b.svc.Settle(ctx, q.args.CallID)
	case calls.PaidTimeJob{}.Kind():
		return b.svc.EndUnpaid(ctx, q.args.CallID, q.args.Window)
	}
	return fmt.Errorf("no worker for %s", q.kind)
}

// complete marks a job completed, as River does after it succeeds.
func (b *bundle) complete(t *testing.T, id int64) {
	t.Helper()
	b.exec(t, "UPDATE river_job SET state = 'completed', finalized_at = scheduled_at WHERE id = ?", id)
}

// deferJob keeps a failed job from running again until the test clock
// moves on, as River's retry policy would.
func (b *bundle) deferJob(id int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.retryAt == nil {
		b.retryAt = map[int64]time.Time{}
	}
	b.retryAt[id] = b.clock.Now().Add(time.Second)
}

func (b *bundle) deferred(id int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.clock.Now().Before(b.retryAt[id])
}

func (b *bundle) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if b.db.Engine() == "postgres" {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	err := b.db.WithTx(context.Background(), func(tx *sql.Tx) error { _, err := tx.Exec(q, args...); return err })
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// books checks the invariants of an ended call against the gateway's own
// books, as the chaos audit does: every ledger entry settled; every placed
// hold captured or released, never left authorized; captured = total
// charged = billed minutes × rate. It returns what was captured.
func (b *bundle) books(t *testing.T, callID string) vidivo.Money {
	t.Helper()
	ctx := context.Background()
	c := b.call(t, callID)
	charges, err := b.db.Charges(ctx, callID)
	if err != nil {
		t.Fatal(err)
	}
	var captured vidivo.Money
	for _, ch := range charges {
		if ch.State == vidivo.ChargePending {
			t.Errorf("ledger %s of window %d (%s) is still pending", ch.Kind, ch.Window, ch.IdempotencyKey)
		}
		if ch.Kind != vidivo.ChargeHold || ch.GatewayID == "" {
			continue
		}
		_, got, status, err := b.db.SandboxHold(ctx, ch.GatewayID)
		if err != nil {
			t.Fatal(err)
		}
		if status == "requires_capture" {
			t.Errorf("hold of window %d (%s) is still authorized", ch.Window, ch.IdempotencyKey)
		}
		captured += got
	}
	if !c.Status.Ended() {
		t.Fatalf("call is still %s", c.Status)
	}
	if billed := c.Rate.Mul(c.BilledMinutes); captured != c.TotalCharged || billed != c.TotalCharged {
		t.Errorf("captured %v, total charged %v, billed %d min × %v = %v: want all equal",
			captured, c.TotalCharged, c.BilledMinutes, c.Rate, billed)
	}
	return captured
}

// ledger is a call's ledger as "kind/window/state amount" lines.
func (b *bundle) ledger(t *testing.T, callID string) []string {
	t.Helper()
	charges, err := b.db.Charges(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ch := range charges {
		out = append(out, fmt.Sprintf("%s/%d/%s %v", ch.Kind, ch.Window, ch.State, ch.Amount))
	}
	return out
}
