package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// testPassword is every browser test account's password.
const testPassword = "correct horse battery"

// hostWithLink signs a host up on the pages, connects payouts on
// /settings/payouts and creates a link at rate on /dashboard, where the
// tab stays. It returns the link's short code, read from the address the
// dashboard offers to copy.
func hostWithLink(t *testing.T, tab context.Context, s *server, email, rate string) string {
	t.Helper()
	user, _, _ := strings.Cut(email, "@")
	do(t, tab, "sign up", chromedp.Navigate(s.base+"/signup"),
		fill("Your name", "Jane Smith"), fill("Email", email), fill("Username", user+"host"), fill("Password", testPassword),
		chromedp.Click(label("radio", "sell my time (host)"), named("radio", "sell my time (host)")),
		press("Sign up"), chromedp.WaitVisible(label("button", "Log out"), named("button", "Log out")))
	do(t, tab, "set up payouts", chromedp.Navigate(s.base+"/settings/payouts"), press("Set up payouts"),
		chromedp.WaitVisible(chromedp.CSS(`#payout-status[data-status="connected"]`)))
	do(t, tab, "create a link", chromedp.Navigate(s.base+"/dashboard"),
		fill("Rate per minute (USD)", rate), press("Create link"),
		chromedp.WaitVisible(label("textbox", "Link address"), named("textbox", "Link address")))
	screenshots(t, tab, "dashboard")
	addr, err := chromedp.Run(tab, chromedp.Value(label("textbox", "Link address"), named("textbox", "Link address")))
	if err != nil {
		t.Fatal(err)
	}
	code, ok := strings.CutPrefix(addr, s.base+"/c/")
	if !ok || code == "" {
		t.Fatalf("the dashboard offers the link address %q, want %s/c/{code}", addr, s.base)
	}
	return code
}

// apiHostWithLink makes a host with payouts and a link at rate through the
// API, for tests about the guest's side only. It returns the host's access
// token and the link's short code.
func apiHostWithLink(t *testing.T, s *server, email, rate string) (string, string) {
	t.Helper()
	user, _, _ := strings.Cut(email, "@")
	var signup struct {
		AccessToken string `json:"access_token"`
	}
	if code := s.call(t, "POST", "/v1/auth/signup", "", map[string]string{"email": email, "password": testPassword,
		"username": user + "host", "display_name": "Sam Host", "role": "host"}, &signup); code != 201 {
		t.Fatalf("signup = %d", code)
	}
	if code := s.call(t, "POST", "/v1/users/me/payouts/onboarding", signup.AccessToken, nil, nil); code != 200 {
		t.Fatalf("payout onboarding = %d", code)
	}
	var link struct {
		Link struct {
			ShortCode string `json:"short_code"`
		} `json:"link"`
	}
	if code := s.call(t, "POST", "/v1/links", signup.AccessToken, map[string]any{"rate_per_minute": rate, "window_size_minutes": 10}, &link); code != 201 {
		t.Fatalf("create link = %d", code)
	}
	return signup.AccessToken, link.Link.ShortCode
}

// apiLogin logs the account with email in through the API.
func apiLogin(t *testing.T, s *server, email string) string {
	t.Helper()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if code := s.call(t, "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": testPassword}, &out); code != 200 {
		t.Fatalf("login = %d", code)
	}
	return out.AccessToken
}

// apiCall is GET /v1/calls/{id}'s answer, the fields the pages show.
type apiCall struct {
	Call struct {
		Status          string  `json:"status"`
		ActiveAt        *string `json:"active_at"`
		DurationSeconds int64   `json:"duration_seconds"`
		BilledMinutes   int64   `json:"billed_minutes"`
		TotalCharged    string  `json:"total_charged"`
	} `json:"call"`
}

// guestCookie is the guest's call-scoped token, from the HttpOnly cookie
// the join left in the tab's browser context for the call's pages.
func guestCookie(t *testing.T, tab context.Context, callURL string) string {
	t.Helper()
	cookies, err := chromedp.Run(tab, func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{callURL}})
		return res.Cookies, err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		if c.Name == "vidivo_guest" {
			if !c.HTTPOnly {
				t.Errorf("the guest cookie is not HttpOnly")
			}
			return c.Value
		}
	}
	t.Fatalf("no vidivo_guest cookie for %s", callURL)
	return ""
}

// media is what a call page receives: the video frames its peer
// connections decoded, the types of the selected candidate pair's two
// ends, and whether its "Remote video" plays.
type media struct {
	PCs     int    `json:"pcs"`
	Frames  int64  `json:"frames"`
	Local   string `json:"local"`
	Remote  string `json:"remote"`
	Playing bool   `json:"playing"`
}

// statsJS runs on the array of the page's RTCPeerConnections.
const statsJS = `async function () {
  const out = {pcs: 0, frames: 0, local: '', remote: '', playing: false};
  for (const pc of this) {
    if (pc.connectionState === 'closed') continue;
    out.pcs++;
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') out.frames += s.framesDecoded || 0;
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
    });
    if (pair) {
      out.local = (stats.get(pair.localCandidateId) || {}).candidateType || '';
      out.remote = (stats.get(pair.remoteCandidateId) || {}).candidateType || '';
    }
  }
  const v = document.querySelector('video[aria-label="Remote video"]');
  out.playing = !!v && !v.paused && v.readyState >= 2 && v.videoWidth > 0;
  return out;
}`

// mediaStats reads the page's WebRTC statistics (statsJS).
func mediaStats(ctx context.Context, tg *chromedp.Target) (media, error) {
	return onPeerConnections[media](ctx, tg, statsJS)
}

// onPeerConnections calls fn (JavaScript) on the array of the page's
// RTCPeerConnections and decodes what it returns into T. It finds the
// connections as DevTools' queryObjects does, by their prototype on the
// heap, so the page needs no hook for tests and keeps its connections to
// itself.
func onPeerConnections[T any](ctx context.Context, tg *chromedp.Target, fn string) (T, error) {
	const group = "vidivo-test-stats"
	var out T
	defer cdp.Call(ctx, tg, runtime.ReleaseObjectGroup, runtime.ReleaseObjectGroupParams{ObjectGroup: group})
	proto, err := cdp.Call(ctx, tg, runtime.Evaluate, runtime.EvaluateParams{Expression: "RTCPeerConnection.prototype", ObjectGroup: group})
	if err != nil {
		return out, err
	}
	if proto.ExceptionDetails != nil {
		return out, &chromedp.ExceptionError{ExceptionDetails: proto.ExceptionDetails}
	}
	objs, err := cdp.Call(ctx, tg, runtime.QueryObjects, runtime.QueryObjectsParams{PrototypeObjectID: proto.Result.ObjectID, ObjectGroup: group})
	if err != nil {
		return out, err
	}
	yes := true
	res, err := cdp.Call(ctx, tg, runtime.CallFunctionOn, runtime.CallFunctionOnParams{FunctionDeclaration: fn,
		ObjectID: objs.Objects.ObjectID, AwaitPromise: &yes, ReturnByValue: &yes})
	if err != nil {
		return out, err
	}
	if res.ExceptionDetails != nil {
		return out, &chromedp.ExceptionError{ExceptionDetails: res.ExceptionDetails}
	}
	err = json.Unmarshal([]byte(res.Result.Value), &out)
	return out, err
}

// waitFrames waits until the page has decoded at least min video frames.
func waitFrames(t *testing.T, tab context.Context, side string, min int64) media {
	t.Helper()
	var (
		m   media
		err error
	)
	deadline := time.After(stepTimeout)
	for {
		m, err = chromedp.Run(tab, mediaStats)
		if err == nil && m.Frames >= min {
			return m
		}
		select {
		case <-tab.Done():
			t.Fatalf("%s: %d video frames decoded, want %d: last saw %+v (%v)", side, m.Frames, min, m, tab.Err())
		case <-deadline:
			t.Fatalf("%s: %d video frames decoded after %s, want %d: last saw %+v (%v)", side, m.Frames, stepTimeout, min, m, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// summary is what a summary page shows of an ended call.
type summary struct {
	Status, Duration, Minutes, Total string
}

func readSummary(t *testing.T, tab context.Context) summary {
	t.Helper()
	b, err := chromedp.Run(tab, chromedp.Evaluate[[]byte](`(() => {
	  const text = (id) => (document.getElementById(id) || {}).textContent || '';
	  return {Status: text('summary-status'), Duration: text('summary-duration'), Minutes: text('summary-minutes'), Total: text('summary-total')};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	var s summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}
