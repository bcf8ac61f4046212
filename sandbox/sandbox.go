// Package sandbox is Vidivo's offline payments gateway, the embedded
// default. It behaves like a payment provider in test mode: holds, partial
// captures and releases are kept in the database and answer repeated
// idempotency keys with the first result; payment methods follow Stripe's
// test names (pm_card_visa succeeds, pm_card_chargeDeclined and
// pm_card_insufficientFunds are declined); host onboarding completes at
// once. Tests can make the next calls fail.
package sandbox

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// Store keeps the sandbox's books (sqldb implements it).
type Store interface {
	SandboxPutHold(ctx context.Context, key, customerID, paymentMethodID string, amount vidivo.Money) (holdID, customerID2 string, err error)
	SandboxSettleHold(ctx context.Context, key, holdID, op string, amount vidivo.Money) error
	SandboxHold(ctx context.Context, holdID string) (amount, captured vidivo.Money, status string, err error)
}

// Gateway is the sandbox billing.Gateway.
type Gateway struct {
	Store Store

	mu       sync.Mutex
	failures []failure
	hooks    map[string]func()
}

var _ billing.Gateway = (*Gateway)(nil)

// failure is an injected fault for the next call of an operation.
type failure struct {
	op   string // "hold", "capture", "release" or "" for any
	kind string // a billing error kind
}

// declines maps Stripe's test payment methods that are refused to their
// decline codes.
var declines = map[string]string{
	"pm_card_chargeDeclined":                  "generic_decline",
	"pm_card_insufficientFunds":               "insufficient_funds",
	"pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
	"pm_card_chargeDeclinedExpiredCard":       "expired_card",
	"pm_card_chargeDeclinedLostCard":          "lost_card",
	"pm_card_chargeDeclinedStolenCard":        "stolen_card",
	"pm_card_chargeDeclinedFraudulent":        "fraudulent",
	"pm_card_chargeDeclinedIncorrectCvc":      "incorrect_cvc",
	"pm_card_authenticationRequired":          "authentication_required",
}

// accepted lists Stripe's test payment methods that hold successfully.
// Any other id is unknown, and refused as Stripe refuses one that does not
// exist (resource_missing), so a typo never passes in the sandbox.
var accepted = map[string]bool{
	"pm_card_visa": true, "pm_card_visa_debit": true, "pm_card_mastercard": true,
	"pm_card_mastercard_debit": true, "pm_card_mastercard_prepaid": true, "pm_card_amex": true,
	"pm_card_discover": true, "pm_card_diners": true, "pm_card_jcb": true, "pm_card_unionpay": true,
	"pm_card_us": true, "pm_card_gb": true, "pm_card_ca": true, "pm_card_fr": true, "pm_card_de": true,
}

// checkPaymentMethod refuses a payment method the sandbox does not know,
// and declines the test cards that are declined.
func checkPaymentMethod(id string) error {
	if code, ok := declines[id]; ok {
		return &billing.Error{Kind: billing.KindDeclined, DeclineCode: code, Message: "your card was declined"}
	}
	if !accepted[id] {
		return &billing.Error{Kind: billing.KindInvalid, Code: "resource_missing",
			Message: fmt.Sprintf("no such payment method: %q", id)}
	}
	return nil
}

// FailNext makes the next n calls of op ("hold", "capture", "release", or
// "" for any) fail with kind (billing.KindDeclined, KindTemporary, …).
func (g *Gateway) FailNext(n int, op, kind string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for range n {
		g.failures = append(g.failures, failure{op: op, kind: kind})
	}
}

// BeforeNext runs fn once, just before the next call of op reaches the
// books: tests use it to make something happen while a request is in
// flight at the gateway.
func (g *Gateway) BeforeNext(op string, fn func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hooks == nil {
		g.hooks = map[string]func(){}
	}
	g.hooks[op] = fn
}

// injected runs the hook and returns the fault planned for op, if any,
// consuming them.
func (g *Gateway) injected(op string) error {
	g.mu.Lock()
	hook := g.hooks[op]
	delete(g.hooks, op)
	g.mu.Unlock()
	if hook != nil {
		hook()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, f := range g.failures {
		if f.op == "" || f.op == op {
			g.failures = append(g.failures[:i], g.failures[i+1:]...)
			e := &billing.Error{Kind: f.kind, Message: "sandbox: injected " + f.kind + " failure on " + op}
			if f.kind == billing.KindDeclined {
				e.DeclineCode = "generic_decline"
			}
			return e
		}
	}
	return nil
}

// Hold implements billing.Gateway.
func (g *Gateway) Hold(ctx context.Context, req billing.HoldRequest) (billing.HoldResult, error) {
	if err := g.injected("hold"); err != nil {
		return billing.HoldResult{}, err
	}
	if err := checkPaymentMethod(req.PaymentMethodID); err != nil {
		return billing.HoldResult{}, err
	}
	if req.Amount <= 0 {
		return billing.HoldResult{}, &billing.Error{Kind: billing.KindInvalid, Message: "amount must be positive"}
	}
	id, customer, err := g.Store.SandboxPutHold(ctx, req.IdempotencyKey, req.CustomerID, req.PaymentMethodID, req.Amount)
	if err != nil {
		return billing.HoldResult{}, &billing.Error{Kind: billing.KindTemporary, Message: "sandbox store", Err: err}
	}
	return billing.HoldResult{HoldID: id, CustomerID: customer}, nil
}

// Capture implements billing.Gateway.
func (g *Gateway) Capture(ctx context.Context, req billing.CaptureRequest) error {
	return g.settle(ctx, "capture", req.IdempotencyKey, req.HoldID, req.Amount)
}

// Release implements billing.Gateway.
func (g *Gateway) Release(ctx context.Context, req billing.ReleaseRequest) error {
	return g.settle(ctx, "release", req.IdempotencyKey, req.HoldID, 0)
}

func (g *Gateway) settle(ctx context.Context, op, key, holdID string, amount vidivo.Money) error {
	if err := g.injected(op); err != nil {
		return err
	}
	storeOp := "cancel"
	if op == "capture" {
		storeOp = "capture"
	}
	err := g.Store.SandboxSettleHold(ctx, key, holdID, storeOp, amount)
	if vidivo.ErrorCode(err) == vidivo.EVALIDATION {
		return &billing.Error{Kind: billing.KindInvalid, Message: vidivo.ErrorMessage(err), Err: err}
	}
	if err != nil {
		return &billing.Error{Kind: billing.KindTemporary, Message: "sandbox store", Err: err}
	}
	return nil
}

// Lookup implements billing.Gateway: the hold as the sandbox's books hold
// it.
func (g *Gateway) Lookup(ctx context.Context, holdID string) (billing.HoldState, error) {
	amount, captured, status, err := g.Store.SandboxHold(ctx, holdID)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return billing.HoldState{}, &billing.Error{Kind: billing.KindInvalid, Code: "resource_missing",
			Message: "no such hold: " + holdID, Err: err}
	}
	if err != nil {
		return billing.HoldState{}, &billing.Error{Kind: billing.KindTemporary, Message: "sandbox store", Err: err}
	}
	return billing.HoldState{HoldID: holdID, Status: status, Amount: amount, Captured: captured}, nil
}

// OnboardHost implements billing.Gateway: onboarding completes at once.
func (g *Gateway) OnboardHost(ctx context.Context, req billing.OnboardRequest) (billing.OnboardResult, error) {
	account := req.AccountID
	if account == "" {
		account = "acct_sbx_" + req.UserID
	}
	return billing.OnboardResult{AccountID: account, URL: req.ReturnURL, Connected: true}, nil
}

// PayoutStatus implements billing.Gateway.
func (g *Gateway) PayoutStatus(ctx context.Context, accountID string) (billing.PayoutStatus, error) {
	ok := strings.HasPrefix(accountID, "acct_sbx_")
	return billing.PayoutStatus{Connected: ok, DetailsSubmitted: ok, ChargesEnabled: ok, PayoutsEnabled: ok}, nil
}
