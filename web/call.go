package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// Participant roles on the in-call page, as signaling names them.
const (
	roleGuest = "guest"
	roleHost  = "host"
)

// participant is the caller of a call page: the call, who they are in it,
// and the participant id signaling and TURN know them by.
type participant struct {
	call   *vidivo.Call
	caller vidivo.Caller
	role   string
	id     string
}

// errNoCall is every refusal of a call page: an unknown id, a malformed
// one, and a call the caller is not part of look the same, so a page says
// nothing about calls that are not yours.
func errNoCall() error {
	return vidivo.Errorf(vidivo.ENOTFOUND, "there is no call here for you; if you are its host, log in first")
}

// participant identifies the caller of a call page: the guest by the
// call-scoped token in their cookie, the host (or an account that joined
// as the guest) by their session. Anyone else is ENOTFOUND.
func (s *Server) participant(w http.ResponseWriter, r *http.Request) (*participant, error) {
	id := r.PathValue("id")
	if !vidivo.IsID(id) {
		return nil, errNoCall()
	}
	c, err := s.CallStore.CallByID(r.Context(), id)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, errNoCall()
	}
	if err != nil {
		return nil, err
	}
	if gc, err := r.Cookie(cookieGuest); err == nil && gc.Value != "" {
		if caller, err := s.GuestTokens.Verify(gc.Value); err == nil && caller.IsGuest() && c.IsGuest(caller) {
			return &participant{call: c, caller: caller, role: roleGuest, id: c.GuestID}, nil
		}
	}
	caller, ok := s.caller(w, r)
	switch {
	case !ok:
	case c.IsHost(caller):
		return &participant{call: c, caller: caller, role: roleHost, id: c.HostID}, nil
	case c.IsGuest(caller):
		return &participant{call: c, caller: caller, role: roleGuest, id: c.GuestID}, nil
	}
	return nil, errNoCall()
}

// peerName is the other participant's name, as this one should see it.
func (s *Server) peerName(r *http.Request, p *participant) string {
	if p.role == roleHost {
		if p.call.GuestName != nil && *p.call.GuestName != "" {
			return *p.call.GuestName
		}
		return "your guest"
	}
	if u, err := s.Users.UserByID(r.Context(), p.call.HostID); err == nil {
		return u.DisplayName
	}
	return "your host"
}

// callView is the in-call page's data.
type callView struct {
	Role     string
	PeerName string
	Status   vidivo.CallStatus
	Rate     vidivo.Money
	Window   int
	Hold     vidivo.Money
}

// StatusText is the page's first word on the call, before its script
// takes over.
func (v callView) StatusText() string {
	switch {
	case v.Status == vidivo.CallActive:
		return "Connecting to " + v.PeerName + "…"
	case v.Role == roleHost:
		return v.PeerName + " is waiting. Answer from your dashboard."
	case v.Status == vidivo.CallRinging:
		return "Ringing " + v.PeerName + "…"
	}
	return "Calling " + v.PeerName + "…"
}

// handleCallPage serves /call/{id}: the in-call page while the call is
// under way, its summary once it has ended.
func (s *Server) handleCallPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.participant(w, r)
	if err != nil {
		return err
	}
	c := p.call
	if c.Status.Ended() {
		s.renderSummary(w, r, p)
		return nil
	}
	cv := callView{Role: p.role, PeerName: s.peerName(r, p), Status: c.Status, Rate: c.Rate, Window: c.WindowMinutes,
		Hold: billing.WindowAmount(c.Rate, c.WindowMinutes)}
	s.render(w, r, http.StatusOK, "call", view{Title: "Call with " + cv.PeerName, User: s.optionalUser(w, r),
		Script: "call.js", Data: cv, Main: map[string]string{
			"call-status": string(c.Status), "call-id": c.ID, "role": p.role, "peer-name": cv.PeerName,
			"ice-policy": s.icePolicy(), "rate": c.Rate.String(), "window": strconv.Itoa(c.WindowMinutes),
		}})
	return nil
}

// handleSummary serves /call/{id}/summary: the summary of an ended call;
// a call still under way sends the browser to the call.
func (s *Server) handleSummary(w http.ResponseWriter, r *http.Request) error {
	p, err := s.participant(w, r)
	if err != nil {
		return err
	}
	if !p.call.Status.Ended() {
		http.Redirect(w, r, callPath(p.call.ID), http.StatusSeeOther)
		return nil
	}
	s.renderSummary(w, r, p)
	return nil
}

// summaryView is an ended call as its participants see it: the numbers
// GET /v1/calls/{id} answers, read from the same store.
type summaryView struct {
	Role          string
	PeerName      string
	Status        vidivo.CallStatus
	EndReason     string
	Duration      string
	BilledMinutes int64
	Rate          vidivo.Money
	Total         vidivo.Money
	// Earnings is the host's share of Total after the platform fee.
	Earnings vidivo.Money
}

// Heading is the summary's title.
func (v summaryView) Heading() string {
	switch {
	case v.EndReason == vidivo.EndDeclined && v.Role == roleGuest:
		return v.PeerName + " could not take the call"
	case v.Status == vidivo.CallMissed:
		return "The call was missed"
	case v.Status == vidivo.CallFailed:
		return "The call ended: payment problem"
	}
	return "Call ended"
}

// Explanation says in plain words what happened to the money.
func (v summaryView) Explanation() string {
	switch {
	case v.Status == vidivo.CallMissed:
		return "The call never started, so nothing was charged and every hold was released."
	case v.Status == vidivo.CallFailed:
		return "The hold for the next minutes was declined, so the call ended. Only the minutes used were charged; the rest of each hold was released."
	case v.Total == 0:
		return "Nothing was charged; every hold was released."
	}
	return "Only the minutes used were charged; whatever was held beyond that has been released."
}

func (s *Server) renderSummary(w http.ResponseWriter, r *http.Request, p *participant) {
	c := p.call
	sv := summaryView{Role: p.role, PeerName: s.peerName(r, p), Status: c.Status, Duration: clock(c.DurationSeconds),
		BilledMinutes: c.BilledMinutes, Rate: c.Rate, Total: c.TotalCharged}
	if c.EndReason != nil {
		sv.EndReason = *c.EndReason
	}
	e, err := s.Calls.Earnings(r.Context(), c)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	sv.Earnings = e.Host
	s.render(w, r, http.StatusOK, "summary", view{Title: sv.Heading(), User: s.optionalUser(w, r), Data: sv,
		Main: map[string]string{"call-status": string(c.Status), "call-id": c.ID, "role": p.role}})
}

// clock shows seconds as m:ss, or h:mm:ss from an hour.
func clock(secs int64) string {
	d := time.Duration(secs) * time.Second
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

// icePolicy is the pages' ICE transport policy: "relay" (TURN only) or
// "all".
func (s *Server) icePolicy() string {
	if s.ICEPolicy == "relay" {
		return "relay"
	}
	return "all"
}

// callRoutes registers the guest's join page and the in-call pages with
// their scripts' endpoints.
func (s *Server) callRoutes(m *http.ServeMux) {
	m.Handle("GET /c/{code}", s.page(s.handleJoinPage))
	m.Handle("POST /c/{code}", s.page(s.handleJoin))
	m.HandleFunc("POST /c/{code}/setup-intent", s.handleSetupIntent)
	m.Handle("GET /call/{id}", s.page(s.handleCallPage))
	m.Handle("GET /call/{id}/summary", s.page(s.handleSummary))
	m.HandleFunc("GET /call/{id}/state", s.handleCallState)
	m.HandleFunc("POST /call/{id}/connect", s.handleCallConnect)
	m.HandleFunc("POST /call/{id}/end", s.handleCallEnd)
}
