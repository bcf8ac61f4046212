package sessions

import (
	"context"
	"strconv"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/turn"
)

// Entry returns the session and the participant an entry token belongs
// to. An unknown, reissued or removed token is ENOTFOUND; the entry page
// shows a canceled or ended session as such (EntryOpen says which).
func (s *Service) Entry(ctx context.Context, tok string) (*vidivo.Session, *vidivo.SessionParticipant, error) {
	if !IsEntryToken(tok) {
		return nil, nil, notFound()
	}
	sess, p, err := s.Store.SessionByEntryToken(ctx, HashEntryToken(tok))
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, nil, notFound()
	}
	return sess, p, err
}

// Pay captures the participant's fee with paymentMethodID: at once, not
// held. Paying what is paid answers the participant as it is; racing
// payments share one payment row and its idempotency keys, so the
// gateway captures once. A decline is EPAYMENTFAILED (402) and may be
// retried with another card; no fee is ECONFLICT; a canceled or ended
// session is ELINKEXPIRED.
func (s *Service) Pay(ctx context.Context, tok, paymentMethodID string) (*vidivo.Session, *vidivo.SessionParticipant, error) {
	if fe := vidivo.CheckText("payment_method_id", paymentMethodID, vidivo.TextRule{Required: true, Max: 255}); fe != nil {
		return nil, nil, vidivo.Invalid(*fe)
	}
	sess, p, err := s.Entry(ctx, tok)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case p.Fee == 0:
		return nil, nil, vidivo.Errorf(vidivo.ECONFLICT, "there is no fee to pay")
	case p.Paid():
		return sess, p, nil
	case sess.State == vidivo.SessionCanceled || sess.State == vidivo.SessionEnded:
		return nil, nil, sess.EntryOpen(s.now())
	case sess.State == vidivo.SessionScheduled && !s.now().Before(sess.EndTime):
		return nil, nil, sess.EntryOpen(s.now())
	}
	pay, err := s.Store.StartSessionPayment(ctx, &vidivo.SessionPayment{ID: newID(s.now()), SessionID: sess.ID,
		ParticipantID: p.ID, HostID: sess.HostID, Amount: p.Fee})
	if err != nil {
		return nil, nil, err
	}
	if pay.Status == vidivo.PaymentPending {
		if err := s.capture(ctx, sess, p, pay, paymentMethodID); err != nil {
			return nil, nil, err
		}
	}
	return s.reload(ctx, tok)
}

// capture takes a pending payment at the gateway and records it. Its
// keys name the payment's attempt, so a racing or repeated capture of the
// same attempt is one at the gateway.
func (s *Service) capture(ctx context.Context, sess *vidivo.Session, p *vidivo.SessionParticipant, pay *vidivo.SessionPayment, pm string) error {
	host, err := s.Store.UserByID(ctx, sess.HostID)
	if err != nil {
		return err
	}
	key := "session-payment/" + p.ID + "/" + strconv.Itoa(pay.Attempt)
	hold, err := s.Gateway.Hold(ctx, billing.HoldRequest{IdempotencyKey: key + "/hold", Amount: pay.Amount,
		Currency: billing.Currency, PaymentMethodID: pm, HostAccountID: host.PayoutAccountID, GuestEmail: p.Email,
		Description: "Session fee: " + sess.Name,
		Metadata:    map[string]string{"session_id": sess.ID, "participant_id": p.ID}})
	if err != nil {
		return s.payFailed(ctx, pay, err)
	}
	pay.HoldID = hold.HoldID
	pay.PlatformFee = billing.PlatformFee(pay.Amount, s.PlatformFeePercent)
	pay.HostPayout = pay.Amount - pay.PlatformFee
	err = s.Gateway.Capture(ctx, billing.CaptureRequest{IdempotencyKey: key + "/capture", HoldID: hold.HoldID,
		Amount: pay.Amount, ApplicationFee: pay.PlatformFee})
	if err != nil {
		return s.payFailed(ctx, pay, err)
	}
	now := s.now()
	pay.PaidAt = &now
	if _, err := s.Store.CaptureSessionPayment(ctx, pay); err != nil {
		return err
	}
	return s.refundIfCanceled(ctx, sess.ID, pay)
}

// refundIfCanceled refunds a payment captured while the session was
// being canceled (the cancel's refunds did not see it yet).
func (s *Service) refundIfCanceled(ctx context.Context, sessionID string, pay *vidivo.SessionPayment) error {
	sess, err := s.Store.Session(ctx, sessionID)
	if err != nil || sess.State != vidivo.SessionCanceled {
		return err
	}
	if err := s.refund(ctx, pay); err != nil {
		return err
	}
	return vidivo.Errorf(vidivo.ELINKEXPIRED, "this session was canceled; the fee was refunded")
}

// payFailed turns a gateway failure into the answer: a decline or a
// refused card ends the attempt (the next uses new keys); an outage
// leaves it pending, so a retry repeats the same keys and cannot charge
// twice.
func (s *Service) payFailed(ctx context.Context, pay *vidivo.SessionPayment, err error) error {
	kind := billing.ErrorKind(err)
	if kind == billing.KindTemporary {
		s.log().WarnContext(ctx, "session fee: gateway unavailable", "payment_id", pay.ID, "err", err)
		return vidivo.Errorf(vidivo.ESTRIPE, "the payment could not be made right now; try again")
	}
	if ferr := s.Store.FailSessionPayment(ctx, pay.ID); ferr != nil {
		return ferr
	}
	reason := "card_declined"
	if be, ok := err.(*billing.Error); ok {
		reason = be.Reason()
	}
	return vidivo.Errorf(vidivo.EPAYMENTFAILED, "the payment was declined (%s)", reason)
}

func (s *Service) reload(ctx context.Context, tok string) (*vidivo.Session, *vidivo.SessionParticipant, error) {
	return s.Entry(ctx, tok)
}

// Joined is what a participant enters the room with.
type Joined struct {
	Session     *vidivo.Session
	Participant *vidivo.SessionParticipant
	// Generation is this join's; the previous device's token is stale.
	Generation     int64
	SignalingToken string
	TURN           turn.Credentials
}

// Join lets a participant into the session's room: within the entry
// window (Session.EntryOpen), paid (EPAYMENTFAILED, 402, until then).
// Each join starts a new generation: the signaling token of an earlier
// join (another device with the same URL) is refused from then on.
func (s *Service) Join(ctx context.Context, tok string) (*Joined, error) {
	sess, p, err := s.Entry(ctx, tok)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := sess.EntryOpen(now); err != nil {
		return nil, err
	}
	if !p.Paid() {
		return nil, vidivo.Errorf(vidivo.EPAYMENTFAILED, "pay the session's fee of %s before joining", p.Fee)
	}
	gen, err := s.Store.NextJoin(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	p.JoinGeneration = gen
	return &Joined{Session: sess, Participant: p, Generation: gen,
		SignalingToken: s.Signaling.MintGeneration(sess.ID, p.ID, string(p.Role), gen),
		TURN:           s.TURN.Mint(p.ID, now)}, nil
}

// CheckJoin is what the room asks of a signaling token's claims before
// it connects: the participant still belongs to the session and gen is
// their latest join. A stale generation (a later device joined) or a
// removed participant is EUNAUTHORIZED.
func (s *Service) CheckJoin(ctx context.Context, sessionID, participantID string, gen int64) (*vidivo.Session, *vidivo.SessionParticipant, error) {
	stale := vidivo.Errorf(vidivo.EUNAUTHORIZED, "this entry was replaced by a later one")
	sess, err := s.Store.Session(ctx, sessionID)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, nil, stale
	}
	if err != nil {
		return nil, nil, err
	}
	p := sess.Participant(participantID)
	if p == nil || p.JoinGeneration != gen {
		return nil, nil, stale
	}
	return sess, p, nil
}

// Participant returns one participant of a session (the room's admit
// and remove decisions need the role); ENOTFOUND if none.
func (s *Service) Participant(ctx context.Context, sessionID, participantID string) (*vidivo.SessionParticipant, error) {
	sess, err := s.Store.Session(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	if p := sess.Participant(participantID); p != nil {
		return p, nil
	}
	return nil, vidivo.Errorf(vidivo.ENOTFOUND, "no such participant")
}

// MarkState records presence: in_progress when the first person
// connects, ended when the last leaves after the scheduled end (which
// writes session.ended). False when the session was not in a state to
// move from (already moved, or canceled).
func (s *Service) MarkState(ctx context.Context, sessionID string, to vidivo.SessionState, at time.Time) (bool, error) {
	if to != vidivo.SessionInProgress && to != vidivo.SessionEnded {
		return false, vidivo.Errorf(vidivo.EVALIDATION, "a session's presence moves it to in_progress or ended")
	}
	return s.Store.SetSessionState(ctx, sessionID, to, at.UTC())
}

// Payments is a host's session fees, newest first (up to limit), and
// their totals: the host's history and earnings from sessions.
func (s *Service) Payments(ctx context.Context, caller vidivo.Caller, limit int) ([]*vidivo.SessionPayment, vidivo.SessionEarnings, error) {
	pays, err := s.Store.SessionPayments(ctx, caller.Subject, limit)
	if err != nil {
		return nil, vidivo.SessionEarnings{}, err
	}
	e, err := s.Store.SessionEarnings(ctx, caller.Subject)
	return pays, e, err
}
