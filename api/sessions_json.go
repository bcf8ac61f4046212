package api

import (
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// feeJSON is a participant's fee: a decimal amount in a currency.
type feeJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

type sessionPaymentJSON struct {
	Status      string  `json:"status"`
	Amount      string  `json:"amount"`
	PlatformFee string  `json:"platform_fee"`
	HostPayout  string  `json:"host_payout"`
	Currency    string  `json:"currency"`
	PaidAt      *string `json:"paid_at"`
	RefundedAt  *string `json:"refunded_at"`
}

type participantJSON struct {
	ParticipantID string              `json:"participant_id"`
	DisplayName   string              `json:"display_name"`
	Role          string              `json:"role"`
	Email         *string             `json:"email"`
	Fee           *feeJSON            `json:"fee"`
	Paid          bool                `json:"paid"`
	Payment       *sessionPaymentJSON `json:"payment"`
	// EntryURL is shown to the session's managers only.
	EntryURL string `json:"entry_url,omitempty"`
}

type sessionJSON struct {
	ID           string            `json:"id"`
	URI          string            `json:"uri"`
	SessionName  string            `json:"session_name"`
	Picture      *string           `json:"picture"`
	StartTime    string            `json:"start_time"`
	EndTime      string            `json:"end_time"`
	OpensAt      string            `json:"opens_at"`
	State        string            `json:"state"`
	Sequence     int               `json:"sequence"`
	Host         string            `json:"host"`
	Participants []participantJSON `json:"participants"`
	StartedAt    *string           `json:"started_at"`
	EndedAt      *string           `json:"ended_at"`
	CanceledAt   *string           `json:"canceled_at"`
	CreatedAt    string            `json:"created_at"`
	UpdatedAt    string            `json:"updated_at"`
}

// entrySessionJSON is the session as a participant's entry page sees it:
// no other participant's details.
type entrySessionJSON struct {
	ID          string  `json:"id"`
	SessionName string  `json:"session_name"`
	Picture     *string `json:"picture"`
	StartTime   string  `json:"start_time"`
	EndTime     string  `json:"end_time"`
	OpensAt     string  `json:"opens_at"`
	State       string  `json:"state"`
	HostName    string  `json:"host_name"`
}

type entryJSON struct {
	Session     entrySessionJSON `json:"session"`
	Participant participantJSON  `json:"participant"`
	InviteURL   string           `json:"invite_url"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func opensAt(s *vidivo.Session) string {
	return formatTime(s.OpensAt())
}

func (s *Server) participantJSON(p *vidivo.SessionParticipant, manager bool) participantJSON {
	out := participantJSON{ParticipantID: p.ID, DisplayName: p.DisplayName, Role: string(p.Role),
		Email: optString(p.Email), Paid: p.Paid() && p.Fee > 0}
	if p.Fee > 0 {
		out.Fee = &feeJSON{Amount: p.Fee.String(), Currency: billing.Currency}
	}
	if pay := p.Payment; pay != nil && pay.Status != vidivo.PaymentPending {
		out.Payment = &sessionPaymentJSON{Status: string(pay.Status), Amount: pay.Amount.String(),
			PlatformFee: pay.PlatformFee.String(), HostPayout: pay.HostPayout.String(), Currency: billing.Currency,
			PaidAt: formatTimePtr(pay.PaidAt), RefundedAt: formatTimePtr(pay.RefundedAt)}
	}
	if manager {
		out.EntryURL = s.Sessions.EntryURLOf(p)
	}
	return out
}

func (s *Server) sessionJSON(sess *vidivo.Session, manager bool) sessionJSON {
	out := sessionJSON{ID: sess.ID, URI: s.PublicURL + "/v1/sessions/" + sess.ID, SessionName: sess.Name,
		Picture: optString(sess.Picture), StartTime: formatTime(sess.StartTime), EndTime: formatTime(sess.EndTime),
		OpensAt: opensAt(sess), State: string(sess.State), Sequence: sess.Sequence, Host: s.userURI(sess.HostID),
		Participants: make([]participantJSON, 0, len(sess.Participants)),
		StartedAt:    formatTimePtr(sess.StartedAt), EndedAt: formatTimePtr(sess.EndedAt),
		CanceledAt: formatTimePtr(sess.CanceledAt), CreatedAt: formatTime(sess.CreatedAt),
		UpdatedAt: formatTime(sess.UpdatedAt)}
	for _, p := range sess.Participants {
		out.Participants = append(out.Participants, s.participantJSON(p, manager))
	}
	return out
}

func (s *Server) entryJSON(sess *vidivo.Session, p *vidivo.SessionParticipant, tok, hostName string) entryJSON {
	return entryJSON{
		Session: entrySessionJSON{ID: sess.ID, SessionName: sess.Name, Picture: optString(sess.Picture),
			StartTime: formatTime(sess.StartTime), EndTime: formatTime(sess.EndTime), OpensAt: opensAt(sess),
			State: string(sess.State), HostName: hostName},
		Participant: s.participantJSON(p, false),
		InviteURL:   s.PublicURL + "/v1/sessions/entry/" + tok + "/invite.ics",
	}
}

// participantRequest is one participant in a create or add request.
type participantRequest struct {
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Email       string `json:"email"`
	Fee         *struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
	} `json:"fee"`
}

// input turns the request into the domain's input, adding the fee's
// format issues (the domain checks the rest).
func (in participantRequest) input(field string, errs *[]vidivo.FieldError) vidivo.ParticipantInput {
	out := vidivo.ParticipantInput{DisplayName: in.DisplayName, Role: vidivo.ParticipantRole(in.Role), Email: in.Email}
	if in.Fee == nil {
		return out
	}
	if field != "" {
		field += "."
	}
	fee, ok := vidivo.ParseMoney(in.Fee.Amount)
	if !ok {
		*errs = append(*errs, vidivo.FieldError{Field: field + "fee.amount", Issue: `must be a decimal amount such as "25.00"`})
	}
	if !strings.EqualFold(in.Fee.Currency, billing.Currency) {
		*errs = append(*errs, vidivo.FieldError{Field: field + "fee.currency", Issue: `must be "usd"`})
	}
	out.Fee = fee
	return out
}

// parseSessionTime reads an RFC 3339 time field.
func parseSessionTime(field, v string, errs *[]vidivo.FieldError) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		*errs = append(*errs, vidivo.FieldError{Field: field, Issue: "must be an RFC 3339 time"})
	}
	return t.UTC()
}
