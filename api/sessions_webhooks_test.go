package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
)

// TestSessionWebhooks: a host's subscription to the session events gets,
// through the outbox and a real loopback receiver (signatures checked),
// session.created, participant.paid (with the platform fee and the host's
// payout) and session.canceled, each once, and never an entry URL.
func TestSessionWebhooks(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "drsmith")
		rc := newReceiver(t, e)
		sub := mustSubscribe(t, e, host, rc, "session.created", "session.canceled", "session.ended", "participant.paid")
		start := e.Clock.Now().Add(24 * time.Hour).Truncate(time.Minute)
		sess := mustCreateSession(t, e, host.AccessToken, sessionBody(start, threeParticipants(host.User.Email)...))
		tok := entryToken(t, sess.Participants[1].EntryURL)
		e.Do(apitest.Req{Method: "POST", Path: entryPath(tok, "/pay"),
			Body: map[string]any{"payment_method_id": "pm_card_visa"}}).WantStatus(t, http.StatusOK)
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/sessions/" + sess.ID, Token: host.AccessToken}).WantStatus(t, http.StatusOK)
		pump(t, e, sub.ID())
		// A second session runs (presence moves it) and ends.
		free := []map[string]any{{"display_name": "Dr Smith", "role": "host"}}
		held := mustCreateSession(t, e, host.AccessToken, sessionBody(start.Add(2*time.Hour), free...))
		for _, st := range []vidivo.SessionState{vidivo.SessionInProgress, vidivo.SessionEnded} {
			if ok, err := e.Server.Sessions.MarkState(t.Context(), held.ID, st, e.Clock.Now()); err != nil || !ok {
				t.Fatalf("mark %s: %v, %v", st, ok, err)
			}
		}
		if ok, _ := e.Server.Sessions.MarkState(t.Context(), held.ID, vidivo.SessionEnded, e.Clock.Now()); ok {
			t.Fatal("a session ended twice")
		}
		pump(t, e, sub.ID())

		got := rc.received()
		want := "session.created,participant.paid,session.canceled,session.created,session.ended"
		if evs := strings.Join(eventsOf(got), ","); evs != want {
			t.Fatalf("events = %s", evs)
		}
		var created struct {
			URI          string `json:"uri"`
			State        string `json:"state"`
			Participants []struct {
				ParticipantID string `json:"participant_id"`
			} `json:"participants"`
		}
		if err := json.Unmarshal(got[0].Envelope.Payload, &created); err != nil {
			t.Fatal(err)
		}
		if created.URI != apitest.PublicURL+"/v1/sessions/"+sess.ID || created.State != "scheduled" || len(created.Participants) != 3 {
			t.Fatalf("session.created payload = %s", got[0].Envelope.Payload)
		}
		var paid struct {
			Participant struct {
				ParticipantID string `json:"participant_id"`
				Paid          bool   `json:"paid"`
			} `json:"participant"`
			Amount      string `json:"amount"`
			PlatformFee string `json:"platform_fee"`
			HostPayout  string `json:"host_payout"`
		}
		if err := json.Unmarshal(got[1].Envelope.Payload, &paid); err != nil {
			t.Fatal(err)
		}
		if paid.Participant.ParticipantID != sess.Participants[1].ParticipantID || !paid.Participant.Paid ||
			paid.Amount != "25.00" || paid.PlatformFee != "2.50" || paid.HostPayout != "22.50" {
			t.Fatalf("participant.paid payload = %s", got[1].Envelope.Payload)
		}
		for _, d := range got {
			if strings.Contains(string(d.Envelope.Payload), "/s/") || strings.Contains(string(d.Envelope.Payload), tok) {
				t.Fatalf("%s carries an entry URL: %s", d.Envelope.Event, d.Envelope.Payload)
			}
		}
	})
}
