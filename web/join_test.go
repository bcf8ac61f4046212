package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// host is a signed-up host with payouts connected, signed in in a
// browser; token is that browser's access token, for the API.
type host struct {
	b     *browser
	token string
	id    string
}

func newHost(t *testing.T, s *site, username, name string) *host {
	t.Helper()
	b := s.browser(t)
	form := signupForm()
	form.Set("username", username)
	form.Set("email", username+"@example.com")
	form.Set("display_name", name)
	if p := b.post("/signup", form); p.Status != http.StatusSeeOther {
		t.Fatalf("sign up %s = %d:\n%s", username, p.Status, p.Body)
	}
	h := &host{b: b, token: b.cookies["vidivo_access"].Value}
	s.Do(apitest.Req{Method: "POST", Path: "/v1/users/me/payouts/onboarding", Token: h.token}).WantStatus(t, http.StatusOK)
	h.id = me(t, s, h.token)
	return h
}

type linkJSON struct {
	ID        string `json:"id"`
	ShortCode string `json:"short_code"`
}

// link creates a link through the API with body's fields over a rate of
// $2.50 and a 10-minute window.
func (h *host) link(t *testing.T, s *site, body map[string]any) linkJSON {
	t.Helper()
	in := map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10}
	for k, v := range body {
		in[k] = v
	}
	resp := s.Do(apitest.Req{Method: "POST", Path: "/v1/links", Token: h.token, Body: in})
	resp.WantStatus(t, http.StatusCreated)
	var out struct {
		Link linkJSON `json:"link"`
	}
	resp.Decode(t, &out)
	return out.Link
}

func (s *site) at(d time.Duration) string { return s.Clock.Now().Add(d).UTC().Format(time.RFC3339) }

// countCalls counts the host's calls in the store.
func (h *host) countCalls(t *testing.T, s *site) int {
	t.Helper()
	res, err := s.DB.Calls(context.Background(), vidivo.CallFilter{UserID: h.id, Page: 1, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	return res.Total
}

// me is the id of the account signed in with token.
func me(t *testing.T, s *site, token string) string {
	t.Helper()
	var out struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	s.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: token}).Decode(t, &out)
	if out.User.ID == "" {
		t.Fatal("no account behind the token")
	}
	return out.User.ID
}

var optionRE = regexp.MustCompile(`<option value="([^"]+)"[^>]*>([^<]+)</option>`)

func TestJoinPageSaysWhatHappens(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := newHost(t, s, "janecoach", "Jane Smith")
		l := h.link(t, s, map[string]any{"label": "Career coaching"})
		p := s.browser(t).get("/c/" + l.ShortCode)
		if p.Status != http.StatusOK {
			t.Fatalf("join page = %d:\n%s", p.Status, p.Body)
		}
		for _, want := range []string{
			"Video call with Jane Smith", "Career coaching", "$2.50 a minute",
			"We hold $25.00 for the first 10 minutes; you pay only for the minutes you use.",
			`<label for="guest_name">Your name</label>`, `<label for="test-card">Test card</label>`,
			`<select id="test-card" name="payment_method_id"`, "these are test cards",
			`<button type="submit" id="join-button">Pay and join</button>`,
			`/static/join.js?v=`, `data-code="` + l.ShortCode + `"`, `aria-hidden="true">JS</span>`,
			"Camera and microphone",
		} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("join page lacks %q", want)
			}
		}
		var got [][2]string
		for _, m := range optionRE.FindAllStringSubmatch(p.Body, -1) {
			got = append(got, [2]string{m[1], m[2]})
		}
		want := [][2]string{{"pm_card_visa", "Succeeds"}, {"pm_card_chargeDeclined", "Declined"}, {"pm_card_insufficientFunds", "Insufficient funds"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("test card options (-want +got):\n%s", diff)
		}
		if csp := p.Header.Get("Content-Security-Policy"); strings.Contains(csp, "stripe") || strings.Contains(p.Body, "js.stripe.com") {
			t.Errorf("the sandbox's join page loads Stripe: CSP %q", csp)
		}
	})
}

// TestClosedLinks: every link that cannot start a call has a page saying
// why, with the status the API answers for the same link (a link not open
// yet: the API's link info is 200, the page answers 404 as the join does).
func TestClosedLinks(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := newHost(t, s, "janecoach", "Jane Smith")
		expired := h.link(t, s, map[string]any{"expires_at": s.at(time.Hour)})
		usedUp := h.link(t, s, map[string]any{"max_uses": 1})
		deleted := h.link(t, s, nil)
		notOpen := h.link(t, s, map[string]any{"scheduled_start": s.at(3 * time.Hour), "scheduled_end": s.at(4 * time.Hour)})
		over := h.link(t, s, map[string]any{"scheduled_start": s.at(30 * time.Minute), "scheduled_end": s.at(90 * time.Minute)})
		s.Do(apitest.Req{Method: "DELETE", Path: "/v1/links/" + deleted.ID, Token: h.token}).WantStatus(t, http.StatusNoContent)
		if p := s.browser(t).post("/c/"+usedUp.ShortCode, url.Values{"payment_method_id": {"pm_card_visa"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("first use = %d", p.Status)
		}
		s.Clock.Add(2 * time.Hour)

		tests := []struct {
			name, code string
			status     int
			want       string
			apiStatus  int // when the API's link info answers otherwise
		}{
			{"unknown", "Zz9Zz9Zz9Zz9", http.StatusNotFound, "There is no call link at this address", 0},
			{"malformed", "not-a-code!", http.StatusNotFound, "There is no call link at this address", 0},
			{"deleted", deleted.ShortCode, http.StatusNotFound, "Jane Smith has deleted this call link", 0},
			{"expired", expired.ShortCode, http.StatusGone, "This call link expired", 0},
			{"used up", usedUp.ShortCode, http.StatusGone, "used as many times as Jane Smith allowed", 0},
			{"not open yet", notOpen.ShortCode, http.StatusNotFound, "This link opens at ", http.StatusOK},
			{"outside its window", over.ShortCode, http.StatusGone, "This link was for a call that ended at ", 0},
		}
		for _, tt := range tests {
			p := s.browser(t).get("/c/" + tt.code)
			if p.Status != tt.status || !strings.Contains(p.Body, tt.want) {
				t.Errorf("%s: GET /c/%s = %d, want %d with %q:\n%s", tt.name, tt.code, p.Status, tt.status, tt.want, p.Body)
			}
			if strings.Contains(p.Body, "Pay and join") {
				t.Errorf("%s: the page still offers to pay and join", tt.name)
			}
			wantAPI := tt.status
			if tt.apiStatus != 0 {
				wantAPI = tt.apiStatus
			}
			if api := s.Do(apitest.Req{Method: "GET", Path: "/v1/links/" + url.PathEscape(tt.code)}); api.Status != wantAPI {
				t.Errorf("%s: the API answers %d, want %d", tt.name, api.Status, wantAPI)
			}
			// Paying through a closed link starts nothing.
			before := h.countCalls(t, s)
			if p := s.browser(t).post("/c/"+tt.code, url.Values{"payment_method_id": {"pm_card_visa"}}); p.Status == http.StatusSeeOther {
				t.Errorf("%s: joined a closed link", tt.name)
			}
			if h.countCalls(t, s) != before {
				t.Errorf("%s: a call was created", tt.name)
			}
		}
	})
}

func TestPayAndJoin(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := newHost(t, s, "janecoach", "Jane Smith")
		l := h.link(t, s, nil)
		b := s.browser(t)
		p := b.post("/c/"+l.ShortCode, url.Values{"guest_name": {"  Alex  "}, "payment_method_id": {"pm_card_visa"}})
		loc := p.Header.Get("Location")
		if p.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/call/") {
			t.Fatalf("pay and join = %d → %q:\n%s", p.Status, loc, p.Body)
		}
		id := strings.TrimPrefix(loc, "/call/")
		c, err := s.DB.CallByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != vidivo.CallWaiting || c.GuestName == nil || *c.GuestName != "Alex" || c.HostID != h.id || c.GuestUserID != nil {
			t.Errorf("call = %s, guest %v, host %s, user %v", c.Status, c.GuestName, c.HostID, c.GuestUserID)
		}
		ck := b.cookies["vidivo_guest"]
		if ck == nil || ck.Path != "/call/"+id || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge <= 0 {
			t.Fatalf("guest cookie = %+v; want HttpOnly, Secure, SameSite=Lax, Path=/call/%s", ck, id)
		}
		caller, err := s.Server.GuestTokens.Verify(ck.Value)
		if err != nil || caller != (vidivo.Caller{Subject: c.GuestID, Role: vidivo.RoleGuest, CallID: id}) {
			t.Errorf("guest cookie names %+v (%v), want the call's guest", caller, err)
		}
		if n := h.countCalls(t, s); n != 1 {
			t.Errorf("%d calls, want 1", n)
		}
		if p := b.get(loc); p.Status != http.StatusOK || !strings.Contains(p.Body, `data-call-status="waiting"`) {
			t.Errorf("GET %s = %d:\n%s", loc, p.Status, p.Body)
		}
	})
}

func TestDeclinedCardMakesNoCall(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := newHost(t, s, "janecoach", "Jane Smith")
		l := h.link(t, s, map[string]any{"max_uses": 1})
		tests := []struct {
			card, want string
		}{
			{"pm_card_chargeDeclined", "Your card was declined."},
			{"pm_card_insufficientFunds", "Your card has insufficient funds for the hold."},
		}
		for _, tt := range tests {
			b := s.browser(t)
			p := b.post("/c/"+l.ShortCode, url.Values{"guest_name": {"Alex"}, "payment_method_id": {tt.card}})
			if p.Status != http.StatusPaymentRequired || !strings.Contains(p.Body, tt.want) || !strings.Contains(p.Body, "No call was started") {
				t.Errorf("%s: = %d, want 402 with %q:\n%s", tt.card, p.Status, tt.want, p.Body)
			}
			// The form comes back as it was sent, ready for another card.
			if !strings.Contains(p.Body, `value="Alex"`) || !strings.Contains(p.Body, `<option value="`+tt.card+`" selected>`) {
				t.Errorf("%s: the form lost what was typed", tt.card)
			}
			if b.cookies["vidivo_guest"] != nil {
				t.Errorf("%s: a guest cookie was set", tt.card)
			}
		}
		if n := h.countCalls(t, s); n != 0 {
			t.Errorf("%d calls after declined cards, want 0", n)
		}
		// Declines used none of the link's single use.
		if p := s.browser(t).post("/c/"+l.ShortCode, url.Values{"payment_method_id": {"pm_card_visa"}}); p.Status != http.StatusSeeOther {
			t.Errorf("a good card after declines = %d:\n%s", p.Status, p.Body)
		}
	})
}

func TestJoinFormRefusals(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := newHost(t, s, "janecoach", "Jane Smith")
		l := h.link(t, s, nil)
		tests := []struct {
			name   string
			form   url.Values
			csrf   bool
			status int
			want   string
		}{
			{"no CSRF token", url.Values{"payment_method_id": {"pm_card_visa"}, "csrf": {"forged"}}, false, http.StatusForbidden, "this form has expired"},
			{"no card", url.Values{"guest_name": {"Alex"}}, true, http.StatusBadRequest, "Choose a card: it is required."},
			{"name too long", url.Values{"guest_name": {strings.Repeat("a", 101)}, "payment_method_id": {"pm_card_visa"}}, true,
				http.StatusBadRequest, `id="guest_name-error"`},
			{"control characters", url.Values{"guest_name": {"Al\x00ex"}, "payment_method_id": {"pm_card_visa"}}, true,
				http.StatusBadRequest, "Please correct the form."},
		}
		for _, tt := range tests {
			b := s.browser(t)
			var p *page
			if tt.csrf {
				p = b.post("/c/"+l.ShortCode, tt.form)
			} else {
				b.csrf() // the browser has a token, but the form does not carry it
				p = b.do(http.MethodPost, "/c/"+l.ShortCode, tt.form, nil)
			}
			if p.Status != tt.status || !strings.Contains(p.Body, tt.want) {
				t.Errorf("%s: = %d, want %d with %q:\n%s", tt.name, p.Status, tt.status, tt.want, p.Body)
			}
		}
		if n := h.countCalls(t, s); n != 0 {
			t.Errorf("%d calls after refused forms, want 0", n)
		}
	})
}

// TestSignedInGuestJoinsAsThemselves: an account that joins is the call's
// guest by its session too, cookie or not.
func TestSignedInGuestJoinsAsThemselves(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		h := newHost(t, s, "janecoach", "Jane Smith")
		l := h.link(t, s, nil)
		b := s.browser(t)
		form := signupForm()
		form.Set("role", "client")
		form.Set("display_name", "Casey Client")
		form.Set("username", "casey")
		form.Set("email", "casey@example.com")
		if p := b.post("/signup", form); p.Status != http.StatusSeeOther {
			t.Fatalf("sign up = %d", p.Status)
		}
		if p := b.get("/c/" + l.ShortCode); !strings.Contains(p.Body, `value="Casey Client"`) {
			t.Errorf("the join page does not offer the account's name")
		}
		p := b.post("/c/"+l.ShortCode, url.Values{"guest_name": {"Casey"}, "payment_method_id": {"pm_card_visa"}})
		id := strings.TrimPrefix(p.Header.Get("Location"), "/call/")
		c, err := s.DB.CallByID(context.Background(), id)
		if err != nil {
			t.Fatalf("join = %d: %v", p.Status, err)
		}
		if want := me(t, s, b.cookies["vidivo_access"].Value); c.GuestUserID == nil || *c.GuestUserID != want {
			t.Errorf("call's guest account = %v, want %s", c.GuestUserID, want)
		}
		delete(b.cookies, "vidivo_guest")
		if p := b.get("/call/" + id); p.Status != http.StatusOK || !strings.Contains(p.Body, `data-role="guest"`) {
			t.Errorf("the account's own call without the guest cookie = %d", p.Status)
		}
	})
}

// TestJoinSharesThePublicLimit: paying through the page counts against the
// API's limit on anonymous joins, so the page is no way around it.
func TestJoinSharesThePublicLimit(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, engine, &apitest.Opts{PublicRateLimit: 2})
			h := newHost(t, s, "janecoach", "Jane Smith")
			l := h.link(t, s, nil)
			b := s.browser(t)
			form := url.Values{"payment_method_id": {"pm_card_chargeDeclined"}}
			for i := range 2 {
				if p := b.post("/c/"+l.ShortCode, form); p.Status != http.StatusPaymentRequired {
					t.Fatalf("join %d = %d, want the decline", i+1, p.Status)
				}
			}
			form.Set("payment_method_id", "pm_card_visa")
			p := b.post("/c/"+l.ShortCode, form)
			if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" || !strings.Contains(p.Body, "too many requests") {
				t.Errorf("third join in a minute = %d (Retry-After %q):\n%s", p.Status, p.Header.Get("Retry-After"), p.Body)
			}
			if n := h.countCalls(t, s); n != 0 {
				t.Errorf("%d calls, want none", n)
			}
		})
	}
}
