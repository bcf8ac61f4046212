package signaling

import (
	"errors"
	"net/http"
	"strings"

	"github.com/coder/websocket"

	"github.com/vidivo/vidivo"
)

// Close codes the relay ends a connection with. The reason text that goes
// with each is fixed, except for a call that ended, whose reason names why.
const (
	// CloseCallEnded (1000): the call ended; the reason is
	// "call ended: <reason>", e.g. "call ended: completed".
	CloseCallEnded = websocket.StatusNormalClosure
	// CloseGoingAway (1001): this server is shutting down; reconnect.
	CloseGoingAway = websocket.StatusGoingAway
	// ClosePolicy (1008): the client broke the protocol: a spoofed "from",
	// the rate limit, or a call that is full.
	ClosePolicy = websocket.StatusPolicyViolation
	// CloseTooBig (1009): a message was larger than MaxMessageBytes.
	CloseTooBig = websocket.StatusMessageTooBig
	// CloseInternal (1011): the server failed.
	CloseInternal = websocket.StatusInternalError
	// CloseReplaced (4001): the same participant connected again; the newer
	// connection wins.
	CloseReplaced websocket.StatusCode = 4001
	// CloseDeadPeer (4002): nothing, not even a pong, came from the client
	// within PongTimeout.
	CloseDeadPeer websocket.StatusCode = 4002
	// CloseSlow (4003): the client did not read its messages and too many
	// queued up.
	CloseSlow websocket.StatusCode = 4003
)

// Why a connection ends, besides the user-facing *vidivo.Error codes.
var (
	// ErrReplaced ends a connection that a newer one for the same
	// participant replaced, on this instance or another.
	ErrReplaced = errors.New("replaced by a newer connection")
	// ErrDeadPeer ends a connection that stayed silent past PongTimeout.
	ErrDeadPeer = errors.New("dead peer: no pong")
	// ErrShutdown ends every connection when the Hub closes.
	ErrShutdown = errors.New("server shutting down")
	// ErrSlow ends a connection whose outgoing queue overflowed.
	ErrSlow = errors.New("slow consumer: too many unread messages")

	// errClientGone means the client closed the socket or it broke.
	errClientGone = errors.New("client went away")
)

// CallEndedError ends the connections of a call that ended (CloseCall).
type CallEndedError struct{ Reason string }

// Error is "call ended: <reason>"; a Reason that already says "call ended"
// is used as it is.
func (e *CallEndedError) Error() string {
	if strings.HasPrefix(e.Reason, "call ended") {
		return e.Reason
	}
	return "call ended: " + e.Reason
}

// closeStatus maps why a connection ends to the WebSocket close code and
// reason sent to the client. It is the only place this mapping lives.
func closeStatus(err error) (websocket.StatusCode, string) {
	var ended *CallEndedError
	switch {
	case err == nil, errors.Is(err, errClientGone):
		return websocket.StatusNormalClosure, ""
	case errors.As(err, &ended):
		return CloseCallEnded, truncate(ended.Error(), 123)
	case errors.Is(err, ErrShutdown):
		return CloseGoingAway, "server shutting down"
	case errors.Is(err, ErrReplaced):
		return CloseReplaced, "replaced by a newer connection"
	case errors.Is(err, ErrDeadPeer):
		return CloseDeadPeer, "dead peer: no pong"
	case errors.Is(err, ErrSlow):
		return CloseSlow, "too many unread messages"
	}
	switch vidivo.ErrorCode(err) {
	case vidivo.EPAYLOADTOOLARGE:
		return CloseTooBig, "message too big"
	case vidivo.EFORBIDDEN, vidivo.EVALIDATION, vidivo.ERATELIMITED, vidivo.ECONFLICT, vidivo.EUNAUTHORIZED:
		return ClosePolicy, truncate(vidivo.ErrorMessage(err), 123)
	}
	return CloseInternal, "internal error"
}

// httpStatus maps the codes the handshake can refuse with to HTTP statuses
// (the same ones the api package uses).
func httpStatus(err error) int {
	if errors.Is(err, ErrShutdown) {
		return http.StatusServiceUnavailable
	}
	switch vidivo.ErrorCode(err) {
	case vidivo.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case vidivo.EFORBIDDEN:
		return http.StatusForbidden
	case vidivo.ENOTFOUND:
		return http.StatusNotFound
	case vidivo.ECONFLICT:
		return http.StatusConflict
	case vidivo.EVALIDATION:
		return http.StatusBadRequest
	case vidivo.ERATELIMITED:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// truncate cuts s to at most n bytes on a rune boundary (close reasons
// are limited to 123 bytes).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
