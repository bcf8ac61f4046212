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
	if err := s.Sockets.CloseCall(ctx, c.ID, string(c.Status)); err != nil {
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

// AdmitSignal says whether a participant may connect to a call's signaling
// room now: the call is under way, or it is a booking whose session has
// not started yet (the host may wait in the room for the guest). An ended
// call is ECONFLICT.
func (s *Service) AdmitSignal(ctx context.Context, callID string) error {
	c, err := s.Store.CallByID(ctx, callID)
	if err == nil {
		if c.Status.Ended() {
			return vidivo.Errorf(vidivo.ECONFLICT, "the call has ended")
		}
		return nil
	}
	if vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
		return err
	}
	b, err := s.Store.Booking(ctx, callID)
	if err != nil || b.Status != vidivo.BookingConfirmed {
		return vidivo.Errorf(vidivo.EUNAUTHORIZED, "invalid or expired signaling token")
	}
	return nil
}
