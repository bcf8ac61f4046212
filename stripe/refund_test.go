package stripe

import (
	"context"
	"testing"

	"github.com/vidivo/vidivo/billing"
)

// TestRefundReversesTransferAndFee: a session fee's refund names the
// PaymentIntent and the amount, gives back the platform's application
// fee and reverses the host's transfer, under the caller's idempotency
// key (checked against stripe-mock).
func TestRefundReversesTransferAndFee(t *testing.T) {
	t.Parallel()
	rec := &recorder{approve: true}
	g := newTestGateway(t, rec)
	key := "session-payment/01J9ZK3Q7M/refund"
	if err := g.Refund(context.Background(), key, "pi_123", 2500); err != nil {
		t.Fatal(err)
	}
	posts := checkRequests(t, rec.requests())
	if len(posts) != 1 || posts[0].Path != "/v1/refunds" || posts[0].Key != key {
		t.Fatalf("POSTs = %+v, want one /v1/refunds with key %q", posts, key)
	}
	wantForm(t, posts[0], map[string]string{"payment_intent": "pi_123", "amount": "2500",
		"refund_application_fee": "true", "reverse_transfer": "true", "reason": "requested_by_customer"})
}

func TestRefundBadRequestsAreNotSent(t *testing.T) {
	t.Parallel()
	rec := &recorder{approve: true}
	g := newTestGateway(t, rec)
	for name, err := range map[string]error{
		"no key":     g.Refund(context.Background(), "", "pi_123", 100),
		"no hold":    g.Refund(context.Background(), "k", "", 100),
		"no amount":  g.Refund(context.Background(), "k", "pi_123", 0),
		"below zero": g.Refund(context.Background(), "k", "pi_123", -1),
	} {
		if billing.ErrorKind(err) != billing.KindInvalid {
			t.Errorf("%s: %v, want an invalid request", name, err)
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}
