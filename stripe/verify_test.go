package stripe

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vidivo/vidivo/billing"
)

// setupAnswer stands in for the card network behind stripe-mock, which
// keeps no state and cannot confirm: a created SetupIntent's status is set
// to status, or the request is answered with Stripe's card error for
// declineCode.
type setupAnswer struct {
	next        http.RoundTripper
	status      string
	declineCode string
}

func (s setupAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	create := req.Method == http.MethodPost && req.URL.Path == "/v1/setup_intents"
	if create && s.declineCode != "" {
		body := `{"error":{"type":"card_error","code":"card_declined","decline_code":"` + s.declineCode +
			`","message":"Your card was declined."}}`
		return &http.Response{StatusCode: http.StatusPaymentRequired, Request: req,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
	resp, err := s.next.RoundTrip(req)
	if err != nil || !create || s.status == "" || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	return setStatus(resp, s.status)
}

func verifyRequest() billing.VerifyRequest {
	return billing.VerifyRequest{IdempotencyKey: "booking/01J9ZK3Q7M/verify", PaymentMethodID: "pm_card_visa",
		GuestEmail: "guest@example.com", Metadata: map[string]string{"booking": "01J9ZK3Q7M"}}
}

func TestVerifyPaymentMethodSavesItForOffSessionUse(t *testing.T) {
	t.Parallel()
	rec := &recorder{base: setupAnswer{next: http.DefaultTransport, status: "succeeded"}}
	g := newTestGateway(t, rec)
	req := verifyRequest()
	res, err := g.VerifyPaymentMethod(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.CustomerID, "cus_") || !strings.HasPrefix(res.SetupID, "seti_") {
		t.Fatalf("VerifyPaymentMethod = %+v, want a cus_ customer and a seti_ setup", res)
	}
	posts := checkRequests(t, rec.requests())
	if len(posts) != 2 {
		t.Fatalf("%d POSTs, want customer then setup intent: %+v", len(posts), posts)
	}
	cus, si := posts[0], posts[1]
	if cus.Path != "/v1/customers" || cus.Key != req.IdempotencyKey+"/customer" {
		t.Errorf("first POST %s key %q", cus.Path, cus.Key)
	}
	wantForm(t, cus, map[string]string{"email": "guest@example.com"})
	if si.Path != "/v1/setup_intents" || si.Key != req.IdempotencyKey {
		t.Errorf("second POST %s key %q", si.Path, si.Key)
	}
	wantForm(t, si, map[string]string{
		"customer": res.CustomerID, "payment_method": "pm_card_visa", "payment_method_types[0]": "card",
		"usage": "off_session", "confirm": "true", "metadata[booking]": "01J9ZK3Q7M",
	})
	noForm(t, si, "amount", "capture_method")
}

func TestVerifyPaymentMethodRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		answer     setupAnswer
		wantCode   string
		wantCancel bool
	}{
		{"declined by the issuer", setupAnswer{declineCode: "insufficient_funds"}, "insufficient_funds", false},
		{"needs authentication", setupAnswer{status: "requires_action"}, "authentication_required", true},
		{"left unconfirmed", setupAnswer{status: "requires_payment_method"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.answer.next = http.DefaultTransport
			rec := &recorder{base: tt.answer}
			g := newTestGateway(t, rec)
			req := verifyRequest()
			_, err := g.VerifyPaymentMethod(context.Background(), req)
			be := wantKind(t, err, billing.KindDeclined)
			if be.DeclineCode != tt.wantCode {
				t.Errorf("decline code = %q, want %q", be.DeclineCode, tt.wantCode)
			}
			canceled := false
			for _, p := range checkRequests(t, rec.requests()) {
				if strings.HasSuffix(p.Path, "/cancel") {
					canceled = p.Key == req.IdempotencyKey+"/cancel" && strings.HasPrefix(p.Path, "/v1/setup_intents/")
				}
			}
			if canceled != tt.wantCancel {
				t.Errorf("setup intent canceled = %v, want %v: %+v", canceled, tt.wantCancel, rec.requests())
			}
		})
	}
}

func TestVerifyPaymentMethodChecksItsRequest(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	g := newTestGateway(t, rec)
	for name, req := range map[string]billing.VerifyRequest{
		"no key":            {PaymentMethodID: "pm_card_visa"},
		"no payment method": {IdempotencyKey: "booking/x/verify"},
		"key too long":      {IdempotencyKey: strings.Repeat("k", 250), PaymentMethodID: "pm_card_visa"},
	} {
		if _, err := g.VerifyPaymentMethod(context.Background(), req); billing.ErrorKind(err) != billing.KindInvalid {
			t.Errorf("%s: error %v, want KindInvalid", name, err)
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d requests sent for invalid verifications", n)
	}
}
