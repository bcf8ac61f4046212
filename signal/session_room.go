package signaling

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
)

// Hooks for group sessions' rooms (the sessions service): a host removes
// a participant, and a session ends when its room is empty — on a fleet,
// whichever instance holds the sockets.

// Remove closes participant's socket in callID with 1008 and reason, on
// whichever instance holds it: here at once, elsewhere through a remove
// envelope on the control topic that every Hub handles. The others get
// peer_left. It reports whether this instance held the socket. The
// room's admission (Config.Admit) keeps the participant from coming back.
func (h *Hub) Remove(callID, participant, reason string) bool {
	here := h.removeLocal(callID, participant, reason)
	data, _ := json.Marshal(envelope{Kind: kindRemove, Instance: h.instance, Call: callID, To: participant, Reason: reason})
	if err := h.broker.Publish(controlTopic, data); err != nil {
		h.log.Warn("signaling: remove on other instances", "call", callID, "participant", participant, "err", err)
	}
	return here
}

// removeLocal closes participant's socket in callID if this instance
// holds it.
func (h *Hub) removeLocal(callID, participant, reason string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[callID]
	if r == nil || r.locals[participant] == nil {
		return false
	}
	r.locals[participant].kick(vidivo.Errorf(vidivo.EFORBIDDEN, "%s", reason))
	return true
}

// Present is how many participants are present in callID, on any
// instance, as this one knows.
func (h *Hub) Present(callID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.rooms[callID]; r != nil {
		return len(r.present)
	}
	return 0
}

// Occupied reports whether anyone is in callID's room on any instance.
// An instance with the room knows who is present (joins, leaves, and
// heartbeats that expire a dead instance's participants). One without
// it listens on the call's topic for about one and a half heartbeat
// intervals: every instance holding a connection beats there, so a
// beat (or any other news of a participant) means occupied, silence
// means empty.
func (h *Hub) Occupied(ctx context.Context, callID string) (bool, error) {
	h.mu.Lock()
	if r := h.rooms[callID]; r != nil {
		n := len(r.present)
		h.mu.Unlock()
		return n > 0, nil
	}
	h.mu.Unlock()
	heard := make(chan struct{}, 1)
	unsub, err := h.broker.Subscribe(callTopic(callID), func(data []byte) {
		var env envelope
		if json.Unmarshal(data, &env) != nil || env.Call != callID || len(env.Peers) == 0 {
			return
		}
		switch env.Kind {
		case kindBeat, kindHere, kindJoin, kindMsg:
			select {
			case heard <- struct{}{}:
			default:
			}
		}
	})
	if err != nil {
		return false, fmt.Errorf("signaling: listen to call %s: %w", callID, err)
	}
	defer unsub()
	// A connection may have come here while subscribing: its room is
	// known now (and its own beats would be heard anyway).
	if n := h.Present(callID); n > 0 {
		return true, nil
	}
	t := time.NewTimer(h.cfg.HeartbeatInterval * 3 / 2)
	defer t.Stop()
	select {
	case <-heard:
		return true, nil
	case <-t.C:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}
