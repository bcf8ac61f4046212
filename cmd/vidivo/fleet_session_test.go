package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"

	signaling "github.com/vidivo/vidivo/signal"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// TestFleetSessionLobby runs a group session's room on two instances of a
// fleet (one database, NATS): the guest waits on instance B and the host,
// on instance A, sees them waiting and admits them; the guest's next join
// on B is admitted and its socket connects on B; then the host removes the
// guest from A and the guest's socket on B closes (1008, removed), and the
// guest waits in the lobby again. Plain HTTP and WebSocket clients, as the
// room's page would call.
func TestFleetSessionLobby(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	nc, err := nats.Connect(natsTestURL, nats.Timeout(2*time.Second), nats.Name("vidivo-fleet-session-test"))
	if err != nil {
		t.Fatalf("NATS is not reachable at %s: %v", natsTestURL, err)
	}
	nc.Close()
	env := []string{"VIDIVO_NATS_URL=" + natsTestURL}
	if os.Getenv(sqldbtest.EnvPostgres) != "" {
		env = append(env, "VIDIVO_DATABASE_URL="+sqldbtest.URL(t, "postgres"))
	}
	dir := t.TempDir()
	a := startInstance(ctx, t, "A", dir, env...) // first: it migrates and makes the keys
	b := startInstance(ctx, t, "B", dir, env...)

	sessionID, paths, ids := fleetSession(t, a)
	host := enterRoom(t, a, paths["Jane"])
	guest := enterRoom(t, b, paths["Ben"])

	// The guest waits on B; the host on A sees them.
	if j := guest.join(t); !j.Lobby || j.SignalingToken != "" {
		t.Fatalf("the guest's join on B = %+v, want the lobby", j)
	}
	var st fleetRoomState
	if code := host.do(t, "GET", "/room", nil, &st); code != 200 || len(st.Waiting) != 1 || st.Waiting[0].ParticipantID != ids["Ben"] {
		t.Fatalf("the host's room on A = %d %+v, want Ben waiting", code, st)
	}
	if code := host.do(t, "POST", "/admit", map[string]string{"participant_id": ids["Ben"]}, &st); code != 200 || len(st.Waiting) != 0 {
		t.Fatalf("admitting on A = %d %+v", code, st)
	}

	// Admitted: the guest's join on B hands out a token, its socket
	// connects on B, and the host's on A; each hears of the other.
	gj := guest.join(t)
	if gj.Lobby || gj.SignalingToken == "" || gj.WSURL != "/signal/ws?call="+sessionID {
		t.Fatalf("the guest's join on B once admitted = %+v, want a token for the session's room", gj)
	}
	hj := host.join(t)
	if hj.Lobby || hj.SignalingToken == "" {
		t.Fatalf("the host's join on A = %+v", hj)
	}
	guestWS := dialFleet(ctx, t, b, gj.SignalingToken, sessionID)
	hostWS := dialFleet(ctx, t, a, hj.SignalingToken, sessionID)
	guestWS.expect(ctx, t, signaling.TypePeerJoined, ids["Jane"])
	hostWS.expect(ctx, t, signaling.TypePeerJoined, ids["Ben"])

	// The host removes the guest on A: the socket on B closes with 1008.
	if code := host.do(t, "POST", "/remove", map[string]string{"participant_id": ids["Ben"]}, &st); code != 200 {
		t.Fatalf("removing on A = %d", code)
	}
	select {
	case <-guestWS.done:
	case <-ctx.Done():
		t.Fatal("the removed guest's socket on B stayed open")
	}
	var ce websocket.CloseError
	if !errors.As(guestWS.err, &ce) || ce.Code != websocket.StatusPolicyViolation || ce.Reason != "removed from the session by a host" {
		t.Errorf("the guest's socket on B ended with %v, want 1008 removed from the session by a host", guestWS.err)
	}
	hostWS.expect(ctx, t, signaling.TypePeerLeft, ids["Ben"])
	// Removed, the guest waits again, and the relay refuses the old token.
	if j := guest.join(t); !j.Lobby {
		t.Errorf("the removed guest's join on B = %+v, want the lobby", j)
	}
	ws, resp, err := websocket.Dial(ctx, wsURL(b, gj.SignalingToken, sessionID), nil)
	if err == nil {
		ws.CloseNow()
		t.Error("the removed guest's socket was admitted again")
	} else if resp == nil || resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("dialing as the removed guest: %v, want refused", err)
	}
}

// fleetSession signs a host up on s and schedules a session starting in
// two minutes (its room is open: from 5 minutes before the start) with
// Jane the host and Ben a guest without a fee. It returns the session's
// id, each participant's entry path and id.
func fleetSession(t *testing.T, s *server) (string, map[string]string, map[string]string) {
	t.Helper()
	var host struct {
		AccessToken string `json:"access_token"`
	}
	if code := s.call(t, "POST", "/v1/auth/signup", "", map[string]string{"email": "jane@example.com",
		"password": "correct horse battery", "username": "fleetjane", "display_name": "Jane", "role": "host"}, &host); code != 201 {
		t.Fatalf("signup = %d", code)
	}
	start := time.Now().Add(2 * time.Minute).UTC().Truncate(time.Second)
	var out struct {
		Resource struct {
			ID           string `json:"id"`
			Participants []struct {
				ParticipantID string `json:"participant_id"`
				DisplayName   string `json:"display_name"`
				EntryURL      string `json:"entry_url"`
			} `json:"participants"`
		} `json:"resource"`
	}
	if code := s.call(t, "POST", "/v1/sessions", host.AccessToken, map[string]any{
		"session_name": "Fleet practice", "start_time": start.Format(time.RFC3339), "end_time": start.Add(time.Hour).Format(time.RFC3339),
		"participants": []map[string]any{
			{"display_name": "Jane", "role": "host", "email": "jane@example.com"},
			{"display_name": "Ben", "role": "guest"},
		}}, &out); code != 201 {
		t.Fatalf("create session = %d", code)
	}
	paths, ids := map[string]string{}, map[string]string{}
	for _, p := range out.Resource.Participants {
		_, path, ok := strings.Cut(p.EntryURL, "/s/")
		if !ok {
			t.Fatalf("entry URL %q has no /s/", p.EntryURL)
		}
		paths[p.DisplayName] = "/s/" + path
		ids[p.DisplayName] = p.ParticipantID
	}
	return out.Resource.ID, paths, ids
}

// roomClient is one participant's room page on one instance: its cookies
// and the CSRF token of the entry page, as the page's script has them.
type roomClient struct {
	s      *server
	path   string
	client *http.Client
	csrf   string
}

var csrfMetaTag = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// enterRoom opens the entry page at path on s, as a browser would first.
func enterRoom(t *testing.T, s *server, path string) *roomClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	rc := &roomClient{s: s, path: path, client: &http.Client{Jar: jar}}
	resp, err := rc.client.Get(s.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := csrfMetaTag.FindSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("GET %s = %d without a CSRF token:\n%s", path, resp.StatusCode, body)
	}
	rc.csrf = string(m[1])
	return rc
}

// do calls the room endpoint path+sub with a JSON body, the CSRF header
// on POST, and decodes a 200's answer into out.
func (rc *roomClient) do(t *testing.T, method, sub string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, rc.s.base+rc.path+sub, rd)
	if method == http.MethodPost {
		req.Header.Set("X-CSRF-Token", rc.csrf)
	}
	resp, err := rc.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, sub, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 && out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, sub, err, raw)
		}
	}
	if resp.StatusCode != 200 {
		t.Logf("%s %s = %d: %s", method, sub, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// join is the page's POST /s/{token}/join.
func (rc *roomClient) join(t *testing.T) fleetRoomJoin {
	t.Helper()
	var j fleetRoomJoin
	if code := rc.do(t, "POST", "/join", nil, &j); code != 200 {
		t.Fatalf("join on %s = %d", rc.s.base, code)
	}
	return j
}

type fleetRoomPeer struct {
	ParticipantID string `json:"participant_id"`
	Admitted      bool   `json:"admitted"`
}

type fleetRoomState struct {
	Admitted bool            `json:"admitted"`
	Waiting  []fleetRoomPeer `json:"waiting"`
}

type fleetRoomJoin struct {
	Lobby          bool           `json:"lobby"`
	SignalingToken string         `json:"signaling_token"`
	WSURL          string         `json:"ws_url"`
	Room           fleetRoomState `json:"room"`
}
