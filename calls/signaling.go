package calls

import (
	"context"

	"github.com/vidivo/vidivo"
)

// Sockets closes a call's signaling connections when the call ends.
type Sockets interface {
	CloseCall(ctx context.Context, callID, reason string) error
}

// closeSockets tells the signaling layer a call is over.
func (s *Service) closeSockets(ctx context.Context, c *vidivo.Call) {
	if s.Sockets == nil {
		return
	}
	if err := s.Sockets.CloseCall(ctx, c.ID, "call ended: "+string(c.Status)); err != nil {
		s.log().WarnContext(ctx, "close signaling sockets", "call_id", c.ID, "err", err)
	}
}

// PeersConnected is told by the signaling layer that every participant of
// a call is connected.
func (s *Service) PeersConnected(ctx context.Context, callID string) {
	s.log().InfoContext(ctx, "all peers connected", "call_id", callID)
}

// PeerGone is told by the signaling layer that a participant has been away
// longer than the grace period: the call ends with reason timeout, so a
// call whose peers are gone does not bill forever. A call that already
// ended is left alone.
func (s *Service) PeerGone(ctx context.Context, callID, participant string) {
	c, err := s.Store.CallByID(ctx, callID)
	if err != nil || c.Status.Ended() {
		return
	}
	s.log().InfoContext(ctx, "peer gone; ending the call", "call_id", callID, "participant", participant)
	if _, err := s.end(ctx, c, vidivo.EndTimeout, s.now()); err != nil && vidivo.ErrorCode(err) != vidivo.ECONFLICT {
		s.log().ErrorContext(ctx, "end call of a gone peer", "call_id", callID, "err", err)
	}
}
