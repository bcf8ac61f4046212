package signaling

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
)

// exchange runs the seed's 1:1 flow between guest and host: offer, answer,
// and ICE candidates both ways, checking that payloads arrive untouched
// and carry the sender as from.
func exchange(t *testing.T, guest, host *client, gid, hid string) {
	t.Helper()
	offer := json.RawMessage(`{"type":"offer","sdp":"v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\n","extra":[1,2,{"deep":null}]}`)
	guest.send(t, Message{Type: TypeOffer, Payload: offer})
	if m := host.expect(t, TypeOffer, gid); !jsonEqual(t, m.Payload, offer) {
		t.Errorf("offer payload changed: %s", m.Payload)
	}
	answer := json.RawMessage(`{"type":"answer","sdp":"v=0\r\n"}`)
	host.send(t, Message{Type: TypeAnswer, Payload: answer})
	if m := guest.expect(t, TypeAnswer, hid); !jsonEqual(t, m.Payload, answer) {
		t.Errorf("answer payload changed: %s", m.Payload)
	}
	for i := range 3 {
		cand := json.RawMessage(fmt.Sprintf(`{"candidate":"candidate:%d 1 udp 2122260223 10.0.0.%d 5000%d typ host","sdpMid":"0","sdpMLineIndex":0}`, i, i, i))
		guest.send(t, Message{Type: TypeICECandidate, Payload: cand})
		host.send(t, Message{Type: TypeICECandidate, Payload: cand})
		if m := host.expect(t, TypeICECandidate, gid); !jsonEqual(t, m.Payload, cand) {
			t.Errorf("candidate to host changed: %s", m.Payload)
		}
		if m := guest.expect(t, TypeICECandidate, hid); !jsonEqual(t, m.Payload, cand) {
			t.Errorf("candidate to guest changed: %s", m.Payload)
		}
	}
}

func expectPeer(t *testing.T, c *client, typ, from, role string) {
	t.Helper()
	m := c.expect(t, typ, from)
	var p PeerPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.Role != role {
		t.Fatalf("%s payload %s: want role %q (%v)", typ, m.Payload, role, err)
	}
}

func TestRelayOneToOne(t *testing.T) {
	t.Parallel()
	b := setup(t)
	call := newCall()
	guest := b.connect(t, call, "guest-1", "guest")
	guest.quiet(t, 20*time.Millisecond) // alone: nothing to announce
	host := b.connect(t, call, "host-1", "host")
	expectPeer(t, guest, TypePeerJoined, "host-1", "host")
	expectPeer(t, host, TypePeerJoined, "guest-1", "guest")
	exchange(t, guest, host, "guest-1", "host-1")

	// A payload-less message is relayed as is; two-person rooms need no to.
	guest.sendRaw(t, `{"type":"ice_candidate"}`)
	if m := host.expect(t, TypeICECandidate, "guest-1"); m.Payload != nil {
		t.Errorf("payload %s, want none", m.Payload)
	}
	// to naming the other participant works too.
	host.send(t, Message{Type: TypeICECandidate, To: "guest-1", Payload: json.RawMessage(`{}`)})
	guest.expect(t, TypeICECandidate, "host-1")
	guest.quiet(t, 20*time.Millisecond)
	host.quiet(t, 0)
}

func TestRelayToOtherCallsNeverLeaks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c1, c2 := newCall(), newCall()
	g1 := b.connect(t, c1, "g", "guest")
	h1 := b.connect(t, c1, "h", "host")
	g2 := b.connect(t, c2, "g", "guest") // same participant ids, other call
	h2 := b.connect(t, c2, "h", "host")
	for _, c := range []*client{g1, h1, g2, h2} {
		c.next(t) // peer_joined
	}
	g1.send(t, Message{Type: TypeOffer, Payload: json.RawMessage(`"call one"`)})
	if m := h1.expect(t, TypeOffer, "g"); string(m.Payload) != `"call one"` {
		t.Errorf("payload %s", m.Payload)
	}
	h2.quiet(t, 30*time.Millisecond)
	g2.quiet(t, 0)
}

func TestProtocolErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name  string
		raw   string
		code  string
		close bool
	}{
		{"malformed JSON", `{"type":"offer",`, vidivo.EVALIDATION, false},
		{"not an object", `["offer"]`, vidivo.EVALIDATION, false},
		{"empty", ``, vidivo.EVALIDATION, false},
		{"missing type", `{"payload":{}}`, vidivo.EVALIDATION, false},
		{"type not a string", `{"type":7}`, vidivo.EVALIDATION, false},
		{"unknown type", `{"type":"renegotiate"}`, vidivo.EVALIDATION, false},
		{"server-only type", `{"type":"peer_joined"}`, vidivo.EVALIDATION, false},
		{"to names nobody present", `{"type":"offer","to":"mallory"}`, vidivo.ENOTFOUND, false},
		{"to names oneself", `{"type":"offer","to":"g"}`, vidivo.EVALIDATION, false},
		{"spoofed from", `{"type":"offer","from":"h"}`, vidivo.EFORBIDDEN, true},
		{"from even if it is one's own", `{"type":"offer","from":"g"}`, vidivo.EFORBIDDEN, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			call := newCall()
			g := b.connect(t, call, "g", "guest")
			h := b.connect(t, call, "h", "host")
			g.expect(t, TypePeerJoined, "h")
			h.expect(t, TypePeerJoined, "g")

			g.sendRaw(t, tt.raw)
			if got := g.expectError(t); got.Code != tt.code {
				t.Fatalf("error %+v, want code %q", got, tt.code)
			}
			if tt.close {
				if code, reason := g.closed(t); code != ClosePolicy {
					t.Fatalf("close %d %q, want %d", code, reason, ClosePolicy)
				}
				expectPeer(t, h, TypePeerLeft, "g", "guest")
				return
			}
			// The connection survives and still relays.
			g.send(t, Message{Type: TypeOffer, Payload: json.RawMessage(`{"ok":true}`)})
			h.expect(t, TypeOffer, "g")
			h.quiet(t, 10*time.Millisecond)
		})
	}
}

func TestBinaryMessageRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	g := b.connect(t, newCall(), "g", "guest")
	if err := g.ws.Write(context.Background(), websocket.MessageBinary, []byte(`{"type":"offer"}`)); err != nil {
		t.Fatal(err)
	}
	if got := g.expectError(t); got.Code != vidivo.EVALIDATION {
		t.Errorf("error %+v", got)
	}
}

func TestNoPeerToRelayTo(t *testing.T) {
	t.Parallel()
	b := setup(t)
	g := b.connect(t, newCall(), "g", "guest")
	g.send(t, Message{Type: TypeOffer, Payload: json.RawMessage(`{}`)})
	want := ErrorPayload{Code: vidivo.ENOTFOUND, Message: "no other participant is connected"}
	if diff := cmp.Diff(want, g.expectError(t)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

func TestMessageSizeLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	call := newCall()
	g := b.connect(t, call, "g", "guest")
	h := b.connect(t, call, "h", "host")
	g.expect(t, TypePeerJoined, "h")
	h.expect(t, TypePeerJoined, "g")

	// Just under the limit passes.
	pad := 64<<10 - len(`{"type":"offer","payload":""}`)
	g.sendRaw(t, `{"type":"offer","payload":"`+strings.Repeat("a", pad)+`"}`)
	if m := h.expect(t, TypeOffer, "g"); len(m.Payload) != pad+2 {
		t.Fatalf("payload of %d bytes, want %d", len(m.Payload), pad+2)
	}
	// One byte over closes with 1009.
	g.sendRaw(t, `{"type":"offer","payload":"`+strings.Repeat("a", pad+1)+`"}`)
	if code, _ := g.closed(t); code != CloseTooBig {
		t.Fatalf("close code %d, want %d", code, CloseTooBig)
	}
	expectPeer(t, h, TypePeerLeft, "g", "guest")
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.RateLimit, c.RateBurst = 5, 10 })
	call := newCall()
	g := b.connect(t, call, "g", "guest")
	h := b.connect(t, call, "h", "host")
	g.expect(t, TypePeerJoined, "h")
	h.expect(t, TypePeerJoined, "g")

	for range 30 {
		// Writes may fail once the server has closed; that is the point.
		if g.ws.Write(context.Background(), websocket.MessageText, []byte(`{"type":"ice_candidate","payload":{}}`)) != nil {
			break
		}
	}
	relayed := 0
	for {
		m := h.next(t)
		if m.Type == TypePeerLeft {
			break
		}
		relayed++
	}
	if relayed < 10 || relayed > 12 {
		t.Errorf("relayed %d messages, want the burst of 10 (+ refill)", relayed)
	}
	msgs, code, reason := g.rest(t)
	if len(msgs) == 0 || msgs[len(msgs)-1].Type != TypeError || !strings.Contains(string(msgs[len(msgs)-1].Payload), vidivo.ERATELIMITED) {
		t.Errorf("no rate_limited error message before the close: %+v", msgs)
	}
	if code != ClosePolicy || reason != "rate limit exceeded" {
		t.Errorf("close %d %q, want %d %q", code, reason, ClosePolicy, "rate limit exceeded")
	}
}

func TestGroupRoom(t *testing.T) {
	t.Parallel()
	const n = 5
	b := setup(t, func(c *Config) {
		c.Expected = func(string) int { return n }
		c.MaxParticipants = n
	})
	call := newCall()
	ids := make([]string, n)
	cs := make([]*client, n)
	for i := range n {
		ids[i] = fmt.Sprintf("p%d", i)
		role := "guest"
		if i == 0 {
			role = "host"
		}
		cs[i] = b.connect(t, call, ids[i], role)
		// The newcomer hears of everyone before it; everyone before hears of it.
		got := map[string]bool{}
		for range i {
			m := cs[i].next(t)
			if m.Type != TypePeerJoined {
				t.Fatalf("%s got %q, want peer_joined", ids[i], m.Type)
			}
			got[m.From] = true
		}
		for j := range i {
			expectPeer(t, cs[j], TypePeerJoined, ids[i], role)
		}
		if len(got) != i {
			t.Fatalf("%s heard of %v", ids[i], got)
		}
	}
	select {
	case got := <-b.events.connected:
		if got != call {
			t.Fatalf("PeersConnected(%q)", got)
		}
	case <-time.After(wait):
		t.Fatal("no PeersConnected")
	}

	// Directed: p1 → p3 only.
	cs[1].send(t, Message{Type: TypeOffer, To: "p3", Payload: json.RawMessage(`{"sdp":"x"}`)})
	cs[3].expect(t, TypeOffer, "p1")
	// Broadcast: p2 → everyone else.
	cs[2].send(t, Message{Type: TypeICECandidate, Payload: json.RawMessage(`{}`)})
	for i, c := range cs {
		if i != 2 {
			c.expect(t, TypeICECandidate, "p2")
		}
	}
	for _, c := range cs {
		c.quiet(t, 5*time.Millisecond)
	}
	// A sixth participant does not fit.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, resp, err := websocket.Dial(ctx, b.wsURL(b.minter.Mint(call, "p5", "guest")), nil); err == nil || resp.StatusCode != 409 {
		t.Errorf("sixth participant: %v", err)
	}
	// One leaves: everyone else hears it.
	cs[4].ws.Close(websocket.StatusNormalClosure, "bye")
	for _, c := range cs[:4] {
		expectPeer(t, c, TypePeerLeft, "p4", "guest")
	}
}
