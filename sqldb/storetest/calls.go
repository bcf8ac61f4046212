package storetest

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/testclock"
)

// jobRecorder stands in for the job queue at the store's boundary: it
// records what the store enqueued, and can refuse, to show that a change
// and its jobs commit together or not at all.
type jobRecorder struct {
	mu    sync.Mutex
	fail  bool
	kinds []string
}

func (r *jobRecorder) EnqueueTx(_ context.Context, tx *sql.Tx, jobs []vidivo.ScheduledJob) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("job queue unavailable")
	}
	for _, j := range jobs {
		r.kinds = append(r.kinds, j.Job.Kind())
	}
	return nil
}

func (r *jobRecorder) setFail(fail bool) { r.mu.Lock(); r.fail = fail; r.mu.Unlock() }

func (r *jobRecorder) recorded() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.kinds...)
}

type callBundle struct {
	*bundle
	jobs *jobRecorder
	host *vidivo.User
}

func setupCalls(t *testing.T, engine string) *callBundle {
	t.Helper()
	jobs := &jobRecorder{}
	db := sqldbtest.Open(t, sqldbtest.URL(t, engine), &sqldb.Opts{Jobs: jobs})
	c := testclock.New(time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC))
	db.Now = c.Now
	b := &callBundle{bundle: &bundle{db: db, clock: c}, jobs: jobs}
	b.host = MustCreateUser(t, db, "janecoach", vidivo.RoleHost)
	return b
}

// newCall starts call id on link through the store as the service does: a
// pending hold first, then StartCall.
func (b *callBundle) newCall(t *testing.T, link *vidivo.Link, id string) (*vidivo.Call, *vidivo.Charge, vidivo.LinkState, error) {
	t.Helper()
	ctx := context.Background()
	c := &vidivo.Call{ID: id, LinkID: link.ID, HostID: link.HostID, GuestID: id + "G",
		Rate: link.Rate, WindowMinutes: link.WindowMinutes, PaymentMethodID: "pm_card_visa", Windows: 1}
	hold := &vidivo.Charge{CallID: c.ID, Kind: vidivo.ChargeHold, Amount: 2500, IdempotencyKey: "call/" + id + "/hold/0",
		Hold: &vidivo.HoldDetails{PaymentMethodID: "pm_card_visa"}}
	if err := b.db.AddCharge(ctx, hold); err != nil {
		t.Fatalf("add hold: %v", err)
	}
	hold.GatewayID = "hold_" + id
	jobs := []vidivo.ScheduledJob{{Job: vidivo.NoShowJob{CallID: c.ID}, RunAt: b.clock.Now().Add(vidivo.NoShowAfter)}}
	state, err := b.db.StartCall(ctx, c, hold, jobs)
	return c, hold, state, err
}

// mustStartCall starts a waiting call on link, failing the test if the
// store refuses.
func (b *callBundle) mustStartCall(t *testing.T, link *vidivo.Link, id string) *vidivo.Call {
	t.Helper()
	c, _, state, err := b.newCall(t, link, id)
	if err != nil || state != vidivo.LinkUsable {
		t.Fatalf("start call %s: state %v, err %v", id, state, err)
	}
	return c
}

func testCallStart(t *testing.T, engine string) {
	t.Parallel()
	b := setupCalls(t, engine)
	ctx := context.Background()
	link := MustCreateLink(t, b.db, b.host.ID, ptr(1))

	c, hold, state, err := b.newCall(t, link, "01KCALLSTART0000000000000A")
	if err != nil || state != vidivo.LinkUsable {
		t.Fatalf("StartCall: state %v, err %v", state, err)
	}
	got, err := b.db.CallByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != vidivo.CallWaiting || got.ShortCode != link.ShortCode || got.Windows != 1 || !got.CreatedAt.Equal(b.clock.Now()) {
		t.Errorf("stored call = status %s, short code %q, windows %d, created %v; want waiting, %q, 1, %v",
			got.Status, got.ShortCode, got.Windows, got.CreatedAt, link.ShortCode, b.clock.Now())
	}
	ledger, err := b.db.Charges(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 1 || ledger[0].State != vidivo.ChargeSucceeded || ledger[0].GatewayID != hold.GatewayID {
		t.Errorf("ledger after start = %+v, want the hold succeeded with its gateway id", ledger)
	}
	if diff := cmp.Diff([]string{"call_no_show"}, b.jobs.recorded()); diff != "" {
		t.Errorf("jobs enqueued (-want +got):\n%s", diff)
	}
	l, err := b.db.LinkByShortCode(ctx, link.ShortCode)
	if err != nil {
		t.Fatal(err)
	}
	if l.UseCount != 1 {
		t.Errorf("link use count = %d, want 1", l.UseCount)
	}

	// The link's one use is spent: the next start stores nothing.
	c2, _, state, err := b.newCall(t, link, "01KCALLSTART0000000000000B")
	if err != nil || state != vidivo.LinkExhausted {
		t.Fatalf("second StartCall: state %v, err %v; want LinkExhausted", state, err)
	}
	_, err = b.db.CallByID(ctx, c2.ID)
	wantCode(t, err, vidivo.ENOTFOUND)
	if n := len(b.jobs.recorded()); n != 1 {
		t.Errorf("%d jobs recorded after a refused start, want still 1", n)
	}
}

// testCallStartAtomic: a call and its jobs commit together — if the job
// queue refuses, the call is not stored and the link use is not counted.
func testCallStartAtomic(t *testing.T, engine string) {
	t.Parallel()
	b := setupCalls(t, engine)
	ctx := context.Background()
	link := MustCreateLink(t, b.db, b.host.ID, ptr(1))
	b.jobs.setFail(true)
	c, hold, _, err := b.newCall(t, link, "01KCALLATOMIC000000000000A")
	if err == nil {
		t.Fatal("StartCall with a failing job queue succeeded")
	}
	_, err = b.db.CallByID(ctx, c.ID)
	wantCode(t, err, vidivo.ENOTFOUND)
	ledger, err := b.db.Charges(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 1 || ledger[0].ID != hold.ID || ledger[0].State != vidivo.ChargePending {
		t.Errorf("ledger = %+v, want the hold still pending (for reconciliation to release)", ledger)
	}
	l, err := b.db.LinkByShortCode(ctx, link.ShortCode)
	if err != nil {
		t.Fatal(err)
	}
	if l.UseCount != 0 {
		t.Errorf("link use count = %d after a rolled-back start, want 0", l.UseCount)
	}
}

// testCallTransitions: every move is a compare-and-set on the stored
// status; of racing moves exactly one wins, and ended calls stay ended.
func testCallTransitions(t *testing.T, engine string) {
	t.Parallel()
	b := setupCalls(t, engine)
	ctx := context.Background()
	link := MustCreateLink(t, b.db, b.host.ID, nil)
	c := b.mustStartCall(t, link, "01KCALLMOVES0000000000000A")

	// Eight requests try to activate the same waiting call at once.
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			mine := *c
			if err := mine.Activate(b.clock.Now()); err != nil {
				errs[i] = err
				return
			}
			errs[i] = b.db.TransitionCall(ctx, &mine, []vidivo.ScheduledJob{{Job: vidivo.RenewHoldJob{CallID: c.ID, Window: 1}, RunAt: b.clock.Now()}})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch vidivo.ErrorCode(err) {
		case "":
			won++
		case vidivo.ECONFLICT:
		default:
			t.Errorf("racing activation: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d racing activations won, want exactly 1", won)
	}
	renewals := 0
	for _, k := range b.jobs.recorded() {
		if k == "call_renew_hold" {
			renewals++
		}
	}
	if renewals != 1 {
		t.Errorf("%d renewal jobs enqueued, want 1: the losers of the compare-and-set enqueue nothing", renewals)
	}

	got, err := b.db.CallByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.clock.Add(7 * time.Minute)
	if err := got.End(vidivo.EndUserEnded, b.clock.Now()); err != nil {
		t.Fatal(err)
	}
	got.DurationSeconds, got.BilledMinutes, got.TotalCharged = 420, 7, 1750
	if err := b.db.TransitionCall(ctx, got, nil); err != nil {
		t.Fatalf("end: %v", err)
	}
	ended, err := b.db.CallByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ended.Status != vidivo.CallCompleted || ended.BilledMinutes != 7 || ended.TotalCharged != 1750 ||
		ended.EndReason == nil || *ended.EndReason != vidivo.EndUserEnded || !ended.EndedAt.Equal(b.clock.Now()) {
		t.Errorf("ended call = %+v", ended)
	}

	// A stale copy that still reads active cannot end it again, nor can
	// a failed verdict overwrite the completed one.
	stale := *c
	stale.Status = vidivo.CallFailed
	wantCode(t, b.db.TransitionCall(ctx, &stale, nil), vidivo.ECONFLICT)
	again, err := b.db.CallByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != vidivo.CallCompleted || again.TotalCharged != 1750 {
		t.Errorf("after a refused second end: status %s, total %d; want completed, 1750", again.Status, again.TotalCharged)
	}
}

// testCallLedger: entries are keyed by their idempotency key, so asking
// for the same step twice finds the first entry; pending entries are what
// reconciliation sees, open calls what it ends.
func testCallLedger(t *testing.T, engine string) {
	t.Parallel()
	b := setupCalls(t, engine)
	ctx := context.Background()
	link := MustCreateLink(t, b.db, b.host.ID, nil)
	c := b.mustStartCall(t, link, "01KCALLLEDGER000000000000A")
	done := b.mustStartCall(t, link, "01KCALLLEDGER000000000000B")

	renew := &vidivo.Charge{CallID: c.ID, Kind: vidivo.ChargeHold, Window: 1, Amount: 2500,
		IdempotencyKey: "call/" + c.ID + "/hold/1", Hold: &vidivo.HoldDetails{PaymentMethodID: "pm_card_visa", CustomerID: "cus_1"}}
	if err := b.db.AddCharge(ctx, renew); err != nil {
		t.Fatal(err)
	}
	if renew.ID == "" || renew.State != vidivo.ChargePending {
		t.Fatalf("new entry = %+v, want an id and pending", renew)
	}
	b.clock.Add(time.Second)
	again := &vidivo.Charge{CallID: c.ID, Kind: vidivo.ChargeHold, Window: 1, Amount: 2500, IdempotencyKey: renew.IdempotencyKey}
	if err := b.db.AddCharge(ctx, again); err != nil {
		t.Fatal(err)
	}
	if again.ID != renew.ID || again.Hold == nil || again.Hold.CustomerID != "cus_1" {
		t.Errorf("second add of the same key = %+v, want the first entry (id %s) with its hold details", again, renew.ID)
	}

	capture := &vidivo.Charge{CallID: done.ID, Kind: vidivo.ChargeCapture, Amount: 500, GatewayID: "hold_x",
		IdempotencyKey: "call/" + done.ID + "/capture/0"}
	if err := b.db.AddCharge(ctx, capture); err != nil {
		t.Fatal(err)
	}
	pending, err := b.db.PendingCharges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, ch := range pending {
		keys = append(keys, ch.IdempotencyKey)
	}
	if diff := cmp.Diff([]string{renew.IdempotencyKey, capture.IdempotencyKey}, keys); diff != "" {
		t.Errorf("pending entries, oldest first (-want +got):\n%s", diff)
	}

	if err := b.db.SetChargeState(ctx, renew.ID, vidivo.ChargeSucceeded, "hold_2"); err != nil {
		t.Fatal(err)
	}
	if err := b.db.RecordWindow(ctx, c.ID, 2, "cus_1", nil); err != nil {
		t.Fatal(err)
	}
	got, err := b.db.CallByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Windows != 2 || got.CustomerID != "cus_1" {
		t.Errorf("after RecordWindow: windows %d, customer %q; want 2, cus_1", got.Windows, got.CustomerID)
	}
	ledger, err := b.db.Charges(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var windows []int
	for _, ch := range ledger {
		windows = append(windows, ch.Window)
		if ch.State != vidivo.ChargeSucceeded {
			t.Errorf("entry %s is %s, want succeeded", ch.IdempotencyKey, ch.State)
		}
	}
	if diff := cmp.Diff([]int{0, 1}, windows); diff != "" {
		t.Errorf("ledger windows in order (-want +got):\n%s", diff)
	}

	// End one call: only the other is open for reconciliation.
	if err := done.End(vidivo.EndNoShow, b.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := b.db.TransitionCall(ctx, done, nil); err != nil {
		t.Fatal(err)
	}
	open, err := b.db.ActiveCalls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].ID != c.ID {
		t.Errorf("open calls = %d, want only %s", len(open), c.ID)
	}
}
