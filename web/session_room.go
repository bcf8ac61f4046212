package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/token"
	"github.com/vidivo/vidivo/turn"
)

// The group session room (issue 12): /s/{token} is a participant's own
// entry URL. The page shows the session and, with a fee, the card step;
// then the room: a full mesh of video between everyone in it, a lobby
// where guests wait until a host admits them, and the hosts' controls.
// The entry token in the path is the participant's credential for every
// endpoint below it; the page's script calls them with the CSRF header.

// entryPath is a participant's entry page.
func entryPath(tok string) string { return "/s/" + tok }

// errNoSession is the page for an unknown, revoked or removed entry URL.
func (s *Server) renderNoSession(w http.ResponseWriter, r *http.Request) {
	s.renderClosed(w, r, http.StatusNotFound, closedView{Heading: "No session here",
		Message: "There is no session at this address, or this entry link was replaced by a new one. Ask the session's host for your current link."})
}

// sessionEntry loads the session and the participant of the request's
// token; for an unknown token it renders the page saying so and answers
// nil.
func (s *Server) sessionEntry(w http.ResponseWriter, r *http.Request) (*vidivo.Session, *vidivo.SessionParticipant, error) {
	sess, p, err := s.Rooms.Sessions.Entry(r.Context(), r.PathValue("token"))
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		s.renderNoSession(w, r)
		return nil, nil, nil
	}
	return sess, p, err
}

// sessionView is the entry page's data.
type sessionView struct {
	Token       string
	Name        string
	Picture     string
	Start, End  time.Time
	Participant string
	Role        string
	// Hosts names the session's hosts, for a guest to see whom they meet
	// and pay.
	Hosts string
	Fee   vidivo.Money
	Paid  bool
	// OpensAt is set while the entry URL is not open yet.
	OpensAt   *time.Time
	Sandbox   bool
	StripeKey string
	TestCards []testCard
	Card      string
	Error     string
}

// CardStep is the entry page's card step (templates/_card.html).
func (v sessionView) CardStep() cardStep {
	return cardStep{Sandbox: v.Sandbox, StripeKey: v.StripeKey, TestCards: v.TestCards, Card: v.Card,
		HostName: "the session's host", SetupURL: entryPath(v.Token) + "/setup-intent"}
}

// When is the session's time in words.
func (v sessionView) When() string {
	return v.Start.Format("Monday 2 January 2006, 15:04") + "–" + v.End.Format("15:04 MST")
}

// handleSessionPage serves /s/{token}: the session's entry page, or a page
// that says why it cannot be entered (410 once it ended or was canceled).
func (s *Server) handleSessionPage(w http.ResponseWriter, r *http.Request) error {
	sess, p, err := s.sessionEntry(w, r)
	if err != nil || sess == nil {
		return err
	}
	return s.renderSession(w, r, http.StatusOK, sess, p, "", "")
}

func (s *Server) renderSession(w http.ResponseWriter, r *http.Request, status int, sess *vidivo.Session, p *vidivo.SessionParticipant, msg, card string) error {
	tok := r.PathValue("token")
	sv := sessionView{Token: tok, Name: sess.Name, Picture: sess.Picture, Start: sess.StartTime, End: sess.EndTime,
		Participant: p.DisplayName, Role: string(p.Role), Fee: p.Fee, Paid: p.Paid(), Sandbox: s.Payments != "stripe",
		TestCards: testCards, Card: card, Error: msg}
	if sv.Card == "" {
		sv.Card = testCards[0].Value
	}
	var hosts []string
	for _, q := range sess.Participants {
		if q.Role == vidivo.ParticipantHost && q.ID != p.ID {
			hosts = append(hosts, q.DisplayName)
		}
	}
	sv.Hosts = strings.Join(hosts, ", ")
	if !sv.Sandbox {
		sv.StripeKey = s.StripePublishableKey
	}
	err := sess.EntryOpen(s.now())
	switch vidivo.ErrorCode(err) {
	case "":
	case vidivo.ELINKEXPIRED:
		s.renderClosed(w, r, http.StatusGone, closedView{Heading: "This session is closed",
			Message: vidivo.ErrorMessage(err) + ": its entry links no longer open the room."})
		return nil
	case vidivo.ECONFLICT:
		opens := sess.OpensAt()
		sv.OpensAt = &opens
	default:
		return err
	}
	main := map[string]string{"token": tok, "role": string(p.Role), "participant-id": p.ID, "participant-name": p.DisplayName,
		"ice-policy": s.icePolicy(), "room-state": "entry"}
	if sv.StripeKey != "" {
		main["stripe-key"] = sv.StripeKey
	}
	s.render(w, r, status, "session-room", view{Title: sess.Name, User: s.optionalUser(w, r), Script: "session-room.js",
		Data: sv, Main: main})
	return nil
}

// handleSessionPay is the entry page's card step: the fee is captured,
// and the page shows the participant paid; a refused card shows the page
// again with the reason (402), nothing charged.
func (s *Server) handleSessionPay(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	sess, p, err := s.sessionEntry(w, r)
	if err != nil || sess == nil {
		return err
	}
	if pl, ok := s.Limiter.(publicLimiter); ok {
		if err := pl.LimitPublic(w, r); err != nil {
			return s.renderSession(w, r, http.StatusTooManyRequests, sess, p, vidivo.ErrorMessage(err), "")
		}
	}
	card := r.PostFormValue("payment_method_id")
	_, _, err = s.Rooms.Sessions.Pay(r.Context(), r.PathValue("token"), card)
	var e *vidivo.Error
	switch {
	case err == nil:
		http.Redirect(w, r, entryPath(r.PathValue("token")), http.StatusSeeOther)
		return nil
	case !errors.As(err, &e) || e.Code == vidivo.EINTERNAL:
		return err
	}
	msg, fields := formError(err)
	if words, _, ok := cardRefusal(e, msg, fields, "Nothing was charged."); ok {
		msg = words
	}
	return s.renderSession(w, r, statusOf(e.Code), sess, p, msg, card)
}

// handleSessionSetupIntent answers the Stripe Payment Element of the
// entry page: a fresh SetupIntent's client secret.
func (s *Server) handleSessionSetupIntent(w http.ResponseWriter, r *http.Request) {
	si, ok := s.Gateway.(setupIntents)
	err := s.checkCSRF(r)
	if err == nil && (!ok || s.Payments != "stripe") {
		err = vidivo.Errorf(vidivo.ENOTFOUND, "this server does not take cards in the browser")
	}
	var p *vidivo.SessionParticipant
	if err == nil {
		_, p, err = s.Rooms.Sessions.Entry(r.Context(), r.PathValue("token"))
	}
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	s.writeSetupIntent(w, r, si, "session-setup/"+p.ID, map[string]string{"participant_id": p.ID})
}

// roomPeer is a participant as the room shows them.
type roomPeer struct {
	ParticipantID string `json:"participant_id"`
	DisplayName   string `json:"display_name"`
	Role          string `json:"role"`
	Admitted      bool   `json:"admitted"`
}

// roomState is GET /s/{token}/room: the session's state, whether this
// participant is in or waits, everyone's names, and for hosts the lobby.
type roomState struct {
	SessionState   vidivo.SessionState `json:"session_state"`
	ParticipantID  string              `json:"participant_id"`
	Role           string              `json:"role"`
	Admitted       bool                `json:"admitted"`
	AdmitOnArrival bool                `json:"admit_on_arrival"`
	Participants   []roomPeer          `json:"participants"`
	Waiting        []roomPeer          `json:"waiting"`
}

func (s *Server) newRoomState(ctx context.Context, sess *vidivo.Session, p *vidivo.SessionParticipant) (roomState, error) {
	lv, err := s.Rooms.Sessions.Lobby(ctx, sess)
	if err != nil {
		return roomState{}, err
	}
	st := roomState{SessionState: sess.State, ParticipantID: p.ID, Role: string(p.Role), AdmitOnArrival: lv.AdmitOnArrival,
		Admitted: lv.Admitted[p.ID], Participants: []roomPeer{}, Waiting: []roomPeer{}}
	for _, q := range sess.Participants {
		st.Participants = append(st.Participants, roomPeer{ParticipantID: q.ID, DisplayName: q.DisplayName, Role: string(q.Role),
			Admitted: lv.Admitted[q.ID]})
	}
	if p.Role != vidivo.ParticipantHost {
		return st, nil
	}
	for _, id := range lv.Waiting {
		if q := sess.Participant(id); q != nil {
			st.Waiting = append(st.Waiting, roomPeer{ParticipantID: q.ID, DisplayName: q.DisplayName, Role: string(q.Role)})
		}
	}
	return st, nil
}

// writeRoomState answers the room's state as p sees it.
func (s *Server) writeRoomState(w http.ResponseWriter, r *http.Request, sess *vidivo.Session, p *vidivo.SessionParticipant) {
	st, err := s.newRoomState(r.Context(), sess, p)
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// roomEntry loads the session and participant of a room endpoint, after
// the CSRF header on POST; anything unknown is ENOTFOUND.
func (s *Server) roomEntry(r *http.Request) (*vidivo.Session, *vidivo.SessionParticipant, error) {
	if r.Method == http.MethodPost {
		if err := s.checkCSRF(r); err != nil {
			return nil, nil, err
		}
	}
	return s.Rooms.Sessions.Entry(r.Context(), r.PathValue("token"))
}

func (s *Server) handleRoomState(w http.ResponseWriter, r *http.Request) {
	sess, p, err := s.roomEntry(r)
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	s.writeRoomState(w, r, sess, p)
}

// roomJoin is POST /s/{token}/join: for a participant in the room, what
// the page connects to the relay and TURN with; for a guest who waits,
// only the room's state (Lobby true) — the page asks again once
// admitted. Each join replaces the participant's earlier device.
type roomJoin struct {
	Lobby           bool              `json:"lobby"`
	SignalingToken  string            `json:"signaling_token,omitempty"`
	ExpiresIn       int               `json:"expires_in,omitempty"`
	TURNCredentials *turn.Credentials `json:"turn_credentials,omitempty"`
	ICEPolicy       string            `json:"ice_policy"`
	WSURL           string            `json:"ws_url,omitempty"`
	Room            roomState         `json:"room"`
}

func (s *Server) handleRoomJoin(w http.ResponseWriter, r *http.Request) {
	sess, p, err := s.roomEntry(r)
	if err == nil {
		err = sess.EntryOpen(s.now())
	}
	if err == nil && !p.Paid() {
		err = vidivo.Errorf(vidivo.EPAYMENTFAILED, "pay the session's fee of %s before joining", p.Fee)
	}
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	in, err := s.Rooms.Sessions.Arrive(r.Context(), sess, p)
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	if !in {
		st, err := s.newRoomState(r.Context(), sess, p)
		if err != nil {
			s.writeJSONError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, roomJoin{Lobby: true, ICEPolicy: s.icePolicy(), Room: st})
		return
	}
	j, err := s.Rooms.Sessions.Join(r.Context(), r.PathValue("token"))
	var st roomState
	if err == nil {
		st, err = s.newRoomState(r.Context(), j.Session, p)
	}
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, roomJoin{SignalingToken: j.SignalingToken, ExpiresIn: int(token.SignalingTTL / time.Second),
		TURNCredentials: &j.TURN, ICEPolicy: s.icePolicy(), WSURL: s.wsURL(sess.ID), Room: st})
}

// roomAction is the body of the hosts' actions.
type roomAction struct {
	ParticipantID string `json:"participant_id"`
	On            bool   `json:"on"`
}

// handleRoomAction serves the hosts' admit, remove and admit-on-arrival,
// and anyone's leave-the-lobby; it answers the room's new state.
func (s *Server) handleRoomAction(w http.ResponseWriter, r *http.Request) {
	sess, p, err := s.roomEntry(r)
	var a roomAction
	if err == nil {
		err = decodeAction(r, &a)
	}
	if err == nil {
		err = s.roomAction(r, sess, p, a)
	}
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	s.writeRoomState(w, r, sess, p)
}

// roomAction does one action of the room's page through the service.
func (s *Server) roomAction(r *http.Request, sess *vidivo.Session, p *vidivo.SessionParticipant, a roomAction) error {
	ctx, svc := r.Context(), s.Rooms.Sessions
	switch r.PathValue("action") {
	case "admit":
		return svc.Admit(ctx, sess, p, a.ParticipantID)
	case "remove":
		return svc.Remove(ctx, sess, p, a.ParticipantID)
	case "admit-on-arrival":
		return svc.SetAdmitOnArrival(ctx, sess, p, a.On)
	case "leave":
		return svc.LeaveLobby(ctx, sess, p)
	}
	return vidivo.Errorf(vidivo.ENOTFOUND, "there is no such action")
}

// decodeAction reads a small JSON body (empty is none).
func decodeAction(r *http.Request, a *roomAction) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<10))
	if err != nil {
		return vidivo.Errorf(vidivo.EVALIDATION, "the body could not be read")
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, a); err != nil {
		return vidivo.Errorf(vidivo.EVALIDATION, "the body must be a JSON object")
	}
	return nil
}

// sessionRoutes registers the entry page and its room's endpoints; with
// no sessions service there are none.
func (s *Server) sessionRoutes(m *http.ServeMux) {
	if s.Rooms == nil || s.Rooms.Sessions == nil {
		return
	}
	m.Handle("GET /s/{token}", s.page(s.handleSessionPage))
	m.Handle("POST /s/{token}/pay", s.page(s.handleSessionPay))
	m.HandleFunc("POST /s/{token}/setup-intent", s.handleSessionSetupIntent)
	m.HandleFunc("GET /s/{token}/room", s.handleRoomState)
	m.HandleFunc("POST /s/{token}/join", s.handleRoomJoin)
	m.HandleFunc("POST /s/{token}/{action}", s.handleRoomAction)
}
