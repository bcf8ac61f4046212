package web

import (
	"net/http"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calls"
	"github.com/vidivo/vidivo/notify"
)

// dashboardRoutes registers the host's console: the dashboard that rings,
// answering and declining calls, links, payouts and call history.
func (s *Server) dashboardRoutes(m *http.ServeMux) {
	s.streamsDone = make(chan struct{})
	m.Handle("GET /dashboard", s.page(s.handleDashboard))
	m.HandleFunc("GET /dashboard/events", s.handleDashboardEvents)
	m.HandleFunc("GET /dashboard/ringing", s.handleRinging)
	m.Handle("POST /dashboard/calls/{id}/answer", s.page(s.handleAnswer))
	m.Handle("POST /dashboard/calls/{id}/decline", s.page(s.handleDecline))
	m.Handle("POST /dashboard/links", s.page(s.handleLinkCreate))
	m.Handle("POST /dashboard/links/{id}/delete", s.page(s.handleLinkDelete))
	m.Handle("GET /dashboard/history", s.page(s.handleHistory))
	m.Handle("GET /settings/payouts", s.page(s.handlePayouts))
	m.Handle("POST /settings/payouts/onboarding", s.page(s.handlePayoutOnboarding))
}

// CloseStreams ends the dashboards' open event streams (browsers reconnect
// to another instance). Call it when shutting down, as the API's.
func (s *Server) CloseStreams() {
	s.closeOnce.Do(func() { close(s.streamsDone) })
}

// incomingView is a call ringing for its host, with its answer and
// decline forms.
type incomingView struct {
	ID        string
	GuestName string
	Rate      vidivo.Money
	Window    int
}

// dashboardView is the dashboard's data. Hosts see their ringing calls,
// links and payouts; clients see their recent calls.
type dashboardView struct {
	Host    bool
	Ringing []incomingView
	Links   []linkView
	Form    linkForm
	Payouts bool // the host can be paid, so links can be made
	Recent  *historyView
	Notice  string
	Error   string
}

// notices are the confirmations a redirect back to the dashboard shows,
// by a fixed key: nothing a URL carries is echoed into the page.
var notices = map[string]string{
	"created":  "Your link is ready. Copy it and share it with your client.",
	"deleted":  "The link was deleted. Calls it already started are not affected.",
	"declined": "You declined the call. Your guest was not charged.",
}

func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	dv, err := s.dashboard(r, u)
	if err != nil {
		return err
	}
	dv.Notice = notices[r.URL.Query().Get("done")]
	s.renderDashboard(w, r, http.StatusOK, u, dv)
	return nil
}

// dashboard loads what the dashboard shows for u.
func (s *Server) dashboard(r *http.Request, u *vidivo.User) (*dashboardView, error) {
	dv := &dashboardView{Host: u.Role == vidivo.RoleHost, Payouts: u.PayoutsConnected, Form: newLinkForm()}
	if !dv.Host {
		hv, err := s.history(r, u, 1, 5)
		if err != nil {
			return nil, err
		}
		dv.Recent = hv
		return dv, nil
	}
	ringing, err := s.ringing(r, u.ID)
	if err != nil {
		return nil, err
	}
	for _, in := range ringing {
		dv.Ringing = append(dv.Ringing, incomingView{ID: in.CallID, GuestName: guestName(in.GuestName), Rate: in.rate, Window: in.WindowSizeMinutes})
	}
	if dv.Links, err = s.hostLinks(r, u.ID); err != nil {
		return nil, err
	}
	return dv, nil
}

func (s *Server) renderDashboard(w http.ResponseWriter, r *http.Request, status int, u *vidivo.User, dv *dashboardView) {
	role := "client"
	if dv.Host {
		role = "host"
	}
	s.render(w, r, status, "dashboard", view{Title: "Dashboard", User: u, Script: "dashboard.js",
		Main: map[string]string{"role": role}, Data: dv})
}

// failDashboard shows the dashboard again with err as its alert, at err's
// status: a refused answer, decline or delete changes nothing.
func (s *Server) failDashboard(w http.ResponseWriter, r *http.Request, u *vidivo.User, err error) error {
	code := vidivo.ErrorCode(err)
	if code == "" || code == vidivo.EINTERNAL {
		return err
	}
	dv, lerr := s.dashboard(r, u)
	if lerr != nil {
		return lerr
	}
	dv.Error = vidivo.ErrorMessage(err)
	s.renderDashboard(w, r, statusOf(code), u, dv)
	return nil
}

func guestName(n *string) string {
	if n == nil || *n == "" {
		return "A guest"
	}
	return *n
}

// ringingCall is a call waiting for its host, as the dashboard's script
// reads it (the call.incoming event's shape).
type ringingCall struct {
	calls.Incoming
	rate vidivo.Money
}

// ringing lists the calls waiting or ringing for the host with hostID,
// oldest first.
func (s *Server) ringing(r *http.Request, hostID string) ([]ringingCall, error) {
	var out []ringingCall
	for _, st := range []vidivo.CallStatus{vidivo.CallWaiting, vidivo.CallRinging} {
		page, err := s.CallStore.Calls(r.Context(), vidivo.CallFilter{UserID: hostID, Status: st, Page: 1, PerPage: vidivo.MaxPerPage})
		if err != nil {
			return nil, err
		}
		for _, c := range page.Calls {
			if c.HostID == hostID {
				out = append(out, ringingCall{Incoming: calls.IncomingFor(c), rate: c.Rate})
			}
		}
	}
	return out, nil
}

// hostPOST checks a form's CSRF token and that a host is signed in; ok is
// false when the visitor was sent to log in.
func (s *Server) hostPOST(w http.ResponseWriter, r *http.Request) (*vidivo.User, bool, error) {
	if err := s.checkCSRF(r); err != nil {
		return nil, false, err
	}
	return s.requireUser(w, r, vidivo.RoleHost)
}

func callerOf(u *vidivo.User) vidivo.Caller { return vidivo.Caller{Subject: u.ID, Role: u.Role} }

// handleAnswer is the Answer button: the host joins the call (its timer
// starts) and the in-call page opens.
func (s *Server) handleAnswer(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.hostPOST(w, r)
	if !ok {
		return err
	}
	id := r.PathValue("id")
	if !vidivo.IsID(id) {
		return s.failDashboard(w, r, u, vidivo.Errorf(vidivo.ENOTFOUND, "that call does not exist"))
	}
	c, err := s.Calls.HostJoin(r.Context(), callerOf(u), id)
	if err != nil {
		return s.failDashboard(w, r, u, callError(err))
	}
	http.Redirect(w, r, callPath(c.ID), http.StatusSeeOther)
	return nil
}

// handleDecline is the Decline button: the call ends as missed, nothing
// charged, its holds released.
func (s *Server) handleDecline(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.hostPOST(w, r)
	if !ok {
		return err
	}
	id := r.PathValue("id")
	if !vidivo.IsID(id) {
		return s.failDashboard(w, r, u, vidivo.Errorf(vidivo.ENOTFOUND, "that call does not exist"))
	}
	if _, err := s.Calls.Decline(r.Context(), callerOf(u), id); err != nil {
		return s.failDashboard(w, r, u, callError(err))
	}
	http.Redirect(w, r, "/dashboard?done=declined", http.StatusSeeOther)
	return nil
}

// callError words the refusals of answering and declining for the
// dashboard: a call that moved on is said plainly.
func callError(err error) error {
	if vidivo.ErrorCode(err) == vidivo.ECONFLICT {
		return vidivo.Errorf(vidivo.ECONFLICT, "this call can no longer be answered or declined: %s", vidivo.ErrorMessage(err))
	}
	return err
}

// handleDashboardEvents is the dashboard's event stream: the same stream
// as GET /v1/notifications/stream, authenticated by the page session.
// Delivering a call.incoming event moves the call to ringing.
func (s *Server) handleDashboardEvents(w http.ResponseWriter, r *http.Request) {
	caller, ok := s.caller(w, r)
	if !ok {
		s.writeJSONError(w, r, vidivo.Errorf(vidivo.EUNAUTHORIZED, "log in to see your calls"))
		return
	}
	if !caller.Can(vidivo.RoleHost) {
		s.writeJSONError(w, r, vidivo.Errorf(vidivo.EFORBIDDEN, "only hosts are rung"))
		return
	}
	st := notify.Stream{Hub: s.Notify, Feed: s.Calls.Feed(), Done: s.streamsDone}
	if err := st.Serve(w, r, caller.Subject); err != nil {
		s.writeJSONError(w, r, err)
	}
}

// handleRinging lists the host's calls waiting or ringing, for a
// dashboard whose event stream could not open (its script polls).
func (s *Server) handleRinging(w http.ResponseWriter, r *http.Request) {
	caller, ok := s.caller(w, r)
	if !ok {
		s.writeJSONError(w, r, vidivo.Errorf(vidivo.EUNAUTHORIZED, "log in to see your calls"))
		return
	}
	ringing, err := s.ringing(r, caller.Subject)
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	out := make([]calls.Incoming, 0, len(ringing))
	for _, rc := range ringing {
		out = append(out, rc.Incoming)
	}
	writeJSON(w, http.StatusOK, map[string][]calls.Incoming{"calls": out})
}
