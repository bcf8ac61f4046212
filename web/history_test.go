package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calls"
)

func TestPayoutsOnboarding(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		b := s.signedUp(t, "Jane", vidivo.RoleHost)
		p := b.get("/settings/payouts")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, `data-status="none"`) || !strings.Contains(p.Body, ">Set up payouts<") {
			t.Fatalf("payouts before onboarding = %d:\n%s", p.Status, p.Body)
		}
		// The sandbox completes onboarding at once and returns to the page.
		p = b.post("/settings/payouts/onboarding", nil)
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/settings/payouts?done=1" {
			t.Fatalf("onboarding = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
		}
		p = b.get("/settings/payouts?done=1")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, `data-status="connected"`) || !strings.Contains(p.Body, "your payout account is ready") {
			t.Errorf("payouts after onboarding = %d:\n%s", p.Status, p.Body)
		}
		u, err := s.DB.UserByID(context.Background(), userID(t, s, "jane"))
		if err != nil {
			t.Fatal(err)
		}
		if !u.PayoutsConnected || u.PayoutAccountID == "" {
			t.Errorf("stored payouts = %v %q, want connected with an account", u.PayoutsConnected, u.PayoutAccountID)
		}
		// The API agrees: one rule for both.
		r, err := http.NewRequest(http.MethodGet, s.URL+"/v1/users/me/payouts", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+b.cookies["vidivo_access"].Value)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /v1/users/me/payouts = %d", resp.StatusCode)
		}

		// Payouts are a host's: a client is refused.
		client := s.signedUp(t, "Casey", vidivo.RoleClient)
		if p := client.get("/settings/payouts"); p.Status != http.StatusForbidden {
			t.Errorf("client payouts page = %d, want 403", p.Status)
		}
		if p := client.post("/settings/payouts/onboarding", nil); p.Status != http.StatusForbidden {
			t.Errorf("client onboarding = %d, want 403", p.Status)
		}
	})
}

// cell reads a history row's cell by its class.
func cell(t *testing.T, body, callID, class string) string {
	t.Helper()
	row := regexp.MustCompile(`(?s)<tr id="call-` + callID + `">(.*?)</tr>`).FindStringSubmatch(body)
	if row == nil {
		t.Fatalf("history has no row for call %s:\n%s", callID, body)
	}
	m := regexp.MustCompile(`<td class="num ` + class + `">([^<]*)</td>`).FindStringSubmatch(row[1])
	if m == nil {
		t.Fatalf("row of call %s has no %s cell:\n%s", callID, class, row[1])
	}
	return m[1]
}

func TestHistoryShowsEarningsAfterTheFee(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		s.Calls.PlatformFeePercent = 10
		b := s.host(t, "Jane")
		code := b.createLink(goodLink())
		ctx := context.Background()
		jane := vidivo.Caller{Subject: userID(t, s, "jane"), Role: vidivo.RoleHost}

		// 7 min 30 s at $2.50: 8 billed minutes, $20.00; the 10% fee is
		// $2.00, so Jane earns $18.00.
		paid := s.join(t, code, "Alex")
		if _, err := s.Calls.HostJoin(ctx, jane, paid.ID); err != nil {
			t.Fatal(err)
		}
		s.Clock.Add(7*time.Minute + 30*time.Second)
		if _, err := s.Calls.End(ctx, jane, paid.ID, vidivo.EndUserEnded); err != nil {
			t.Fatal(err)
		}
		// A 25 s call: 1 minute, $2.50; the fee rounds 25 cents half up.
		short := s.join(t, code, "Sam")
		if _, err := s.Calls.HostJoin(ctx, jane, short.ID); err != nil {
			t.Fatal(err)
		}
		s.Clock.Add(25 * time.Second)
		if _, err := s.Calls.End(ctx, jane, short.ID, vidivo.EndUserEnded); err != nil {
			t.Fatal(err)
		}
		declined := s.join(t, code, "Kim")
		if _, err := s.Calls.Decline(ctx, jane, declined.ID); err != nil {
			t.Fatal(err)
		}

		p := b.get("/dashboard/history")
		if p.Status != http.StatusOK {
			t.Fatalf("history = %d:\n%s", p.Status, p.Body)
		}
		for _, tc := range []struct{ id, class, want string }{
			{paid.ID, "duration", "7:30"}, {paid.ID, "minutes", "8"}, {paid.ID, "total", "$20.00"},
			{paid.ID, "fee", "$2.00"}, {paid.ID, "earnings", "$18.00"},
			{short.ID, "duration", "0:25"}, {short.ID, "minutes", "1"}, {short.ID, "total", "$2.50"},
			{short.ID, "fee", "$0.25"}, {short.ID, "earnings", "$2.25"},
			{declined.ID, "minutes", "0"}, {declined.ID, "total", "$0.00"}, {declined.ID, "earnings", "$0.00"},
		} {
			if got := cell(t, p.Body, tc.id, tc.class); got != tc.want {
				t.Errorf("call %s %s = %q, want %q", tc.id, tc.class, got, tc.want)
			}
		}
		for id, want := range map[string]string{"sum-minutes": "9", "sum-total": "$22.50", "sum-earnings": "$20.25"} {
			if !strings.Contains(p.Body, `id="`+id+`">`+want+`<`) {
				t.Errorf("%s is not %s", id, want)
			}
		}
		if !strings.Contains(p.Body, "platform fee of 10%") {
			t.Error("the history does not say the fee")
		}

		// A client who joined with their account sees the call and what
		// they paid, never the host's earnings.
		client := s.signedUp(t, "Casey", vidivo.RoleClient)
		name := "Casey"
		c, _, err := s.Calls.Join(ctx, calls.JoinRequest{ShortCode: code, PaymentMethodID: "pm_card_visa", GuestName: &name, UserID: userID(t, s, "casey")})
		if err != nil {
			t.Fatal(err)
		}
		p = client.get("/dashboard/history")
		if !strings.Contains(p.Body, `id="call-`+c.ID+`"`) || !strings.Contains(p.Body, "Jane <span class=\"muted\">(you paid)</span>") ||
			strings.Contains(p.Body, "Earnings") {
			t.Errorf("client history:\n%s", p.Body)
		}
		if p := client.get("/dashboard"); !strings.Contains(p.Body, "Jane") {
			t.Errorf("client dashboard does not list the call:\n%s", p.Body)
		}

		if p := b.get("/dashboard/history?page=0"); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "page") {
			t.Errorf("page=0 = %d, want a 400 page naming page", p.Status)
		}
		if p := b.get("/dashboard/history?page=abc"); p.Status != http.StatusBadRequest {
			t.Errorf("page=abc = %d, want 400", p.Status)
		}
	})
}

func TestHistoryPages(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		b := s.host(t, "Jane")
		code := b.createLink(goodLink())
		var ids []string
		for range 21 {
			ids = append(ids, s.join(t, code, "Alex").ID)
			s.Clock.Add(time.Second)
		}
		p := b.get("/dashboard/history")
		if !strings.Contains(p.Body, "Page 1 of 2 · 21 calls") || !strings.Contains(p.Body, `href="/dashboard/history?page=2"`) ||
			strings.Contains(p.Body, `id="call-`+ids[0]+`"`) || !strings.Contains(p.Body, `id="call-`+ids[20]+`"`) {
			t.Errorf("first page does not hold the 20 newest calls with a link to the next:\n%s", p.Body)
		}
		p = b.get("/dashboard/history?page=2")
		if !strings.Contains(p.Body, "Page 2 of 2") || !strings.Contains(p.Body, `id="call-`+ids[0]+`"`) ||
			strings.Contains(p.Body, `id="call-`+ids[1]+`"`) || !strings.Contains(p.Body, `href="/dashboard/history?page=1"`) {
			t.Errorf("second page does not hold the oldest call alone:\n%s", p.Body)
		}
		// Open calls have no totals yet.
		if got := cell(t, p.Body, ids[0], "total"); got != "—" {
			t.Errorf("an open call's total = %q, want —", got)
		}
	})
}
