// Package billing holds the pure money rules of paid calls (windows,
// billed minutes, how a total is captured from holds, platform fees) and
// the Gateway interface that payment providers implement.
package billing

import (
	"context"
	"errors"
	"fmt"

	"github.com/vidivo/vidivo"
)

// Gateway moves money: holds (manual-capture authorizations) on a guest's
// payment method, captures from them, releases, and host payout accounts.
// Every call carries a deterministic idempotency key, so a retry after a
// crash or a timeout never charges twice: the same key returns the first
// result.
type Gateway interface {
	// Hold authorizes Amount on the guest's payment method without
	// capturing it. The first hold of a call has no CustomerID: the gateway
	// attaches the payment method to a new customer so later holds can be
	// placed off-session, and returns that customer.
	Hold(ctx context.Context, req HoldRequest) (HoldResult, error)
	// Capture takes Amount (at most the held amount) from a hold; whatever
	// is not captured is released with it.
	Capture(ctx context.Context, req CaptureRequest) error
	// Release cancels a hold, capturing nothing.
	Release(ctx context.Context, req ReleaseRequest) error
	// Lookup reports what became of a hold: whether it is still held,
	// captured (and how much) or canceled. A settlement step whose answer
	// was lost asks this before deciding, so work the gateway already did
	// is recorded as done rather than failed. An unknown hold is
	// KindInvalid.
	Lookup(ctx context.Context, holdID string) (HoldState, error)
	// OnboardHost starts or resumes payout onboarding for a host and
	// returns the account and the URL the host completes it at.
	OnboardHost(ctx context.Context, req OnboardRequest) (OnboardResult, error)
	// PayoutStatus reports whether a host's payout account can be paid.
	PayoutStatus(ctx context.Context, accountID string) (PayoutStatus, error)
	// VerifyPaymentMethod checks, charging nothing, that a payment method
	// can be charged later without its owner present, and saves it to a
	// new customer for that (Stripe: a confirmed off-session SetupIntent).
	// A refused method is a KindDeclined error with its decline code; an
	// unknown one is KindInvalid.
	VerifyPaymentMethod(ctx context.Context, req VerifyRequest) (VerifyResult, error)
}

// VerifyRequest asks to verify and save a payment method.
type VerifyRequest struct {
	IdempotencyKey  string // e.g. "booking/{id}/verify"
	PaymentMethodID string
	// GuestEmail, if known, is given to the new customer for receipts.
	GuestEmail string
	Metadata   map[string]string
}

// VerifyResult is a verified payment method: the customer it was saved
// to, which later holds name, and the provider's record of the check.
type VerifyResult struct {
	CustomerID string
	SetupID    string
}

// HoldRequest asks for an authorization hold.
type HoldRequest struct {
	IdempotencyKey  string // e.g. "call/{id}/hold/{window}"
	Amount          vidivo.Money
	Currency        string // "usd"
	PaymentMethodID string
	// CustomerID is empty on a call's first hold and set on renewals.
	CustomerID string
	// OffSession is true for renewals, placed while the guest is in the
	// call rather than at a payment form.
	OffSession bool
	// HostAccountID is the host's payout account the money goes to.
	HostAccountID string
	// GuestEmail, if known, is given to the new customer for receipts.
	GuestEmail  string
	Description string
	Metadata    map[string]string
}

// HoldResult identifies a placed hold.
type HoldResult struct {
	HoldID     string
	CustomerID string
}

// Hold statuses, as Lookup reports them (Stripe's PaymentIntent names).
const (
	HoldHeld     = "requires_capture"
	HoldCaptured = "captured"
	HoldCanceled = "canceled"
)

// HoldState is a hold as the gateway sees it.
type HoldState struct {
	HoldID string
	// Status is HoldHeld, HoldCaptured or HoldCanceled.
	Status   string
	Amount   vidivo.Money
	Captured vidivo.Money
}

// CaptureRequest captures part or all of a hold.
type CaptureRequest struct {
	IdempotencyKey string
	HoldID         string
	Amount         vidivo.Money
	// ApplicationFee is the platform's share of Amount.
	ApplicationFee vidivo.Money
}

// ReleaseRequest cancels a hold.
type ReleaseRequest struct {
	IdempotencyKey string
	HoldID         string
}

// OnboardRequest starts payout onboarding for a host.
type OnboardRequest struct {
	IdempotencyKey string
	UserID         string
	Email          string
	// AccountID is the host's existing payout account, if any.
	AccountID  string
	ReturnURL  string
	RefreshURL string
}

// OnboardResult is where the host goes to finish onboarding.
type OnboardResult struct {
	AccountID string
	URL       string
	// Connected is true when onboarding completed at once (the sandbox).
	Connected bool
}

// PayoutStatus is the state of a host's payout account.
type PayoutStatus struct {
	Connected        bool
	DetailsSubmitted bool
	ChargesEnabled   bool
	PayoutsEnabled   bool
}

// Kinds of gateway failure.
const (
	// KindDeclined: the payment method was refused; retrying will not help.
	KindDeclined = "declined"
	// KindTemporary: the gateway could not be reached or failed; the same
	// request (same idempotency key) may be retried.
	KindTemporary = "temporary"
	// KindInvalid: the request was wrong (unknown hold, bad state).
	KindInvalid = "invalid"
)

// Error is a gateway failure.
type Error struct {
	Kind string
	// DeclineCode is the provider's reason for a decline, e.g.
	// "insufficient_funds".
	DeclineCode string
	// Code is the provider's error code for a refused request, e.g.
	// "resource_missing" for an unknown payment method.
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("billing: %s: %s", e.Kind, e.Message)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Reason is the short, stable word a client is shown for the failure: the
// decline code of a decline ("card_declined" when the issuer gave none
// more precise), the provider's code of a refused request
// ("resource_missing"), or "gateway_unavailable" for an outage, so a
// client can tell a card to replace from a moment to retry.
func (e *Error) Reason() string {
	switch {
	case e.Kind == KindTemporary:
		return "gateway_unavailable"
	case e.Kind == KindDeclined && (e.DeclineCode == "" || e.DeclineCode == "generic_decline"):
		return "card_declined"
	case e.Kind == KindDeclined:
		return e.DeclineCode
	case e.Code != "":
		return e.Code
	}
	return "invalid_request"
}

// ErrorKind returns the Kind of a gateway error, or KindTemporary for any
// other error (a failure we cannot classify is safest retried).
func ErrorKind(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindTemporary
}
