package stripe

import (
	"context"
	"strings"
	"testing"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

func firstHold() billing.HoldRequest {
	return billing.HoldRequest{
		IdempotencyKey:  "call/01J9ZK3Q7M/hold/0",
		Amount:          1500,
		Currency:        "usd",
		PaymentMethodID: "pm_card_visa",
		HostAccountID:   hostAccount,
		GuestEmail:      "guest@example.com",
		Description:     "Vidivo call 01J9ZK3Q7M, minutes 1-10",
		Metadata:        map[string]string{"call_id": "01J9ZK3Q7M", "window": "0"},
	}
}

// checkRequests fails unless every request authenticates with key and
// every POST carries an Idempotency-Key; it returns the POSTs.

func TestFirstHoldCreatesCustomerAndSavesPaymentMethod(t *testing.T) {
	t.Parallel()
	rec := &recorder{approve: true}
	g := newTestGateway(t, rec)
	req := firstHold()
	res, err := g.Hold(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.HoldID, "pi_") || !strings.HasPrefix(res.CustomerID, "cus_") {
		t.Fatalf("Hold = %+v, want a pi_ hold and a cus_ customer", res)
	}
	posts := checkRequests(t, rec.requests())
	if len(posts) != 2 {
		t.Fatalf("%d POSTs, want customer then payment intent: %+v", len(posts), posts)
	}
	cus, pi := posts[0], posts[1]
	if cus.Path != "/v1/customers" || cus.Key != req.IdempotencyKey+"/customer" {
		t.Errorf("first POST %s key %q, want /v1/customers key %q", cus.Path, cus.Key, req.IdempotencyKey+"/customer")
	}
	wantForm(t, cus, map[string]string{"email": "guest@example.com"})
	if pi.Path != "/v1/payment_intents" || pi.Key != req.IdempotencyKey {
		t.Errorf("second POST %s key %q, want /v1/payment_intents key %q", pi.Path, pi.Key, req.IdempotencyKey)
	}
	wantForm(t, pi, map[string]string{
		"amount":                     "1500",
		"currency":                   "usd",
		"customer":                   res.CustomerID,
		"payment_method":             "pm_card_visa",
		"payment_method_types[0]":    "card",
		"capture_method":             "manual",
		"confirm":                    "true",
		"setup_future_usage":         "off_session",
		"transfer_data[destination]": hostAccount,
		"description":                req.Description,
		"metadata[call_id]":          "01J9ZK3Q7M",
		"metadata[window]":           "0",
	})
	noForm(t, pi, "off_session", "application_fee_amount")
}

func TestRenewalHoldConfirmsOffSession(t *testing.T) {
	t.Parallel()
	rec := &recorder{approve: true}
	g := newTestGateway(t, rec)
	req := billing.HoldRequest{
		IdempotencyKey:  "call/01J9ZK3Q7M/hold/1",
		Amount:          1500,
		PaymentMethodID: "pm_card_visa",
		CustomerID:      "cus_NffrFeUfNV2Hib",
		OffSession:      true,
	}
	res, err := g.Hold(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.HoldID, "pi_") || res.CustomerID != req.CustomerID {
		t.Fatalf("Hold = %+v, want a pi_ hold on %s", res, req.CustomerID)
	}
	posts := checkRequests(t, rec.requests())
	if len(posts) != 1 || posts[0].Path != "/v1/payment_intents" || posts[0].Key != req.IdempotencyKey {
		t.Fatalf("POSTs %+v, want one /v1/payment_intents with key %q", posts, req.IdempotencyKey)
	}
	wantForm(t, posts[0], map[string]string{
		"customer":       req.CustomerID,
		"payment_method": "pm_card_visa",
		"off_session":    "true",
		"confirm":        "true",
		"capture_method": "manual",
		"currency":       "usd", // the default
	})
	// No host: no destination; an off-session hold saves nothing new.
	noForm(t, posts[0], "setup_future_usage", "transfer_data[destination]")
}

func TestHoldIdempotencyKeysAreDeterministic(t *testing.T) {
	t.Parallel()
	var keys [2][]string
	for i := range keys {
		rec := &recorder{approve: true}
		g := newTestGateway(t, rec)
		if _, err := g.Hold(context.Background(), firstHold()); err != nil {
			t.Fatal(err)
		}
		for _, r := range checkRequests(t, rec.requests()) {
			keys[i] = append(keys[i], r.Key)
		}
	}
	if strings.Join(keys[0], " ") != strings.Join(keys[1], " ") {
		t.Fatalf("the same HoldRequest sent keys %q, then %q", keys[0], keys[1])
	}
	other := firstHold()
	other.IdempotencyKey = "call/01J9ZK3Q7M/hold/1"
	rec := &recorder{approve: true}
	if _, err := newTestGateway(t, rec).Hold(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.requests() {
		for _, k := range keys[0] {
			if r.Key == k {
				t.Errorf("another hold reused key %q", k)
			}
		}
	}
}

func TestHoldNotRequiringCaptureIsDeclinedAndCanceled(t *testing.T) {
	t.Parallel()
	// Without approve, stripe-mock's intent is requires_payment_method.
	rec := &recorder{}
	g := newTestGateway(t, rec)
	req := firstHold()
	res, err := g.Hold(context.Background(), req)
	wantKind(t, err, billing.KindDeclined)
	if res.HoldID != "" || !strings.HasPrefix(res.CustomerID, "cus_") {
		t.Errorf("failed Hold = %+v, want no hold and the created customer", res)
	}
	posts := checkRequests(t, rec.requests())
	if len(posts) != 3 {
		t.Fatalf("%d POSTs, want customer, payment intent, cancel: %+v", len(posts), posts)
	}
	cancel := posts[2]
	if !strings.HasPrefix(cancel.Path, "/v1/payment_intents/pi_") || !strings.HasSuffix(cancel.Path, "/cancel") ||
		cancel.Key != req.IdempotencyKey+"/cancel" {
		t.Errorf("third POST %s key %q, want a payment intent cancel with key %q", cancel.Path, cancel.Key, req.IdempotencyKey+"/cancel")
	}
}

func TestCapture(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fee  vidivo.Money
		want map[string]string
		none []string
	}{
		{"with fee", 90, map[string]string{"amount_to_capture": "900", "application_fee_amount": "90"}, nil},
		{"without fee", 0, map[string]string{"amount_to_capture": "900"}, []string{"application_fee_amount"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			g := newTestGateway(t, rec)
			req := billing.CaptureRequest{
				IdempotencyKey: "call/01J9ZK3Q7M/capture/0",
				HoldID:         "pi_3MtwBwLkdIwHu7ix28a3tqPa",
				Amount:         900,
				ApplicationFee: tc.fee,
			}
			if err := g.Capture(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			posts := checkRequests(t, rec.requests())
			if len(posts) != 1 || posts[0].Path != "/v1/payment_intents/"+req.HoldID+"/capture" || posts[0].Key != req.IdempotencyKey {
				t.Fatalf("POSTs %+v, want one capture of %s with key %q", posts, req.HoldID, req.IdempotencyKey)
			}
			wantForm(t, posts[0], tc.want)
			noForm(t, posts[0], tc.none...)
		})
	}
}

func TestRelease(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	g := newTestGateway(t, rec)
	req := billing.ReleaseRequest{IdempotencyKey: "call/01J9ZK3Q7M/release/2", HoldID: "pi_3MtwBwLkdIwHu7ix28a3tqPa"}
	if err := g.Release(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	posts := checkRequests(t, rec.requests())
	if len(posts) != 1 || posts[0].Path != "/v1/payment_intents/"+req.HoldID+"/cancel" || posts[0].Key != req.IdempotencyKey {
		t.Fatalf("POSTs %+v, want one cancel of %s with key %q", posts, req.HoldID, req.IdempotencyKey)
	}
	wantForm(t, posts[0], map[string]string{"cancellation_reason": "abandoned"})
}
