package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sqldb"
)

// timedStore is the sqldb store with the latency of every store call the
// service and the sandbox make recorded by method name: where time goes
// when the database is the bottleneck (on SQLite, mostly waiting for the
// one write lock).
type timedStore struct {
	*sqldb.DB
	ops *opTimings
}

type opTimings struct {
	mu sync.Mutex
	m  map[string]*latencies
}

func (o *opTimings) since(op string, start time.Time) {
	d := time.Since(start)
	o.mu.Lock()
	l := o.m[op]
	if l == nil {
		l = newLatencies(1024)
		o.m[op] = l
	}
	o.mu.Unlock()
	l.add(d)
}

// lines describes each operation, busiest (most total time) first.
func (o *opTimings) lines() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	type row struct {
		op    string
		total time.Duration
		d     dist
	}
	var rows []row
	for op, l := range o.m {
		l.mu.Lock()
		var total time.Duration
		for _, d := range l.d {
			total += d
		}
		l.mu.Unlock()
		rows = append(rows, row{op, total, l.summary()})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].total > rows[j].total })
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%-18s n %6d, total %7.1f s, %s", r.op, r.d.n, r.total.Seconds(), r.d)
	}
	return out
}

func (s *timedStore) LinkWithHost(ctx context.Context, code string) (*vidivo.Link, *vidivo.User, error) {
	defer s.ops.since("LinkWithHost", time.Now())
	return s.DB.LinkWithHost(ctx, code)
}

func (s *timedStore) StartCall(ctx context.Context, c *vidivo.Call, hold *vidivo.Charge, jobs []vidivo.ScheduledJob) (vidivo.LinkState, error) {
	defer s.ops.since("StartCall", time.Now())
	return s.DB.StartCall(ctx, c, hold, jobs)
}

func (s *timedStore) CallByID(ctx context.Context, id string) (*vidivo.Call, error) {
	defer s.ops.since("CallByID", time.Now())
	return s.DB.CallByID(ctx, id)
}

func (s *timedStore) TransitionCall(ctx context.Context, c *vidivo.Call, jobs []vidivo.ScheduledJob) error {
	defer s.ops.since("TransitionCall", time.Now())
	return s.DB.TransitionCall(ctx, c, jobs)
}

func (s *timedStore) AddCharge(ctx context.Context, ch *vidivo.Charge) error {
	defer s.ops.since("AddCharge", time.Now())
	return s.DB.AddCharge(ctx, ch)
}

func (s *timedStore) SetChargeState(ctx context.Context, id string, state vidivo.ChargeState, gatewayID string) error {
	defer s.ops.since("SetChargeState", time.Now())
	return s.DB.SetChargeState(ctx, id, state, gatewayID)
}

func (s *timedStore) Charges(ctx context.Context, callID string) ([]*vidivo.Charge, error) {
	defer s.ops.since("Charges", time.Now())
	return s.DB.Charges(ctx, callID)
}

func (s *timedStore) RecordWindow(ctx context.Context, callID string, windows int, customerID string, jobs []vidivo.ScheduledJob) error {
	defer s.ops.since("RecordWindow", time.Now())
	return s.DB.RecordWindow(ctx, callID, windows, customerID, jobs)
}

func (s *timedStore) SandboxPutHold(ctx context.Context, key, customerID, paymentMethodID string, amount vidivo.Money) (string, string, error) {
	defer s.ops.since("SandboxPutHold", time.Now())
	return s.DB.SandboxPutHold(ctx, key, customerID, paymentMethodID, amount)
}

func (s *timedStore) SandboxSettleHold(ctx context.Context, key, holdID, op string, amount vidivo.Money) error {
	defer s.ops.since("SandboxSettleHold", time.Now())
	return s.DB.SandboxSettleHold(ctx, key, holdID, op, amount)
}
