package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// sessionTimeout bounds one engine's run of the group session test: four
// browser contexts in a full mesh, then a removal and a second device.
const sessionTimeout = 300 * time.Second

// TestBrowserSession is issue 12's room in four browsers: a host schedules
// a session for themselves and three guests through the API; each enters
// through their own entry URL. Ben waits in the lobby until the host
// admits him; the host then turns on "Admit on arrival"; Ana pays her fee
// with the sandbox's test card first; Cy comes in directly. Every page
// decodes every other participant's video (growing frame counts on each
// of its three peer connections) through the embedded TURN server only.
// The host removes Cy; Ben opens his URL on a second device, which
// replaces the first. On both engines.
func TestBrowserSession(t *testing.T) {
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), sessionTimeout)
			defer cancel()
			env := append([]string{"VIDIVO_DATABASE_URL=" + sqldbtest.URL(t, engine)}, relayEnv...)
			s := startPublicInstance(ctx, t, env...)
			testSessionRoom(t, ctx, s, engine)
		})
	}
}

// sessionGuests are the session's participants, the host first.
var sessionGuests = []map[string]any{
	{"display_name": "Jane Host", "role": "host", "email": "jane@example.com"},
	{"display_name": "Ana", "role": "guest", "fee": map[string]string{"amount": "5.00", "currency": "usd"}},
	{"display_name": "Ben", "role": "guest"},
	{"display_name": "Cy", "role": "guest"},
}

// apiSession is POST /v1/sessions' answer, the fields the test uses.
type apiSession struct {
	Resource struct {
		ID           string `json:"id"`
		State        string `json:"state"`
		Participants []struct {
			ParticipantID string `json:"participant_id"`
			DisplayName   string `json:"display_name"`
			EntryURL      string `json:"entry_url"`
			Paid          bool   `json:"paid"`
		} `json:"participants"`
	} `json:"resource"`
}

func testSessionRoom(t *testing.T, ctx context.Context, s *server, engine string) {
	var signup struct {
		AccessToken string `json:"access_token"`
	}
	if code := s.call(t, "POST", "/v1/auth/signup", "", map[string]string{"email": "jane@example.com", "password": testPassword,
		"username": "janehost", "display_name": "Jane Host", "role": "host"}, &signup); code != 201 {
		t.Fatalf("signup = %d", code)
	}
	host := signup.AccessToken
	if code := s.call(t, "POST", "/v1/users/me/payouts/onboarding", host, nil, nil); code != 200 {
		t.Fatalf("payout onboarding = %d", code)
	}
	// It starts in two minutes: its entry URLs open five minutes before.
	start := time.Now().UTC().Add(2 * time.Minute).Truncate(time.Second)
	var sess apiSession
	if code := s.call(t, "POST", "/v1/sessions", host, map[string]any{"session_name": "Group practice",
		"start_time": start.Format(time.RFC3339), "end_time": start.Add(time.Hour).Format(time.RFC3339),
		"participants": sessionGuests}, &sess); code != 201 {
		t.Fatalf("POST /v1/sessions = %d", code)
	}
	urls := map[string]string{}
	for _, p := range sess.Resource.Participants {
		urls[p.DisplayName] = p.EntryURL
		if !strings.HasPrefix(p.EntryURL, s.base+"/s/") {
			t.Fatalf("%s's entry URL is %q, want %s/s/{token}", p.DisplayName, p.EntryURL, s.base)
		}
	}

	browser := newBrowser(t)
	tabs := map[string]context.Context{}
	for _, name := range []string{"Jane Host", "Ana", "Ben", "Cy"} {
		tabs[name] = bounded(t, ctx, newTab(t, browser))
	}
	jane, ana, ben, cy := tabs["Jane Host"], tabs["Ana"], tabs["Ben"], tabs["Cy"]

	// The host enters directly.
	do(t, jane, "the host's entry page", chromedp.Navigate(urls["Jane Host"]))
	screenshots(t, jane, "session-entry-host")
	do(t, jane, "the host enters", press("Enter the session"))
	waitRoomState(t, jane, "in")

	// Ben waits in the lobby until the host admits him.
	do(t, ben, "Ben enters", chromedp.Navigate(urls["Ben"]), press("Enter the session"))
	waitRoomState(t, ben, "lobby")
	screenshots(t, ben, "session-lobby")
	do(t, jane, "Ben waits in the host's lobby", chromedp.WaitVisible(label("button", "Admit Ben"), named("button", "Admit Ben")))
	screenshots(t, jane, "session-host-lobby")
	do(t, jane, "admit Ben", press("Admit Ben"))
	waitRoomState(t, ben, "in")

	// From now on guests are admitted on arrival.
	do(t, jane, "admit on arrival", chromedp.Click(label("checkbox", "Admit on arrival"), named("checkbox", "Admit on arrival")))
	eventually(t, jane, "admit on arrival is on", `document.getElementById('main').dataset.admitOnArrival || ''`,
		func(s string) bool { return s == "true" })

	// Ana pays her fee first, then enters.
	do(t, ana, "Ana's entry page", chromedp.Navigate(urls["Ana"]))
	screenshots(t, ana, "session-entry-fee")
	if code := enterCode(t, s, urls["Ana"]); code != 402 {
		t.Errorf("joining before paying = %d, want 402", code)
	}
	do(t, ana, "Ana pays", pick("Test card", "pm_card_visa"), press("Pay $5.00"),
		chromedp.WaitVisible(label("button", "Enter the session"), named("button", "Enter the session")))
	if fee, err := chromedp.Run(ana, chromedp.Text(chromedp.CSS("#session-fee"))); err != nil || !strings.Contains(fee, "paid") {
		t.Errorf("after paying the page shows the fee as %q (%v), want paid", fee, err)
	}
	screenshots(t, ana, "session-entry-paid")
	do(t, ana, "Ana enters", press("Enter the session"))
	waitRoomState(t, ana, "in")

	do(t, cy, "Cy enters", chromedp.Navigate(urls["Cy"]), press("Enter the session"))
	waitRoomState(t, cy, "in")

	// Every page decodes every other participant's video, relay to relay.
	for _, name := range []string{"Jane Host", "Ana", "Ben", "Cy"} {
		waitMesh(t, tabs[name], name, 3)
	}
	// Two of the four pages are enough to look at (screenshots are slow
	// with four pages decoding video).
	screenshots(t, jane, "session-room-host-"+engine)
	screenshots(t, ana, "session-room-guest-"+engine)
	var got apiSession
	if code := s.call(t, "GET", "/v1/sessions/"+sess.Resource.ID, host, nil, &got); code != 200 || got.Resource.State != "in_progress" {
		t.Errorf("GET /v1/sessions/%s = %d, state %q, want in_progress", sess.Resource.ID, code, got.Resource.State)
	}
	for _, p := range got.Resource.Participants {
		if p.DisplayName == "Ana" && !p.Paid {
			t.Errorf("the API says Ana has not paid")
		}
	}

	// The host removes Cy: Cy's page leaves, the others see three.
	do(t, jane, "remove Cy", press("Remove Cy"))
	waitRoomState(t, cy, "left")
	if msg, err := chromedp.Run(cy, chromedp.Text(chromedp.CSS("#left-message"))); err != nil || !strings.Contains(msg, "removed") {
		t.Errorf("Cy's page says %q (%v), want that a host removed them", msg, err)
	}
	screenshots(t, cy, "session-removed")
	for _, name := range []string{"Jane Host", "Ana", "Ben"} {
		waitPeers(t, tabs[name], name, 2)
	}

	// Ben opens his URL on a second device: it replaces the first.
	ben2 := bounded(t, ctx, newTab(t, browser))
	do(t, ben2, "Ben's second device", chromedp.Navigate(urls["Ben"]), press("Enter the session"))
	waitRoomState(t, ben2, "in")
	waitRoomState(t, ben, "left")
	if msg, err := chromedp.Run(ben, chromedp.Text(chromedp.CSS("#left-message"))); err != nil || !strings.Contains(msg, "another tab or device") {
		t.Errorf("Ben's first page says %q (%v), want that another device took over", msg, err)
	}
	waitMesh(t, ben2, "Ben's second device", 2)
}

// enterCode is the status of POST /v1/sessions/entry/{token}/join.
func enterCode(t *testing.T, s *server, entryURL string) int {
	t.Helper()
	tok := entryURL[strings.LastIndex(entryURL, "/")+1:]
	return s.call(t, "POST", "/v1/sessions/entry/"+tok+"/join", "", nil, nil)
}

const roomStateExpr = `(document.getElementById('main') || {dataset: {}}).dataset.roomState || ''`

// waitRoomState waits for the page's <main data-room-state> to be want.
func waitRoomState(t *testing.T, tab context.Context, want string) {
	t.Helper()
	eventually(t, tab, "data-room-state "+want, roomStateExpr, func(s string) bool { return s == want })
}

// meshMedia is what a room page receives on each open peer connection,
// and how many of its participants' tiles play video.
type meshMedia struct {
	Peers []struct {
		SSRC   int64  `json:"ssrc"`
		State  string `json:"state"`
		Frames int64  `json:"frames"`
		Local  string `json:"local"`
		Remote string `json:"remote"`
	} `json:"peers"`
	Playing int `json:"playing"`
}

// meshJS runs on the array of the page's RTCPeerConnections.
const meshJS = `async function () {
  const out = {peers: [], playing: 0};
  for (const pc of this) {
    if (pc.connectionState === 'closed') continue;
    const stats = await pc.getStats();
    const p = {ssrc: 0, frames: 0, local: '', remote: '', state: pc.signalingState + '/' + pc.connectionState};
    let pair = null;
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') { p.frames += s.framesDecoded || 0; p.ssrc = s.ssrc; }
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
    });
    if (pair) {
      p.local = (stats.get(pair.localCandidateId) || {}).candidateType || '';
      p.remote = (stats.get(pair.remoteCandidateId) || {}).candidateType || '';
    }
    out.peers.push(p);
  }
  for (const v of document.querySelectorAll('figure[data-peer] video')) {
    if (!v.paused && v.readyState >= 2 && v.videoWidth > 0) out.playing++;
  }
  return out;
}`

// meshStats reads a room page's statistics per peer connection (meshJS).
func meshStats(ctx context.Context, tg *chromedp.Target) (meshMedia, error) {
	return onPeerConnections[meshMedia](ctx, tg, meshJS)
}

// waitMeshUntil polls a page's mesh until ok accepts it.
func waitMeshUntil(t *testing.T, tab context.Context, who, want string, ok func(meshMedia) bool) meshMedia {
	t.Helper()
	var (
		m   meshMedia
		err error
	)
	deadline := time.After(2 * stepTimeout)
	for {
		m, err = chromedp.Run(tab, meshStats)
		if err == nil && ok(m) {
			return m
		}
		select {
		case <-tab.Done():
			t.Fatalf("%s: want %s; last saw %+v (%v)", who, want, m, tab.Err())
		case <-deadline:
			t.Fatalf("%s: want %s after %s; last saw %+v (%v)", who, want, 2*stepTimeout, m, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// waitMesh waits until a page has n open peer connections, each decoding
// video, then until each has decoded ten frames more, over relay-to-relay
// candidate pairs, with n tiles playing.
func waitMesh(t *testing.T, tab context.Context, who string, n int) {
	t.Helper()
	first := waitMeshUntil(t, tab, who, "video on each of its peer connections", func(m meshMedia) bool {
		if len(m.Peers) != n {
			return false
		}
		for _, p := range m.Peers {
			if p.Frames < 1 {
				return false
			}
		}
		return true
	})
	// The connections come in no fixed order: each is known by the SSRC
	// of the video it receives.
	was := map[int64]int64{}
	for _, p := range first.Peers {
		was[p.SSRC] = p.Frames
	}
	later := waitMeshUntil(t, tab, who, "ten more frames on each peer connection", func(m meshMedia) bool {
		if len(m.Peers) != n {
			return false
		}
		for _, p := range m.Peers {
			if f, ok := was[p.SSRC]; !ok || p.Frames < f+10 {
				return false
			}
		}
		return m.Playing == n
	})
	for i, p := range later.Peers {
		if p.Local != "relay" || p.Remote != "relay" {
			t.Errorf("%s: peer connection %d's selected pair is %s to %s, want relay to relay", who, i, p.Local, p.Remote)
		}
	}
}

// waitPeers waits until a page has n open peer connections and n tiles.
func waitPeers(t *testing.T, tab context.Context, who string, n int) {
	t.Helper()
	waitMeshUntil(t, tab, who, "its peer connections to be "+string(rune('0'+n)), func(m meshMedia) bool {
		return len(m.Peers) == n && m.Playing == n
	})
}
