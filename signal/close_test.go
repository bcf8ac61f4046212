package signaling

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/vidivo/vidivo"
)

func TestCloseStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err    error
		code   websocket.StatusCode
		reason string
	}{
		{nil, 1000, ""},
		{errClientGone, 1000, ""},
		{&CallEndedError{Reason: "completed"}, 1000, "call ended: completed"},
		{&CallEndedError{Reason: "call ended: completed"}, 1000, "call ended: completed"},
		{fmt.Errorf("wrapped: %w", &CallEndedError{Reason: "timeout"}), 1000, "call ended: timeout"},
		{&CallEndedError{Reason: strings.Repeat("é", 100)}, 1000, "call ended: " + strings.Repeat("é", 55)},
		{ErrShutdown, 1001, "server shutting down"},
		{vidivo.Errorf(vidivo.EFORBIDDEN, "clients must not set from; the server sets it"), 1008, "clients must not set from; the server sets it"},
		{vidivo.Errorf(vidivo.ERATELIMITED, "rate limit exceeded"), 1008, "rate limit exceeded"},
		{vidivo.Errorf(vidivo.ECONFLICT, "call is full"), 1008, "call is full"},
		{vidivo.Errorf(vidivo.EPAYLOADTOOLARGE, "message too big"), 1009, "message too big"},
		{fmt.Errorf("disk on fire"), 1011, "internal error"},
		{ErrReplaced, 4001, "replaced by a newer connection"},
		{ErrDeadPeer, 4002, "dead peer: no pong"},
		{ErrSlow, 4003, "too many unread messages"},
	}
	for _, tt := range tests {
		code, reason := closeStatus(tt.err)
		if code != tt.code || reason != tt.reason {
			t.Errorf("closeStatus(%v) = %d %q, want %d %q", tt.err, code, reason, tt.code, tt.reason)
		}
		if len(reason) > 123 {
			t.Errorf("closeStatus(%v): reason of %d bytes", tt.err, len(reason))
		}
	}
}

func TestCallTopic(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"01JN2X6M0P5H9SRBTXY8ZDKEFG": "01JN2X6M0P5H9SRBTXY8ZDKEFG",
		"call-1_a":                   "call-1_a",
		"a.b":                        "_x612e62",
		"*":                          "_x2a",
		">":                          "_x3e",
		"_control":                   "_x5f636f6e74726f6c",
		"":                           "_x",
	}
	for in, want := range tests {
		if got := callTopic(in); got != want {
			t.Errorf("callTopic(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseClient(t *testing.T) {
	t.Parallel()
	m, err := parseClient([]byte(` {"type":"offer","to":"p2","payload":{"sdp":"x"},"extra":1} `))
	if err != nil || m.Type != TypeOffer || m.To != "p2" || string(m.Payload) != `{"sdp":"x"}` {
		t.Errorf("parseClient = %+v, %v", m, err)
	}
	if m, err := parseClient([]byte(`{"type":"answer","payload":null}`)); err != nil || m.Payload != nil {
		t.Errorf("null payload: %+v, %v", m, err)
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ, from string
		payload   string
		want      string
	}{
		{TypeOffer, "g", `{"sdp":"v=0\r\n<a>&"}`, `{"type":"offer","from":"g","payload":{"sdp":"v=0\r\n<a>&"}}`},
		{TypeICECandidate, "p\"1", ` [1, 2] `, `{"type":"ice_candidate","from":"p\"1","payload": [1, 2] }`},
		{TypeError, "", `{"code":"x"}`, `{"type":"error","payload":{"code":"x"}}`},
		{TypeAnswer, "h", ``, `{"type":"answer","from":"h"}`},
	}
	for _, tt := range tests {
		got := encode(tt.typ, tt.from, json.RawMessage(tt.payload))
		if string(got) != tt.want {
			t.Errorf("encode(%q, %q, %s) = %s, want %s", tt.typ, tt.from, tt.payload, got, tt.want)
		}
		if !json.Valid(got) {
			t.Errorf("encode(%q, %q, %s) is not JSON", tt.typ, tt.from, tt.payload)
		}
	}
}
