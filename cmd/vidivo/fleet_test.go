package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"

	signaling "github.com/vidivo/vidivo/signal"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// goneBound is the most a peer on a killed instance may take to be
// announced gone (issue 14: aim ≤ 10 s; the default PresenceTTL is 6 s).
const goneBound = 10 * time.Second

// peerGoneGrace is the fleet tests' VIDIVO_PEER_GRACE (60 s by default):
// how long after peer_left the call ends as timed out.
const peerGoneGrace = 3 * time.Second

// TestFleetKilledInstanceAnnouncedGone runs the guest's instance A and the
// host's instance B on one database, linked by NATS; mid-call A is killed
// with SIGKILL (it says nothing to anyone): the host on B hears peer_left
// within goneBound, and after the grace the call ends as for any other
// disconnection (completed, the server closes the host's socket) with its
// one hold settled. VIDIVO_FLEET_KILLS=N repeats the kill N times (a new
// A and a new call each) and logs the times, for bench/README.md.
func TestFleetKilledInstanceAnnouncedGone(t *testing.T) {
	t.Parallel()
	kills := 1
	if n, err := strconv.Atoi(os.Getenv("VIDIVO_FLEET_KILLS")); err == nil && n > 0 {
		kills = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout+peerGoneGrace+time.Duration(kills)*(goneBound+5*time.Second))
	defer cancel()
	nc, err := nats.Connect(natsTestURL, nats.Timeout(2*time.Second), nats.Name("vidivo-fleet-test"))
	if err != nil {
		t.Fatalf("NATS is not reachable at %s: %v", natsTestURL, err)
	}
	nc.Close()
	env := []string{"VIDIVO_NATS_URL=" + natsTestURL, "VIDIVO_PEER_GRACE=" + peerGoneGrace.String()}
	if os.Getenv(sqldbtest.EnvPostgres) != "" {
		env = append(env, "VIDIVO_DATABASE_URL="+sqldbtest.URL(t, "postgres"))
	}
	dir := t.TempDir()
	b := startInstance(ctx, t, "B", dir, env...) // first: it migrates and makes the keys

	type killed struct {
		call, hostToken string
		host            *fleetSocket
	}
	var calls []killed
	var took []time.Duration
	for i := range kills {
		a := startInstance(ctx, t, fmt.Sprintf("A%d", i), dir, env...)
		c := fleetCall(t, a, b, i)
		guest := dialFleet(ctx, t, a, c.guestToken, c.id)
		host := dialFleet(ctx, t, b, c.hostToken, c.id)
		guest.expect(ctx, t, signaling.TypePeerJoined, c.hostID)
		host.expect(ctx, t, signaling.TypePeerJoined, c.guestID)

		// Mid-call: after A's heartbeats have run a while, at a moment
		// that moves through the heartbeat's phase from one kill to the
		// next.
		time.Sleep(2500*time.Millisecond + time.Duration(i)*300*time.Millisecond%(2*time.Second))
		if err := a.cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		start := time.Now()
		host.expect(ctx, t, signaling.TypePeerLeft, c.guestID)
		d := time.Since(start)
		if d > goneBound {
			t.Errorf("kill %d: peer_left %v after the kill, want within %v", i, d, goneBound)
		}
		took = append(took, d)
		calls = append(calls, killed{c.id, c.hostAccess, host})
	}
	slices.Sort(took)
	for i := range took {
		took[i] = took[i].Round(10 * time.Millisecond)
	}
	t.Logf("kill -9 → peer_left over %d kills: min %v, median %v, max %v; all %v",
		len(took), took[0], took[len(took)/2], took[len(took)-1], took)

	// After the grace B ends each call as timed out: the server closes the
	// host's socket, the call is completed and its hold settled once.
	for _, k := range calls {
		k.host.closedByEnd(ctx, t)
		status, reason, ledger := settled(ctx, t, b, k.call, k.hostToken)
		if status != "completed" || reason != "timeout" || !oneHoldSettled(ledger) {
			t.Errorf("call %s after its guest's instance died: status %s, end_reason %s, ledger %s; want completed, timeout, one hold settled",
				k.call, status, reason, ledger)
		}
	}
}

// oneHoldSettled reports whether a call's ledger is one hold, settled
// exactly once (captured, or released if nothing was owed).
func oneHoldSettled(ledger string) bool {
	return ledger == "hold/succeeded capture/succeeded" || ledger == "hold/succeeded release/succeeded"
}

// settled reads a call from s until its hold is settled (the end may
// still be settling it, or a job retrying) or 20 s pass, and returns its
// status, end reason and ledger ("kind/state" of each charge).
func settled(ctx context.Context, t *testing.T, s *server, id, tok string) (status, reason, ledger string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		var got struct {
			Call struct {
				Status    string `json:"status"`
				EndReason string `json:"end_reason"`
				Charges   []struct{ Kind, State string }
			} `json:"call"`
		}
		if code := s.call(t, "GET", "/v1/calls/"+id, tok, nil, &got); code != 200 {
			t.Fatalf("GET call = %d", code)
		}
		var l []string
		for _, ch := range got.Call.Charges {
			l = append(l, ch.Kind+"/"+ch.State)
		}
		status, reason, ledger = got.Call.Status, got.Call.EndReason, strings.Join(l, " ")
		if oneHoldSettled(ledger) || ctx.Err() != nil {
			return status, reason, ledger
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// fleetCallInfo is one paid call with the host on hostSrv and an
// anonymous guest who joined on guestSrv.
type fleetCallInfo struct {
	id, guestID, hostID, guestToken, hostToken, hostAccess string
}

// fleetCall signs up host number i on hostSrv, sells a call, and has a
// guest join it on guestSrv and the host join on hostSrv.
func fleetCall(t *testing.T, guestSrv, hostSrv *server, i int) fleetCallInfo {
	t.Helper()
	var host struct {
		AccessToken string `json:"access_token"`
	}
	if code := hostSrv.call(t, "POST", "/v1/auth/signup", "", map[string]string{"email": fmt.Sprintf("host%d@example.com", i),
		"password": "correct horse battery", "username": fmt.Sprintf("fleethost%d", i), "display_name": "Host", "role": "host"}, &host); code != 201 {
		t.Fatalf("signup = %d", code)
	}
	if code := hostSrv.call(t, "POST", "/v1/users/me/payouts/onboarding", host.AccessToken, nil, nil); code != 200 {
		t.Fatalf("payout onboarding = %d", code)
	}
	var link struct {
		Link struct {
			ShortCode string `json:"short_code"`
		} `json:"link"`
	}
	if code := hostSrv.call(t, "POST", "/v1/links", host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10}, &link); code != 201 {
		t.Fatalf("create link = %d", code)
	}
	var joined struct {
		grant
		Call struct {
			ID string `json:"id"`
		} `json:"call"`
	}
	if code := guestSrv.call(t, "POST", "/v1/calls/join/"+link.Link.ShortCode, "", map[string]string{"payment_method_id": "pm_card_visa", "guest_name": "Alex"}, &joined); code != 201 {
		t.Fatalf("join = %d", code)
	}
	var hostGrant grant
	if code := hostSrv.call(t, "POST", "/v1/calls/"+joined.Call.ID+"/host-join", host.AccessToken, nil, &hostGrant); code != 201 {
		t.Fatalf("host-join = %d", code)
	}
	return fleetCallInfo{id: joined.Call.ID, guestID: joined.participant(), hostID: hostGrant.participant(),
		guestToken: joined.SignalingToken, hostToken: hostGrant.SignalingToken, hostAccess: host.AccessToken}
}

// fleetSocket is a signaling socket whose messages one goroutine reads.
type fleetSocket struct {
	msgs chan signaling.Message
	done chan struct{}
	err  error // why reading ended, once done is closed
}

func dialFleet(ctx context.Context, t *testing.T, s *server, tok, callID string) *fleetSocket {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, wsURL(s, tok, callID), nil)
	if err != nil {
		t.Fatalf("dial %s: %v", s.base, err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	fs := &fleetSocket{msgs: make(chan signaling.Message, 64), done: make(chan struct{})}
	go func() {
		defer close(fs.done)
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				fs.err = err
				return
			}
			var m signaling.Message
			if json.Unmarshal(data, &m) == nil {
				fs.msgs <- m
			}
		}
	}()
	return fs
}

// expect waits for a message of type typ from participant from, skipping
// others.
func (fs *fleetSocket) expect(ctx context.Context, t *testing.T, typ, from string) {
	t.Helper()
	for {
		select {
		case m := <-fs.msgs:
			if m.Type == typ && m.From == from {
				return
			}
		case <-fs.done:
			t.Fatalf("socket ended waiting for %s from %s: %v", typ, from, fs.err)
		case <-ctx.Done():
			t.Fatalf("no %s from %s in time", typ, from)
		}
	}
}

// closedByEnd waits for the server to close the socket because the call
// ended.
func (fs *fleetSocket) closedByEnd(ctx context.Context, t *testing.T) {
	t.Helper()
	select {
	case <-fs.done:
	case <-ctx.Done():
		t.Fatal("the server did not close the host's socket: the call did not end")
	}
	var ce websocket.CloseError
	if !errors.As(fs.err, &ce) || ce.Code != websocket.StatusNormalClosure || !strings.Contains(ce.Reason, "call ended") {
		t.Errorf("host's socket ended with %v, want 1000 saying the call ended", fs.err)
	}
}

// TestPeerGraceAndRenewLeadSettings: VIDIVO_PEER_GRACE and
// VIDIVO_RENEW_LEAD (and their flags) are durations with sensible floors;
// anything else is refused at start.
func TestPeerGraceAndRenewLeadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		wantGrace time.Duration
		wantLead  time.Duration
		wantErr   string
	}{
		{name: "defaults", wantGrace: time.Minute, wantLead: time.Minute},
		{name: "env", env: map[string]string{"VIDIVO_PEER_GRACE": "5s", "VIDIVO_RENEW_LEAD": "165s"}, wantGrace: 5 * time.Second, wantLead: 165 * time.Second},
		{name: "flags win", env: map[string]string{"VIDIVO_PEER_GRACE": "5s"}, args: []string{"--peer-grace", "2m", "--renew-lead", "10s"},
			wantGrace: 2 * time.Minute, wantLead: 10 * time.Second},
		{name: "grace not a duration", env: map[string]string{"VIDIVO_PEER_GRACE": "60"}, wantErr: "peer grace"},
		{name: "grace too short", env: map[string]string{"VIDIVO_PEER_GRACE": "500ms"}, wantErr: "peer grace"},
		{name: "grace negative", env: map[string]string{"VIDIVO_PEER_GRACE": "-1m"}, wantErr: "peer grace"},
		{name: "lead too short", env: map[string]string{"VIDIVO_RENEW_LEAD": "9s"}, wantErr: "renew lead"},
		{name: "lead not a duration", env: map[string]string{"VIDIVO_RENEW_LEAD": "soon"}, wantErr: "renew lead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			build := registerConfig(fs, func(k string) string { return tt.env[k] })
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := build()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.PeerGrace != tt.wantGrace || c.RenewLead != tt.wantLead {
				t.Errorf("grace %v, lead %v; want %v, %v", c.PeerGrace, c.RenewLead, tt.wantGrace, tt.wantLead)
			}
		})
	}
}
