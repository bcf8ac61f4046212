package calls_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/calls"
)

// TestJoinRefusesABadPaymentMethodBeforeTheLedger (issue 13, item 3): a
// payment method id that no gateway could accept (a NUL, a control
// character, 256 characters) is refused before a ledger entry is written,
// so nothing is left pending for reconciliation to retry for ever.
func TestJoinRefusesABadPaymentMethodBeforeTheLedger(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		l := b.link(t, 100, 10)
		for _, pm := range []string{"pm_card_visa\x00", "pm_\x07card", strings.Repeat("p", 256), " "} {
			_, _, err := b.svc.Join(ctx, calls.JoinRequest{ShortCode: l.ShortCode, PaymentMethodID: pm})
			if d := vidivo.ErrorDetails(err); vidivo.ErrorCode(err) != vidivo.EVALIDATION || len(d) != 1 || d[0].Field != "payment_method_id" {
				t.Errorf("join with payment method %q = %v, want validation_error on payment_method_id", pm, err)
			}
		}
		if n := b.pendingRows(t); n != 0 {
			t.Errorf("%d ledger entries left pending by refused joins", n)
		}
	})
}

// TestReconcileGivesUpOnAHoldThatCanNeverSucceed (issue 13, item 3): a hold
// left pending whose request the gateway refuses for good (here an entry
// written before payment methods were checked, with a NUL in its id) gets a
// terminal state, so reconciliation converges instead of retrying it at
// every start.
func TestReconcileGivesUpOnAHoldThatCanNeverSucceed(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		ch := &vidivo.Charge{CallID: "01JN2X6M0P5H9SRBTXY8ZDKEFG", Kind: vidivo.ChargeHold, Amount: 1000,
			IdempotencyKey: "call/01JN2X6M0P5H9SRBTXY8ZDKEFG/hold/0", Hold: &vidivo.HoldDetails{PaymentMethodID: "pm_card_visa\x00"}}
		if err := b.db.AddCharge(ctx, ch); err != nil {
			t.Fatal(err)
		}
		b.clock.Add(time.Minute)
		for range 2 {
			if err := b.svc.Reconcile(ctx); err != nil {
				t.Errorf("reconcile: %v", err)
			}
		}
		if diff := cmp.Diff([]string{"hold/0/failed 10.00"}, b.ledger(t, ch.CallID)); diff != "" {
			t.Errorf("ledger (-want +got):\n%s", diff)
		}
	})
}

// TestPaymentErrorsNameTheirReason (issue 13, item 6): a failed hold stays
// 402 stripe_error, with the reason in details — the decline code, the
// gateway's refusal of an unknown payment method (which the sandbox
// refuses as Stripe does, instead of accepting it), or an outage — so a
// client can tell a card to replace from a moment to retry.
func TestPaymentErrorsNameTheirReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pm, fail string
		want     vidivo.FieldError
	}{
		{"pm_card_chargeDeclined", "", vidivo.FieldError{Field: "payment_method_id", Issue: "card_declined"}},
		{"pm_card_insufficientFunds", "", vidivo.FieldError{Field: "payment_method_id", Issue: "insufficient_funds"}},
		{"pm_card_chargeDeclinedExpiredCard", "", vidivo.FieldError{Field: "payment_method_id", Issue: "expired_card"}},
		{"pm_bogus", "", vidivo.FieldError{Field: "payment_method_id", Issue: "resource_missing"}},
		{"pm_card_visa", billing.KindTemporary, vidivo.FieldError{Field: "gateway", Issue: "gateway_unavailable"}},
	} {
		t.Run(tc.pm+tc.fail, func(t *testing.T) {
			t.Parallel()
			forEngines(t, func(t *testing.T, b *bundle) {
				if tc.fail != "" {
					b.gateway.FailNext(1, "hold", tc.fail)
				}
				_, _, err := b.svc.Join(context.Background(), calls.JoinRequest{ShortCode: b.link(t, 100, 10).ShortCode, PaymentMethodID: tc.pm})
				if vidivo.ErrorCode(err) != vidivo.ESTRIPE {
					t.Fatalf("join = %v, want stripe_error", err)
				}
				if diff := cmp.Diff([]vidivo.FieldError{tc.want}, vidivo.ErrorDetails(err)); diff != "" {
					t.Errorf("details (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// TestClientsEndCallsOnlyAsParticipants (issue 13, item 6): timeout and
// billing_error (a failed call) are the system's verdicts; a guest ends a
// call as user_ended, a host as user_ended or host_ended.
func TestClientsEndCallsOnlyAsParticipants(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		who, reason string
		want        string // error code, "" for success
	}{
		{"guest", vidivo.EndUserEnded, ""},
		{"guest", vidivo.EndHostEnded, vidivo.EVALIDATION},
		{"guest", vidivo.EndBillingError, vidivo.EVALIDATION},
		{"guest", vidivo.EndTimeout, vidivo.EVALIDATION},
		{"host", vidivo.EndHostEnded, ""},
		{"host", vidivo.EndUserEnded, ""},
		{"host", vidivo.EndBillingError, vidivo.EVALIDATION},
		{"host", vidivo.EndTimeout, vidivo.EVALIDATION},
	} {
		t.Run(tc.who+"/"+tc.reason, func(t *testing.T) {
			t.Parallel()
			forEngines(t, func(t *testing.T, b *bundle) {
				c := b.activeCall(t, 100, 10)
				b.clock.Add(2 * time.Minute)
				caller := b.hostCaller()
				if tc.who == "guest" {
					caller = vidivo.Caller{Subject: c.GuestID, Role: vidivo.RoleGuest, CallID: c.ID}
				}
				got, err := b.svc.End(context.Background(), caller, c.ID, tc.reason)
				if vidivo.ErrorCode(err) != tc.want {
					t.Fatalf("end as %s = %v, want %q", tc.reason, err, tc.want)
				}
				if err == nil && (got.Status != vidivo.CallCompleted || *got.EndReason != tc.reason) {
					t.Errorf("ended %s (%s)", got.Status, *got.EndReason)
				}
				if err != nil && b.call(t, c.ID).Status != vidivo.CallActive {
					t.Error("a refused end ended the call")
				}
			})
		})
	}
}

// pendingRows counts the ledger entries reconciliation would take up.
func (b *bundle) pendingRows(t *testing.T) int {
	t.Helper()
	pending, err := b.db.PendingCharges(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(pending)
}
