package web

import (
	"net/http"
	"strings"

	"github.com/vidivo/vidivo"
)

// payoutsView is the /settings/payouts page's data.
type payoutsView struct {
	Connected bool
	// Started is true once the host has a payout account, finished or not.
	Started bool
	// Returned is true when the gateway's onboarding sent the host back.
	Returned bool
	// ContinueURL is the gateway's onboarding page to go on to.
	ContinueURL string
	Error       string
}

// handlePayouts is /settings/payouts: whether the host can be paid, and
// the button that starts (or resumes) onboarding. The gateway's
// onboarding returns here.
func (s *Server) handlePayouts(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r, vidivo.RoleHost)
	if !ok {
		return err
	}
	pv := payoutsView{Returned: r.URL.Query().Get("done") == "1"}
	st, err := s.hosts().PayoutStatus(r.Context(), u.ID)
	if err != nil {
		return s.failPayouts(w, r, u, pv, err)
	}
	pv.Connected, pv.Started = st.Connected, st.AccountID != ""
	s.renderPayouts(w, r, http.StatusOK, u, pv)
	return nil
}

// handlePayoutOnboarding starts onboarding at the gateway. Our own page
// (the sandbox completes at once) is a redirect; another site (Stripe's
// onboarding) is a link on the page, since a browser's CSP form-action
// would refuse to follow a form's redirect off the site.
func (s *Server) handlePayoutOnboarding(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.hostPOST(w, r)
	if !ok {
		return err
	}
	url, err := s.hosts().StartPayouts(r.Context(), u.ID)
	if err != nil {
		return s.failPayouts(w, r, u, payoutsView{Started: u.PayoutAccountID != ""}, err)
	}
	if path, ok := strings.CutPrefix(url, s.PublicURL); ok && strings.HasPrefix(path, "/") {
		http.Redirect(w, r, path, http.StatusSeeOther)
		return nil
	}
	s.renderPayouts(w, r, http.StatusOK, u, payoutsView{Started: true, ContinueURL: url})
	return nil
}

// failPayouts shows the page with the gateway's refusal (402), never its
// details.
func (s *Server) failPayouts(w http.ResponseWriter, r *http.Request, u *vidivo.User, pv payoutsView, err error) error {
	code := vidivo.ErrorCode(err)
	if code == "" || code == vidivo.EINTERNAL {
		return err
	}
	s.Logger.WarnContext(r.Context(), "payouts", "err", err)
	pv.Error = vidivo.ErrorMessage(err) + ". Please try again in a moment."
	pv.Connected = u.PayoutsConnected
	s.renderPayouts(w, r, statusOf(code), u, pv)
	return nil
}

func (s *Server) renderPayouts(w http.ResponseWriter, r *http.Request, status int, u *vidivo.User, pv payoutsView) {
	s.render(w, r, status, "payouts", view{Title: "Payouts", User: u, Data: pv})
}
