// Package audit checks the money of every call in a Vidivo database after
// a chaos run, reading the tables directly: the calls, their ledger
// (call_charges) and the sandbox gateway's books (sandbox_holds,
// sandbox_ops). It trusts none of the service's code, so a defect in the
// service shows up as a violation rather than being explained away.
//
// The invariants, each a Kind:
//
//   - captured at the gateway = captured in the ledger = total charged =
//     billed minutes × rate, for every ended call (ChargeMismatch);
//   - no hold left authorized once its call ended or never started
//     (HoldAuthorized);
//   - no hold captured twice (DoubleCapture), none captured over its amount
//     (OverCapture);
//   - every ledger row settled, none pending (LedgerPending), and each
//     matching the gateway's books in id, amount and state, both ways
//     (LedgerMismatch);
//   - no call active past its paid time — active_at + windows × window
//     minutes, every counted window backed by a placed hold — and no ended
//     call ended after it (PastPaidTime); no call left waiting past its
//     no-show deadline (OpenPastNoShow);
//   - billed minutes = ceil(duration / 60), duration = ended − active
//     (BilledMinutes).
package audit

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// Kind names one invariant.
type Kind string

// The invariants the audit checks.
const (
	ChargeMismatch Kind = "charge_mismatch"
	HoldAuthorized Kind = "hold_left_authorized"
	DoubleCapture  Kind = "double_capture"
	OverCapture    Kind = "capture_over_hold"
	LedgerPending  Kind = "ledger_pending"
	LedgerMismatch Kind = "ledger_gateway_mismatch"
	PastPaidTime   Kind = "past_paid_time"
	OpenPastNoShow Kind = "open_past_no_show"
	BilledMinutes  Kind = "billed_minutes"
)

// Kinds lists every Kind, in report order.
var Kinds = []Kind{ChargeMismatch, HoldAuthorized, DoubleCapture, OverCapture, LedgerPending, LedgerMismatch,
	PastPaidTime, OpenPastNoShow, BilledMinutes}

// Violation is one broken invariant: which, for which call, what was seen,
// and the call's ledger rows.
type Violation struct {
	Kind   Kind
	CallID string
	Detail string
	Ledger string
}

func (v Violation) String() string {
	s := fmt.Sprintf("%s call=%s: %s", v.Kind, v.CallID, v.Detail)
	if v.Ledger != "" {
		s += "\n      ledger: " + v.Ledger
	}
	return s
}

// Report is the audit's outcome.
type Report struct {
	Calls      int
	ByStatus   map[string]int
	Charges    int
	Holds      int
	Captured   int64 // cents captured at the gateway, all calls
	Violations []Violation
}

// Count returns how many violations of kind the report holds.
func (r *Report) Count(kind Kind) int {
	n := 0
	for _, v := range r.Violations {
		if v.Kind == kind {
			n++
		}
	}
	return n
}

// Options tunes the audit.
type Options struct {
	// Now is the audit's instant: open calls are judged against it.
	Now time.Time
	// Slack is how long an open call may overrun its paid time or no-show
	// deadline before it is a violation (the service ends such calls from
	// a job, not at the instant). Zero means 5 seconds.
	Slack time.Duration
}

// Run audits every call in db.
func Run(ctx context.Context, db *sql.DB, opt Options) (*Report, error) {
	b, err := read(ctx, db)
	if err != nil {
		return nil, err
	}
	if opt.Slack == 0 {
		opt.Slack = 5 * time.Second
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	a := newAuditor(b, opt)
	a.checkLedgerAgainstGateway()
	a.checkGatewayAgainstLedger()
	for _, c := range b.calls {
		a.checkCall(c)
	}
	a.checkCallsThatNeverStarted()
	rep := &Report{Calls: len(b.calls), ByStatus: map[string]int{}, Charges: len(b.charges), Holds: len(b.holds),
		Violations: a.out}
	for _, c := range b.calls {
		rep.ByStatus[c.status]++
	}
	for _, h := range b.holds {
		rep.Captured += h.capturedCents
	}
	slices.SortStableFunc(rep.Violations, func(x, y Violation) int {
		return slices.Index(Kinds, x.Kind) - slices.Index(Kinds, y.Kind)
	})
	return rep, nil
}

// auditor holds the books indexed for the checks.
type auditor struct {
	b          *books
	opt        Options
	calls      map[string]*call
	ledger     map[string][]*charge // by call id
	chargeKey  map[string]*charge   // by idempotency key
	holdByID   map[string]*hold
	holdByKey  map[string]*hold
	opByKey    map[string]*op
	opsOnHold  map[string][]*op
	holdOwner  map[string]string // gateway hold id → call id, from the ledger
	out        []Violation
	seenOnHold map[string]bool
}

func newAuditor(b *books, opt Options) *auditor {
	a := &auditor{b: b, opt: opt, calls: map[string]*call{}, ledger: map[string][]*charge{}, chargeKey: map[string]*charge{},
		holdByID: map[string]*hold{}, holdByKey: map[string]*hold{}, opByKey: map[string]*op{}, opsOnHold: map[string][]*op{},
		holdOwner: map[string]string{}, seenOnHold: map[string]bool{}}
	for _, c := range b.calls {
		a.calls[c.id] = c
	}
	for _, ch := range b.charges {
		a.ledger[ch.callID] = append(a.ledger[ch.callID], ch)
		a.chargeKey[ch.key] = ch
	}
	for _, h := range b.holds {
		a.holdByID[h.id], a.holdByKey[h.key] = h, h
	}
	for _, o := range b.ops {
		a.opByKey[o.key] = o
		a.opsOnHold[o.holdID] = append(a.opsOnHold[o.holdID], o)
	}
	for _, ch := range b.charges {
		if ch.kind != "hold" {
			continue
		}
		if h := a.holdByKey[ch.key]; h != nil {
			a.holdOwner[h.id] = ch.callID
		}
	}
	return a
}

func (a *auditor) flag(kind Kind, callID, format string, args ...any) {
	a.out = append(a.out, Violation{Kind: kind, CallID: callID, Detail: fmt.Sprintf(format, args...),
		Ledger: ledgerLine(a.ledger[callID])})
}
