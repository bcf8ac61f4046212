package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
)

func TestDashboardNeedsLogin(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		b := s.browser(t)
		for _, path := range []string{"/dashboard", "/dashboard/history?page=2", "/settings/payouts"} {
			p := b.get(path)
			want := "/login?next=" + strings.NewReplacer("/", "%2F", "?", "%3F", "=", "%3D").Replace(path)
			if p.Status != http.StatusSeeOther || p.Header.Get("Location") != want {
				t.Errorf("GET %s signed out = %d → %q, want 303 → %q", path, p.Status, p.Header.Get("Location"), want)
			}
		}
		for _, path := range []string{"/dashboard/events", "/dashboard/ringing"} {
			p := b.get(path)
			if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, `"code":"unauthorized"`) {
				t.Errorf("GET %s signed out = %d %s, want 401 JSON", path, p.Status, p.Body)
			}
		}
		// A client gets a page of their own, and no host controls.
		client := s.signedUp(t, "Casey", vidivo.RoleClient)
		p := client.get("/dashboard")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "Your calls") || strings.Contains(p.Body, "Create a link") {
			t.Errorf("client dashboard = %d:\n%s", p.Status, p.Body)
		}
		if p := client.post("/dashboard/links", goodLink()); p.Status != http.StatusForbidden {
			t.Errorf("client creates a link = %d, want 403", p.Status)
		}
		if p := client.get("/dashboard/events"); p.Status != http.StatusForbidden {
			t.Errorf("client event stream = %d, want 403", p.Status)
		}
	})
}

func TestDashboardLinks(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		b := s.host(t, "Jane")
		code := b.createLink(goodLink())
		p := b.get("/dashboard")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, `id="link-`+code+`"`) ||
			!strings.Contains(p.Body, `value="`+"https://"+strings.TrimPrefix(s.Pages.PublicURL, "https://")+"/c/"+code+`"`) ||
			!strings.Contains(p.Body, "$2.50 a minute") || !strings.Contains(p.Body, ">Copy link<") {
			t.Fatalf("the dashboard does not list the new link with its URL and a copy button:\n%s", p.Body)
		}
		l, err := s.DB.LinkByShortCode(context.Background(), code)
		if err != nil {
			t.Fatal(err)
		}
		if l.Rate != 250 || l.WindowMinutes != 10 || l.Label == nil || *l.Label != "Coaching" || l.MaxUses != nil || l.ExpiresAt != nil {
			t.Errorf("stored link = %+v", l)
		}

		// Another host can neither see nor delete it.
		other := s.host(t, "Omar")
		if p := other.get("/dashboard"); strings.Contains(p.Body, code) {
			t.Error("another host's dashboard lists the link")
		}
		if p := other.post("/dashboard/links/"+l.ID+"/delete", nil); p.Status != http.StatusForbidden {
			t.Errorf("another host deletes the link = %d, want 403", p.Status)
		}
		if p := b.post("/dashboard/links/not-an-id/delete", nil); p.Status != http.StatusNotFound {
			t.Errorf("delete a malformed id = %d, want 404", p.Status)
		}
		p = b.post("/dashboard/links/"+l.ID+"/delete", nil)
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/dashboard?done=deleted#links" {
			t.Fatalf("delete = %d → %q", p.Status, p.Header.Get("Location"))
		}
		if l, _ := s.DB.LinkByShortCode(context.Background(), code); l.Active {
			t.Error("the deleted link is still active")
		}
		if p := b.get("/dashboard?done=deleted"); strings.Contains(p.Body, `id="link-`+code+`"`) || !strings.Contains(p.Body, "The link was deleted") {
			t.Error("the dashboard still lists the deleted link, or says nothing")
		}
		if p := b.post("/dashboard/links/"+l.ID+"/delete", nil); p.Status != http.StatusNotFound {
			t.Errorf("delete twice = %d, want 404", p.Status)
		}
	})
}

func TestDashboardLinkFormRefusesBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		set   map[string]string
		field string
	}{
		{"no rate", map[string]string{"rate_per_minute": ""}, "rate_per_minute"},
		{"rate with three decimals", map[string]string{"rate_per_minute": "2.505"}, "rate_per_minute"},
		{"rate too low", map[string]string{"rate_per_minute": "0.10"}, "rate_per_minute"},
		{"rate with exponent", map[string]string{"rate_per_minute": "1e2"}, "rate_per_minute"},
		{"window zero", map[string]string{"window_size_minutes": "0"}, "window_size_minutes"},
		{"window too long", map[string]string{"window_size_minutes": "61"}, "window_size_minutes"},
		{"window not a number", map[string]string{"window_size_minutes": "ten"}, "window_size_minutes"},
		{"expiry in the past", map[string]string{"expires_at": "2001-01-01T10:00"}, "expires_at"},
		{"expiry not a time", map[string]string{"expires_at": "tomorrow"}, "expires_at"},
		{"expiry with a bad offset", map[string]string{"expires_at": "2999-01-01T10:00", "tz_offset": "east"}, "expires_at"},
		{"max uses zero", map[string]string{"max_uses": "0"}, "max_uses"},
		{"max uses not a number", map[string]string{"max_uses": "many"}, "max_uses"},
		{"max uses too many", map[string]string{"max_uses": "1000001"}, "max_uses"},
		{"label too long", map[string]string{"label": strings.Repeat("x", 121)}, "label"},
		{"label with NUL", map[string]string{"label": "a\x00b"}, "label"},
	}
	forEngine(t, func(t *testing.T, s *site) {
		b := s.host(t, "Jane")
		for _, tt := range tests {
			form := goodLink()
			for k, v := range tt.set {
				form.Set(k, v)
			}
			p := b.post("/dashboard/links", form)
			if p.Status != http.StatusBadRequest {
				t.Errorf("%s: status = %d, want 400", tt.name, p.Status)
			}
			if !strings.Contains(p.Body, `id="`+tt.field+`-error"`) || !strings.Contains(p.Body, `aria-describedby="`+tt.field+`-hint `+tt.field+`-error"`) ||
				!strings.Contains(p.Body, `role="alert" id="link-error"`) {
				t.Errorf("%s: no error beside %s (aria-describedby, aria-invalid):\n%s", tt.name, tt.field, p.Body)
			}
		}
		// One submission reports every bad field.
		form := goodLink()
		form.Set("rate_per_minute", "abc")
		form.Set("window_size_minutes", "x")
		form.Set("max_uses", "0")
		p := b.post("/dashboard/links", form)
		for _, f := range []string{"rate_per_minute", "window_size_minutes", "max_uses"} {
			if !strings.Contains(p.Body, `id="`+f+`-error"`) {
				t.Errorf("several bad fields: %s not reported", f)
			}
		}
		if !strings.Contains(p.Body, `value="abc"`) {
			t.Error("the form does not keep what was typed")
		}
		// Nothing was written.
		page, err := s.DB.Links(context.Background(), vidivo.LinkFilter{HostID: userID(t, s, "jane"), Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Links) != 0 {
			t.Errorf("refused forms stored %d links", len(page.Links))
		}

		// An expiry in the browser's time zone is stored in UTC.
		form = goodLink()
		form.Set("expires_at", "2999-06-01T10:00")
		form.Set("tz_offset", "-120") // UTC+2
		code := b.createLink(form)
		l, err := s.DB.LinkByShortCode(context.Background(), code)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.ExpiresAt.UTC().Format("2006-01-02T15:04"); got != "2999-06-01T08:00" {
			t.Errorf("expiry = %s, want 2999-06-01T08:00 UTC", got)
		}

		// A host without payouts is told to set them up, with 402.
		np := s.signedUp(t, "Nadia", vidivo.RoleHost)
		p = np.post("/dashboard/links", goodLink())
		if p.Status != http.StatusPaymentRequired || !strings.Contains(p.Body, "connect your payouts") || !strings.Contains(p.Body, `href="/settings/payouts"`) {
			t.Errorf("link without payouts = %d:\n%s", p.Status, p.Body)
		}
	})
}

// userID is the id of the account with login.
func userID(t *testing.T, s *site, login string) string {
	t.Helper()
	u, _, err := s.DB.UserByLogin(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestDashboardRingsAnswerAndDecline(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		b := s.host(t, "Jane")
		code := b.createLink(goodLink())
		stream := b.events("/dashboard/events")
		if stream.resp.StatusCode != http.StatusOK || !strings.HasPrefix(stream.resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("event stream = %d %q", stream.resp.StatusCode, stream.resp.Header.Get("Content-Type"))
		}

		c := s.join(t, code, "Alex")
		name, data := stream.next()
		var got map[string]any
		if err := json.Unmarshal([]byte(data), &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"call_id": c.ID, "guest_name": "Alex", "rate_per_minute": "2.50", "window_size_minutes": float64(10), "short_code": code}
		if name != "call.incoming" || !cmp.Equal(want, got) {
			t.Fatalf("event %q (-want +got):\n%s", name, cmp.Diff(want, got))
		}
		s.waitStatus(t, c.ID, vidivo.CallRinging)

		// The dashboard, loaded now, shows the ringing call's buttons.
		p := b.get("/dashboard")
		if !strings.Contains(p.Body, `data-call-id="`+c.ID+`"`) || !strings.Contains(p.Body, ">Answer<") || !strings.Contains(p.Body, ">Decline<") ||
			!strings.Contains(p.Body, "Alex") {
			t.Errorf("dashboard does not offer Answer and Decline for the ringing call:\n%s", p.Body)
		}
		p = b.get("/dashboard/ringing")
		if !strings.Contains(p.Body, `"call_id":"`+c.ID+`"`) {
			t.Errorf("ringing list = %s", p.Body)
		}

		// Another host can neither answer nor decline it.
		other := s.host(t, "Omar")
		if p := other.post("/dashboard/calls/"+c.ID+"/answer", nil); p.Status != http.StatusForbidden {
			t.Errorf("another host answers = %d, want 403", p.Status)
		}
		if p := other.post("/dashboard/calls/"+c.ID+"/decline", nil); p.Status != http.StatusForbidden {
			t.Errorf("another host declines = %d, want 403", p.Status)
		}

		p = b.post("/dashboard/calls/"+c.ID+"/answer", nil)
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/call/"+c.ID {
			t.Fatalf("answer = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
		}
		if st := s.call(t, c.ID).Status; st != vidivo.CallActive {
			t.Errorf("answered call is %s, want active", st)
		}
		// An answered call cannot be declined (nor answered again).
		if p := b.post("/dashboard/calls/"+c.ID+"/decline", nil); p.Status != http.StatusConflict || !strings.Contains(p.Body, "can no longer be answered") {
			t.Errorf("decline an active call = %d, want 409 with a message", p.Status)
		}
		if st := s.call(t, c.ID).Status; st != vidivo.CallActive {
			t.Errorf("a refused decline moved the call to %s", st)
		}

		// A second guest rings; the host declines.
		d := s.join(t, code, "Sam")
		if name, data := stream.next(); name != "call.incoming" || !strings.Contains(data, d.ID) {
			t.Fatalf("second event %q %s", name, data)
		}
		s.waitStatus(t, d.ID, vidivo.CallRinging)
		p = b.post("/dashboard/calls/"+d.ID+"/decline", nil)
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/dashboard?done=declined" {
			t.Fatalf("decline = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
		}
		declined := s.call(t, d.ID)
		if declined.Status != vidivo.CallMissed || declined.EndReason == nil || *declined.EndReason != vidivo.EndDeclined ||
			declined.TotalCharged != 0 || declined.BilledMinutes != 0 {
			t.Errorf("declined call = %s %v total %v minutes %d, want missed/declined with nothing charged",
				declined.Status, declined.EndReason, declined.TotalCharged, declined.BilledMinutes)
		}
		assertHoldsReleased(t, s, d.ID)
		if p := b.post("/dashboard/calls/"+d.ID+"/answer", nil); p.Status != http.StatusConflict {
			t.Errorf("answer a declined call = %d, want 409", p.Status)
		}
	})
}

// assertHoldsReleased checks a call's ledger: every hold released in
// full, nothing captured.
func assertHoldsReleased(t *testing.T, s *site, callID string) {
	t.Helper()
	charges, err := s.DB.Charges(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}
	held, released := map[int]vidivo.Money{}, map[int]vidivo.Money{}
	for _, ch := range charges {
		switch {
		case ch.Kind == vidivo.ChargeCapture:
			t.Errorf("a declined call has a capture of %v", ch.Amount)
		case ch.State != vidivo.ChargeSucceeded:
			t.Errorf("ledger entry %s/%d is %s", ch.Kind, ch.Window, ch.State)
		case ch.Kind == vidivo.ChargeHold:
			held[ch.Window] += ch.Amount
		case ch.Kind == vidivo.ChargeRelease:
			released[ch.Window] += ch.Amount
		}
	}
	if len(held) == 0 || !cmp.Equal(held, released) {
		t.Errorf("holds %v, releases %v: want every hold released", held, released)
	}
}

func TestDashboardFormsNeedTheirCSRFToken(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		b := s.host(t, "Jane")
		code := b.createLink(goodLink())
		l, err := s.DB.LinkByShortCode(context.Background(), code)
		if err != nil {
			t.Fatal(err)
		}
		c := s.join(t, code, "Alex")
		fresh := s.signedUp(t, "Nadia", vidivo.RoleHost)
		tests := []struct {
			name, path string
			b          *browser
			form       url.Values
		}{
			{"answer", "/dashboard/calls/" + c.ID + "/answer", b, nil},
			{"decline", "/dashboard/calls/" + c.ID + "/decline", b, nil},
			{"create link", "/dashboard/links", b, goodLink()},
			{"delete link", "/dashboard/links/" + l.ID + "/delete", b, nil},
			{"payouts onboarding", "/settings/payouts/onboarding", fresh, nil},
		}
		for _, tt := range tests {
			for _, token := range []string{"", "forged"} {
				form := url.Values{"csrf": {token}}
				for k, v := range tt.form {
					form[k] = v
				}
				if token == "" {
					form.Del("csrf")
				}
				p := tt.b.do(http.MethodPost, tt.path, form, nil)
				if p.Status != http.StatusForbidden {
					t.Errorf("%s with CSRF token %q = %d, want 403", tt.name, token, p.Status)
				}
			}
		}
		// Nothing happened.
		if st := s.call(t, c.ID).Status; st != vidivo.CallWaiting {
			t.Errorf("the call is %s, want waiting", st)
		}
		page, err := s.DB.Links(context.Background(), vidivo.LinkFilter{HostID: userID(t, s, "jane"), Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Links) != 1 || !page.Links[0].Active {
			t.Errorf("refused forms changed the links: %d stored, want the one active link", len(page.Links))
		}
		if u, _ := s.DB.UserByID(context.Background(), userID(t, s, "nadia")); u.PayoutAccountID != "" {
			t.Error("a refused onboarding form started onboarding")
		}
	})
}
