package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/billing"
)

// paidHost signs up a host and connects payouts through the API.
func paidHost(t *testing.T, e *apitest.Env, username string) session {
	t.Helper()
	s := mustSignup(t, e, username, "host")
	var st struct {
		Connected bool `json:"connected"`
	}
	e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me/payouts", Token: s.AccessToken}).Decode(t, &st)
	if st.Connected {
		t.Fatal("a new host is connected before onboarding")
	}
	var ob struct {
		URL string `json:"url"`
	}
	e.Do(apitest.Req{Method: "POST", Path: "/v1/users/me/payouts/onboarding", Token: s.AccessToken}).Decode(t, &ob)
	if ob.URL == "" {
		t.Fatal("onboarding gave no url")
	}
	e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me/payouts", Token: s.AccessToken}).Decode(t, &st)
	if !st.Connected {
		t.Fatal("sandbox onboarding did not connect payouts")
	}
	return s
}

type joined struct {
	Call struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Host   struct {
			ID          string `json:"id"`
			DisplayName string `json:"display_name"`
		} `json:"host"`
		ShortCode         string `json:"short_code"`
		RatePerMinute     string `json:"rate_per_minute"`
		WindowSizeMinutes int    `json:"window_size_minutes"`
	} `json:"call"`
	SignalingToken  string `json:"signaling_token"`
	TURNCredentials struct {
		URLs       []string `json:"urls"`
		Username   string   `json:"username"`
		Credential string   `json:"credential"`
	} `json:"turn_credentials"`
	GuestToken string `json:"guest_token"`
}

type ended struct {
	Call struct {
		ID              string `json:"id"`
		Status          string `json:"status"`
		DurationSeconds int64  `json:"duration_seconds"`
		BilledMinutes   int64  `json:"billed_minutes"`
		TotalCharged    string `json:"total_charged"`
		Currency        string `json:"currency"`
		EndedAt         string `json:"ended_at"`
	} `json:"call"`
}

func join(e *apitest.Env, code, pm, key string) *apitest.Response {
	r := apitest.Req{Method: "POST", Path: "/v1/calls/join/" + code, Body: map[string]any{"payment_method_id": pm, "guest_name": "Alex"}}
	if key != "" {
		r.Header = http.Header{"X-Idempotency-Key": {key}}
	}
	return e.Do(r)
}

func mustJoin(t *testing.T, e *apitest.Env, code string) joined {
	t.Helper()
	resp := join(e, code, "pm_card_visa", "")
	resp.WantStatus(t, http.StatusCreated)
	var j joined
	resp.Decode(t, &j)
	return j
}

func endCall(e *apitest.Env, tok, id, reason, key string) *apitest.Response {
	r := apitest.Req{Method: "POST", Path: "/v1/calls/" + id + "/end", Token: tok, Body: map[string]any{"reason": reason}}
	if key != "" {
		r.Header = http.Header{"X-Idempotency-Key": {key}}
	}
	return e.Do(r)
}

// money checks the invariant of an ended call: what the gateway captured
// equals total_charged, every capture happened once, and no hold is open.
func money(t *testing.T, e *apitest.Env, callID string) (captured vidivo.Money) {
	t.Helper()
	ctx := context.Background()
	c, err := e.DB.CallByID(ctx, callID)
	if err != nil {
		t.Fatal(err)
	}
	charges, err := e.DB.Charges(ctx, callID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range charges {
		if ch.State == vidivo.ChargePending {
			t.Errorf("ledger entry %s %d still pending", ch.Kind, ch.Window)
		}
		if ch.Kind != vidivo.ChargeHold || ch.State != vidivo.ChargeSucceeded {
			continue
		}
		_, got, status, err := e.DB.SandboxHold(ctx, ch.GatewayID)
		if err != nil {
			t.Fatal(err)
		}
		if status == "requires_capture" {
			t.Errorf("hold of window %d is still open", ch.Window)
		}
		captured += got
	}
	if c.Status.Ended() && captured != c.TotalCharged {
		t.Errorf("captured %v, but total_charged is %v", captured, c.TotalCharged)
	}
	return captured
}

// openStream opens the host's notification stream and returns its events.
func openStream(t *testing.T, e *apitest.Env, tok string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.URL+"/v1/notifications/stream", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan string, 16)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				events <- name + " " + strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return events
}

func waitStatus(t *testing.T, e *apitest.Env, id string, want vidivo.CallStatus) {
	t.Helper()
	for range 200 {
		c, err := e.DB.CallByID(context.Background(), id)
		if err == nil && c.Status == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("call %s never became %s", id, want)
}

func TestCallFlow(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		ctx := context.Background()
		host := paidHost(t, e, "janecoach")
		link := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10})
		events := openStream(t, e, host.AccessToken)

		resp := join(e, link.ShortCode, "pm_card_visa", "join-key-1")
		resp.WantStatus(t, http.StatusCreated)
		var j joined
		resp.Decode(t, &j)
		c := j.Call
		if c.Status != "waiting" || c.Host.ID != host.User.ID || c.Host.DisplayName != "Jane Smith" || c.RatePerMinute != "2.50" ||
			c.WindowSizeMinutes != 10 || c.ShortCode != link.ShortCode {
			t.Errorf("joined call = %+v", c)
		}
		if !strings.HasPrefix(j.SignalingToken, "st_") || j.GuestToken == "" || len(j.TURNCredentials.URLs) == 0 ||
			!strings.Contains(j.TURNCredentials.Username, ":") || j.TURNCredentials.Credential == "" {
			t.Errorf("join credentials = %+v", j)
		}
		// Replaying the join returns the same call and places no second hold.
		var again joined
		join(e, link.ShortCode, "pm_card_visa", "join-key-1").Decode(t, &again)
		if again.Call.ID != c.ID {
			t.Errorf("replayed join made call %s, want %s", again.Call.ID, c.ID)
		}
		join(e, link.ShortCode, "pm_card_mastercard", "join-key-1").WantError(t, http.StatusConflict, "conflict")

		// The host is rung at once; delivery moves the call to ringing.
		select {
		case ev := <-events:
			var in struct {
				CallID        string `json:"call_id"`
				GuestName     string `json:"guest_name"`
				RatePerMinute string `json:"rate_per_minute"`
			}
			name, data, _ := strings.Cut(ev, " ")
			json.Unmarshal([]byte(data), &in)
			if name != "call.incoming" || in.CallID != c.ID || in.GuestName != "Alex" || in.RatePerMinute != "2.50" {
				t.Errorf("event = %s", ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the host was not rung")
		}
		waitStatus(t, e, c.ID, vidivo.CallRinging)

		// The guest's token reads the call; the host joins.
		e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/" + c.ID, Token: j.GuestToken}).WantStatus(t, http.StatusOK)
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + c.ID + "/host-join", Token: j.GuestToken}).WantError(t, http.StatusForbidden, "forbidden")
		resp = e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + c.ID + "/host-join", Token: host.AccessToken})
		resp.WantStatus(t, http.StatusCreated)
		var hj joined
		resp.Decode(t, &hj)
		if hj.Call.Status != "active" || !strings.HasPrefix(hj.SignalingToken, "st_") || !strings.HasSuffix(hj.TURNCredentials.Username, ":"+host.User.ID) {
			t.Errorf("host-join = %+v", hj)
		}
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + c.ID + "/host-join", Token: host.AccessToken}).WantError(t, http.StatusConflict, "conflict")

		// Nine minutes in, window 1 is held; the renewal after it is queued.
		e.Clock.Add(9 * time.Minute)
		if err := e.Calls.RenewHold(ctx, c.ID, 1); err != nil {
			t.Fatal(err)
		}
		if err := e.Calls.RenewHold(ctx, c.ID, 1); err != nil { // a retried job
			t.Fatal(err)
		}
		e.Clock.Add(3*time.Minute + 30*time.Second)

		resp = endCall(e, j.GuestToken, c.ID, "user_ended", "end-key-1")
		resp.WantStatus(t, http.StatusOK)
		var end ended
		resp.Decode(t, &end)
		want := end
		want.Call.ID, want.Call.Status, want.Call.DurationSeconds, want.Call.BilledMinutes = c.ID, "completed", 750, 13
		want.Call.TotalCharged, want.Call.Currency = "32.50", "usd"
		if end != want || end.Call.EndedAt == "" {
			t.Errorf("end = %+v, want %+v", end, want)
		}
		replay := endCall(e, j.GuestToken, c.ID, "user_ended", "end-key-1")
		if string(replay.Body) != string(resp.Body) || replay.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replayed end = %s", replay.Body)
		}
		endCall(e, j.GuestToken, c.ID, "timeout", "end-key-1").WantError(t, http.StatusConflict, "conflict")
		endCall(e, host.AccessToken, c.ID, "host_ended", "").WantError(t, http.StatusConflict, "conflict")

		if got := money(t, e, c.ID); got != 3250 {
			t.Errorf("captured %v, want 32.50", got)
		}
		var full struct {
			Call struct {
				Status  string `json:"status"`
				Charges []struct {
					Kind   string `json:"kind"`
					Window int    `json:"window"`
					Amount string `json:"amount"`
					State  string `json:"state"`
				} `json:"charges"`
			} `json:"call"`
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/" + c.ID, Token: host.AccessToken}).Decode(t, &full)
		var ledger []string
		for _, ch := range full.Call.Charges {
			ledger = append(ledger, ch.Kind+"/"+ch.Amount+"/"+ch.State)
		}
		if got := strings.Join(ledger, " "); got != "hold/25.00/succeeded hold/25.00/succeeded capture/25.00/succeeded capture/7.50/succeeded" {
			t.Errorf("ledger = %s", got)
		}

		var hist struct {
			Calls []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"calls"`
			Pagination struct{ Page, PerPage, Total int } `json:"pagination"`
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/history?status=completed", Token: host.AccessToken}).Decode(t, &hist)
		if len(hist.Calls) != 1 || hist.Calls[0].ID != c.ID || hist.Pagination.Total != 1 {
			t.Errorf("history = %+v", hist)
		}
	})
}

func TestJoinRefusals(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		link := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10, "max_uses": 1})

		// A declined first hold leaves nothing behind and counts no use.
		for _, pm := range []string{"pm_card_chargeDeclined", "pm_card_insufficientFunds"} {
			join(e, link.ShortCode, pm, "").WantError(t, http.StatusPaymentRequired, "stripe_error")
		}
		page, _ := e.DB.Calls(context.Background(), vidivo.CallFilter{UserID: host.User.ID, Page: 1, PerPage: 10})
		if page.Total != 0 {
			t.Errorf("%d calls left behind by declined holds", page.Total)
		}
		l, _ := e.DB.LinkByID(context.Background(), link.ID)
		if l.UseCount != 0 {
			t.Errorf("use_count = %d after declines", l.UseCount)
		}

		mustJoin(t, e, link.ShortCode)
		join(e, link.ShortCode, "pm_card_visa", "").WantError(t, http.StatusConflict, "conflict")
		join(e, "nosuchcode", "pm_card_visa", "").WantError(t, http.StatusNotFound, "not_found")
		expiring := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10, "expires_at": future(e, time.Hour)})
		later := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10,
			"scheduled_start": future(e, 3*time.Hour), "scheduled_end": future(e, 4*time.Hour)})
		open := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10})
		join(e, later.ShortCode, "pm_card_visa", "").WantError(t, http.StatusNotFound, "not_found")
		e.Clock.Add(2 * time.Hour)
		join(e, expiring.ShortCode, "pm_card_visa", "").WantError(t, http.StatusNotFound, "not_found")

		for name, body := range map[string]map[string]any{
			"no payment method":    {"guest_name": "Alex"},
			"empty payment method": {"payment_method_id": ""},
			"bad email":            {"payment_method_id": "pm_card_visa", "guest_email": "alex"},
			"unknown field":        {"payment_method_id": "pm_card_visa", "amount": 5},
			"name as number":       {"payment_method_id": "pm_card_visa", "guest_name": 7},
		} {
			eb := e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/join/" + open.ShortCode, Body: body}).WantError(t, http.StatusBadRequest, "validation_error")
			if len(eb.Error.Details) == 0 {
				t.Errorf("%s: no field named", name)
			}
		}
	})
}

func TestCallAccess(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	host := paidHost(t, e, "janecoach")
	other := paidHost(t, e, "otherhost")
	link := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10})
	j := mustJoin(t, e, link.ShortCode)
	j2 := mustJoin(t, e, link.ShortCode)

	e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/" + j.Call.ID, Token: other.AccessToken}).WantError(t, http.StatusForbidden, "forbidden")
	e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/" + j.Call.ID, Token: j2.GuestToken}).WantError(t, http.StatusForbidden, "forbidden")
	e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/" + j.Call.ID}).WantError(t, http.StatusUnauthorized, "unauthorized")
	e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/01JN2X6M0P5H9SRBTXY8ZDKEFG", Token: host.AccessToken}).WantError(t, http.StatusNotFound, "not_found")
	e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + j.Call.ID + "/host-join", Token: other.AccessToken}).WantError(t, http.StatusForbidden, "forbidden")
	endCall(e, other.AccessToken, j.Call.ID, "user_ended", "").WantError(t, http.StatusForbidden, "forbidden")
	endCall(e, j.GuestToken, j.Call.ID, "because", "").WantError(t, http.StatusBadRequest, "validation_error")
	endCall(e, j.GuestToken, "01JN2X6M0P5H9SRBTXY8ZDKEFG", "user_ended", "").WantError(t, http.StatusNotFound, "not_found")

	// Ending before the host joins charges nothing and gives the hold back.
	resp := endCall(e, j.GuestToken, j.Call.ID, "user_ended", "")
	var end ended
	resp.Decode(t, &end)
	if end.Call.Status != "completed" || end.Call.TotalCharged != "0.00" || end.Call.BilledMinutes != 0 {
		t.Errorf("early end = %+v", end)
	}
	if money(t, e, j.Call.ID) != 0 {
		t.Error("an unanswered call was charged")
	}
	for _, q := range []string{"status=lost", "page=0", "per_page=101", "per_page=x"} {
		e.Do(apitest.Req{Method: "GET", Path: "/v1/calls/history?" + q, Token: host.AccessToken}).WantError(t, http.StatusBadRequest, "validation_error")
	}
}

func TestRenewalDeclineFailsTheCall(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		ctx := context.Background()
		_, j := activeCall(t, e, "2.00", 10)

		e.Clock.Add(9*time.Minute + 10*time.Second)
		e.Gateway.FailNext(1, "hold", billing.KindDeclined)
		if err := e.Calls.RenewHold(ctx, j.Call.ID, 1); err != nil {
			t.Fatal(err)
		}
		c, _ := e.DB.CallByID(ctx, j.Call.ID)
		if c.Status != vidivo.CallFailed || *c.EndReason != vidivo.EndBillingError || c.BilledMinutes != 10 || c.TotalCharged != 2000 {
			t.Errorf("after a declined renewal: %s %v, %d min, %v", c.Status, deref(c.EndReason), c.BilledMinutes, c.TotalCharged)
		}
		if money(t, e, j.Call.ID) != 2000 {
			t.Error("charged other than the time used")
		}
	})
}

// activeCall sets up a host with a link at rate and window, an anonymous
// guest who joined, and the host joined: a call whose timer is running.
func activeCall(t *testing.T, e *apitest.Env, rate string, window int) (session, joined) {
	t.Helper()
	host := paidHost(t, e, "janecoach")
	link := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": rate, "window_size_minutes": window})
	j := mustJoin(t, e, link.ShortCode)
	e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + j.Call.ID + "/host-join", Token: host.AccessToken}).WantStatus(t, http.StatusCreated)
	return host, j
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestGatewayFailureOnCaptureIsRetried(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		ctx := context.Background()
		_, j := activeCall(t, e, "1.00", 10)
		e.Clock.Add(4 * time.Minute)

		e.Gateway.FailNext(2, "capture", billing.KindTemporary)
		var end ended
		endCall(e, j.GuestToken, j.Call.ID, "user_ended", "").Decode(t, &end)
		if end.Call.TotalCharged != "4.00" {
			t.Errorf("end = %+v", end)
		}
		if err := e.Calls.Settle(ctx, j.Call.ID); err == nil {
			t.Error("settle succeeded through an injected failure")
		}
		if err := e.Calls.Settle(ctx, j.Call.ID); err != nil {
			t.Fatalf("settle retry: %v", err)
		}
		if err := e.Calls.Settle(ctx, j.Call.ID); err != nil { // once more: nothing left
			t.Fatal(err)
		}
		if money(t, e, j.Call.ID) != 400 {
			t.Error("wrong capture after retries")
		}
		charges, _ := e.DB.Charges(ctx, j.Call.ID)
		captures := 0
		for _, ch := range charges {
			if ch.Kind == vidivo.ChargeCapture {
				captures++
			}
		}
		if captures != 1 {
			t.Errorf("%d captures in the ledger, want 1", captures)
		}
	})
}

func TestRacingEnds(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host, j := activeCall(t, e, "2.50", 10)
		e.Clock.Add(2 * time.Minute)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			statuses = map[int]int{}
		)
		for i := range 8 {
			tok := j.GuestToken
			if i%2 == 1 {
				tok = host.AccessToken
			}
			wg.Go(func() {
				resp := endCall(e, tok, j.Call.ID, "user_ended", "")
				mu.Lock()
				statuses[resp.Status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if statuses[200] != 1 || statuses[409] != 7 {
			t.Errorf("racing ends answered %v, want one 200 and seven 409", statuses)
		}
		if money(t, e, j.Call.ID) != 500 {
			t.Error("racing ends charged other than once")
		}
	})
}

func TestHostNoShow(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		ctx := context.Background()
		host := paidHost(t, e, "janecoach")
		link := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10})
		j := mustJoin(t, e, link.ShortCode)

		e.Clock.Add(4 * time.Minute)
		if err := e.Calls.NoShow(ctx, j.Call.ID); err == nil {
			t.Error("a no-show check before 5 minutes did not ask to be retried")
		}
		e.Clock.Add(time.Minute)
		if err := e.Calls.NoShow(ctx, j.Call.ID); err != nil {
			t.Fatal(err)
		}
		c, _ := e.DB.CallByID(ctx, j.Call.ID)
		if c.Status != vidivo.CallMissed || c.TotalCharged != 0 {
			t.Errorf("no-show left the call %s, charged %v", c.Status, c.TotalCharged)
		}
		if money(t, e, j.Call.ID) != 0 {
			t.Error("a missed call was charged")
		}
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + j.Call.ID + "/host-join", Token: host.AccessToken}).WantError(t, http.StatusConflict, "conflict")
	})
}

func TestReconcileAfterCrash(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		ctx := context.Background()
		host := paidHost(t, e, "janecoach")
		link := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "1.00", "window_size_minutes": 5})

		// A call mid-renewal when the process died: the renewal hold is
		// pending (the gateway's answer was lost).
		j := mustJoin(t, e, link.ShortCode)
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + j.Call.ID + "/host-join", Token: host.AccessToken}).WantStatus(t, http.StatusCreated)
		e.Clock.Add(4 * time.Minute)
		e.Gateway.FailNext(1, "hold", billing.KindTemporary)
		if err := e.Calls.RenewHold(ctx, j.Call.ID, 1); err == nil {
			t.Fatal("the injected renewal failure was not reported")
		}

		// A guest whose hold was placed but whose call was never recorded.
		orphan := &vidivo.Charge{CallID: "01JN2X6M0P5H9SRBTXY8ZDKEFG", Kind: vidivo.ChargeHold, Amount: 500,
			IdempotencyKey: "call/01JN2X6M0P5H9SRBTXY8ZDKEFG/hold/0", Hold: &vidivo.HoldDetails{PaymentMethodID: "pm_card_visa"}}
		if err := e.DB.AddCharge(ctx, orphan); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Gateway.Hold(ctx, billing.HoldRequest{IdempotencyKey: orphan.IdempotencyKey, Amount: 500, PaymentMethodID: "pm_card_visa"}); err != nil {
			t.Fatal(err)
		}

		// Restart much later: nothing renewed the call in between.
		e.Clock.Add(20 * time.Minute)
		for range 2 { // reconciling twice changes nothing more
			if err := e.Calls.Reconcile(ctx); err != nil {
				t.Fatalf("reconcile: %v", err)
			}
		}
		c, _ := e.DB.CallByID(ctx, j.Call.ID)
		// The pending renewal was found placed, so 10 minutes were covered:
		// the call ends there, not at the restart.
		if c.Status != vidivo.CallCompleted || *c.EndReason != vidivo.EndTimeout || c.DurationSeconds != 600 || c.TotalCharged != 1000 {
			t.Errorf("reconciled call: %s %s %ds %v", c.Status, deref(c.EndReason), c.DurationSeconds, c.TotalCharged)
		}
		if money(t, e, j.Call.ID) != 1000 {
			t.Error("reconciled call charged wrongly")
		}
		orphans, _ := e.DB.Charges(ctx, orphan.CallID)
		states := ""
		for _, ch := range orphans {
			states += string(ch.Kind) + "/" + string(ch.State) + " "
		}
		if states != "hold/succeeded release/succeeded " {
			t.Errorf("orphan hold ledger = %q, want it released", states)
		}
		pending, _ := e.DB.PendingCharges(ctx)
		if len(pending) != 0 {
			t.Errorf("%d ledger entries still pending", len(pending))
		}
	})
}

// TestRenewalRacingEnd places a renewal hold for a call that ended while
// the hold was in flight: the late hold must be released, not left open.
func TestRenewalRacingEnd(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	ctx := context.Background()
	_, j := activeCall(t, e, "1.00", 10)
	e.Clock.Add(9 * time.Minute)
	e.Gateway.BeforeNext("hold", func() {
		// The guest hangs up while the renewal is at the gateway.
		endCall(e, j.GuestToken, j.Call.ID, "user_ended", "").WantStatus(t, http.StatusOK)
	})
	if err := e.Calls.RenewHold(ctx, j.Call.ID, 1); err != nil {
		t.Fatal(err)
	}
	if money(t, e, j.Call.ID) != 900 {
		t.Error("wrong capture")
	}
}
