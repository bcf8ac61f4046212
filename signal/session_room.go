package signaling

import "github.com/vidivo/vidivo"

// Hooks for group sessions' rooms (web.SessionRooms): a host removes a
// participant, and a session ends when its room is empty.

// Remove closes participant's socket in callID on this instance with 1008
// and reason; the others get peer_left. It reports whether there was one.
// The room's admission (Config.Admit) keeps the participant from coming
// back; a socket held by another instance stays until it reconnects.
func (h *Hub) Remove(callID, participant, reason string) bool {
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
