package signaling

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A client may send its first frame in the same packet as the handshake;
// the smaller buffers the Hub swaps in must not lose it.
func TestFrameRightBehindHandshake(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(b.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wait))

	payload := []byte(`{"type":"offer","payload":{"sdp":"x"}}`)
	mask := [4]byte{1, 2, 3, 4}
	frame := []byte{0x81, 0x80 | byte(len(payload))}
	frame = append(frame, mask[:]...)
	for i, c := range payload {
		frame = append(frame, c^mask[i%4])
	}
	req := "GET /signal/ws?token=" + url.QueryEscape(b.minter.Mint(newCall(), "g", "guest")) + " HTTP/1.1\r\n" +
		"Host: example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	if _, err := conn.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}

	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The offer was read: alone in the call, the guest gets not_found.
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(br, hdr); err != nil {
		t.Fatal(err)
	}
	if hdr[0] != 0x81 || hdr[1]&0x80 != 0 || hdr[1] > 125 {
		t.Fatalf("frame header % x", hdr)
	}
	body := make([]byte, hdr[1])
	if _, err := io.ReadFull(br, body); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"not_found"`) {
		t.Errorf("reply %s, want a not_found error", body)
	}
}

// The Hub works behind middleware that wraps the ResponseWriter, as long
// as the wrapper has Unwrap (api's statusWriter does).
func TestBehindWrappingMiddleware(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hub.ServeHTTP(&unwrapOnly{w}, r)
	}))
	t.Cleanup(srv.Close)
	wrapped := &testBundle{hub: b.hub, srv: srv, minter: b.minter}
	call := newCall()
	g := wrapped.connect(t, call, "g", "guest")
	h := b.connect(t, call, "h", "host")
	g.expect(t, TypePeerJoined, "h")
	h.expect(t, TypePeerJoined, "g")
	exchange(t, g, h, "g", "h")
	g.ws.Close(websocket.StatusNormalClosure, "")
	h.expect(t, TypePeerLeft, "g")
}

type unwrapOnly struct{ http.ResponseWriter }

func (w *unwrapOnly) Unwrap() http.ResponseWriter { return w.ResponseWriter }
