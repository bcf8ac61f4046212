package signaling

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/vidivo/vidivo"
)

// Message types. Clients send offer, answer and ice_candidate; the server
// sends those (relayed) and peer_joined, peer_left and error.
const (
	TypeOffer        = "offer"
	TypeAnswer       = "answer"
	TypeICECandidate = "ice_candidate"
	TypePeerJoined   = "peer_joined"
	TypePeerLeft     = "peer_left"
	TypeError        = "error"
)

// Message is one signaling message, a JSON text frame. A client sets Type,
// Payload and, in a group call, To; the server sets From on everything it
// relays or announces, and never sets To.
type Message struct {
	Type string `json:"type"`
	// From is the participant the message is from or about (peer_joined,
	// peer_left). Error messages have none.
	From string `json:"from,omitempty"`
	// To names the one participant a client message is for; empty means
	// every other participant.
	To      string          `json:"to,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// PeerPayload is the payload of peer_joined and peer_left.
type PeerPayload struct {
	Role string `json:"role"`
}

// ErrorPayload is the payload of an error message: a code from the error
// set in package vidivo and a message for people.
type ErrorPayload struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// clientMessage is what a client may send. From is a pointer so that any
// "from" at all is caught as spoofing.
type clientMessage struct {
	Type    string          `json:"type"`
	From    *string         `json:"from"`
	To      string          `json:"to"`
	Payload json.RawMessage `json:"payload"`
}

// parseClient decodes and checks a client message. It returns
// EVALIDATION for malformed JSON or an unknown type and EFORBIDDEN for a
// message that carries "from".
func parseClient(data []byte) (clientMessage, error) {
	var m clientMessage
	d := bytes.TrimSpace(data)
	if len(d) == 0 || d[0] != '{' || json.Unmarshal(d, &m) != nil {
		return m, vidivo.Errorf(vidivo.EVALIDATION, "message is not a JSON object")
	}
	if m.From != nil {
		return m, vidivo.Errorf(vidivo.EFORBIDDEN, "clients must not set from; the server sets it")
	}
	switch m.Type {
	case TypeOffer, TypeAnswer, TypeICECandidate:
	case "":
		return m, vidivo.Invalid(vidivo.FieldError{Field: "type", Issue: "is required"})
	default:
		return m, vidivo.Errorf(vidivo.EVALIDATION, "unknown message type %q", truncate(m.Type, 40))
	}
	if bytes.Equal(m.Payload, []byte("null")) {
		m.Payload = nil
	}
	return m, nil
}

// encode renders a server message. The payload, already checked to be
// JSON by parseClient (or made here), is copied byte for byte: the relay
// never rewrites what clients send.
func encode(typ, from string, payload json.RawMessage) []byte {
	b := make([]byte, 0, len(`{"type":"","from":,"payload":}`)+len(typ)+len(from)+len(payload)+8)
	b = append(b, `{"type":`...)
	b = appendString(b, typ)
	if from != "" {
		b = append(b, `,"from":`...)
		b = appendString(b, from)
	}
	if len(payload) > 0 {
		b = append(b, `,"payload":`...)
		b = append(b, payload...)
	}
	return append(b, '}')
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	q, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("signaling: encode string: %v", err)) // strings always encode
	}
	return append(b, q...)
}

func peerMessage(typ, participant, role string) []byte {
	p, _ := json.Marshal(PeerPayload{Role: role})
	return encode(typ, participant, p)
}

// errorMessage renders err for the client; internal errors say only
// "internal error".
func errorMessage(err error) []byte {
	p, _ := json.Marshal(ErrorPayload{Code: vidivo.ErrorCode(err), Message: vidivo.ErrorMessage(err)})
	return encode(TypeError, "", p)
}
