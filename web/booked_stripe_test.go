package web_test

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/schedule"
	"github.com/vidivo/vidivo/stripe"
)

// TestBookingCardWithStripe: with the Stripe gateway a host's required
// card is the join page's card step (the Payment Element, Stripe.js under
// the CSP), and its SetupIntent comes from the gateway for signed-in
// accounts only.
func TestBookingCardWithStripe(t *testing.T) {
	t.Parallel()
	mockURL := stripeMock(t)
	forEngine(t, func(t *testing.T, s *site) {
		g, err := stripe.New(stripe.Config{SecretKey: "sk_test_123", APIURL: mockURL})
		if err != nil {
			t.Fatal(err)
		}
		s.schedHost(t, "Hanna", func(a *schedule.Availability) { a.RequirePaymentMethod = true })
		carl := s.signedUp(t, "Carl", vidivo.RoleClient)
		confirm := firstSlot(t, carl, "/hanna", s.Clock.Now().AddDate(0, 0, 3), "UTC")
		s.Pages.Gateway, s.Pages.Payments, s.Pages.StripePublishableKey = g, "stripe", "pk_test_123"

		p := carl.get(confirm)
		want(t, "Stripe confirm step", p, http.StatusOK, `<div id="payment-element" class="payment-element" data-setup-url="/schedule/hanna/setup-intent">`,
			`<script src="https://js.stripe.com/v3/"></script>`, `data-stripe-key="pk_test_123"`,
			`name="payment_method_id" id="payment_method_id"`, "Book this time</button>")
		if strings.Contains(p.Body, "Test card") {
			t.Error("the Stripe booking page offers test cards")
		}
		if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "https://js.stripe.com") {
			t.Errorf("CSP %q does not allow Stripe.js", csp)
		}
		// A visitor's confirm step asks to log in first: no card form yet.
		if v := s.browser(t).get(html.UnescapeString(confirm)); strings.Contains(v.Body, "payment-element") {
			t.Error("a visitor is shown the card form")
		}

		visitor := s.browser(t)
		for _, tc := range []struct {
			name   string
			b      *browser
			path   string
			csrf   bool
			status int
			want   string
		}{
			{"signed in", carl, "/schedule/hanna/setup-intent", true, http.StatusOK, `"client_secret":"seti_`},
			{"no CSRF header", carl, "/schedule/hanna/setup-intent", false, http.StatusForbidden, `"code":"forbidden"`},
			{"visitor", visitor, "/schedule/hanna/setup-intent", true, http.StatusUnauthorized, `"code":"unauthorized"`},
			{"unknown host", carl, "/schedule/nobody/setup-intent", true, http.StatusNotFound, `"code":"not_found"`},
		} {
			var p *page
			if tc.csrf {
				p = tc.b.script("POST", tc.path)
			} else {
				p = tc.b.do("POST", tc.path, nil, nil)
			}
			if p.Status != tc.status || !strings.Contains(p.Body, tc.want) {
				t.Errorf("%s: POST %s = %d %s, want %d with %s", tc.name, tc.path, p.Status, p.Body, tc.status, tc.want)
			}
		}
	})
}
