package webhooks

import (
	"context"
	"errors"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/resources"
)

// sessionStore is offered by stores that keep group sessions; session
// events render from it.
type sessionStore interface {
	Session(ctx context.Context, id string) (*vidivo.Session, error)
	SessionPayment(ctx context.Context, id string) (*vidivo.SessionPayment, error)
}

// SessionParticipantPayload is one participant in a session event. Entry
// URLs are never sent: they are the participants' credentials.
type SessionParticipantPayload struct {
	ParticipantID string  `json:"participant_id"`
	DisplayName   string  `json:"display_name"`
	Role          string  `json:"role"`
	Email         *string `json:"email"`
	Fee           *string `json:"fee"`
	Paid          bool    `json:"paid"`
}

// SessionPayload is a session.* event's payload: the session as of the
// event.
type SessionPayload struct {
	URI          string                      `json:"uri"`
	SessionName  string                      `json:"session_name"`
	State        string                      `json:"state"`
	Host         string                      `json:"host"`
	StartTime    string                      `json:"start_time"`
	EndTime      string                      `json:"end_time"`
	Currency     string                      `json:"currency"`
	Participants []SessionParticipantPayload `json:"participants"`
}

// ParticipantPaidPayload is participant.paid's payload: the session, who
// paid, and how the fee divides between the platform and the host.
type ParticipantPaidPayload struct {
	Session     SessionPayload            `json:"session"`
	Participant SessionParticipantPayload `json:"participant"`
	Amount      string                    `json:"amount"`
	PlatformFee string                    `json:"platform_fee"`
	HostPayout  string                    `json:"host_payout"`
	Currency    string                    `json:"currency"`
	PaidAt      *string                   `json:"paid_at"`
}

// sessionStates is the state each session event shows.
var sessionStates = map[string]vidivo.SessionState{
	vidivo.EventSessionCreated:  vidivo.SessionScheduled,
	vidivo.EventSessionCanceled: vidivo.SessionCanceled,
	vidivo.EventSessionEnded:    vidivo.SessionEnded,
}

func (s *Service) sessionPayload(ctx context.Context, e *vidivo.WebhookEvent) (any, error) {
	ss, ok := s.Store.(sessionStore)
	if !ok {
		return nil, errors.New("webhooks: this store keeps no sessions")
	}
	if e.Event != vidivo.EventParticipantPaid {
		sess, err := ss.Session(ctx, e.SubjectID)
		if err != nil {
			return nil, err
		}
		return s.renderSession(sess, sessionStates[e.Event]), nil
	}
	pay, err := ss.SessionPayment(ctx, e.SubjectID)
	if err != nil {
		return nil, err
	}
	sess, err := ss.Session(ctx, pay.SessionID)
	if err != nil {
		return nil, err
	}
	out := ParticipantPaidPayload{Session: s.renderSession(sess, sess.State), Amount: pay.Amount.String(),
		PlatformFee: pay.PlatformFee.String(), HostPayout: pay.HostPayout.String(), Currency: resources.Currency,
		PaidAt: formatPtr(pay.PaidAt)}
	if p := sess.Participant(pay.ParticipantID); p != nil {
		out.Participant = participantPayload(p)
		out.Participant.Paid = true
	}
	return out, nil
}

func (s *Service) renderSession(sess *vidivo.Session, state vidivo.SessionState) SessionPayload {
	out := SessionPayload{URI: s.PublicURL + "/v1/sessions/" + sess.ID, SessionName: sess.Name, State: string(state),
		Host: s.PublicURL + "/v1/users/" + sess.HostID, StartTime: formatTime(sess.StartTime),
		EndTime: formatTime(sess.EndTime), Currency: resources.Currency,
		Participants: make([]SessionParticipantPayload, 0, len(sess.Participants))}
	for _, p := range sess.Participants {
		out.Participants = append(out.Participants, participantPayload(p))
	}
	return out
}

func participantPayload(p *vidivo.SessionParticipant) SessionParticipantPayload {
	out := SessionParticipantPayload{ParticipantID: p.ID, DisplayName: p.DisplayName, Role: string(p.Role),
		Paid: p.Fee > 0 && p.Paid()}
	if p.Email != "" {
		email := p.Email
		out.Email = &email
	}
	if p.Fee > 0 {
		fee := p.Fee.String()
		out.Fee = &fee
	}
	return out
}
