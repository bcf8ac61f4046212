package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/token"
)

// signalingGrant is the answer of POST /v1/calls/{id}/signaling-token.
type signalingGrant struct {
	SignalingToken  string `json:"signaling_token"`
	TURNCredentials struct {
		URLs       []string `json:"urls"`
		Username   string   `json:"username"`
		Credential string   `json:"credential"`
	} `json:"turn_credentials"`
}

func signalingToken(e *apitest.Env, id, tok string) *apitest.Response {
	return e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + id + "/signaling-token", Token: tok})
}

// mustSignalingToken gets a fresh grant and checks that its token is the
// server's, for participant of call id in role, and that its TURN
// credentials are for the same participant.
func mustSignalingToken(t *testing.T, e *apitest.Env, id, tok, participant, role string) signalingGrant {
	t.Helper()
	resp := signalingToken(e, id, tok)
	resp.WantStatus(t, http.StatusCreated)
	var g signalingGrant
	resp.Decode(t, &g)
	claims, err := e.Server.Signaling.Verify(g.SignalingToken)
	if err != nil {
		t.Fatalf("the minted signaling token does not verify: %v", err)
	}
	want := token.Signaling{CallID: id, Participant: participant, Role: role, ExpiresAt: e.Clock.Now().Add(token.SignalingTTL).Unix()}
	if claims != want {
		t.Errorf("signaling token grants %+v, want %+v", claims, want)
	}
	if !strings.HasSuffix(g.TURNCredentials.Username, ":"+participant) || g.TURNCredentials.Credential == "" ||
		len(g.TURNCredentials.URLs) != 1 || g.TURNCredentials.URLs[0] != "turn:127.0.0.1:3478" {
		t.Errorf("TURN credentials = %+v, want them for %s", g.TURNCredentials, participant)
	}
	return g
}

// guestID is the participant id of a joined guest: the one its TURN
// credentials are for.
func guestID(t *testing.T, j joined) string {
	t.Helper()
	_, id, ok := strings.Cut(j.TURNCredentials.Username, ":")
	if !ok || id == "" {
		t.Fatalf("no participant in TURN username %q", j.TURNCredentials.Username)
	}
	return id
}

func TestSignalingTokenEndpoint(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		other := paidHost(t, e, "otherhost")
		client := mustSignup(t, e, "alex", "client")
		link := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10})
		j := mustJoin(t, e, link.ShortCode)
		j2 := mustJoin(t, e, link.ShortCode)
		id, guest := j.Call.ID, guestID(t, j)

		// Both participants, before and after the host joins; the join's
		// own token names the same participant.
		first, err := e.Server.Signaling.Verify(j.SignalingToken)
		if err != nil || first.Participant != guest || first.Role != "guest" || first.CallID != id {
			t.Fatalf("join's signaling token = %+v, %v", first, err)
		}
		mustSignalingToken(t, e, id, j.GuestToken, guest, "guest")
		mustSignalingToken(t, e, id, host.AccessToken, host.User.ID, "host")
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + id + "/host-join", Token: host.AccessToken}).WantStatus(t, http.StatusCreated)
		e.Clock.Add(3 * time.Minute)
		g := mustSignalingToken(t, e, id, j.GuestToken, guest, "guest")
		mustSignalingToken(t, e, id, host.AccessToken, host.User.ID, "host")
		// A fresh token is good for five minutes from its minting.
		e.Clock.Add(token.SignalingTTL - time.Second)
		if _, err := e.Server.Signaling.Verify(g.SignalingToken); err != nil {
			t.Errorf("a fresh token expired early: %v", err)
		}
		e.Clock.Add(time.Second)
		if _, err := e.Server.Signaling.Verify(g.SignalingToken); vidivo.ErrorCode(err) != vidivo.EUNAUTHORIZED {
			t.Errorf("a token past its five minutes verifies: %v", err)
		}

		// A guest who joined with an account uses its access token.
		resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/join/" + link.ShortCode, Token: client.AccessToken,
			Body: map[string]any{"payment_method_id": "pm_card_visa"}})
		resp.WantStatus(t, http.StatusCreated)
		var j3 joined
		resp.Decode(t, &j3)
		mustSignalingToken(t, e, j3.Call.ID, client.AccessToken, guestID(t, j3), "guest")

		// Nobody else: another host, another call's guest, a stranger.
		host = login(t, e, "janecoach")
		for _, tok := range []string{other.AccessToken, j2.GuestToken, client.AccessToken} {
			signalingToken(e, id, tok).WantError(t, http.StatusForbidden, "forbidden")
		}
		signalingToken(e, j3.Call.ID, j.GuestToken).WantError(t, http.StatusForbidden, "forbidden")
		signalingToken(e, id, "").WantError(t, http.StatusUnauthorized, "unauthorized")
		signalingToken(e, "01JN2X6M0P5H9SRBTXY8ZDKEFG", host.AccessToken).WantError(t, http.StatusNotFound, "not_found")

		// Once the call ended, no participant gets one.
		endCall(e, j.GuestToken, id, "user_ended", "").WantStatus(t, http.StatusOK)
		signalingToken(e, id, j.GuestToken).WantError(t, http.StatusConflict, "conflict")
		signalingToken(e, id, host.AccessToken).WantError(t, http.StatusConflict, "conflict")
	})
}

// TestPeerGone drives the calls layer's hook for a participant the relay
// has not seen for its grace period: an active call ends with reason
// timeout and is settled for the time used; an ended call is left alone.
func TestPeerGone(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		ctx := context.Background()
		host := paidHost(t, e, "janecoach")
		link := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10})
		j := mustJoin(t, e, link.ShortCode)
		id := j.Call.ID
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + id + "/host-join", Token: host.AccessToken}).WantStatus(t, http.StatusCreated)
		e.Clock.Add(3*time.Minute + 20*time.Second)

		e.Calls.PeerGone(ctx, id, guestID(t, j))
		c, err := e.DB.CallByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != vidivo.CallCompleted || deref(c.EndReason) != vidivo.EndTimeout || c.DurationSeconds != 200 ||
			c.BilledMinutes != 4 || c.TotalCharged != 1000 {
			t.Fatalf("after PeerGone: %s %q, %d s, %d min, %v", c.Status, deref(c.EndReason), c.DurationSeconds, c.BilledMinutes, c.TotalCharged)
		}
		if got := money(t, e, id); got != 1000 {
			t.Errorf("captured %v, want 10.00", got)
		}
		charges, _ := e.DB.Charges(ctx, id)

		// Repeated (another instance, a retried timer): nothing changes.
		e.Clock.Add(time.Minute)
		e.Calls.PeerGone(ctx, id, host.User.ID)
		again, _ := e.DB.CallByID(ctx, id)
		if again.Status != c.Status || deref(again.EndReason) != vidivo.EndTimeout || !again.EndedAt.Equal(*c.EndedAt) ||
			again.TotalCharged != c.TotalCharged {
			t.Errorf("PeerGone on an ended call changed it: %+v", again)
		}
		if after, _ := e.DB.Charges(ctx, id); len(after) != len(charges) {
			t.Errorf("PeerGone on an ended call touched the ledger: %d entries, was %d", len(after), len(charges))
		}
		money(t, e, id)

		// An unknown call: nothing to do, no panic.
		e.Calls.PeerGone(ctx, "01JN2X6M0P5H9SRBTXY8ZDKEFG", "someone")

		// A call the host never joined costs nothing when its guest goes.
		j2 := mustJoin(t, e, link.ShortCode)
		e.Clock.Add(2 * time.Minute)
		e.Calls.PeerGone(ctx, j2.Call.ID, guestID(t, j2))
		c2, _ := e.DB.CallByID(ctx, j2.Call.ID)
		if !c2.Status.Ended() || deref(c2.EndReason) != vidivo.EndTimeout || c2.TotalCharged != 0 {
			t.Errorf("unanswered call after PeerGone: %s %q %v", c2.Status, deref(c2.EndReason), c2.TotalCharged)
		}
		if money(t, e, j2.Call.ID) != 0 {
			t.Error("an unanswered call was charged")
		}
	})
}

// TestAdmitSignal checks whom the relay lets into a call's room: a call
// under way, or a booking whose call has not started; not a call that
// ended, nor an unknown or canceled booking.
func TestAdmitSignal(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		ctx := context.Background()
		host := paidHost(t, e, "janecoach")
		link := createLink(t, e, host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10})
		j := mustJoin(t, e, link.ShortCode)
		id := j.Call.ID
		if err := e.Calls.AdmitSignal(ctx, id); err != nil {
			t.Errorf("waiting call refused: %v", err)
		}
		e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + id + "/host-join", Token: host.AccessToken}).WantStatus(t, http.StatusCreated)
		if err := e.Calls.AdmitSignal(ctx, id); err != nil {
			t.Errorf("active call refused: %v", err)
		}
		endCall(e, j.GuestToken, id, "user_ended", "").WantStatus(t, http.StatusOK)
		if err := e.Calls.AdmitSignal(ctx, id); vidivo.ErrorCode(err) != vidivo.ECONFLICT {
			t.Errorf("ended call: AdmitSignal = %v, want conflict", err)
		}

		// A booking hours away: no call yet, but its room is open (the
		// host may wait there for the guest).
		guest := mustSignup(t, e, "alex", "client")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		at := e.Clock.Now().Truncate(time.Hour).Add(3 * time.Hour)
		var b, b2 bookingResp
		book(e, guest.AccessToken, "janecoach", at, 30).Decode(t, &b)
		book(e, guest.AccessToken, "janecoach", at.Add(time.Hour), 30).Decode(t, &b2)
		if _, err := e.DB.CallByID(ctx, b.ScheduledCall.ID); vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
			t.Fatalf("a booking not started has a call already: %v", err)
		}
		if err := e.Calls.AdmitSignal(ctx, b.ScheduledCall.ID); err != nil {
			t.Errorf("booking not started refused: %v", err)
		}

		// A canceled booking and an unknown id look like a bad token.
		e.Do(apitest.Req{Method: "PUT", Path: "/v1/schedule/" + b2.ScheduledCall.ID + "/cancel", Token: guest.AccessToken,
			Body: map[string]string{"reason": "Schedule conflict"}}).WantStatus(t, http.StatusNoContent)
		for name, id := range map[string]string{"canceled booking": b2.ScheduledCall.ID, "unknown id": "01JN2X6M0P5H9SRBTXY8ZDKEFG"} {
			if err := e.Calls.AdmitSignal(ctx, id); vidivo.ErrorCode(err) != vidivo.EUNAUTHORIZED {
				t.Errorf("%s: AdmitSignal = %v, want unauthorized", name, err)
			}
		}
	})
}
