package web_test

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo/stripe"
)

// stripeMock returns the URL of a stripe-mock: the one at
// VIDIVO_STRIPE_MOCK_URL (default 127.0.0.1:12111) if it answers, else one
// this test starts from the binary the stripe package's tests install,
// stopped when the test ends.
func stripeMock(t *testing.T) string {
	t.Helper()
	u := os.Getenv("VIDIVO_STRIPE_MOCK_URL")
	if u == "" {
		u = "http://127.0.0.1:12111"
	}
	if isStripeMock(u) {
		return u
	}
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		cache, _ := os.UserCacheDir()
		bin = filepath.Join(cache, "vidivo", "stripe-mock-v0.203.0", "stripe-mock")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no stripe-mock at %s and none installed: run `go test ./stripe` once (it installs one) or `bash .ci/stripe-mock.sh`", u)
	}
	addr := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	httpAddr := addr()
	cmd := exec.Command(bin, "-http-addr", httpAddr, "-https-addr", addr())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	u = "http://" + httpAddr
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if isStripeMock(u) {
			return u
		}
	}
	t.Fatalf("stripe-mock did not start at %s", u)
	return ""
}

func isStripeMock(u string) bool {
	req, _ := http.NewRequest(http.MethodGet, u+"/v1/accounts/acct_1032D82eZvKYlo2C", nil)
	req.Header.Set("Authorization", "Bearer sk_test_123")
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK && resp.Header.Get("Stripe-Mock-Version") != ""
}

// TestJoinWithStripe: with the Stripe gateway the join page mounts
// Stripe's Payment Element (Stripe.js allowed by the CSP, no test cards),
// and its SetupIntent comes from the gateway (stripe-mock here).
func TestJoinWithStripe(t *testing.T) {
	t.Parallel()
	mockURL := stripeMock(t)
	forEngine(t, func(t *testing.T, s *site) {
		g, err := stripe.New(stripe.Config{SecretKey: "sk_test_123", APIURL: mockURL})
		if err != nil {
			t.Fatal(err)
		}
		h := newHost(t, s, "janecoach", "Jane Smith")
		l := h.link(t, s, nil)
		closed := h.link(t, s, map[string]any{"expires_at": s.at(time.Minute)})
		sandboxPage := s.browser(t).script("POST", "/c/"+l.ShortCode+"/setup-intent")
		if sandboxPage.Status != http.StatusNotFound {
			t.Errorf("setup intent with the sandbox = %d, want 404", sandboxPage.Status)
		}
		s.Pages.Gateway, s.Pages.Payments, s.Pages.StripePublishableKey = g, "stripe", "pk_test_123"
		s.Clock.Add(2 * time.Minute)

		b := s.browser(t)
		p := b.get("/c/" + l.ShortCode)
		for _, want := range []string{`<div id="payment-element"`, `<script src="https://js.stripe.com/v3/"></script>`,
			`data-stripe-key="pk_test_123"`, `name="payment_method_id" id="payment_method_id"`, ">Pay and join</button>",
			"We hold $25.00 for the first 10 minutes; you pay only for the minutes you use."} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("Stripe join page lacks %s", want)
			}
		}
		if strings.Contains(p.Body, "Test card") {
			t.Error("the Stripe join page offers test cards")
		}
		if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' https://js.stripe.com") {
			t.Errorf("CSP %q does not allow Stripe.js", csp)
		}

		tests := []struct {
			name   string
			path   string
			csrf   bool
			status int
			want   string
		}{
			{"open link", "/c/" + l.ShortCode + "/setup-intent", true, http.StatusOK, `"client_secret":"seti_`},
			{"no CSRF header", "/c/" + l.ShortCode + "/setup-intent", false, http.StatusForbidden, `"code":"forbidden"`},
			{"expired link", "/c/" + closed.ShortCode + "/setup-intent", true, http.StatusNotFound, `"code":"not_found"`},
			{"unknown link", "/c/Zz9Zz9Zz9Zz9/setup-intent", true, http.StatusNotFound, `"code":"not_found"`},
			{"malformed code", "/c/x%00y/setup-intent", true, http.StatusNotFound, `"code":"not_found"`},
		}
		for _, tt := range tests {
			var p *page
			if tt.csrf {
				p = b.script("POST", tt.path)
			} else {
				p = b.do("POST", tt.path, nil, nil)
			}
			if p.Status != tt.status || !strings.Contains(p.Body, tt.want) {
				t.Errorf("%s: POST %s = %d %s, want %d with %s", tt.name, tt.path, p.Status, p.Body, tt.status, tt.want)
			}
		}

		// Without a publishable key, the page says cards cannot be taken.
		s.Pages.StripePublishableKey = ""
		p = b.get("/c/" + l.ShortCode)
		if !strings.Contains(p.Body, "Card payments are not set up") || !strings.Contains(p.Body, `id="join-button" disabled`) {
			t.Errorf("the join page without a publishable key:\n%s", p.Body)
		}
	})
}
