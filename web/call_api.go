package web

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/token"
	"github.com/vidivo/vidivo/turn"
)

// The in-call page's script reads the call's state and its connection
// details from these JSON endpoints. They answer only the call's
// participants (by the same cookies as the page), take the CSRF token in a
// header on POST, and answer errors as {"error":{"code","message"}}.

// callState is GET /call/{id}/state: the call's billing by the server's
// clock, so the page never prices time by the browser's.
type callState struct {
	Status            vidivo.CallStatus `json:"status"`
	ServerTime        string            `json:"server_time"`
	ActiveAt          *string           `json:"active_at"`
	EndedAt           *string           `json:"ended_at"`
	EndReason         *string           `json:"end_reason"`
	ElapsedSeconds    int64             `json:"elapsed_seconds"`
	BilledMinutes     int64             `json:"billed_minutes"`
	Cost              string            `json:"cost"`
	RatePerMinute     string            `json:"rate_per_minute"`
	WindowSizeMinutes int               `json:"window_size_minutes"`
	// WindowsHeld is how many windows' holds are placed; HeldAmount their
	// sum. PaidUntil is when the held time runs out; NextHoldAt when the
	// next window's hold is placed (NextHoldIn seconds from now).
	WindowsHeld  int     `json:"windows_held"`
	HeldAmount   string  `json:"held_amount"`
	WindowAmount string  `json:"window_amount"`
	PaidUntil    *string `json:"paid_until"`
	NextHoldAt   *string `json:"next_hold_at"`
	NextHoldIn   *int64  `json:"next_hold_in_seconds"`
	TotalCharged string  `json:"total_charged"`
	SummaryURL   string  `json:"summary_url"`
	Role         string  `json:"role"`
}

func stamp(t time.Time) *string {
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func stampPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	return stamp(*t)
}

// newCallState prices c at now the way the calls service will when it
// ends: billed minutes of the time since the host joined, never past the
// held time; an ended call shows its settled numbers.
func (s *Server) newCallState(c *vidivo.Call, role string, now time.Time) callState {
	window := billing.WindowAmount(c.Rate, c.WindowMinutes)
	st := callState{Status: c.Status, ServerTime: *stamp(now), ActiveAt: stampPtr(c.ActiveAt), EndedAt: stampPtr(c.EndedAt),
		EndReason: c.EndReason, RatePerMinute: c.Rate.String(), WindowSizeMinutes: c.WindowMinutes,
		WindowsHeld: c.Windows, WindowAmount: window.String(), HeldAmount: window.Mul(int64(c.Windows)).String(),
		Cost: vidivo.Money(0).String(), TotalCharged: c.TotalCharged.String(), SummaryURL: callPath(c.ID), Role: role}
	switch {
	case c.Status.Ended():
		st.ElapsedSeconds, st.BilledMinutes, st.Cost = c.DurationSeconds, c.BilledMinutes, c.TotalCharged.String()
		st.HeldAmount = vidivo.Money(0).String()
	case c.Status == vidivo.CallActive && c.ActiveAt != nil:
		m := s.Calls.Meter(c, now)
		st.ElapsedSeconds, st.BilledMinutes, st.Cost = m.Seconds, m.BilledMinutes, m.Cost.String()
		in := int64(m.NextHoldAt.Sub(now) / time.Second)
		st.PaidUntil, st.NextHoldAt, st.NextHoldIn = stamp(m.PaidUntil), stamp(m.NextHoldAt), &in
	}
	return st
}

func (s *Server) handleCallState(w http.ResponseWriter, r *http.Request) {
	p, err := s.participant(w, r)
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.newCallState(p.call, p.role, s.now()))
}

// connectInfo is POST /call/{id}/connect: what the page connects to the
// signaling relay and TURN with. A fresh one is fetched before the token
// expires and for every reconnect.
type connectInfo struct {
	SignalingToken  string           `json:"signaling_token"`
	ExpiresIn       int              `json:"expires_in"`
	TURNCredentials turn.Credentials `json:"turn_credentials"`
	ICEPolicy       string           `json:"ice_policy"`
	WSURL           string           `json:"ws_url"`
	Role            string           `json:"role"`
	ParticipantID   string           `json:"participant_id"`
}

func (s *Server) handleCallConnect(w http.ResponseWriter, r *http.Request) {
	p, err := s.participantPOST(w, r)
	if err == nil && p.call.Status.Ended() {
		err = vidivo.Errorf(vidivo.ECONFLICT, "the call already ended (%s)", p.call.Status)
	}
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	c := p.call
	writeJSON(w, http.StatusOK, connectInfo{
		SignalingToken:  s.Signaling.Mint(c.ID, p.id, p.role),
		ExpiresIn:       int(token.SignalingTTL / time.Second),
		TURNCredentials: s.TURN.Mint(p.id, s.now()),
		ICEPolicy:       s.icePolicy(),
		WSURL:           s.wsURL(c.ID),
		Role:            p.role,
		ParticipantID:   p.id,
	})
}

// wsURL is the signaling relay's address for call id, relative to the
// page: the script opens it on the page's own origin (ws: or wss: as the
// page), which is the origin the relay and the CSP allow.
func (s *Server) wsURL(id string) string { return "/signal/ws?call=" + id }

// handleCallEnd is the page's hang-up: the guest ends the call as
// user_ended, the host as host_ended. A call that already ended (the other
// side hung up first) is no error: the page goes to the summary either way.
func (s *Server) handleCallEnd(w http.ResponseWriter, r *http.Request) {
	p, err := s.participantPOST(w, r)
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	reason := vidivo.EndUserEnded
	if p.role == roleHost {
		reason = vidivo.EndHostEnded
	}
	c, err := s.Calls.End(r.Context(), p.caller, p.call.ID, reason)
	if vidivo.ErrorCode(err) == vidivo.ECONFLICT {
		c, err = s.CallStore.CallByID(r.Context(), p.call.ID)
	}
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.newCallState(c, p.role, s.now()))
}

// participantPOST checks a script's CSRF header, then the participant.
func (s *Server) participantPOST(w http.ResponseWriter, r *http.Request) (*participant, error) {
	if err := s.checkCSRF(r); err != nil {
		return nil, err
	}
	return s.participant(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeJSONError answers err to a page's script in the API's error
// format; internal errors are logged and never shown.
func (s *Server) writeJSONError(w http.ResponseWriter, r *http.Request, err error) {
	code := vidivo.ErrorCode(err)
	msg := vidivo.ErrorMessage(err)
	if code == "" || code == vidivo.EINTERNAL {
		s.Logger.ErrorContext(r.Context(), "page endpoint failed", "method", r.Method, "path", vidivo.RedactPath(r.URL.Path), "err", err)
		code, msg = vidivo.EINTERNAL, "something went wrong on our side"
	}
	type body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	writeJSON(w, statusOf(code), map[string]body{"error": {code, msg}})
}
