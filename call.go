package vidivo

import (
	"context"
	"time"
)

// CallStatus is where a call is in its life:
//
//	waiting → ringing → active → completed
//	   └────────┴──→ missed (host no-show)     active → failed (billing error)
type CallStatus string

const (
	CallWaiting   CallStatus = "waiting"   // guest joined, first hold placed
	CallRinging   CallStatus = "ringing"   // host notified
	CallActive    CallStatus = "active"    // both joined, timer running
	CallCompleted CallStatus = "completed" // ended and settled
	CallMissed    CallStatus = "missed"    // host did not join in time; nothing charged
	CallFailed    CallStatus = "failed"    // a billing error ended it
)

// CallStatuses lists every status, for validating filters.
var CallStatuses = []CallStatus{CallWaiting, CallRinging, CallActive, CallCompleted, CallMissed, CallFailed}

// Ended reports whether s is final.
func (s CallStatus) Ended() bool {
	return s == CallCompleted || s == CallMissed || s == CallFailed
}

// transitions is the call state machine: each status and where it may go.
var transitions = map[CallStatus][]CallStatus{
	CallWaiting: {CallRinging, CallActive, CallCompleted, CallMissed, CallFailed},
	CallRinging: {CallActive, CallCompleted, CallMissed, CallFailed},
	CallActive:  {CallCompleted, CallFailed},
}

// CanTransition reports whether a call may move from one status to another.
func CanTransition(from, to CallStatus) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// OpenCallStatuses are the statuses a call can still leave: the calls
// reconciliation looks at.
var OpenCallStatuses = []CallStatus{CallWaiting, CallRinging, CallActive}

// From lists the statuses a call may reach to from: the "WHERE status IN"
// of the compare-and-set that moves it.
func From(to CallStatus) []CallStatus {
	var out []CallStatus
	for _, from := range OpenCallStatuses {
		if CanTransition(from, to) {
			out = append(out, from)
		}
	}
	return out
}

// moveTo changes the call's status if the state machine allows it.
// Returns ECONFLICT, naming the current status, if it does not.
func (c *Call) moveTo(to CallStatus) error {
	if !CanTransition(c.Status, to) {
		if c.Status.Ended() {
			return Errorf(ECONFLICT, "the call already ended (%s)", c.Status)
		}
		return Errorf(ECONFLICT, "the call is %s", c.Status)
	}
	c.Status = to
	return nil
}

// Ring marks the host as told of the call at `at`: waiting → ringing.
// Returns ECONFLICT from any other status.
func (c *Call) Ring(at time.Time) error {
	if err := c.moveTo(CallRinging); err != nil {
		return err
	}
	c.RingingAt = &at
	return nil
}

// Activate starts the call's timer at `at` when its host joins: waiting or
// ringing → active. Returns ECONFLICT from any other status.
func (c *Call) Activate(at time.Time) error {
	if c.Status == CallActive {
		return Errorf(ECONFLICT, "the call is %s", c.Status)
	}
	if err := c.moveTo(CallActive); err != nil {
		return err
	}
	c.ActiveAt = &at
	if c.RingingAt == nil {
		c.RingingAt = &at
	}
	return nil
}

// EndStatus is the final status a call ends in for reason: missed for a
// host no-show or a host who declined it, failed for a billing error,
// completed otherwise. Missed can only be reached from waiting or ringing,
// so a declined call is one that never started and costs nothing.
func EndStatus(reason string) CallStatus {
	switch reason {
	case EndBillingError:
		return CallFailed
	case EndNoShow, EndDeclined:
		return CallMissed
	}
	return CallCompleted
}

// End moves an open call to its final status for reason at `at`. Returns
// ECONFLICT if it already ended. The caller measures and prices the time
// (billing) and sets the totals.
func (c *Call) End(reason string, at time.Time) error {
	if err := c.moveTo(EndStatus(reason)); err != nil {
		return err
	}
	c.EndedAt, c.EndReason = &at, &reason
	return nil
}

// End reasons.
const (
	EndUserEnded    = "user_ended"
	EndHostEnded    = "host_ended"
	EndTimeout      = "timeout"
	EndBillingError = "billing_error"
	EndNoShow       = "no_show"
	// EndDeclined: the host declined the call while it rang.
	EndDeclined = "declined"
)

// ValidEndReason reports whether a participant may give reason.
func ValidEndReason(reason string) bool {
	switch reason {
	case EndUserEnded, EndHostEnded, EndTimeout, EndBillingError:
		return true
	}
	return false
}

// NoShowAfter is how long a host has to join before the call is missed.
const NoShowAfter = 5 * time.Minute

// Call is one paid call session between a host and a guest.
type Call struct {
	ID        string
	LinkID    string
	ShortCode string
	HostID    string
	// GuestID names the guest as a participant (the subject of their guest
	// token); GuestUserID is set when a signed-in user joined.
	GuestID     string
	GuestUserID *string
	GuestName   *string
	GuestEmail  *string

	Rate          Money
	WindowMinutes int
	Status        CallStatus

	PaymentMethodID string
	CustomerID      string
	HostAccountID   string

	CreatedAt time.Time
	// ScheduledAt is the booked start of a scheduled call (nil for
	// instant calls).
	ScheduledAt *time.Time
	RingingAt   *time.Time
	ActiveAt    *time.Time
	EndedAt     *time.Time
	EndReason   *string

	DurationSeconds int64
	BilledMinutes   int64
	TotalCharged    Money
	// Windows is how many holds have been placed (window 0 at join).
	Windows int
}

// NoShowDeadline is when a host who has not joined makes the call missed:
// 5 minutes after the guest joined, or after the booked start if later.
func (c *Call) NoShowDeadline() time.Time {
	d := c.CreatedAt.Add(NoShowAfter)
	if c.ScheduledAt != nil {
		if s := c.ScheduledAt.Add(NoShowAfter); s.After(d) {
			d = s
		}
	}
	return d
}

// IsHost reports whether caller is the call's host.
func (c *Call) IsHost(caller Caller) bool {
	return !caller.IsGuest() && caller.Subject == c.HostID
}

// IsGuest reports whether caller is the call's guest: its guest token, or
// the account that joined.
func (c *Call) IsGuest(caller Caller) bool {
	if caller.IsGuest() {
		return caller.CallID == c.ID && caller.Subject == c.GuestID
	}
	return c.GuestUserID != nil && *c.GuestUserID == caller.Subject
}

// CanSee reports whether caller may read or end the call: a participant,
// or an admin.
func (c *Call) CanSee(caller Caller) bool {
	return c.IsHost(caller) || c.IsGuest(caller) || caller.Role == RoleAdmin
}

// ChargeKind is what a ledger entry did.
type ChargeKind string

const (
	ChargeHold    ChargeKind = "hold"
	ChargeCapture ChargeKind = "capture"
	ChargeRelease ChargeKind = "release"
	// ChargeShortfall records what an ended call's holds could not cover:
	// billed minutes × rate less the total charged. It moves no money; it
	// makes a cut total explicit in the ledger.
	ChargeShortfall ChargeKind = "shortfall"
)

// ChargeState is how far a ledger entry got with the gateway.
type ChargeState string

const (
	ChargePending   ChargeState = "pending"   // recorded, gateway call not yet known to succeed
	ChargeSucceeded ChargeState = "succeeded" // the gateway did it
	ChargeFailed    ChargeState = "failed"    // the gateway refused it
)

// Charge is one ledger entry: every hold, capture and release of a call,
// written before the gateway is asked and updated after, so a crash in
// between leaves a pending entry for reconciliation to finish.
type Charge struct {
	ID             string
	CallID         string
	Kind           ChargeKind
	Window         int
	Amount         Money
	GatewayID      string // the hold id at the gateway
	IdempotencyKey string
	State          ChargeState
	// Hold is what a hold asked the gateway for, kept so that a hold left
	// pending by a crash can be asked again identically.
	Hold      *HoldDetails
	CreatedAt time.Time
}

// HoldDetails are the parameters of a hold beyond its amount and key.
type HoldDetails struct {
	PaymentMethodID string `json:"payment_method_id"`
	CustomerID      string `json:"customer_id,omitempty"`
	HostAccountID   string `json:"host_account_id,omitempty"`
	GuestEmail      string `json:"guest_email,omitempty"`
}

// Background jobs, enqueued in the same transaction as the change that
// needs them. They carry ids only: workers read the current state.

// NoShowJob marks a call missed if the host has not joined by its run time.
type NoShowJob struct {
	CallID string `json:"call_id"`
}

func (NoShowJob) Kind() string { return "call_no_show" }

// RenewHoldJob places the hold for Window shortly before the previous
// window runs out.
type RenewHoldJob struct {
	CallID string `json:"call_id"`
	Window int    `json:"window"`
}

func (RenewHoldJob) Kind() string { return "call_renew_hold" }

// SettleJob captures and releases an ended call's holds.
type SettleJob struct {
	CallID string `json:"call_id"`
}

func (SettleJob) Kind() string { return "call_settle" }

// Job is a background job's arguments.
type Job interface{ Kind() string }

// CallPage is one page of a user's calls, newest first.
type CallPage struct {
	Calls []*Call
	Total int
}

// CallFilter selects a user's calls (as host or guest).
type CallFilter struct {
	UserID  string
	Status  CallStatus // "" for all
	Page    int        // from 1
	PerPage int
}

// CallStore keeps calls and their ledger.
type CallStore interface {
	// StartCall records a call whose first hold succeeded: in one
	// transaction it claims a use of the link (the link rule decides), stores
	// the call in waiting, marks the hold charge succeeded and enqueues jobs.
	// If the link refuses, nothing is stored and its state is returned.
	StartCall(ctx context.Context, c *Call, hold *Charge, jobs []ScheduledJob) (LinkState, error)
	// CallByID returns ENOTFOUND if there is no such call.
	CallByID(ctx context.Context, id string) (*Call, error)
	// Calls returns a page of a user's calls as host or guest.
	Calls(ctx context.Context, f CallFilter) (*CallPage, error)
	// TransitionCall moves a call to c.Status if its stored status is one
	// that may go there (a compare-and-set), saving the fields that change
	// with it and enqueueing jobs in the same transaction. Returns ECONFLICT
	// if the call was not in such a status.
	TransitionCall(ctx context.Context, c *Call, jobs []ScheduledJob) error
	// AddCharge writes a new ledger entry (usually pending) before the
	// gateway is asked.
	AddCharge(ctx context.Context, ch *Charge) error
	// SetChargeState records the gateway's answer for a ledger entry.
	SetChargeState(ctx context.Context, id string, state ChargeState, gatewayID string) error
	// Charges returns a call's ledger in order.
	Charges(ctx context.Context, callID string) ([]*Charge, error)
	// StartScheduledCall records the session of a booking (same id) whose
	// first hold succeeded, with the hold and jobs, in one transaction.
	// ECONFLICT if the session already exists.
	StartScheduledCall(ctx context.Context, c *Call, hold *Charge, jobs []ScheduledJob) error
	// RecordWindow saves a call's customer and count of placed holds.
	RecordWindow(ctx context.Context, callID string, windows int, customerID string, jobs []ScheduledJob) error
	// PendingCharges returns ledger entries still pending, oldest first, for
	// reconciliation.
	PendingCharges(ctx context.Context) ([]*Charge, error)
	// ActiveCalls returns calls not yet ended, for reconciliation.
	ActiveCalls(ctx context.Context) ([]*Call, error)
}

// ScheduledJob is a job and when it should run.
type ScheduledJob struct {
	Job   Job
	RunAt time.Time
}
