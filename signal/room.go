package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/token"
)

// room is one call as this instance sees it. It exists while the instance
// has a connection for the call or a PeerGone timer pending, and is
// subscribed to the call's broker topic meanwhile. Guarded by Hub.mu.
type room struct {
	call   string
	locals map[string]*conn // participant → its connection on this instance
	// present holds the newest known connection of every participant
	// present, on any instance.
	present map[string]presence
	gone    map[string]*graceTimer // participant → pending PeerGone
	// heard is when (Hub.mono) each other instance last said anything
	// about the call; its participants expire after PresenceTTL of silence.
	heard    map[string]int64
	complete bool // all expected participants present
	unsub    func()
}

// presence is a participant's connection and the instance holding it.
type presence struct {
	peerInfo
	instance string
}

type graceTimer struct{ t *time.Timer }

// admissible is the pre-upgrade check of a call's state: it refuses a
// closing Hub, an ended call, and a full room (as far as this instance
// knows; register checks again).
func (h *Hub) admissible(callID, participant string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.admissibleLocked(h.rooms[callID], callID, participant)
}

func (h *Hub) admissibleLocked(r *room, callID, participant string) error {
	if h.closed {
		return ErrShutdown
	}
	if until, ok := h.ended[callID]; ok && time.Now().Before(until) {
		return vidivo.Errorf(vidivo.ECONFLICT, "call has ended")
	}
	if r != nil {
		if _, ok := r.present[participant]; !ok && len(r.present) >= h.cfg.MaxParticipants {
			return vidivo.Errorf(vidivo.ECONFLICT, "call is full")
		}
	}
	return nil
}

// register adds a new connection to its room: it replaces the
// participant's older connection here, tells the newcomer who is present
// and everyone else that it joined, and announces it to the other
// instances, which reply with their participants.
func (h *Hub) register(c *conn) error {
	h.mu.Lock()
	r := h.rooms[c.call]
	if err := h.admissibleLocked(r, c.call, c.participant); err != nil {
		h.mu.Unlock()
		return err
	}
	if r == nil {
		var err error
		if r, err = h.newRoom(c.call); err != nil {
			h.mu.Unlock()
			return err
		}
	}
	me := presence{peerInfo{Participant: c.participant, Conn: c.id, Role: c.role}, h.instance}
	if cur, ok := r.present[c.participant]; ok && cur.Conn > c.id {
		// A newer connection for the participant reached another instance first.
		h.maybeDrop(r)
		h.mu.Unlock()
		return ErrReplaced
	}
	if old := r.locals[c.participant]; old != nil {
		old.kick(ErrReplaced)
	}
	r.locals[c.participant] = c
	h.conns.Add(1)
	for q, pr := range r.present {
		if q != c.participant {
			c.send(peerMessage(TypePeerJoined, q, pr.Role))
		}
	}
	h.see(r, me)
	h.mu.Unlock()
	h.publish(&envelope{Kind: kindJoin, Call: c.call, Peers: []peerInfo{me.peerInfo}})
	return nil
}

// leave removes a connection that ended. Unless the call ended or the
// connection was replaced, the others get peer_left, the instances hear
// of it, and the PeerGone timer starts (on shutdown another instance runs
// it).
func (h *Hub) leave(c *conn, why error) {
	h.mu.Lock()
	r := h.rooms[c.call]
	if r == nil || r.locals[c.participant] != c {
		h.mu.Unlock()
		return
	}
	delete(r.locals, c.participant)
	var env *envelope
	var ended *CallEndedError
	if errors.As(why, &ended) {
		if cur := r.present[c.participant]; cur.Conn == c.id {
			delete(r.present, c.participant)
		}
	} else if h.unsee(r, c.participant, c.id) {
		orphan := h.closed
		if !orphan {
			h.startGrace(r, c.participant)
		}
		env = &envelope{Kind: kindLeave, Call: c.call, Orphan: orphan,
			Peers: []peerInfo{{Participant: c.participant, Conn: c.id, Role: c.role}}}
	}
	h.maybeDrop(r)
	h.mu.Unlock()
	if env != nil {
		h.publish(env)
	}
}

// see records that a participant's connection is present. An older or
// already known connection changes nothing; a newer one replaces a local
// older one, stops the participant's PeerGone timer, and is announced to
// the other local participants. Call with h.mu held.
func (h *Hub) see(r *room, pr presence) bool {
	p := pr.Participant
	if cur, ok := r.present[p]; ok && cur.Conn >= pr.Conn {
		return false
	}
	r.present[p] = pr
	if g := r.gone[p]; g != nil {
		g.t.Stop()
		delete(r.gone, p)
	}
	if lc := r.locals[p]; lc != nil && lc.id != pr.Conn {
		lc.kick(ErrReplaced)
		delete(r.locals, p)
	}
	msg := peerMessage(TypePeerJoined, p, pr.Role)
	for q, lc := range r.locals {
		if q != p {
			lc.send(msg)
		}
	}
	h.checkComplete(r)
	return true
}

// unsee removes a participant's presence if conn is still its current
// connection, and tells the local participants. Call with h.mu held.
func (h *Hub) unsee(r *room, participant, conn string) bool {
	cur, ok := r.present[participant]
	if !ok || cur.Conn != conn {
		return false
	}
	delete(r.present, participant)
	msg := peerMessage(TypePeerLeft, participant, cur.Role)
	for q, lc := range r.locals {
		if q != participant {
			lc.send(msg)
		}
	}
	h.checkComplete(r)
	return true
}

// checkComplete tracks whether all expected participants are present and
// reports PeersConnected when the room becomes complete. Only the instance
// holding the newest connection reports it, so it is reported once across
// instances. Call with h.mu held.
func (h *Hub) checkComplete(r *room) {
	if len(r.present) < h.expected(r.call) {
		r.complete = false
		return
	}
	if r.complete {
		return
	}
	r.complete = true
	var newest presence
	for _, pr := range r.present {
		if pr.Conn > newest.Conn {
			newest = pr
		}
	}
	if newest.instance == h.instance {
		call := r.call
		h.fire(func(ctx context.Context) { h.cfg.Events.PeersConnected(ctx, call) })
	}
}

// startGrace starts the PeerGone timer of a participant. Call with h.mu
// held.
func (h *Hub) startGrace(r *room, participant string) {
	if h.cfg.Events == nil || h.closed {
		return
	}
	if g := r.gone[participant]; g != nil {
		g.t.Stop()
	}
	g := &graceTimer{}
	g.t = time.AfterFunc(h.cfg.Grace, func() { h.graceExpired(r, participant, g) })
	r.gone[participant] = g
}

func (h *Hub) graceExpired(r *room, participant string, g *graceTimer) {
	h.mu.Lock()
	if r.gone[participant] != g {
		h.mu.Unlock()
		return // the participant came back, or the call ended
	}
	delete(r.gone, participant)
	_, back := r.present[participant]
	h.maybeDrop(r)
	if !back {
		h.fire(func(ctx context.Context) { h.cfg.Events.PeerGone(ctx, r.call, participant) })
	}
	h.mu.Unlock()
}

// endCall closes a call's local connections with CallEndedError and
// refuses its tokens from now until they would have expired.
func (h *Hub) endCall(callID, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	for id, until := range h.ended {
		if now.After(until) {
			delete(h.ended, id)
		}
	}
	h.ended[callID] = now.Add(token.SignalingTTL)
	r := h.rooms[callID]
	if r == nil {
		return
	}
	for _, c := range r.locals {
		c.kick(&CallEndedError{Reason: reason})
	}
	for p, g := range r.gone {
		g.t.Stop()
		delete(r.gone, p)
	}
	h.maybeDrop(r)
}

// newRoom creates a room and subscribes to its call's topic. Call with
// h.mu held.
func (h *Hub) newRoom(callID string) (*room, error) {
	unsub, err := h.broker.Subscribe(callTopic(callID), h.deliver)
	if err != nil {
		return nil, err // internal: the client sees "internal error"
	}
	r := &room{
		call:    callID,
		locals:  make(map[string]*conn, 2),
		present: make(map[string]presence, 2),
		gone:    make(map[string]*graceTimer),
		heard:   make(map[string]int64, 2),
		unsub:   unsub,
	}
	h.rooms[callID] = r
	return r, nil
}

// maybeDrop forgets a room that has no local connection and no pending
// timer. Call with h.mu held.
func (h *Hub) maybeDrop(r *room) {
	if len(r.locals) > 0 || len(r.gone) > 0 || h.rooms[r.call] != r {
		return
	}
	delete(h.rooms, r.call)
	r.unsub()
}

// relay sends a client's message to its addressee, or to every other
// participant if it names none. It returns ENOTFOUND when the addressee (or
// anyone) is not present and EVALIDATION for a message to oneself.
func (h *Hub) relay(c *conn, m clientMessage) error {
	if m.To == c.participant {
		return vidivo.Errorf(vidivo.EVALIDATION, "to names yourself")
	}
	out := encode(m.Type, c.participant, m.Payload)
	h.mu.Lock()
	r := h.rooms[c.call]
	if r == nil || r.locals[c.participant] != c {
		h.mu.Unlock()
		return nil // replaced or closing: drop
	}
	remote, n := false, 0
	for q, pr := range r.present {
		if q == c.participant || m.To != "" && q != m.To {
			continue
		}
		n++
		if lc := r.locals[q]; lc != nil && lc.id == pr.Conn {
			lc.send(out)
		} else {
			remote = true
		}
	}
	h.mu.Unlock()
	switch {
	case n == 0 && m.To != "":
		return vidivo.Errorf(vidivo.ENOTFOUND, "no participant %q is connected to this call", truncate(m.To, 64))
	case n == 0:
		return vidivo.Errorf(vidivo.ENOTFOUND, "no other participant is connected")
	case remote:
		h.publish(&envelope{Kind: kindMsg, Call: c.call, From: c.participant, To: m.To, Out: out,
			Peers: []peerInfo{{Participant: c.participant, Conn: c.id, Role: c.role}}})
	}
	return nil
}

// deliver handles an envelope from another instance.
func (h *Hub) deliver(data []byte) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil || env.Instance == h.instance {
		return
	}
	if env.Kind == kindClose {
		h.endCall(env.Call, env.Reason)
		return
	}
	if env.Kind == kindRemove {
		h.removeLocal(env.Call, env.To, env.Reason)
		return
	}
	h.mu.Lock()
	r := h.rooms[env.Call]
	if r == nil {
		h.mu.Unlock()
		return
	}
	r.heard[env.Instance] = h.mono()
	var reply *envelope
	switch env.Kind {
	case kindJoin:
		if len(env.Peers) != 1 {
			break
		}
		h.see(r, presence{env.Peers[0], env.Instance})
		reply = &envelope{Kind: kindHere, Call: env.Call}
		for q, lc := range r.locals {
			if q != env.Peers[0].Participant {
				reply.Peers = append(reply.Peers, peerInfo{Participant: q, Conn: lc.id, Role: lc.role})
			}
		}
	case kindHere, kindBeat:
		for _, pi := range env.Peers {
			h.see(r, presence{pi, env.Instance})
		}
	case kindLeave:
		if len(env.Peers) == 1 && h.unsee(r, env.Peers[0].Participant, env.Peers[0].Conn) && env.Orphan {
			h.adoptGrace(r, env.Peers[0].Participant)
		}
	case kindMsg:
		// The sender's presence rides along, so its peer_joined always
		// comes before its messages, whatever order envelopes arrive in.
		if len(env.Peers) == 1 {
			h.see(r, presence{env.Peers[0], env.Instance})
		}
		for q, lc := range r.locals {
			if env.To == q || env.To == "" && q != env.From {
				lc.send(env.Out)
			}
		}
	}
	h.maybeDrop(r)
	h.mu.Unlock()
	if reply != nil && len(reply.Peers) > 0 {
		h.publish(reply)
	}
}

// adoptGrace runs the PeerGone timer for a participant whose instance shut
// down, if this instance holds the newest remaining connection (so one
// instance does). Call with h.mu held.
func (h *Hub) adoptGrace(r *room, participant string) {
	var newest presence
	for _, pr := range r.present {
		if pr.Conn > newest.Conn {
			newest = pr
		}
	}
	if newest.instance == h.instance {
		h.startGrace(r, participant)
	}
}
