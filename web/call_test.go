package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/billing"
)

// inCall is a call started through the join page: the host's and the
// guest's browsers and the call's id.
type inCall struct {
	host  *host
	guest *browser
	id    string
}

func joinCall(t *testing.T, s *site, body map[string]any) inCall {
	t.Helper()
	return joinCallOf(t, s, newHost(t, s, "janecoach", "Jane Smith"), body)
}

func joinCallOf(t *testing.T, s *site, h *host, body map[string]any) inCall {
	t.Helper()
	l := h.link(t, s, body)
	g := s.browser(t)
	p := g.post("/c/"+l.ShortCode, url.Values{"guest_name": {"Alex"}, "payment_method_id": {"pm_card_visa"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("join = %d:\n%s", p.Status, p.Body)
	}
	return inCall{host: h, guest: g, id: strings.TrimPrefix(p.Header.Get("Location"), "/call/")}
}

// answer is the host answering, as the dashboard does.
func (c inCall) answer(t *testing.T, s *site) {
	t.Helper()
	s.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + c.id + "/host-join", Token: c.host.token}).WantStatus(t, http.StatusCreated)
}

// script sends what call.js sends: JSON requests with the page's CSRF
// token in a header.
func (b *browser) script(method, path string) *page {
	b.t.Helper()
	return b.do(method, path, nil, map[string]string{"X-CSRF-Token": b.csrf()})
}

func decode[T any](t *testing.T, p *page) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(p.Body), &v); err != nil {
		t.Fatalf("%d %q is not JSON: %v", p.Status, p.Body, err)
	}
	return v
}

type stateJSON struct {
	Status         string  `json:"status"`
	ElapsedSeconds int64   `json:"elapsed_seconds"`
	BilledMinutes  int64   `json:"billed_minutes"`
	Cost           string  `json:"cost"`
	WindowsHeld    int     `json:"windows_held"`
	HeldAmount     string  `json:"held_amount"`
	NextHoldAt     *string `json:"next_hold_at"`
	NextHoldIn     *int64  `json:"next_hold_in_seconds"`
	TotalCharged   string  `json:"total_charged"`
	Role           string  `json:"role"`
}

func TestCallPageIsForItsParticipants(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		c := joinCall(t, s, nil)
		for _, who := range []struct {
			name string
			b    *browser
			role string
		}{{"guest", c.guest, "guest"}, {"host", c.host.b, "host"}} {
			p := who.b.get("/call/" + c.id)
			for _, want := range []string{`data-call-status="waiting"`, `data-role="` + who.role + `"`, `data-call-id="` + c.id + `"`,
				`<video id="remote" aria-label="Remote video"`, `<video id="local" aria-label="Your video" autoplay playsinline muted>`,
				`>Mute</button>`, `>Camera off</button>`, `>Hang up</button>`, "/static/call.js?v="} {
				if !strings.Contains(p.Body, want) {
					t.Errorf("%s: the call page lacks %s", who.name, want)
				}
			}
			if p.Status != http.StatusOK {
				t.Errorf("%s: GET /call/%s = %d", who.name, c.id, p.Status)
			}
			if st := decode[stateJSON](t, who.b.get("/call/"+c.id+"/state")); st.Status != "waiting" || st.Role != who.role {
				t.Errorf("%s: state = %+v", who.name, st)
			}
		}
		if p := c.guest.get("/call/" + c.id); !strings.Contains(p.Body, "Calling Jane Smith…") {
			t.Errorf("the waiting guest is not told who is being called")
		}

		stranger := s.browser(t)
		otherHost := newHost(t, s, "otherhost", "Other Host")
		// The guest's token is for this call only.
		other := joinCallOf(t, s, otherHost, nil)
		stolen := s.browser(t)
		stolen.cookies["vidivo_guest"] = other.guest.cookies["vidivo_guest"]
		for _, tt := range []struct {
			name string
			b    *browser
			path string
		}{
			{"visitor", stranger, "/call/" + c.id},
			{"another host", otherHost.b, "/call/" + c.id},
			{"another call's guest", stolen, "/call/" + c.id},
			{"unknown id", c.guest, "/call/01ARZ3NDEKTSV4RRFFQ69G5FAV"},
			{"malformed id", c.guest, "/call/nope"},
			{"lower-case id", c.guest, "/call/" + strings.ToLower(c.id)},
			{"overlong id", c.guest, "/call/" + c.id + "0"},
			{"NUL", c.guest, "/call/%00"},
		} {
			if p := tt.b.get(tt.path); p.Status != http.StatusNotFound || !strings.Contains(p.Body, "no call here for you") {
				t.Errorf("%s: GET %s = %d, want the 404 page", tt.name, tt.path, p.Status)
			}
			for _, sub := range []struct{ method, path string }{{"GET", "/state"}, {"POST", "/connect"}, {"POST", "/end"}, {"GET", "/summary"}} {
				p := tt.b.script(sub.method, tt.path+sub.path)
				if p.Status != http.StatusNotFound {
					t.Errorf("%s: %s %s%s = %d, want 404", tt.name, sub.method, tt.path, sub.path, p.Status)
				}
				if sub.path != "/summary" && !strings.Contains(p.Body, `"code":"not_found"`) {
					t.Errorf("%s: %s %s%s answered %s, want the JSON error", tt.name, sub.method, tt.path, sub.path, p.Body)
				}
			}
		}
		if got, _ := s.DB.CallByID(context.Background(), c.id); got.Status.Ended() {
			t.Error("a stranger ended the call")
		}
	})
}

func TestConnectGivesSignalingAndTURN(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{"", "relay"} {
		t.Run("policy="+policy, func(t *testing.T) {
			t.Parallel()
			forEngine(t, func(t *testing.T, s *site) {
				s.Pages.ICEPolicy = policy // read per request; set before any
				want := "all"
				if policy == "relay" {
					want = "relay"
				}
				c := joinCall(t, s, nil)
				call, err := s.DB.CallByID(context.Background(), c.id)
				if err != nil {
					t.Fatal(err)
				}
				if p := c.guest.get("/call/" + c.id); !strings.Contains(p.Body, `data-ice-policy="`+want+`"`) {
					t.Errorf("the page does not carry ICE policy %q", want)
				}
				c.answer(t, s)
				for _, tt := range []struct {
					name        string
					b           *browser
					participant string
				}{{"guest", c.guest, call.GuestID}, {"host", c.host.b, call.HostID}} {
					p := tt.b.script("POST", "/call/"+c.id+"/connect")
					type creds struct {
						URLs     []string `json:"urls"`
						Username string   `json:"username"`
					}
					info := decode[struct {
						SignalingToken string `json:"signaling_token"`
						ExpiresIn      int    `json:"expires_in"`
						TURN           creds  `json:"turn_credentials"`
						ICEPolicy      string `json:"ice_policy"`
						WSURL          string `json:"ws_url"`
						Role           string `json:"role"`
					}](t, p)
					if p.Status != http.StatusOK || info.ICEPolicy != want || info.Role != tt.name || info.ExpiresIn != 300 ||
						info.WSURL != "/signal/ws?call="+c.id {
						t.Errorf("%s: connect = %d %s", tt.name, p.Status, p.Body)
					}
					tok, err := s.Server.Signaling.Verify(info.SignalingToken)
					if err != nil || tok.CallID != c.id || tok.Participant != tt.participant || tok.Role != tt.name {
						t.Errorf("%s: signaling token names %+v (%v)", tt.name, tok, err)
					}
					if len(info.TURN.URLs) == 0 || !strings.HasSuffix(info.TURN.Username, ":"+tt.participant) {
						t.Errorf("%s: TURN credentials %+v are not the participant's", tt.name, info.TURN)
					}
				}
				// Without the CSRF header, nothing.
				if p := c.guest.do("POST", "/call/"+c.id+"/connect", nil, nil); p.Status != http.StatusForbidden {
					t.Errorf("connect without CSRF = %d, want 403", p.Status)
				}
				c.guest.script("POST", "/call/"+c.id+"/end")
				if p := c.guest.script("POST", "/call/"+c.id+"/connect"); p.Status != http.StatusConflict {
					t.Errorf("connect to an ended call = %d, want 409", p.Status)
				}
			})
		})
	}
}

// TestStateFollowsTheServerClock: the page's time and cost are the
// server's billing at the server's time, the same as the API's.
func TestStateFollowsTheServerClock(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		c := joinCall(t, s, nil) // $2.50 a minute, 10-minute windows
		c.answer(t, s)
		state := func(b *browser) stateJSON { t.Helper(); return decode[stateJSON](t, b.get("/call/"+c.id+"/state")) }
		if st := state(c.guest); st.Status != "active" || st.ElapsedSeconds != 0 || st.Cost != "0.00" || st.WindowsHeld != 1 || st.HeldAmount != "25.00" {
			t.Errorf("just answered: %+v", st)
		}
		s.Clock.Add(90 * time.Second)
		g, h := state(c.guest), state(c.host.b)
		want := stateJSON{Status: "active", ElapsedSeconds: 90, BilledMinutes: 2, Cost: "5.00", WindowsHeld: 1, HeldAmount: "25.00", TotalCharged: "0.00"}
		in := int64(9*60 - 90) // the next hold comes a minute before the window ends
		want.NextHoldIn = &in
		ignore := cmpIgnore()
		if diff := cmp.Diff(want, g, ignore); diff != "" {
			t.Errorf("guest's state at 1:30 (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(g, h, ignore); diff != "" {
			t.Errorf("host and guest differ (-guest +host):\n%s", diff)
		}

		// The renewal is declined: the call ends failed, and the page shows
		// the summary.
		s.Clock.Add(8 * time.Minute)
		if st := state(c.guest); st.NextHoldIn == nil || *st.NextHoldIn != -30 {
			t.Errorf("state when the hold is due: %+v", st)
		}
		s.Gateway.FailNext(1, "hold", billing.KindDeclined)
		if err := s.Calls.RenewHold(context.Background(), c.id, 1); err != nil {
			t.Fatal(err)
		}
		st := state(c.guest)
		api := apiCall(t, s, c)
		if st.Status != "failed" || st.BilledMinutes != api.BilledMinutes || st.Cost != api.TotalCharged || st.ElapsedSeconds != api.DurationSeconds {
			t.Errorf("after a declined renewal: page %+v, API %+v", st, api)
		}
		if p := c.guest.get("/call/" + c.id); !strings.Contains(p.Body, `data-call-status="failed"`) || !strings.Contains(p.Body, "payment problem") {
			t.Errorf("the failed call's page is not its summary:\n%s", p.Body)
		}
	})
}

func cmpIgnore() cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool {
		f := p.Last().String()
		return f == ".Role" || f == ".NextHoldAt"
	}, cmp.Ignore())
}

type apiCallJSON struct {
	Status          string `json:"status"`
	DurationSeconds int64  `json:"duration_seconds"`
	BilledMinutes   int64  `json:"billed_minutes"`
	TotalCharged    string `json:"total_charged"`
	EndReason       string `json:"end_reason"`
}

func apiCall(t *testing.T, s *site, c inCall) apiCallJSON {
	t.Helper()
	var out struct {
		Call apiCallJSON `json:"call"`
	}
	s.Do(apitest.Req{Method: "GET", Path: "/v1/calls/" + c.id, Token: c.host.token}).Decode(t, &out)
	return out.Call
}

// TestHangUpShowsTheAPIsNumbers: whoever hangs up, both summaries show
// the billed minutes and total that GET /v1/calls/{id} answers.
func TestHangUpShowsTheAPIsNumbers(t *testing.T) {
	t.Parallel()
	for _, who := range []string{"guest", "host"} {
		t.Run(who, func(t *testing.T) {
			t.Parallel()
			forEngine(t, func(t *testing.T, s *site) {
				c := joinCall(t, s, nil)
				c.answer(t, s)
				s.Clock.Add(3*time.Minute + 5*time.Second)
				b, reason := c.guest, vidivo.EndUserEnded
				if who == "host" {
					b, reason = c.host.b, vidivo.EndHostEnded
				}
				if p := b.do("POST", "/call/"+c.id+"/end", nil, nil); p.Status != http.StatusForbidden {
					t.Errorf("hang up without CSRF = %d, want 403", p.Status)
				}
				p := b.script("POST", "/call/"+c.id+"/end")
				if st := decode[stateJSON](t, p); p.Status != http.StatusOK || st.Status != "completed" {
					t.Fatalf("hang up = %d %s", p.Status, p.Body)
				}
				api := apiCall(t, s, c)
				if api.BilledMinutes != 4 || api.TotalCharged != "10.00" || api.EndReason != reason {
					t.Errorf("API after 3:05 at $2.50: %+v, want 4 minutes, 10.00, %s", api, reason)
				}
				// The other side hangs up too, late: no error, the same call.
				other := c.host.b
				if who == "host" {
					other = c.guest
				}
				if p := other.script("POST", "/call/"+c.id+"/end"); p.Status != http.StatusOK {
					t.Errorf("second hang-up = %d %s", p.Status, p.Body)
				}
				for _, pb := range []*browser{c.guest, c.host.b} {
					for _, path := range []string{"/call/" + c.id, "/call/" + c.id + "/summary"} {
						p := pb.get(path)
						for _, want := range []string{`data-call-status="completed"`, `<dd id="summary-minutes">4</dd>`,
							`<dd id="summary-total">$` + api.TotalCharged + `</dd>`, `<dd id="summary-duration">3:05</dd>`} {
							if p.Status != http.StatusOK || !strings.Contains(p.Body, want) {
								t.Errorf("GET %s = %d, lacks %s", path, p.Status, want)
							}
						}
					}
				}
				if p := c.host.b.get("/call/" + c.id); !strings.Contains(p.Body, `<dd id="summary-earnings">$10.00</dd>`) {
					t.Errorf("the host's summary does not show the earnings")
				}
			})
		})
	}
}

func TestSummaryOfACallUnderWayGoesToTheCall(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		c := joinCall(t, s, nil)
		if p := c.guest.get("/call/" + c.id + "/summary"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/call/"+c.id {
			t.Errorf("summary of a waiting call = %d → %q", p.Status, p.Header.Get("Location"))
		}
	})
}

// TestCallPageWeight keeps the in-call page light: its HTML, stylesheet
// and script, as served, within 100 KiB; and scripts are served as
// JavaScript (modules need it).
func TestCallPageWeight(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		c := joinCall(t, s, nil)
		html := c.guest.get("/call/" + c.id)
		total := len(html.Body)
		for _, f := range []string{"app.css", "call.js", "join.js"} {
			p := c.guest.get("/static/" + f)
			ct := p.Header.Get("Content-Type")
			want := "text/javascript"
			if strings.HasSuffix(f, ".css") {
				want = "text/css"
			}
			if p.Status != http.StatusOK || !strings.HasPrefix(ct, want) {
				t.Errorf("/static/%s = %d %q, want %s", f, p.Status, ct, want)
			}
			if f != "join.js" {
				total += len(p.Body)
			}
		}
		if total > 100<<10 {
			t.Errorf("the in-call page weighs %d bytes, over 100 KiB", total)
		}
		t.Logf("in-call page: %d bytes (HTML %d)", total, len(html.Body))
	})
}

// TestDeclinedCallSummary: a call the host declines while it rings ends
// for the guest in a summary that says so, charging nothing.
func TestDeclinedCallSummary(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		c := joinCall(t, s, nil)
		if _, err := s.Calls.Decline(context.Background(), vidivo.Caller{Subject: c.host.id, Role: vidivo.RoleHost}, c.id); err != nil {
			t.Fatal(err)
		}
		p := c.guest.get("/call/" + c.id)
		for _, want := range []string{`data-call-status="missed"`, "Jane Smith could not take the call",
			`<dd id="summary-total">$0.00</dd>`, "nothing was charged"} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("the declined call's page lacks %s:\n%s", want, p.Body)
			}
		}
		if st := decode[stateJSON](t, c.guest.get("/call/"+c.id+"/state")); st.Status != "missed" || st.Cost != "0.00" {
			t.Errorf("state of the declined call: %+v", st)
		}
	})
}
