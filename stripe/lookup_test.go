package stripe

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo/billing"
)

// piAs answers a PaymentIntent retrieval from stripe-mock (which keeps no
// state) as if the intent had the given status and amount received.
type piAs struct {
	base     http.RoundTripper
	status   string
	received int64
}

func (p piAs) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := p.base.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	defer resp.Body.Close()
	var obj map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&obj); err != nil {
		return nil, err
	}
	obj["status"], obj["amount"], obj["amount_received"] = p.status, 1500, p.received
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	return resp, nil
}

// TestLookup retrieves a hold's PaymentIntent from stripe-mock and reports
// its state in the gateway's terms.
func TestLookup(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status   string
		received int64
		want     billing.HoldState
	}{
		{"requires_capture", 0, billing.HoldState{Status: billing.HoldHeld, Amount: 1500}},
		{"succeeded", 900, billing.HoldState{Status: billing.HoldCaptured, Amount: 1500, Captured: 900}},
		{"canceled", 0, billing.HoldState{Status: billing.HoldCanceled, Amount: 1500}},
		{"requires_payment_method", 0, billing.HoldState{Status: "requires_payment_method", Amount: 1500}},
	} {
		t.Run(tc.status, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{base: piAs{base: http.DefaultTransport, status: tc.status, received: tc.received}}
			g := newTestGateway(t, rec)
			got, err := g.Lookup(context.Background(), "pi_3MtwBwLkdIwHu7ix28a3tqPa")
			if err != nil {
				t.Fatal(err)
			}
			got.HoldID = ""
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Lookup (-want +got):\n%s", diff)
			}
			reqs := rec.requests()
			if len(reqs) != 1 || reqs[0].Method != http.MethodGet || reqs[0].Path != "/v1/payment_intents/pi_3MtwBwLkdIwHu7ix28a3tqPa" {
				t.Errorf("requests %+v, want one GET of the intent", reqs)
			}
		})
	}
	if _, err := newTestGateway(t, &recorder{}).Lookup(context.Background(), ""); billing.ErrorKind(err) != billing.KindInvalid {
		t.Errorf("Lookup of no hold = %v, want KindInvalid", err)
	}
}
