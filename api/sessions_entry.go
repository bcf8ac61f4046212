package api

import (
	"net/http"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/ical"
	"github.com/vidivo/vidivo/turn"
)

// The entry API is public: the entry token in the path is the
// credential, as the page at {PublicURL}/s/{token} uses it.

// writeEntry answers with the session and this participant.
func (s *Server) writeEntry(w http.ResponseWriter, r *http.Request, sess *vidivo.Session, p *vidivo.SessionParticipant, tok string) error {
	hostName := ""
	if host, err := s.Users.UserByID(r.Context(), sess.HostID); err == nil {
		hostName = host.DisplayName
	}
	writeJSON(w, http.StatusOK, s.entryJSON(sess, p, tok, hostName))
	return nil
}

// handleSessionEntry is GET /v1/sessions/entry/{token}.
func (s *Server) handleSessionEntry(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token")
	sess, p, err := s.Sessions.Entry(r.Context(), tok)
	if err != nil {
		return err
	}
	return s.writeEntry(w, r, sess, p, tok)
}

type sessionPayRequest struct {
	PaymentMethodID string `json:"payment_method_id"`
}

// handleSessionPay is POST /v1/sessions/entry/{token}/pay: the fee is
// captured once, however many times (or at once) it is asked.
func (s *Server) handleSessionPay(w http.ResponseWriter, r *http.Request) error {
	var in sessionPayRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	tok := r.PathValue("token")
	sess, p, err := s.Sessions.Pay(r.Context(), tok, in.PaymentMethodID)
	if err != nil {
		return err
	}
	return s.writeEntry(w, r, sess, p, tok)
}

type sessionJoinResponse struct {
	SessionID       string           `json:"session_id"`
	ParticipantID   string           `json:"participant_id"`
	Role            string           `json:"role"`
	JoinGeneration  int64            `json:"join_generation"`
	SignalingToken  string           `json:"signaling_token"`
	TURNCredentials turn.Credentials `json:"turn_credentials"`
}

// handleSessionJoin is POST /v1/sessions/entry/{token}/join: within the
// entry window and once paid, the signaling token for the session's room
// (a new join replaces the previous device) and TURN credentials.
func (s *Server) handleSessionJoin(w http.ResponseWriter, r *http.Request) error {
	j, err := s.Sessions.Join(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sessionJoinResponse{SessionID: j.Session.ID, ParticipantID: j.Participant.ID,
		Role: string(j.Participant.Role), JoinGeneration: j.Generation, SignalingToken: j.SignalingToken,
		TURNCredentials: j.TURN})
	return nil
}

// handleSessionInvite is GET /v1/sessions/entry/{token}/invite.ics.
func (s *Server) handleSessionInvite(w http.ResponseWriter, r *http.Request) error {
	ics, err := s.Sessions.Invite(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ical.ContentType)
	w.Header().Set("Content-Disposition", `attachment; filename="session.ics"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(ics)
	return nil
}
