package api

import (
	"net/http"

	"github.com/vidivo/vidivo/hosts"
)

// PayoutStore records hosts' payout accounts.
type PayoutStore = hosts.PayoutStore

type payoutsJSON struct {
	Connected bool    `json:"connected"`
	AccountID *string `json:"account_id"`
}

// handlePayoutOnboarding starts (or resumes) a host's payout onboarding and
// returns where to complete it. The sandbox completes it at once.
func (s *Server) handlePayoutOnboarding(w http.ResponseWriter, r *http.Request) error {
	url, err := s.hosts().StartPayouts(r.Context(), CallerFrom(r.Context()).Subject)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": url})
	return nil
}

// handlePayoutStatus reports whether the host can be paid, asking the
// gateway when onboarding is still open.
func (s *Server) handlePayoutStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.hosts().PayoutStatus(r.Context(), CallerFrom(r.Context()).Subject)
	if err != nil {
		return err
	}
	out := payoutsJSON{Connected: st.Connected}
	if st.AccountID != "" {
		out.AccountID = &st.AccountID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
