package signaling

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/token"
)

func TestHandshakeRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) {
		c.Origins = []string{"https://vidivo.app", "http://localhost:5173"}
		c.Admit = func(_ context.Context, s token.Signaling) error {
			if s.CallID == "refused-by-admit" {
				return vidivo.Errorf(vidivo.ENOTFOUND, "call not found")
			}
			return nil
		}
	})
	call := newCall()
	expired := &token.SignalingMinter{Secret: b.minter.Secret, Now: func() time.Time { return time.Now().Add(-token.SignalingTTL - time.Second) }}
	foreign := &token.SignalingMinter{Secret: []byte("another deployment")}
	good := b.minter.Mint(call, "guest-1", "guest")
	tampered := []byte(good)
	tampered[len(tampered)/2] ^= 1

	tests := []struct {
		name   string
		query  string
		origin string
		status int
		code   string
	}{
		{"no token", "", "", 401, vidivo.EUNAUTHORIZED},
		{"garbage token", "token=st_nope", "", 401, vidivo.EUNAUTHORIZED},
		{"tampered token", "token=" + string(tampered), "", 401, vidivo.EUNAUTHORIZED},
		{"expired token", "token=" + expired.Mint(call, "guest-1", "guest"), "", 401, vidivo.EUNAUTHORIZED},
		{"token from another secret", "token=" + foreign.Mint(call, "guest-1", "guest"), "", 401, vidivo.EUNAUTHORIZED},
		{"token for another call", "token=" + good + "&call=" + newCall(), "", 401, vidivo.EUNAUTHORIZED},
		{"foreign origin", "token=" + good, "https://evil.example", 403, vidivo.EFORBIDDEN},
		{"origin with other port", "token=" + good, "https://vidivo.app:8443", 403, vidivo.EFORBIDDEN},
		{"null origin", "token=" + good, "null", 403, vidivo.EFORBIDDEN},
		{"refused by Admit", "token=" + b.minter.Mint("refused-by-admit", "g", "guest"), "", 404, vidivo.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest("GET", b.srv.URL+"/signal/ws?"+tt.query, nil)
			// A real upgrade request: refusals must come before the upgrade.
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Sec-WebSocket-Version", "13")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			var got struct {
				Error ErrorPayload `json:"error"`
			}
			if err := json.Unmarshal(body, &got); err != nil || got.Error.Code != tt.code {
				t.Fatalf("body %s: want error code %q (%v)", body, tt.code, err)
			}
			if strings.Contains(string(body), call) || strings.Contains(string(body), "guest-1") {
				t.Errorf("refusal leaks the call: %s", body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	if s := b.hub.Stats(); s != (Stats{}) {
		t.Errorf("refusals left state behind: %+v", s)
	}
}

// Every failing token gets the same message, so a refusal says nothing
// about why.
func TestHandshakeRefusalsLookAlike(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var bodies []string
	for _, q := range []string{"", "token=st_x.y", "token=" + b.minter.Mint(newCall(), "g", "guest") + "&call=other"} {
		resp, err := http.Get(b.srv.URL + "/signal/ws?" + q)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		bodies = append(bodies, string(body))
	}
	for _, body := range bodies[1:] {
		if body != bodies[0] {
			t.Errorf("refusal bodies differ:\n%s\n%s", bodies[0], body)
		}
	}
}

func TestHandshakeOrigins(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Origins = []string{"https://vidivo.app/"} })
	for _, origin := range []string{"", "https://vidivo.app", "HTTPS://VIDIVO.APP"} {
		t.Run("origin="+origin, func(t *testing.T) {
			t.Parallel()
			hdr := http.Header{}
			if origin != "" {
				hdr.Set("Origin", origin)
			}
			c := b.dialToken(t, b.minter.Mint(newCall(), "g", "guest"), hdr)
			c.ws.Close(websocket.StatusNormalClosure, "")
		})
	}
}

func TestHandshakeCallEndedAndFull(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.MaxParticipants = 2 })
	call := newCall()
	g := b.connect(t, call, "g", "guest")
	h := b.connect(t, call, "h", "host")
	g.expect(t, TypePeerJoined, "h")
	h.expect(t, TypePeerJoined, "g")

	status := func(participant string) int {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		ws, resp, err := websocket.Dial(ctx, b.wsURL(b.minter.Mint(call, participant, "guest")), nil)
		if err == nil {
			ws.CloseNow()
			return http.StatusSwitchingProtocols
		}
		return resp.StatusCode
	}
	if got := status("third"); got != http.StatusConflict {
		t.Errorf("third participant of a full call: status %d, want 409", got)
	}
	if err := b.hub.CloseCall(context.Background(), call, "completed"); err != nil {
		t.Fatal(err)
	}
	g.closed(t)
	h.closed(t)
	if got := status("g"); got != http.StatusConflict {
		t.Errorf("reconnect to an ended call: status %d, want 409", got)
	}
}
