package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
)

// TestPaymentErrorDetails (issue 13, item 6) over HTTP: a refused join is
// 402 stripe_error with the reason in details — a decline code, the
// sandbox refusing an unknown payment method as Stripe would — and the
// replay of its idempotency key answers the same.
func TestPaymentErrorDetails(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		link := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "1.00", "window_size_minutes": 10})
		for pm, want := range map[string]string{
			"pm_card_insufficientFunds": "insufficient_funds",
			"pm_card_chargeDeclined":    "card_declined",
			"pm_bogus":                  "resource_missing",
		} {
			for range 2 {
				eb := join(e, link.ShortCode, pm, "key-"+pm).WantError(t, http.StatusPaymentRequired, "stripe_error")
				if d := eb.Error.Details; len(d) != 1 || d[0].Field != "payment_method_id" || d[0].Issue != want {
					t.Errorf("join with %s: details %+v, want payment_method_id: %s", pm, d, want)
				}
			}
		}
	})
}

// TestEndReasonsOfClients (issue 13, item 6) over HTTP: a guest may end a
// call only as user_ended; failed is the system's verdict.
func TestEndReasonsOfClients(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host, j := activeCall(t, e, "1.00", 10)
		e.Clock.Add(90 * time.Second)
		for _, reason := range []string{"billing_error", "timeout", "host_ended"} {
			eb := endCall(e, j.GuestToken, j.Call.ID, reason, "").WantError(t, http.StatusBadRequest, "validation_error")
			if d := eb.Error.Details; len(d) != 1 || d[0].Field != "reason" {
				t.Errorf("guest ending as %s: details %+v, want the reason named", reason, d)
			}
		}
		endCall(e, host.AccessToken, j.Call.ID, "billing_error", "").WantError(t, http.StatusBadRequest, "validation_error")
		var out ended
		endCall(e, j.GuestToken, j.Call.ID, "user_ended", "").Decode(t, &out)
		if out.Call.Status != "completed" || out.Call.BilledMinutes != 2 || out.Call.TotalCharged != "2.00" {
			t.Errorf("end = %+v, want completed, 2 minutes, 2.00", out.Call)
		}
	})
}
