package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
)

type sessionParticipantObj struct {
	ParticipantID string  `json:"participant_id"`
	DisplayName   string  `json:"display_name"`
	Role          string  `json:"role"`
	Email         *string `json:"email"`
	Paid          bool    `json:"paid"`
	Fee           *struct {
		Amount string `json:"amount"`
	} `json:"fee"`
	Payment *struct {
		Status      string `json:"status"`
		Amount      string `json:"amount"`
		PlatformFee string `json:"platform_fee"`
		HostPayout  string `json:"host_payout"`
	} `json:"payment"`
	EntryURL string `json:"entry_url"`
}

type sessionObj struct {
	ID           string                  `json:"id"`
	State        string                  `json:"state"`
	Sequence     int                     `json:"sequence"`
	StartTime    string                  `json:"start_time"`
	Participants []sessionParticipantObj `json:"participants"`
}

type entryObj struct {
	Session struct {
		ID    string `json:"id"`
		State string `json:"state"`
	} `json:"session"`
	Participant sessionParticipantObj `json:"participant"`
}

// sessionFixture is a host with payouts and one scheduled session: the
// host, a guest with a $25.00 fee and a free guest, an hour from start.
type sessionFixture struct {
	host  session
	start time.Time
	sess  sessionObj
	// tokens are the participants' entry tokens, in order.
	tokens []string
}

func sessionBody(start time.Time, participants ...map[string]any) map[string]any {
	return map[string]any{"session_name": "Consultation", "start_time": start.Format(time.RFC3339),
		"end_time": start.Add(time.Hour).Format(time.RFC3339), "participants": participants}
}

func threeParticipants(hostEmail string) []map[string]any {
	return []map[string]any{
		{"display_name": "Dr Smith", "role": "host", "email": hostEmail},
		{"display_name": "Pat", "role": "guest", "email": "pat@example.com", "fee": map[string]any{"amount": "25", "currency": "usd"}},
		{"display_name": "Sam", "role": "guest"},
	}
}

func entryToken(t *testing.T, entryURL string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(entryURL, apitest.PublicURL+"/s/")
	if !ok || len(tok) < 22 {
		t.Fatalf("entry_url %q is not {PublicURL}/s/{token}", entryURL)
	}
	return tok
}

func newSessionFixture(t *testing.T, e *apitest.Env, username string) *sessionFixture {
	t.Helper()
	f := &sessionFixture{host: paidHost(t, e, username), start: e.Clock.Now().Add(24 * time.Hour).Truncate(time.Minute)}
	f.sess = mustCreateSession(t, e, f.host.AccessToken, sessionBody(f.start, threeParticipants(f.host.User.Email)...))
	for _, p := range f.sess.Participants {
		f.tokens = append(f.tokens, entryToken(t, p.EntryURL))
	}
	return f
}

func mustCreateSession(t *testing.T, e *apitest.Env, tok string, body map[string]any) sessionObj {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/sessions", Token: tok, Body: body})
	resp.WantStatus(t, http.StatusCreated)
	var out struct {
		Resource sessionObj `json:"resource"`
	}
	resp.Decode(t, &out)
	return out.Resource
}

func entryPath(tok, rest string) string { return "/v1/sessions/entry/" + tok + rest }

func TestSessionCreate(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		f := newSessionFixture(t, e, "drsmith")
		if len(f.sess.Participants) != 3 || f.sess.State != "scheduled" || f.sess.Sequence != 0 {
			t.Fatalf("session = %+v", f.sess)
		}
		seen := map[string]bool{}
		for _, tok := range f.tokens {
			if seen[tok] {
				t.Fatal("two participants share an entry URL")
			}
			seen[tok] = true
		}
		var ent entryObj
		e.Do(apitest.Req{Method: "GET", Path: entryPath(f.tokens[1], "")}).Decode(t, &ent)
		if ent.Session.ID != f.sess.ID || ent.Participant.ParticipantID != f.sess.Participants[1].ParticipantID ||
			ent.Participant.Paid || ent.Participant.Fee == nil || ent.Participant.Fee.Amount != "25.00" || ent.Participant.EntryURL != "" {
			t.Fatalf("entry = %+v", ent)
		}
		// Clients do not schedule sessions.
		client := mustSignup(t, e, "aclient", "client")
		e.Do(apitest.Req{Method: "POST", Path: "/v1/sessions", Token: client.AccessToken,
			Body: sessionBody(f.start, threeParticipants("x@example.com")...)}).WantError(t, http.StatusForbidden, "forbidden")
		// A fee needs payouts connected.
		unpaid := mustSignup(t, e, "unpaidhost", "host")
		e.Do(apitest.Req{Method: "POST", Path: "/v1/sessions", Token: unpaid.AccessToken,
			Body: sessionBody(f.start, threeParticipants(unpaid.User.Email)...)}).WantError(t, http.StatusPaymentRequired, "stripe_not_connected")
	})
}

func TestSessionCreateValidation(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "drsmith")
		now := e.Clock.Now()
		start := now.Add(time.Hour).Truncate(time.Minute)
		guest := map[string]any{"display_name": "G", "role": "guest"}
		hostP := map[string]any{"display_name": "H", "role": "host"}
		seven := []map[string]any{hostP, guest, guest, guest, guest, guest, guest}
		with := func(k string, v any) map[string]any {
			b := sessionBody(start, hostP, guest)
			b[k] = v
			return b
		}
		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"end before start", with("end_time", start.Add(-time.Minute).Format(time.RFC3339)), "end_time"},
			{"end at start", with("end_time", start.Format(time.RFC3339)), "end_time"},
			{"start in the past", sessionBody(now.Add(-time.Minute), hostP), "start_time"},
			{"longer than 8 hours", with("end_time", start.Add(8*time.Hour+time.Minute).Format(time.RFC3339)), "end_time"},
			{"not a time", with("start_time", "tomorrow"), "start_time"},
			{"no name", with("session_name", ""), "session_name"},
			{"picture not https", with("picture", "http://example.com/p.png"), "picture"},
			{"seven participants", sessionBody(start, seven...), "participants"},
			{"no host", sessionBody(start, guest), "participants"},
			{"no participants", sessionBody(start), "participants"},
			{"bad role", sessionBody(start, hostP, map[string]any{"display_name": "G", "role": "owner"}), "participants[1].role"},
			{"bad email", sessionBody(start, hostP, map[string]any{"display_name": "G", "role": "guest", "email": "nope"}), "participants[1].email"},
			{"bad fee", sessionBody(start, hostP, map[string]any{"display_name": "G", "role": "guest",
				"fee": map[string]any{"amount": "-1", "currency": "usd"}}), "participants[1].fee.amount"},
			{"other currency", sessionBody(start, hostP, map[string]any{"display_name": "G", "role": "guest",
				"fee": map[string]any{"amount": "1", "currency": "eur"}}), "participants[1].fee.currency"},
			{"host with a fee", sessionBody(start, map[string]any{"display_name": "H", "role": "host",
				"fee": map[string]any{"amount": "1", "currency": "usd"}}), "participants[0].fee"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				eb := e.Do(apitest.Req{Method: "POST", Path: "/v1/sessions", Token: host.AccessToken, Body: tc.body}).
					WantError(t, http.StatusBadRequest, "validation_error")
				found := false
				for _, d := range eb.Error.Details {
					found = found || d.Field == tc.field
				}
				if !found {
					t.Fatalf("details %+v do not name %s", eb.Error.Details, tc.field)
				}
			})
		}
	})
}

func TestSessionEntryWindow(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		f := newSessionFixture(t, e, "drsmith")
		free := f.tokens[2]
		for _, tc := range []struct {
			name   string
			at     time.Time
			status int
			code   string
		}{
			{"a second before it opens", f.start.Add(-5*time.Minute - time.Second), http.StatusConflict, "conflict"},
			{"5 minutes before", f.start.Add(-5 * time.Minute), http.StatusOK, ""},
			{"a second before the end", f.start.Add(time.Hour - time.Second), http.StatusOK, ""},
			{"at the end", f.start.Add(time.Hour), http.StatusGone, "link_expired"},
		} {
			e.Clock.Set(tc.at)
			resp := e.Do(apitest.Req{Method: "POST", Path: entryPath(free, "/join")})
			if tc.code != "" {
				resp.WantError(t, tc.status, tc.code)
				continue
			}
			resp.WantStatus(t, tc.status)
		}
		// Unpaid: 402 inside the window.
		e.Clock.Set(f.start)
		e.Do(apitest.Req{Method: "POST", Path: entryPath(f.tokens[1], "/join")}).WantError(t, http.StatusPaymentRequired, "payment_failed")
	})
}

func TestSessionJoinReplacesDevice(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		f := newSessionFixture(t, e, "drsmith")
		e.Clock.Set(f.start)
		var first, second struct {
			SessionID      string `json:"session_id"`
			ParticipantID  string `json:"participant_id"`
			JoinGeneration int64  `json:"join_generation"`
			SignalingToken string `json:"signaling_token"`
		}
		e.Do(apitest.Req{Method: "POST", Path: entryPath(f.tokens[0], "/join")}).Decode(t, &first)
		e.Do(apitest.Req{Method: "POST", Path: entryPath(f.tokens[0], "/join")}).Decode(t, &second)
		if first.SessionID != f.sess.ID || first.ParticipantID != f.sess.Participants[0].ParticipantID ||
			second.JoinGeneration != first.JoinGeneration+1 {
			t.Fatalf("joins = %+v then %+v", first, second)
		}
		claims, err := e.Server.Sessions.Signaling.Verify(first.SignalingToken)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.Server.Sessions.CheckJoin(t.Context(), claims.CallID, claims.Participant, claims.Generation); err == nil {
			t.Fatal("the first device's token is still current after a second join")
		}
	})
}

func TestSessionPayRace(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		f := newSessionFixture(t, e, "drsmith")
		// Five more payments arrive while the first is at the gateway.
		pay := func() *apitest.Response {
			return e.Do(apitest.Req{Method: "POST", Path: entryPath(f.tokens[1], "/pay"),
				Body: map[string]any{"payment_method_id": "pm_card_visa"}})
		}
		var wg sync.WaitGroup
		resps := make([]*apitest.Response, 6)
		e.Gateway.BeforeNext("hold", func() {
			for i := 1; i < len(resps); i++ {
				wg.Add(1)
				go func() { defer wg.Done(); resps[i] = pay() }()
			}
			wg.Wait()
		})
		resps[0] = pay()
		for _, r := range resps {
			r.WantStatus(t, http.StatusOK)
			var ent entryObj
			r.Decode(t, &ent)
			if !ent.Participant.Paid || ent.Participant.Payment == nil || ent.Participant.Payment.Amount != "25.00" ||
				ent.Participant.Payment.PlatformFee != "2.50" || ent.Participant.Payment.HostPayout != "22.50" {
				t.Fatalf("entry after paying = %+v", ent.Participant)
			}
		}
		pays, err := e.DB.SessionPayments(t.Context(), f.host.User.ID, 10)
		if err != nil || len(pays) != 1 {
			t.Fatalf("%d payments recorded (%v), want one capture", len(pays), err)
		}
		if _, captured, status, _ := e.DB.SandboxHold(t.Context(), pays[0].HoldID); captured != 2500 || status != "captured" {
			t.Fatalf("gateway: %v captured, %s", captured, status)
		}
		// Declined, then a free participant, then an unknown token.
		e.Do(apitest.Req{Method: "POST", Path: entryPath(f.tokens[2], "/pay"),
			Body: map[string]any{"payment_method_id": "pm_card_visa"}}).WantError(t, http.StatusConflict, "conflict")
		e.Do(apitest.Req{Method: "POST", Path: entryPath(f.tokens[1], "/pay"),
			Body: map[string]any{}}).WantError(t, http.StatusBadRequest, "validation_error")
		e.Do(apitest.Req{Method: "POST", Path: entryPath(strings.Repeat("x", 43), "/pay"),
			Body: map[string]any{"payment_method_id": "pm_card_visa"}}).WantError(t, http.StatusNotFound, "not_found")
		e.Clock.Set(f.start)
		e.Do(apitest.Req{Method: "POST", Path: entryPath(f.tokens[1], "/join")}).WantStatus(t, http.StatusOK)
	})
}

func TestSessionPayDeclined(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		f := newSessionFixture(t, e, "drsmith")
		e.Do(apitest.Req{Method: "POST", Path: entryPath(f.tokens[1], "/pay"),
			Body: map[string]any{"payment_method_id": "pm_card_chargeDeclined"}}).WantError(t, http.StatusPaymentRequired, "payment_failed")
		var ent entryObj
		e.Do(apitest.Req{Method: "GET", Path: entryPath(f.tokens[1], "")}).Decode(t, &ent)
		if ent.Participant.Paid || ent.Participant.Payment != nil {
			t.Fatalf("declined yet %+v", ent.Participant)
		}
		e.Do(apitest.Req{Method: "POST", Path: entryPath(f.tokens[1], "/pay"),
			Body: map[string]any{"payment_method_id": "pm_card_visa"}}).WantStatus(t, http.StatusOK)
	})
}

func TestSessionCancelRefunds(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		f := newSessionFixture(t, e, "drsmith")
		e.Do(apitest.Req{Method: "POST", Path: entryPath(f.tokens[1], "/pay"),
			Body: map[string]any{"payment_method_id": "pm_card_visa"}}).WantStatus(t, http.StatusOK)
		var out struct {
			Resource sessionObj `json:"resource"`
		}
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/sessions/" + f.sess.ID, Token: f.host.AccessToken}).Decode(t, &out)
		if out.Resource.State != "canceled" || out.Resource.Sequence != 1 {
			t.Fatalf("canceled session = %+v", out.Resource)
		}
		p := out.Resource.Participants[1]
		if p.Paid || p.Payment == nil || p.Payment.Status != "refunded" {
			t.Fatalf("paid participant after cancel = %+v", p)
		}
		pays, _ := e.DB.SessionPayments(t.Context(), f.host.User.ID, 10)
		if refunded, err := e.Gateway.Refunded(t.Context(), pays[0].HoldID); err != nil || refunded != 2500 {
			t.Fatalf("refunded at the gateway: %v, %v", refunded, err)
		}
		// Canceling again refunds nothing more.
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/sessions/" + f.sess.ID, Token: f.host.AccessToken}).WantStatus(t, http.StatusOK)
		if refunded, _ := e.Gateway.Refunded(t.Context(), pays[0].HoldID); refunded != 2500 {
			t.Fatalf("refunded %v after a second cancel", refunded)
		}
		e.Clock.Set(f.start)
		e.Do(apitest.Req{Method: "POST", Path: entryPath(f.tokens[2], "/join")}).WantError(t, http.StatusGone, "link_expired")
		resp := e.Do(apitest.Req{Method: "GET", Path: entryPath(f.tokens[2], "/invite.ics")})
		resp.WantStatus(t, http.StatusOK)
		if ics := string(resp.Body); !strings.Contains(ics, "METHOD:CANCEL") || !strings.Contains(ics, "SEQUENCE:1") {
			t.Fatalf("invite after cancel:\n%s", ics)
		}
	})
}

func TestSessionUpdateAndInvite(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		f := newSessionFixture(t, e, "drsmith")
		later := f.start.Add(2 * time.Hour)
		var out struct {
			Resource sessionObj `json:"resource"`
		}
		e.Do(apitest.Req{Method: "PATCH", Path: "/v1/sessions/" + f.sess.ID, Token: f.host.AccessToken, Body: map[string]any{
			"start_time": later.Format(time.RFC3339), "end_time": later.Add(time.Hour).Format(time.RFC3339), "picture": nil,
		}}).Decode(t, &out)
		if out.Resource.Sequence != 1 || out.Resource.StartTime != later.UTC().Format(time.RFC3339) {
			t.Fatalf("updated = %+v", out.Resource)
		}
		e.Do(apitest.Req{Method: "PATCH", Path: "/v1/sessions/" + f.sess.ID, Token: f.host.AccessToken, Body: map[string]any{
			"end_time": later.Add(-time.Hour).Format(time.RFC3339)}}).WantError(t, http.StatusBadRequest, "validation_error")
		resp := e.Do(apitest.Req{Method: "GET", Path: entryPath(f.tokens[1], "/invite.ics")})
		resp.WantStatus(t, http.StatusOK)
		ics := string(resp.Body)
		unfolded := strings.ReplaceAll(ics, "\r\n ", "")
		if !strings.Contains(ics, "SEQUENCE:1") || !strings.Contains(ics, "METHOD:REQUEST") ||
			!strings.Contains(unfolded, "/s/"+f.tokens[1]) || strings.Contains(unfolded, f.tokens[2]) {
			t.Fatalf("invite:\n%s", ics)
		}
	})
}

func TestSessionParticipants(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		f := newSessionFixture(t, e, "drsmith")
		base := "/v1/sessions/" + f.sess.ID + "/participants"
		guest := map[string]any{"display_name": "Extra", "role": "guest"}
		for field, body := range map[string]map[string]any{
			"role":       {"display_name": "X", "role": "owner"},
			"fee.amount": {"display_name": "X", "role": "guest", "fee": map[string]any{"amount": "x", "currency": "usd"}},
		} {
			eb := e.Do(apitest.Req{Method: "POST", Path: base, Token: f.host.AccessToken, Body: body}).
				WantError(t, http.StatusBadRequest, "validation_error")
			if len(eb.Error.Details) != 1 || eb.Error.Details[0].Field != field {
				t.Fatalf("details = %+v, want %s", eb.Error.Details, field)
			}
		}
		for range 3 {
			e.Do(apitest.Req{Method: "POST", Path: base, Token: f.host.AccessToken, Body: guest}).WantStatus(t, http.StatusCreated)
		}
		e.Do(apitest.Req{Method: "POST", Path: base, Token: f.host.AccessToken, Body: guest}).WantError(t, http.StatusConflict, "conflict")
		// Removing one makes room; its URL stops working.
		pid := f.sess.Participants[2].ParticipantID
		e.Do(apitest.Req{Method: "DELETE", Path: base + "/" + pid, Token: f.host.AccessToken}).WantStatus(t, http.StatusNoContent)
		e.Do(apitest.Req{Method: "GET", Path: entryPath(f.tokens[2], "")}).WantError(t, http.StatusNotFound, "not_found")
		e.Do(apitest.Req{Method: "DELETE", Path: base + "/" + pid, Token: f.host.AccessToken}).WantError(t, http.StatusNotFound, "not_found")
		e.Do(apitest.Req{Method: "POST", Path: base, Token: f.host.AccessToken, Body: guest}).WantStatus(t, http.StatusCreated)

		// Reissue: the old URL is revoked everywhere, the new one works.
		var re struct {
			Resource sessionParticipantObj `json:"resource"`
		}
		e.Do(apitest.Req{Method: "POST", Path: base + "/" + f.sess.Participants[1].ParticipantID + "/reissue",
			Token: f.host.AccessToken}).Decode(t, &re)
		fresh := entryToken(t, re.Resource.EntryURL)
		if fresh == f.tokens[1] {
			t.Fatal("reissue kept the URL")
		}
		e.Clock.Set(f.start)
		for _, r := range []apitest.Req{
			{Method: "GET", Path: entryPath(f.tokens[1], "")},
			{Method: "POST", Path: entryPath(f.tokens[1], "/join")},
			{Method: "POST", Path: entryPath(f.tokens[1], "/pay"), Body: map[string]any{"payment_method_id": "pm_card_visa"}},
			{Method: "GET", Path: entryPath(f.tokens[1], "/invite.ics")},
		} {
			e.Do(r).WantError(t, http.StatusNotFound, "not_found")
		}
		e.Do(apitest.Req{Method: "GET", Path: entryPath(fresh, "")}).WantStatus(t, http.StatusOK)
	})
}

func TestSessionOwnership(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		a := newSessionFixture(t, e, "hosta")
		b := newSessionFixture(t, e, "hostb")
		pidA := a.sess.Participants[1].ParticipantID
		for _, r := range []apitest.Req{
			{Method: "GET", Path: "/v1/sessions/" + a.sess.ID},
			{Method: "PATCH", Path: "/v1/sessions/" + a.sess.ID, Body: map[string]any{"session_name": "Mine"}},
			{Method: "DELETE", Path: "/v1/sessions/" + a.sess.ID},
			{Method: "POST", Path: "/v1/sessions/" + a.sess.ID + "/participants", Body: map[string]any{"display_name": "X", "role": "guest"}},
			{Method: "DELETE", Path: "/v1/sessions/" + a.sess.ID + "/participants/" + pidA},
			{Method: "POST", Path: "/v1/sessions/" + a.sess.ID + "/participants/" + pidA + "/reissue"},
		} {
			r.Token = b.host.AccessToken
			e.Do(r).WantError(t, http.StatusNotFound, "not_found")
			r.Token = ""
			if resp := e.Do(r); resp.Status != http.StatusUnauthorized {
				t.Fatalf("%s %s without a token: %d %s", r.Method, r.Path, resp.Status, resp.Body)
			}
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/sessions/not-an-id", Token: b.host.AccessToken}).WantError(t, http.StatusNotFound, "not_found")
		// A guest's URL enters its own session only: there is no way to name another.
		var ent entryObj
		e.Do(apitest.Req{Method: "GET", Path: entryPath(a.tokens[2], "")}).Decode(t, &ent)
		if ent.Session.ID != a.sess.ID {
			t.Fatalf("a's guest entered %s", ent.Session.ID)
		}
		var list struct {
			Collection []sessionObj `json:"collection"`
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/sessions", Token: b.host.AccessToken}).Decode(t, &list)
		if len(list.Collection) != 1 || list.Collection[0].ID != b.sess.ID {
			t.Fatalf("b's calendar = %+v", list.Collection)
		}
	})
}

func TestSessionCalendar(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "drsmith")
		base := e.Clock.Now().Add(time.Hour).Truncate(time.Minute)
		var ids []string
		for _, d := range []time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour, time.Hour} {
			s := mustCreateSession(t, e, host.AccessToken, sessionBody(base.Add(d), threeParticipants(host.User.Email)...))
			ids = append(ids, s.ID)
		}
		want := []string{ids[1], ids[3], ids[2], ids[0]} // by start, then id
		var got []string
		path := "/v1/sessions?count=3"
		for path != "" {
			var page struct {
				Collection []sessionObj `json:"collection"`
				Pagination struct {
					NextPage *string `json:"next_page"`
				} `json:"pagination"`
			}
			e.Do(apitest.Req{Method: "GET", Path: path, Token: host.AccessToken}).Decode(t, &page)
			for _, s := range page.Collection {
				got = append(got, s.ID)
			}
			path = ""
			if page.Pagination.NextPage != nil {
				path = strings.TrimPrefix(*page.Pagination.NextPage, apitest.PublicURL)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("calendar = %v, want %v", got, want)
		}
		q := url.Values{"start": {base.Add(90 * time.Minute).Format(time.RFC3339)}, "end": {base.Add(150 * time.Minute).Format(time.RFC3339)}}
		var page struct {
			Collection []sessionObj `json:"collection"`
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/sessions?" + q.Encode(), Token: host.AccessToken}).Decode(t, &page)
		if len(page.Collection) != 1 || page.Collection[0].ID != ids[2] {
			t.Fatalf("window = %+v", page.Collection)
		}
		for _, bad := range []string{"?start=soon", "?count=0", "?page_token=forged", "?start=2030-01-02T00:00:00Z&end=2030-01-01T00:00:00Z"} {
			e.Do(apitest.Req{Method: "GET", Path: "/v1/sessions" + bad, Token: host.AccessToken}).WantError(t, http.StatusBadRequest, "validation_error")
		}
	})
}

func TestSessionPayments(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		a := newSessionFixture(t, e, "drsmith")
		b := mustCreateSession(t, e, a.host.AccessToken, sessionBody(a.start.Add(3*time.Hour), threeParticipants(a.host.User.Email)...))
		for _, tok := range []string{a.tokens[1], entryToken(t, b.Participants[1].EntryURL)} {
			e.Do(apitest.Req{Method: "POST", Path: entryPath(tok, "/pay"),
				Body: map[string]any{"payment_method_id": "pm_card_visa"}}).WantStatus(t, http.StatusOK)
		}
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/sessions/" + b.ID, Token: a.host.AccessToken}).WantStatus(t, http.StatusOK)
		var out struct {
			Collection []struct {
				Session string `json:"session"`
				Status  string `json:"status"`
			} `json:"collection"`
			Totals struct {
				Paid        string `json:"paid"`
				PlatformFee string `json:"platform_fee"`
				HostPayout  string `json:"host_payout"`
				Refunded    string `json:"refunded"`
			} `json:"totals"`
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/sessions/payments", Token: a.host.AccessToken}).Decode(t, &out)
		if len(out.Collection) != 2 || out.Totals.Paid != "25.00" || out.Totals.PlatformFee != "2.50" ||
			out.Totals.HostPayout != "22.50" || out.Totals.Refunded != "25.00" {
			t.Fatalf("payments = %+v", out)
		}
		other := paidHost(t, e, "otherhost")
		e.Do(apitest.Req{Method: "GET", Path: "/v1/sessions/payments", Token: other.AccessToken}).Decode(t, &out)
		if len(out.Collection) != 0 || out.Totals.Paid != "0.00" {
			t.Fatalf("another host sees %+v", out)
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/sessions/payments?count=101", Token: a.host.AccessToken}).
			WantError(t, http.StatusBadRequest, "validation_error")
	})
}
