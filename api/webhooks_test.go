package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/webhook"
)

// receiver is a webhook receiver on loopback. It verifies every request
// with its own implementation of both signature schemes (from their
// documentation, not the service's signer) and keeps each event once by
// its webhook-id, as receivers are told to.
type receiver struct {
	t    *testing.T
	now  func() time.Time // the service's clock, for the timestamps' tolerance
	addr string
	srv  *httptest.Server

	mu     sync.Mutex
	secret string
	answer int // status to answer; 0 is 200
	hits   int
	seen   map[string]int // webhook-id → requests
	events []delivered    // first of each webhook-id, in arrival order
}

type delivered struct {
	ID       string
	Envelope struct {
		Event     string          `json:"event"`
		CreatedAt string          `json:"created_at"`
		CreatedBy string          `json:"created_by"`
		Payload   json.RawMessage `json:"payload"`
	}
}

func newReceiver(t *testing.T, e *apitest.Env) *receiver {
	rc := &receiver{t: t, now: e.Clock.Now, seen: map[string]int{}}
	rc.start("127.0.0.1:0")
	t.Cleanup(rc.stop)
	return rc
}

// start listens on addr (the same address again after stop).
func (rc *receiver) start(addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		rc.t.Fatalf("receiver listen: %v", err)
	}
	rc.addr = l.Addr().String()
	rc.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: rc}}
	rc.srv.Start()
}

func (rc *receiver) stop() {
	if rc.srv != nil {
		rc.srv.CloseClientConnections()
		rc.srv.Close()
		rc.srv = nil
	}
}

func (rc *receiver) url() string { return "http://" + rc.addr + "/hooks/vidivo" }

func (rc *receiver) setAnswer(code int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = code
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.hits++
	if r.URL.Path != "/hooks/vidivo" {
		rc.t.Errorf("receiver: request to %s", r.URL.Path)
	}
	if !verifyVidivoSignature(rc.secret, r.Header.Get("Vidivo-Webhook-Signature"), body, rc.now()) {
		rc.t.Errorf("receiver: Vidivo-Webhook-Signature %q does not verify", r.Header.Get("Vidivo-Webhook-Signature"))
	}
	if !verifyStandardSignature(rc.secret, r.Header, body, rc.now()) {
		rc.t.Errorf("receiver: webhook-signature %q does not verify", r.Header.Get("webhook-signature"))
	}
	switch rc.answer {
	case 0:
	case http.StatusFound:
		http.Redirect(w, r, "/hooks/elsewhere", http.StatusFound)
		return
	default:
		w.WriteHeader(rc.answer)
		return
	}
	id := r.Header.Get("webhook-id")
	rc.seen[id]++
	if rc.seen[id] == 1 {
		var d delivered
		d.ID = id
		if err := json.Unmarshal(body, &d.Envelope); err != nil {
			rc.t.Errorf("receiver: body %s: %v", body, err)
		}
		rc.events = append(rc.events, d)
	}
	w.WriteHeader(http.StatusOK)
}

func (rc *receiver) received() []delivered {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivered(nil), rc.events...)
}

// verifyVidivoSignature checks t=<unix>,v1=<hex HMAC-SHA256(key, t.body)>
// with the whsec_ key's decoded bytes, within five minutes.
func verifyVidivoSignature(secret, header string, body []byte, now time.Time) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	fields := map[string]string{}
	for _, kv := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(kv, "=")
		fields[k] = v
	}
	sec, err := strconv.ParseInt(fields["t"], 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(fields["t"] + "." + string(body)))
	return hmac.Equal([]byte(fields["v1"]), []byte(hex.EncodeToString(m.Sum(nil))))
}

// verifyStandardSignature follows the Standard Webhooks spec: the signed
// content is "id.timestamp.body", the key the base64 after whsec_, and
// webhook-signature a space-separated list of "v1,<base64>".
func verifyStandardSignature(secret string, h http.Header, body []byte, now time.Time) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	sec, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute || h.Get("webhook-id") == "" {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

type webhookBody struct {
	URI            string   `json:"uri"`
	CallbackURL    string   `json:"callback_url"`
	State          string   `json:"state"`
	Events         []string `json:"events"`
	Scope          string   `json:"scope"`
	User           *string  `json:"user"`
	Organization   *string  `json:"organization"`
	Creator        string   `json:"creator"`
	RetryStartedAt *string  `json:"retry_started_at"`
	SigningKey     string   `json:"signing_key"`
}

func (w webhookBody) ID() string { return w.URI[strings.LastIndex(w.URI, "/")+1:] }

type deliveryBody struct {
	ID            string  `json:"id"`
	WebhookID     string  `json:"webhook_id"`
	Event         string  `json:"event"`
	Status        string  `json:"status"`
	Attempt       int     `json:"attempt"`
	ResponseCode  *int    `json:"response_code"`
	DurationMS    *int64  `json:"duration_ms"`
	Error         *string `json:"error"`
	NextAttemptAt *string `json:"next_attempt_at"`
}

func hookUserURI(id string) string { return apitest.PublicURL + "/v1/users/" + id }

func createWebhook(e *apitest.Env, tok string, body map[string]any) *apitest.Response {
	return e.Do(apitest.Req{Method: "POST", Path: "/v1/webhook_subscriptions", Token: tok, Body: body})
}

// mustSubscribe subscribes s's own events to rc and gives rc the key.
func mustSubscribe(t *testing.T, e *apitest.Env, s session, rc *receiver, events ...string) webhookBody {
	t.Helper()
	resp := createWebhook(e, s.AccessToken, map[string]any{"url": rc.url(), "events": events, "user": hookUserURI(s.User.ID), "scope": "user"})
	resp.WantStatus(t, http.StatusCreated)
	var out struct{ Resource webhookBody }
	resp.Decode(t, &out)
	rc.mu.Lock()
	rc.secret = out.Resource.SigningKey
	rc.mu.Unlock()
	return out.Resource
}

func getWebhook(t *testing.T, e *apitest.Env, tok, id string) webhookBody {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions/" + id, Token: tok})
	resp.WantStatus(t, http.StatusOK)
	var out struct{ Resource webhookBody }
	resp.Decode(t, &out)
	return out.Resource
}

func deliveries(t *testing.T, e *apitest.Env, tok, subID string) []deliveryBody {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions/" + subID + "/deliveries", Token: tok})
	resp.WantStatus(t, http.StatusOK)
	var out struct{ Collection []deliveryBody }
	resp.Decode(t, &out)
	return out.Collection
}

// pump does what the job queue does, at the test's clock: fans out the
// outbox and makes the next attempt of every pending delivery of subID.
func pump(t *testing.T, e *apitest.Env, subID string) {
	t.Helper()
	ctx := context.Background()
	svc := e.Server.Webhooks
	if err := svc.FanOut(ctx, ""); err != nil {
		t.Fatalf("fan out: %v", err)
	}
	ds, _, err := e.DB.WebhookDeliveries(ctx, vidivo.WebhookDeliveryFilter{SubscriptionID: subID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(ds) - 1; i >= 0; i-- { // oldest first, as the queue would
		d := ds[i]
		if d.Status != vidivo.DeliveryPending {
			continue
		}
		if err := svc.Attempt(ctx, d.ID, d.Attempts); err != nil {
			t.Fatalf("attempt %s: %v", d.ID, err)
		}
	}
}

func eventsOf(ds []delivered) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Envelope.Event)
	}
	return out
}

func TestWebhookSubscriptionsAPI(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		other := mustSignup(t, e, "alex", "client")
		rc := newReceiver(t, e)
		mine := hookUserURI(host.User.ID)

		resp := createWebhook(e, host.AccessToken, map[string]any{"url": rc.url(),
			"events": []string{"invitee.created", "call.completed", "invitee.created"}, "user": mine, "scope": "user"})
		resp.WantStatus(t, http.StatusCreated)
		var created struct{ Resource webhookBody }
		resp.Decode(t, &created)
		sub := created.Resource
		if _, err := webhook.KeyBytes(sub.SigningKey); err != nil || sub.State != "active" || sub.Scope != "user" ||
			sub.CallbackURL != rc.url() || sub.Creator != mine || sub.User == nil || *sub.User != mine || sub.Organization != nil ||
			strings.Join(sub.Events, ",") != "invitee.created,call.completed" || sub.RetryStartedAt != nil {
			t.Fatalf("created %+v (key error %v)", sub, err)
		}
		got := getWebhook(t, e, host.AccessToken, sub.ID())
		if got.SigningKey != "" || got.URI != sub.URI {
			t.Errorf("get shows %+v", got)
		}

		// A key of the caller's own is kept.
		own := webhook.NewKey()
		resp = createWebhook(e, host.AccessToken, map[string]any{"url": "https://hooks.example.com/a", "events": []string{"call.started"},
			"user": mine, "scope": "user", "signing_key": own})
		resp.WantStatus(t, http.StatusCreated)
		resp.Decode(t, &created)
		if created.Resource.SigningKey != own {
			t.Errorf("signing_key = %q, want the given one", created.Resource.SigningKey)
		}

		bad := []struct {
			name   string
			body   map[string]any
			status int
			code   string
			field  string
		}{
			{"http to a public host", map[string]any{"url": "http://hooks.example.com/", "events": []string{"call.started"}, "user": mine, "scope": "user"}, 400, "validation_error", "url"},
			{"private address", map[string]any{"url": "https://10.0.0.8/hook", "events": []string{"call.started"}, "user": mine, "scope": "user"}, 400, "validation_error", "url"},
			{"metadata address", map[string]any{"url": "https://169.254.169.254/latest", "events": []string{"call.started"}, "user": mine, "scope": "user"}, 400, "validation_error", "url"},
			{"unknown event", map[string]any{"url": "https://hooks.example.com/", "events": []string{"routing_form_submission.created"}, "user": mine, "scope": "user"}, 400, "validation_error", "events"},
			{"no events", map[string]any{"url": "https://hooks.example.com/", "events": []string{}, "user": mine, "scope": "user"}, 400, "validation_error", "events"},
			{"no scope", map[string]any{"url": "https://hooks.example.com/", "events": []string{"call.started"}, "user": mine}, 400, "validation_error", "scope"},
			{"no user", map[string]any{"url": "https://hooks.example.com/", "events": []string{"call.started"}, "scope": "user"}, 400, "validation_error", "user"},
			{"user not a uri", map[string]any{"url": "https://hooks.example.com/", "events": []string{"call.started"}, "user": "me", "scope": "user"}, 400, "validation_error", "user"},
			{"bad key", map[string]any{"url": "https://hooks.example.com/", "events": []string{"call.started"}, "user": mine, "scope": "user", "signing_key": "secret"}, 400, "validation_error", "signing_key"},
			{"someone else's user", map[string]any{"url": "https://hooks.example.com/b", "events": []string{"call.started"}, "user": hookUserURI(other.User.ID), "scope": "user"}, 403, "forbidden", ""},
			{"organization without membership", map[string]any{"url": "https://hooks.example.com/b", "events": []string{"call.started"},
				"organization": apitest.PublicURL + "/v1/organizations/01JBZ6W0Y8QK7N3J5V4X2M1C9T", "scope": "organization"}, 403, "forbidden", ""},
			{"same url again", map[string]any{"url": rc.url(), "events": []string{"call.started"}, "user": mine, "scope": "user"}, 409, "conflict", ""},
		}
		for _, tt := range bad {
			resp := createWebhook(e, host.AccessToken, tt.body)
			if tt.field != "" {
				wantField(t, resp, tt.field)
				continue
			}
			resp.WantError(t, tt.status, tt.code)
		}
		createWebhook(e, "", map[string]any{}).WantError(t, http.StatusUnauthorized, "unauthorized")

		// Someone else neither sees, lists nor deletes them.
		e.Do(apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions/" + sub.ID(), Token: other.AccessToken}).WantError(t, 404, "not_found")
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/webhook_subscriptions/" + sub.ID(), Token: other.AccessToken}).WantError(t, 404, "not_found")
		e.Do(apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions/" + sub.ID() + "/deliveries", Token: other.AccessToken}).WantError(t, 404, "not_found")
		e.Do(apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions?scope=user&user=" + url.QueryEscape(mine), Token: other.AccessToken}).
			WantError(t, 403, "forbidden")
		e.Do(apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions/not-an-id", Token: host.AccessToken}).WantError(t, 404, "not_found")

		// Pages of one, newest first, by next_page.
		var uris []string
		path := "/v1/webhook_subscriptions?scope=user&count=1&user=" + url.QueryEscape(mine)
		for path != "" {
			resp := e.Do(apitest.Req{Method: "GET", Path: path, Token: host.AccessToken})
			resp.WantStatus(t, http.StatusOK)
			var page struct {
				Collection []webhookBody
				Pagination struct {
					Count    int     `json:"count"`
					NextPage *string `json:"next_page"`
				}
			}
			resp.Decode(t, &page)
			for _, s := range page.Collection {
				uris = append(uris, s.URI)
			}
			path = ""
			if page.Pagination.NextPage != nil {
				path = strings.TrimPrefix(*page.Pagination.NextPage, apitest.PublicURL)
			}
		}
		if len(uris) != 2 || uris[1] != sub.URI {
			t.Errorf("listed %v", uris)
		}
		for _, q := range []string{"scope=team", "scope=user", "scope=user&count=0&user=" + url.QueryEscape(mine),
			"scope=user&page_token=forged&user=" + url.QueryEscape(mine), "scope=organization"} {
			e.Do(apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions?" + q, Token: host.AccessToken}).WantError(t, 400, "validation_error")
		}

		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/webhook_subscriptions/" + sub.ID(), Token: host.AccessToken}).WantStatus(t, http.StatusNoContent)
		e.Do(apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions/" + sub.ID(), Token: host.AccessToken}).WantError(t, 404, "not_found")
	})
}

// TestWebhookDeliveries: bookings, a reschedule, a cancel and a call reach
// a receiver on loopback, signed, once each, with payloads as of their
// events.
func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := signupNamed(t, e, "alex", "client", "Alex Guest")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		rc := newReceiver(t, e)
		sub := mustSubscribe(t, e, host, rc, vidivo.WebhookEvents...)

		at := e.Clock.Now().Truncate(time.Hour).Add(26 * time.Hour)
		first := bookedAt(t, e, guest.AccessToken, "janecoach", at, 30)
		// Canceled before its invitee.created is fanned out: that payload
		// still shows what was created.
		e.Do(apitest.Req{Method: "PUT", Path: "/v1/schedule/" + first + "/cancel", Token: guest.AccessToken}).WantStatus(t, http.StatusNoContent)
		second := bookedAt(t, e, guest.AccessToken, "janecoach", at.Add(2*time.Hour), 30)
		e.Do(apitest.Req{Method: "POST", Path: "/v1/schedule/" + second + "/reschedule", Token: guest.AccessToken,
			Body: map[string]any{"scheduled_at": at.Add(4 * time.Hour).Format(time.RFC3339), "duration_minutes": 30}}).WantStatus(t, http.StatusCreated)
		pump(t, e, sub.ID())

		got := rc.received()
		want := []string{"invitee.created", "invitee.canceled", "invitee.created", "invitee.canceled", "invitee.created"}
		if strings.Join(eventsOf(got), " ") != strings.Join(want, " ") {
			t.Fatalf("received %v, want %v", eventsOf(got), want)
		}
		type invitee struct {
			URI            string `json:"uri"`
			Status         string `json:"status"`
			Rescheduled    bool   `json:"rescheduled"`
			ScheduledEvent struct {
				URI    string `json:"uri"`
				Status string `json:"status"`
			} `json:"scheduled_event"`
		}
		wantInvitee := []struct {
			id, status  string
			rescheduled bool
		}{{first, "active", false}, {first, "canceled", false}, {second, "active", false}, {second, "canceled", true}}
		for i, w := range wantInvitee {
			var p invitee
			if err := json.Unmarshal(got[i].Envelope.Payload, &p); err != nil {
				t.Fatal(err)
			}
			eventURI := apitest.PublicURL + "/v1/scheduled_events/" + w.id
			if p.URI != eventURI+"/invitees/"+w.id || p.Status != w.status || p.Rescheduled != w.rescheduled ||
				p.ScheduledEvent.URI != eventURI || p.ScheduledEvent.Status != w.status {
				t.Errorf("delivery %d (%s): %s", i, got[i].Envelope.Event, got[i].Envelope.Payload)
			}
			if got[i].Envelope.CreatedBy != hookUserURI(host.User.ID) {
				t.Errorf("created_by = %q", got[i].Envelope.CreatedBy)
			}
		}

		// The canceled invitee's payload is what a GET of its uri answers,
		// with its event embedded.
		var payload map[string]any
		json.Unmarshal(got[1].Envelope.Payload, &payload)
		delete(payload, "scheduled_event")
		resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/scheduled_events/" + first + "/invitees/" + first, Token: host.AccessToken})
		resp.WantStatus(t, http.StatusOK)
		var read struct{ Resource map[string]any }
		resp.Decode(t, &read)
		if diff := cmp.Diff(read.Resource, payload); diff != "" {
			t.Errorf("invitee.canceled payload differs from GET of its uri (-get +payload):\n%s", diff)
		}

		// A call: started, then completed with what it cost.
		link := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 5})
		j := mustJoin(t, e, link.ShortCode)
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + j.Call.ID + "/host-join", Token: host.AccessToken}).WantStatus(t, http.StatusCreated)
		e.Clock.Add(90 * time.Second)
		endCall(e, host.AccessToken, j.Call.ID, "host_ended", "").WantStatus(t, http.StatusOK)
		waitStatus(t, e, j.Call.ID, vidivo.CallCompleted)
		pump(t, e, sub.ID())
		got = rc.received()[len(want):]
		if strings.Join(eventsOf(got), " ") != "call.started call.completed" {
			t.Fatalf("received %v", eventsOf(got))
		}
		type call struct {
			URI           string  `json:"uri"`
			Status        string  `json:"status"`
			BilledMinutes int64   `json:"billed_minutes"`
			Total         string  `json:"total"`
			Currency      string  `json:"currency"`
			EndedAt       *string `json:"ended_at"`
		}
		var started, done call
		json.Unmarshal(got[0].Envelope.Payload, &started)
		json.Unmarshal(got[1].Envelope.Payload, &done)
		if started.Status != "active" || started.EndedAt != nil || started.Total != "0.00" ||
			started.URI != apitest.PublicURL+"/v1/calls/"+j.Call.ID {
			t.Errorf("call.started payload %s", got[0].Envelope.Payload)
		}
		if done.Status != "completed" || done.BilledMinutes != 2 || done.Total != "5.00" || done.Currency != "usd" || done.EndedAt == nil {
			t.Errorf("call.completed payload %s", got[1].Envelope.Payload)
		}

		// Every delivery is listed as succeeded after one attempt, with
		// the webhook-id the receiver saw.
		seen := map[string]bool{}
		for _, d := range rc.received() {
			seen[d.ID] = true
		}
		ds := deliveries(t, e, host.AccessToken, sub.ID())
		if len(ds) != 7 {
			t.Fatalf("%d deliveries listed", len(ds))
		}
		prune := func() {
			// The sweep keeps finished deliveries for 30 days.
			svc := e.Server.Webhooks
			e.Clock.Add(vidivo.WebhookKeep - time.Hour)
			if err := svc.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
			host := login(t, e, "janecoach")
			if n := len(deliveries(t, e, host.AccessToken, sub.ID())); n != 7 {
				t.Errorf("%d deliveries just before 30 days, want 7", n)
			}
			e.Clock.Add(2 * time.Hour)
			if err := svc.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
			host = login(t, e, "janecoach")
			if n := len(deliveries(t, e, host.AccessToken, sub.ID())); n != 0 {
				t.Errorf("%d deliveries after 30 days, want 0", n)
			}
		}
		for _, d := range ds {
			if d.Status != "succeeded" || d.Attempt != 1 || d.ResponseCode == nil || *d.ResponseCode != 200 ||
				d.DurationMS == nil || d.WebhookID != d.ID || !seen[d.WebhookID] || d.NextAttemptAt != nil {
				t.Errorf("delivery %+v", d)
			}
		}
		prune()
	})
}

// TestWebhookReceiverDown: while the receiver is down attempts fail and
// are retried; once it is back every event arrives, and a redelivery
// carries the same webhook-id, so the receiver keeps each event once.
func TestWebhookReceiverDown(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		rc := newReceiver(t, e)
		sub := mustSubscribe(t, e, host, rc, "invitee.created")
		addr := rc.addr
		rc.stop()

		at := e.Clock.Now().Truncate(time.Hour).Add(26 * time.Hour)
		for i := range 3 {
			bookedAt(t, e, guest.AccessToken, "janecoach", at.Add(time.Duration(i)*time.Hour), 30)
		}
		pump(t, e, sub.ID())
		e.Clock.Add(time.Minute)
		pump(t, e, sub.ID())
		for _, d := range deliveries(t, e, host.AccessToken, sub.ID()) {
			if d.Status != "pending" || d.Attempt != 2 || d.ResponseCode != nil || d.Error == nil || d.NextAttemptAt == nil {
				t.Errorf("while down: %+v", d)
			}
		}
		if s := getWebhook(t, e, host.AccessToken, sub.ID()); s.State != "active" || s.RetryStartedAt == nil {
			t.Errorf("while down: %+v", s)
		}

		rc.start(addr)
		e.Clock.Add(time.Minute)
		pump(t, e, sub.ID())
		ds := deliveries(t, e, host.AccessToken, sub.ID())
		for _, d := range ds {
			if d.Status != "succeeded" || d.Attempt != 3 {
				t.Errorf("back up: %+v", d)
			}
		}
		if s := getWebhook(t, e, host.AccessToken, sub.ID()); s.RetryStartedAt != nil {
			t.Errorf("retry_started_at stays %v after a success", *s.RetryStartedAt)
		}

		// Redelivered: the same webhook-id again, which the receiver drops.
		redeliver := func(id string) *apitest.Response {
			return e.Do(apitest.Req{Method: "POST", Path: "/v1/webhook_subscriptions/" + sub.ID() + "/deliveries/" + id + "/redeliver",
				Token: host.AccessToken})
		}
		resp := redeliver(ds[0].ID)
		resp.WantStatus(t, http.StatusAccepted)
		redeliver(ds[0].ID).WantError(t, http.StatusConflict, "conflict")
		pump(t, e, sub.ID())
		redeliver("01JBZ6W0Y8QK7N3J5V4X2M1C9T").WantError(t, http.StatusNotFound, "not_found")
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if len(rc.events) != 3 || rc.seen[ds[0].ID] != 2 {
			t.Errorf("receiver kept %d events; saw the redelivered id %d times", len(rc.events), rc.seen[ds[0].ID])
		}
	})
}

// TestWebhookFailures: a 410 disables at once, a redirect is a failure
// (not followed), a receiver at a private address is refused at the dial,
// and a day of failures disables the subscription.
func TestWebhookFailures(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		at := e.Clock.Now().Truncate(time.Hour).Add(26 * time.Hour)
		booked := 0
		bookOne := func() {
			// A guest per booking: a guest may hold only a few upcoming ones.
			guest := mustSignup(t, e, "alex"+strconv.Itoa(booked), "client")
			bookedAt(t, e, guest.AccessToken, "janecoach", at.Add(time.Duration(booked)*time.Hour), 30)
			booked++
		}
		only := func(sub webhookBody) deliveryBody {
			t.Helper()
			ds := deliveries(t, e, host.AccessToken, sub.ID())
			if len(ds) != 1 {
				t.Fatalf("%d deliveries", len(ds))
			}
			return ds[0]
		}

		t.Run("gone", func(t *testing.T) {
			rc := newReceiver(t, e)
			rc.setAnswer(http.StatusGone)
			sub := mustSubscribe(t, e, host, rc, "invitee.created")
			bookOne()
			pump(t, e, sub.ID())
			d := only(sub)
			if d.Status != "failed" || d.ResponseCode == nil || *d.ResponseCode != 410 {
				t.Errorf("delivery %+v", d)
			}
			if s := getWebhook(t, e, host.AccessToken, sub.ID()); s.State != "disabled" || s.RetryStartedAt == nil {
				t.Errorf("subscription %+v", s)
			}
			e.Do(apitest.Req{Method: "POST", Path: "/v1/webhook_subscriptions/" + sub.ID() + "/deliveries/" + d.ID + "/redeliver",
				Token: host.AccessToken}).WantError(t, http.StatusConflict, "conflict")
			bookOne()
			pump(t, e, sub.ID())
			if n := len(deliveries(t, e, host.AccessToken, sub.ID())); n != 1 {
				t.Errorf("a disabled subscription got %d deliveries", n)
			}
			e.Do(apitest.Req{Method: "DELETE", Path: "/v1/webhook_subscriptions/" + sub.ID(), Token: host.AccessToken}).WantStatus(t, 204)
		})

		t.Run("redirect", func(t *testing.T) {
			rc := newReceiver(t, e)
			rc.setAnswer(http.StatusFound)
			sub := mustSubscribe(t, e, host, rc, "invitee.created")
			bookOne()
			pump(t, e, sub.ID())
			d := only(sub)
			if d.Status != "pending" || d.ResponseCode == nil || *d.ResponseCode != 302 || d.Error == nil ||
				!strings.Contains(*d.Error, "redirect") || d.NextAttemptAt == nil {
				t.Errorf("delivery %+v", d)
			}
			rc.mu.Lock()
			if rc.hits != 1 {
				t.Errorf("receiver hit %d times: the redirect was followed", rc.hits)
			}
			rc.mu.Unlock()
			e.Do(apitest.Req{Method: "DELETE", Path: "/v1/webhook_subscriptions/" + sub.ID(), Token: host.AccessToken}).WantStatus(t, 204)
		})

		t.Run("private address", func(t *testing.T) {
			rc := newReceiver(t, e)
			// A name that resolves to loopback, which the guard of a
			// deployment without VIDIVO_WEBHOOK_ALLOW_NETS refuses.
			port := rc.addr[strings.LastIndex(rc.addr, ":"):]
			resp := createWebhook(e, host.AccessToken, map[string]any{"url": "https://localhost" + port + "/hooks/vidivo",
				"events": []string{"invitee.created"}, "user": hookUserURI(host.User.ID), "scope": "user"})
			resp.WantStatus(t, http.StatusCreated)
			var out struct{ Resource webhookBody }
			resp.Decode(t, &out)
			sub := out.Resource
			svc := e.Server.Webhooks
			prev := svc.Sender
			svc.Sender = webhook.NewClient(webhook.Guard{})
			defer func() { svc.Sender = prev }()
			bookOne()
			pump(t, e, sub.ID())
			d := only(sub)
			if d.Status != "pending" || d.ResponseCode != nil || d.Error == nil || !strings.Contains(*d.Error, "refused") {
				t.Errorf("delivery %+v", d)
			}
			rc.mu.Lock()
			if rc.hits != 0 {
				t.Errorf("the private receiver was reached %d times", rc.hits)
			}
			rc.mu.Unlock()
			e.Do(apitest.Req{Method: "DELETE", Path: "/v1/webhook_subscriptions/" + sub.ID(), Token: host.AccessToken}).WantStatus(t, 204)
		})

		t.Run("a day of failures", func(t *testing.T) {
			rc := newReceiver(t, e)
			rc.setAnswer(http.StatusServiceUnavailable)
			sub := mustSubscribe(t, e, host, rc, "invitee.created")
			bookOne()
			pump(t, e, sub.ID())
			started := getWebhook(t, e, host.AccessToken, sub.ID()).RetryStartedAt
			if started == nil {
				t.Fatal("retry_started_at not set at the first failure")
			}
			for range 23 {
				e.Clock.Add(time.Hour)
				pump(t, e, sub.ID())
			}
			host = login(t, e, "janecoach") // the day outlived the access token
			s := getWebhook(t, e, host.AccessToken, sub.ID())
			if d := only(sub); s.State != "active" || d.Status != "pending" || d.Attempt != 24 || *d.ResponseCode != 503 {
				t.Fatalf("after 23 hours: %+v, %+v", s, d)
			}
			e.Clock.Add(time.Hour)
			pump(t, e, sub.ID())
			host = login(t, e, "janecoach")
			s = getWebhook(t, e, host.AccessToken, sub.ID())
			if d := only(sub); s.State != "disabled" || s.RetryStartedAt == nil || *s.RetryStartedAt != *started || d.Status != "failed" {
				t.Errorf("after 24 hours: %+v, %+v", s, d)
			}
		})
	})
}

// TestWebhookOrganizationScope: an organization's owners and admins
// subscribe to and read its subscriptions; members and the owner of
// another organization can neither create, list, read nor delete them;
// a member's booking reaches the organization's subscription.
func TestWebhookOrganizationScope(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		owner := paidHost(t, e, "olive")
		admin := paidHost(t, e, "adaline")
		member := paidHost(t, e, "mona")
		stranger := paidHost(t, e, "sven")
		acme := mustCreateOrg(t, e, owner.AccessToken, "Acme")
		mustJoinOrg(t, e, owner.AccessToken, acme.ID, admin, "admin")
		mustJoinOrg(t, e, owner.AccessToken, acme.ID, member, "member")
		beta := mustCreateOrg(t, e, stranger.AccessToken, "Beta")
		rc := newReceiver(t, e)
		orgBody := func(org orgBody, u string) map[string]any {
			return map[string]any{"url": u, "events": []string{"invitee.created"}, "organization": org.URI, "scope": "organization"}
		}

		resp := createWebhook(e, owner.AccessToken, orgBody(acme, rc.url()))
		resp.WantStatus(t, http.StatusCreated)
		var out struct{ Resource webhookBody }
		resp.Decode(t, &out)
		sub := out.Resource
		if sub.Scope != "organization" || sub.Organization == nil || *sub.Organization != acme.URI || sub.User != nil {
			t.Fatalf("created %+v", sub)
		}
		rc.mu.Lock()
		rc.secret = sub.SigningKey
		rc.mu.Unlock()
		createWebhook(e, admin.AccessToken, orgBody(acme, rc.url())).WantError(t, http.StatusConflict, "conflict")
		createWebhook(e, admin.AccessToken, orgBody(acme, "https://hooks.example.com/acme")).WantStatus(t, http.StatusCreated)
		createWebhook(e, member.AccessToken, orgBody(acme, "https://hooks.example.com/m")).WantError(t, http.StatusForbidden, "forbidden")
		createWebhook(e, stranger.AccessToken, orgBody(acme, "https://hooks.example.com/s")).WantError(t, http.StatusForbidden, "forbidden")
		createWebhook(e, owner.AccessToken, orgBody(beta, "https://hooks.example.com/o")).WantError(t, http.StatusForbidden, "forbidden")
		resp = createWebhook(e, stranger.AccessToken, orgBody(beta, "https://hooks.example.com/beta"))
		resp.WantStatus(t, http.StatusCreated)
		resp.Decode(t, &out)
		betaSub := out.Resource

		list := "/v1/webhook_subscriptions?scope=organization&organization=" + url.QueryEscape(acme.URI)
		for _, tt := range []struct {
			who  session
			want int
		}{{owner, 2}, {admin, 2}, {member, -1}, {stranger, -1}} {
			resp := e.Do(apitest.Req{Method: "GET", Path: list, Token: tt.who.AccessToken})
			if tt.want < 0 {
				resp.WantError(t, http.StatusForbidden, "forbidden")
				continue
			}
			resp.WantStatus(t, http.StatusOK)
			var page struct{ Collection []webhookBody }
			resp.Decode(t, &page)
			if len(page.Collection) != tt.want {
				t.Errorf("%s lists %d", tt.who.User.Username, len(page.Collection))
			}
		}
		getWebhook(t, e, admin.AccessToken, sub.ID())
		for _, tt := range []struct {
			who session
			id  string
		}{{member, sub.ID()}, {stranger, sub.ID()}, {owner, betaSub.ID()}, {admin, betaSub.ID()}} {
			for _, method := range []string{"GET", "DELETE"} {
				e.Do(apitest.Req{Method: method, Path: "/v1/webhook_subscriptions/" + tt.id, Token: tt.who.AccessToken}).
					WantError(t, http.StatusNotFound, "not_found")
			}
			e.Do(apitest.Req{Method: "GET", Path: "/v1/webhook_subscriptions/" + tt.id + "/deliveries", Token: tt.who.AccessToken}).
				WantError(t, http.StatusNotFound, "not_found")
		}

		// A member's booking reaches the organization's subscription; the
		// other organization's hears nothing of it.
		putAvailability(t, e, member.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		guest := mustSignup(t, e, "alex", "client")
		id := bookedAt(t, e, guest.AccessToken, "mona", e.Clock.Now().Truncate(time.Hour).Add(26*time.Hour), 30)
		pump(t, e, sub.ID())
		got := rc.received()
		if len(got) != 1 || !strings.Contains(string(got[0].Envelope.Payload), id) {
			t.Fatalf("received %+v", got)
		}
		if n := len(deliveries(t, e, stranger.AccessToken, betaSub.ID())); n != 0 {
			t.Errorf("the other organization's subscription got %d deliveries", n)
		}
		// A member reads the deliveries of their own subscriptions only.
		e.Do(apitest.Req{Method: "POST", Path: "/v1/webhook_subscriptions/" + sub.ID() + "/deliveries/" + got[0].ID + "/redeliver",
			Token: member.AccessToken}).WantError(t, http.StatusNotFound, "not_found")
	})
}
