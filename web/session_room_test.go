package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/sessions"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/token"
	"github.com/vidivo/vidivo/web"
)

// roomSite is a site with group sessions' rooms mounted.
type roomSite struct {
	*site
	Rooms *web.SessionRooms
}

func newRoomSite(t *testing.T, engine string) *roomSite {
	t.Helper()
	env := apitest.New(t, engine, nil)
	s := env.Server
	rooms := &web.SessionRooms{Sessions: s.Sessions, Now: env.Clock.Now, Logger: s.Logger}
	pages := &web.Server{
		Auth: s.Auth, Users: env.DB, Links: env.DB, Calls: env.Calls, CallStore: env.DB,
		GuestTokens: s.GuestTokens, Signaling: s.Signaling, TURN: s.TURN, Notify: env.Hub,
		Gateway: env.Gateway, Payouts: env.DB, Payments: "sandbox", Limiter: s, PublicURL: apitest.PublicURL,
		Now: env.Clock.Now, Logger: s.Logger, Booking: s.Booking, EventTypes: env.DB, Rooms: rooms,
	}
	pages.Routes()
	s.Pages = pages
	return &roomSite{site: &site{Env: env, Pages: pages}, Rooms: rooms}
}

// roomPeer and roomState are the room endpoints' answers.
type roomPeer struct {
	ParticipantID string `json:"participant_id"`
	DisplayName   string `json:"display_name"`
	Role          string `json:"role"`
	Admitted      bool   `json:"admitted"`
}

type roomState struct {
	SessionState   string     `json:"session_state"`
	Admitted       bool       `json:"admitted"`
	AdmitOnArrival bool       `json:"admit_on_arrival"`
	Participants   []roomPeer `json:"participants"`
	Waiting        []roomPeer `json:"waiting"`
}

type roomJoin struct {
	Lobby          bool      `json:"lobby"`
	SignalingToken string    `json:"signaling_token"`
	WSURL          string    `json:"ws_url"`
	Room           roomState `json:"room"`
}

// roomCall is a room endpoint's call from the page's script: JSON, with
// the CSRF header on POST.
func (b *browser) roomCall(method, path string, body any, out any) int {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.base+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("X-CSRF-Token", b.csrf())
	}
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, out); err != nil {
			b.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	if resp.StatusCode >= 400 && !strings.Contains(string(raw), `"error"`) {
		b.t.Errorf("%s %s = %d without the error format: %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// newRoomSession has a host with payouts schedule a session starting in
// ten minutes (Jane the host, Ana with a fee of 5.00, Ben): it returns the
// host's token, the session's id and each participant's entry path and id.
func newRoomSession(t *testing.T, s *roomSite) (string, string, map[string]string, map[string]string) {
	t.Helper()
	var signup struct {
		AccessToken string `json:"access_token"`
	}
	s.Do(apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: map[string]string{"email": "jane@example.com",
		"password": "correct horse battery", "username": "jane", "display_name": "Jane", "role": "host"}}).Decode(t, &signup)
	s.Do(apitest.Req{Method: "POST", Path: "/v1/users/me/payouts/onboarding", Token: signup.AccessToken}).WantStatus(t, 200)
	start := s.Clock.Now().Add(10 * time.Minute).UTC().Truncate(time.Second)
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
	s.Do(apitest.Req{Method: "POST", Path: "/v1/sessions", Token: signup.AccessToken, Body: map[string]any{
		"session_name": "Group practice", "start_time": start.Format(time.RFC3339), "end_time": start.Add(time.Hour).Format(time.RFC3339),
		"participants": []map[string]any{
			{"display_name": "Jane", "role": "host", "email": "jane@example.com"},
			{"display_name": "Ana", "role": "guest", "fee": map[string]string{"amount": "5.00", "currency": "usd"}},
			{"display_name": "Ben", "role": "guest"},
		}}}).Decode(t, &out)
	paths, ids := map[string]string{}, map[string]string{}
	for _, p := range out.Resource.Participants {
		paths[p.DisplayName] = strings.TrimPrefix(p.EntryURL, apitest.PublicURL)
		ids[p.DisplayName] = p.ParticipantID
	}
	return signup.AccessToken, out.Resource.ID, paths, ids
}

// TestSessionRoom walks a session's room through its endpoints on both
// engines: the entry page before the window opens, the fee before
// entering, the lobby and a host's admit, remove and admit on arrival, a
// guest refused the hosts' actions, the relay's admission (a later device
// replaces an earlier one; presence moves the session to in_progress),
// an unknown URL (404) and a closed session (410).
func TestSessionRoom(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := newRoomSite(t, engine)
			_, sessionID, paths, ids := newRoomSession(t, s)
			jane, ana, ben := s.browser(t), s.browser(t), s.browser(t)

			// Before the window opens: the page says when; nobody enters.
			p := ben.get(paths["Ben"])
			if p.Status != 200 || !strings.Contains(p.Body, "The room opens at") || strings.Contains(p.Body, `id="enter"`) {
				t.Errorf("before the window GET %s = %d, want 200 saying when it opens, no Enter button:\n%s", paths["Ben"], p.Status, p.Body)
			}
			if code := ben.roomCall("POST", paths["Ben"]+"/join", nil, nil); code != 409 {
				t.Errorf("joining before the window = %d, want 409", code)
			}
			s.Clock.Add(6 * time.Minute)

			// Ana's fee comes first.
			if p := ana.get(paths["Ana"]); p.Status != 200 || !strings.Contains(p.Body, "Pay $5.00") ||
				!strings.Contains(p.Body, `<dd id="session-hosts">Jane</dd>`) || !strings.Contains(p.Body, "paid to Jane,") {
				t.Errorf("Ana's entry page = %d, want 200 naming the host she pays and Pay $5.00:\n%s", p.Status, p.Body)
			}
			if code := ana.roomCall("POST", paths["Ana"]+"/join", nil, nil); code != 402 {
				t.Errorf("joining unpaid = %d, want 402", code)
			}
			if p := ana.post(paths["Ana"]+"/pay", url.Values{"payment_method_id": {"pm_card_chargeDeclined"}}); p.Status != 402 ||
				!strings.Contains(p.Body, "declined") {
				t.Errorf("paying with a declined card = %d, want 402 saying so:\n%s", p.Status, p.Body)
			}
			if p := ana.post(paths["Ana"]+"/pay", url.Values{"payment_method_id": {"pm_card_visa"}}); p.Status != 303 ||
				p.Header.Get("Location") != paths["Ana"] {
				t.Errorf("paying = %d to %q, want 303 to the entry page", p.Status, p.Header.Get("Location"))
			}

			// Ben waits; a guest cannot let anyone in; the host can.
			var j roomJoin
			if code := ben.roomCall("POST", paths["Ben"]+"/join", nil, &j); code != 200 || !j.Lobby || j.SignalingToken != "" {
				t.Errorf("Ben's join = %d %+v, want the lobby without a token", code, j)
			}
			for _, action := range []string{"admit", "remove"} {
				if code := ana.roomCall("POST", paths["Ana"]+"/"+action, map[string]string{"participant_id": ids["Ben"]}, nil); code != 403 {
					t.Errorf("a guest's %s = %d, want 403", action, code)
				}
			}
			if code := ana.roomCall("POST", paths["Ana"]+"/admit-on-arrival", map[string]bool{"on": true}, nil); code != 403 {
				t.Errorf("a guest's admit-on-arrival = %d, want 403", code)
			}
			var st roomState
			if code := jane.roomCall("GET", paths["Jane"]+"/room", nil, &st); code != 200 || len(st.Waiting) != 1 || st.Waiting[0].DisplayName != "Ben" {
				t.Errorf("the host's room = %d %+v, want Ben waiting", code, st)
			}
			for _, c := range []struct {
				id   string
				want int
			}{{ids["Jane"], 409}, {"01JN0000000000000000000000", 404}, {"not-an-id", 404}} {
				if code := jane.roomCall("POST", paths["Jane"]+"/admit", map[string]string{"participant_id": c.id}, nil); code != c.want {
					t.Errorf("admitting %q = %d, want %d", c.id, code, c.want)
				}
			}
			if code := jane.roomCall("POST", paths["Jane"]+"/admit", map[string]string{"participant_id": ids["Ben"]}, nil); code != 200 {
				t.Errorf("admitting Ben = %d", code)
			}
			if code := ben.roomCall("POST", paths["Ben"]+"/join", nil, &j); code != 200 || j.Lobby || j.SignalingToken == "" ||
				j.WSURL != "/signal/ws?call="+sessionID {
				t.Errorf("Ben's join once admitted = %d %+v, want a signaling token for the session's room", code, j)
			}
			benToken := j.SignalingToken

			// The relay admits the host's socket: the session is in progress.
			var hj roomJoin
			if code := jane.roomCall("POST", paths["Jane"]+"/join", nil, &hj); code != 200 || hj.Lobby {
				t.Fatalf("the host's join = %d %+v, want straight in", code, hj)
			}
			ctx := context.Background()
			if err := s.Rooms.AdmitSignal(ctx, claims(t, s, hj.SignalingToken)); err != nil {
				t.Errorf("the relay refuses the host: %v", err)
			}
			if sess, err := s.Server.Sessions.Store.Session(ctx, sessionID); err != nil || sess.State != vidivo.SessionInProgress {
				t.Errorf("after the first socket the session is %v (%v), want in_progress", sess.State, err)
			}

			// The host removes Ben: the relay refuses his token, and he
			// waits again even with admit on arrival.
			if code := jane.roomCall("POST", paths["Jane"]+"/remove", map[string]string{"participant_id": ids["Ben"]}, nil); code != 200 {
				t.Errorf("removing Ben = %d", code)
			}
			if err := s.Rooms.AdmitSignal(ctx, claims(t, s, benToken)); vidivo.ErrorCode(err) != vidivo.EFORBIDDEN {
				t.Errorf("the relay's answer to a removed guest = %v, want forbidden", err)
			}
			if code := jane.roomCall("POST", paths["Jane"]+"/admit-on-arrival", map[string]bool{"on": true}, &st); code != 200 || !st.AdmitOnArrival {
				t.Errorf("admit on arrival = %d %+v", code, st)
			}
			if code := ben.roomCall("POST", paths["Ben"]+"/join", nil, &j); code != 200 || !j.Lobby {
				t.Errorf("a removed guest's join = %d %+v, want the lobby", code, j)
			}
			// Ana arrives and is let in at once.
			var aj roomJoin
			if code := ana.roomCall("POST", paths["Ana"]+"/join", nil, &aj); code != 200 || aj.Lobby || aj.SignalingToken == "" {
				t.Errorf("Ana's join with admit on arrival = %d %+v, want straight in", code, aj)
			}
			// A second device with Ana's URL replaces the first.
			ana2 := s.browser(t)
			var aj2 roomJoin
			if code := ana2.roomCall("POST", paths["Ana"]+"/join", nil, &aj2); code != 200 || aj2.SignalingToken == "" {
				t.Fatalf("Ana's second device = %d %+v", code, aj2)
			}
			if err := s.Rooms.AdmitSignal(ctx, claims(t, s, aj.SignalingToken)); vidivo.ErrorCode(err) != vidivo.EUNAUTHORIZED {
				t.Errorf("the relay's answer to the replaced device = %v, want unauthorized", err)
			}
			if err := s.Rooms.AdmitSignal(ctx, claims(t, s, aj2.SignalingToken)); err != nil {
				t.Errorf("the relay refuses the second device: %v", err)
			}

			// An unknown URL, and the session once it has ended.
			if p := ben.get("/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); p.Status != 404 || !strings.Contains(p.Body, "No session here") {
				t.Errorf("an unknown entry URL = %d, want 404 No session here", p.Status)
			}
			if ok, err := s.Server.Sessions.MarkState(ctx, sessionID, vidivo.SessionEnded, s.Clock.Now()); !ok || err != nil {
				t.Fatalf("end the session: %v %v", ok, err)
			}
			if p := ben.get(paths["Ben"]); p.Status != 410 || !strings.Contains(p.Body, "This session is closed") {
				t.Errorf("an ended session's page = %d, want 410 This session is closed:\n%s", p.Status, p.Body)
			}
			if code := jane.roomCall("POST", paths["Jane"]+"/join", nil, nil); code != 410 {
				t.Errorf("joining an ended session = %d, want 410", code)
			}
		})
	}
}

// claims verifies a signaling token as the relay does before Admit.
func claims(t *testing.T, s *roomSite, tok string) token.Signaling {
	t.Helper()
	c, err := s.Server.Sessions.Signaling.Verify(tok)
	if err != nil {
		t.Fatalf("verify %q: %v", tok, err)
	}
	return c
}

// fakeRooms is the relay as the sessions service sees it: whether a
// session's room is occupied, and the sockets it was asked to close.
type fakeRooms struct {
	occupied bool
	removed  []string
}

func (f *fakeRooms) Remove(sessionID, participantID, reason string) bool {
	f.removed = append(f.removed, participantID+" "+reason)
	return true
}

func (f *fakeRooms) Occupied(context.Context, string) (bool, error) { return f.occupied, nil }

// TestSessionRoomLobbyList: the hosts' waiting list shows a guest only
// while their page keeps asking (a closed tab drops off after
// sessions.LobbyFresh), POST leave takes them off at once, a host's remove
// asks the relay to close the guest's socket; and the relay's PeerGone
// ends the session once its end has passed with its room empty (both
// engines).
func TestSessionRoomLobbyList(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := newRoomSite(t, engine)
			relay := &fakeRooms{occupied: true}
			s.Server.Sessions.Rooms = relay
			_, sessionID, paths, ids := newRoomSession(t, s)
			jane, ben := s.browser(t), s.browser(t)
			s.Clock.Add(6 * time.Minute)
			waiting := func() []string {
				t.Helper()
				var st roomState
				if code := jane.roomCall("GET", paths["Jane"]+"/room", nil, &st); code != 200 {
					t.Fatalf("the host's room = %d", code)
				}
				var names []string
				for _, p := range st.Waiting {
					names = append(names, p.DisplayName)
				}
				return names
			}
			var j roomJoin
			if code := ben.roomCall("POST", paths["Ben"]+"/join", nil, &j); code != 200 || !j.Lobby {
				t.Fatalf("Ben's join = %d %+v, want the lobby", code, j)
			}
			s.Clock.Add(sessions.LobbyFresh)
			if got := waiting(); len(got) != 1 || got[0] != "Ben" {
				t.Errorf("waiting %v after %v, want Ben", got, sessions.LobbyFresh)
			}
			s.Clock.Add(time.Second)
			if got := waiting(); len(got) != 0 {
				t.Errorf("waiting %v once Ben's page stopped asking, want nobody", got)
			}
			ben.roomCall("POST", paths["Ben"]+"/join", nil, &j)
			if got := waiting(); len(got) != 1 {
				t.Errorf("waiting %v once Ben asks again, want Ben", got)
			}
			if code := ben.roomCall("POST", paths["Ben"]+"/leave", nil, nil); code != 200 {
				t.Errorf("leave = %d", code)
			}
			if got := waiting(); len(got) != 0 {
				t.Errorf("waiting %v after Ben left, want nobody", got)
			}

			// Admitted, then removed: the relay is asked to close his socket.
			jane.roomCall("POST", paths["Jane"]+"/admit", map[string]string{"participant_id": ids["Ben"]}, nil)
			var hj roomJoin
			if code := jane.roomCall("POST", paths["Jane"]+"/join", nil, &hj); code != 200 {
				t.Fatalf("the host's join = %d", code)
			}
			ctx := context.Background()
			if err := s.Rooms.AdmitSignal(ctx, claims(t, s, hj.SignalingToken)); err != nil {
				t.Fatal(err)
			}
			if code := jane.roomCall("POST", paths["Jane"]+"/remove", map[string]string{"participant_id": ids["Ben"]}, nil); code != 200 {
				t.Fatalf("remove = %d", code)
			}
			if len(relay.removed) != 1 || relay.removed[0] != ids["Ben"]+" removed from the session by a host" {
				t.Errorf("sockets closed %q, want Ben's", relay.removed)
			}

			// PeerGone: not before the end, not while occupied; then it ends.
			events := s.Rooms.Events(nil)
			state := func() vidivo.SessionState {
				sess, err := s.Server.Sessions.Store.Session(ctx, sessionID)
				if err != nil {
					t.Fatal(err)
				}
				return sess.State
			}
			relay.occupied = false
			events.PeerGone(ctx, sessionID, ids["Jane"])
			if st := state(); st != vidivo.SessionInProgress {
				t.Errorf("before the end the session is %s, want in_progress", st)
			}
			s.Clock.Add(2 * time.Hour)
			relay.occupied = true
			events.PeerGone(ctx, sessionID, ids["Jane"])
			if st := state(); st != vidivo.SessionInProgress {
				t.Errorf("occupied after the end the session is %s, want in_progress", st)
			}
			relay.occupied = false
			events.PeerGone(ctx, sessionID, ids["Jane"])
			if st := state(); st != vidivo.SessionEnded {
				t.Errorf("empty after the end the session is %s, want ended", st)
			}
		})
	}
}
