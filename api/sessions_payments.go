package api

import (
	"net/http"
	"strconv"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

type sessionFeeJSON struct {
	ID            string  `json:"id"`
	Session       string  `json:"session"`
	ParticipantID string  `json:"participant_id"`
	Status        string  `json:"status"`
	Amount        string  `json:"amount"`
	PlatformFee   string  `json:"platform_fee"`
	HostPayout    string  `json:"host_payout"`
	Currency      string  `json:"currency"`
	PaidAt        *string `json:"paid_at"`
	RefundedAt    *string `json:"refunded_at"`
}

type sessionEarningsJSON struct {
	Paid        string `json:"paid"`
	PlatformFee string `json:"platform_fee"`
	HostPayout  string `json:"host_payout"`
	Refunded    string `json:"refunded"`
	Currency    string `json:"currency"`
}

// handleSessionPayments is GET /v1/sessions/payments: the caller's
// session fees as a host, newest first (count, default 20, at most 100),
// and their totals.
func (s *Server) handleSessionPayments(w http.ResponseWriter, r *http.Request) error {
	limit := defaultSessionCount
	if v := r.URL.Query().Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSessionCount {
			return vidivo.Invalid(vidivo.FieldError{Field: "count", Issue: "must be an integer from 1 to 100"})
		}
		limit = n
	}
	pays, e, err := s.Sessions.Payments(r.Context(), CallerFrom(r.Context()), limit)
	if err != nil {
		return err
	}
	out := struct {
		Collection []sessionFeeJSON    `json:"collection"`
		Totals     sessionEarningsJSON `json:"totals"`
	}{Collection: make([]sessionFeeJSON, 0, len(pays)), Totals: sessionEarningsJSON{Paid: e.Paid.String(),
		PlatformFee: e.PlatformFee.String(), HostPayout: e.HostPayout.String(), Refunded: e.Refunded.String(),
		Currency: billing.Currency}}
	for _, p := range pays {
		out.Collection = append(out.Collection, sessionFeeJSON{ID: p.ID, Session: s.PublicURL + "/v1/sessions/" + p.SessionID,
			ParticipantID: p.ParticipantID, Status: string(p.Status), Amount: p.Amount.String(),
			PlatformFee: p.PlatformFee.String(), HostPayout: p.HostPayout.String(), Currency: billing.Currency,
			PaidAt: formatTimePtr(p.PaidAt), RefundedAt: formatTimePtr(p.RefundedAt)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
