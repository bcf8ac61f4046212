package api

import (
	"net/http"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/calls"
	"github.com/vidivo/vidivo/turn"
)

type joinRequest struct {
	PaymentMethodID *string `json:"payment_method_id"`
	GuestName       *string `json:"guest_name"`
	GuestEmail      *string `json:"guest_email"`
}

type callHost struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
}

type joinedCall struct {
	ID                string   `json:"id"`
	Status            string   `json:"status"`
	ShortCode         string   `json:"short_code"`
	Host              callHost `json:"host"`
	RatePerMinute     string   `json:"rate_per_minute"`
	WindowSizeMinutes int      `json:"window_size_minutes"`
	CreatedAt         string   `json:"created_at"`
}

type joinResponse struct {
	Call            joinedCall       `json:"call"`
	SignalingToken  string           `json:"signaling_token"`
	TURNCredentials turn.Credentials `json:"turn_credentials"`
	GuestToken      string           `json:"guest_token"`
}

// optionalCaller returns the caller of a request that may carry a token;
// a missing or invalid token means an anonymous caller.
func (s *Server) optionalCaller(r *http.Request) (vidivo.Caller, bool) {
	tok, ok := bearerToken(r)
	if !ok {
		return vidivo.Caller{}, false
	}
	c, err := s.Auth.Authenticate(tok)
	return c, err == nil
}

// handleCallJoin is POST /v1/calls/join/{short_code}: anonymous, or with a
// guest or account token.
func (s *Server) handleCallJoin(w http.ResponseWriter, r *http.Request) error {
	var in joinRequest
	raw, err := decodeJSONBody(r, &in)
	if err != nil {
		return err
	}
	code := r.PathValue("short_code")
	req := calls.JoinRequest{ShortCode: code, GuestName: in.GuestName, GuestEmail: in.GuestEmail}
	if in.PaymentMethodID != nil {
		req.PaymentMethodID = *in.PaymentMethodID
	}
	scope := "join/" + code
	if c, ok := s.optionalCaller(r); ok && !c.IsGuest() {
		req.UserID, scope = c.Subject, scope+"/"+c.Subject
	}
	return s.idempotent(w, r, scope, raw, func() (result, error) {
		c, host, err := s.Calls.Join(r.Context(), req)
		if err != nil {
			return result{}, err
		}
		guestToken, _, err := s.GuestTokens.Issue(vidivo.Caller{Subject: c.GuestID, Role: vidivo.RoleGuest, CallID: c.ID})
		if err != nil {
			return result{}, err
		}
		return result{http.StatusCreated, joinResponse{
			Call: joinedCall{ID: c.ID, Status: string(c.Status), ShortCode: c.ShortCode,
				Host:          callHost{ID: host.ID, DisplayName: host.DisplayName},
				RatePerMinute: c.Rate.String(), WindowSizeMinutes: c.WindowMinutes, CreatedAt: formatTime(c.CreatedAt)},
			SignalingToken:  s.Signaling.Mint(c.ID, c.GuestID, "guest"),
			TURNCredentials: s.TURN.Mint(c.GuestID, s.now()),
			GuestToken:      guestToken,
		}}, nil
	})
}

type hostJoinResponse struct {
	Call struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"call"`
	SignalingToken  string           `json:"signaling_token"`
	TURNCredentials turn.Credentials `json:"turn_credentials"`
}

func (s *Server) handleCallHostJoin(w http.ResponseWriter, r *http.Request) error {
	caller := CallerFrom(r.Context())
	c, err := s.Calls.HostJoin(r.Context(), caller, r.PathValue("id"))
	if err != nil {
		return err
	}
	var out hostJoinResponse
	out.Call.ID, out.Call.Status = c.ID, string(c.Status)
	out.SignalingToken = s.Signaling.Mint(c.ID, c.HostID, "host")
	out.TURNCredentials = s.TURN.Mint(c.HostID, s.now())
	writeJSON(w, http.StatusCreated, out)
	return nil
}

type endRequest struct {
	Reason *string `json:"reason"`
}

func (endRequest) bodyOptional() bool { return true }

type endedCall struct {
	ID              string `json:"id"`
	Status          string `json:"status"`
	DurationSeconds int64  `json:"duration_seconds"`
	BilledMinutes   int64  `json:"billed_minutes"`
	TotalCharged    string `json:"total_charged"`
	Currency        string `json:"currency"`
	EndedAt         string `json:"ended_at"`
}

func (s *Server) handleCallEnd(w http.ResponseWriter, r *http.Request) error {
	var in endRequest
	raw, err := decodeJSONBody(r, &in)
	if err != nil {
		return err
	}
	reason := ""
	if in.Reason != nil {
		if reason = *in.Reason; reason == "" {
			return vidivo.Invalid(vidivo.FieldError{Field: "reason", Issue: "must be user_ended, host_ended, timeout or billing_error"})
		}
	}
	caller := CallerFrom(r.Context())
	id := r.PathValue("id")
	return s.idempotent(w, r, "end/"+id+"/"+caller.Subject, raw, func() (result, error) {
		c, err := s.Calls.End(r.Context(), caller, id, reason)
		if err != nil {
			return result{}, err
		}
		return result{http.StatusOK, map[string]endedCall{"call": {
			ID: c.ID, Status: string(c.Status), DurationSeconds: c.DurationSeconds, BilledMinutes: c.BilledMinutes,
			TotalCharged: c.TotalCharged.String(), Currency: billing.Currency, EndedAt: formatTime(*c.EndedAt),
		}}}, nil
	})
}

// callJSON is a call as GET /v1/calls/{id} and history show it.
type callJSON struct {
	ID                string       `json:"id"`
	Status            string       `json:"status"`
	ShortCode         string       `json:"short_code"`
	HostID            string       `json:"host_id"`
	GuestName         *string      `json:"guest_name"`
	RatePerMinute     string       `json:"rate_per_minute"`
	WindowSizeMinutes int          `json:"window_size_minutes"`
	CreatedAt         string       `json:"created_at"`
	RingingAt         *string      `json:"ringing_at"`
	ActiveAt          *string      `json:"active_at"`
	EndedAt           *string      `json:"ended_at"`
	EndReason         *string      `json:"end_reason"`
	DurationSeconds   int64        `json:"duration_seconds"`
	BilledMinutes     int64        `json:"billed_minutes"`
	TotalCharged      string       `json:"total_charged"`
	Currency          string       `json:"currency"`
	Charges           []chargeJSON `json:"charges,omitempty"`
}

type chargeJSON struct {
	Kind      string `json:"kind"`
	Window    int    `json:"window"`
	Amount    string `json:"amount"`
	State     string `json:"state"`
	CreatedAt string `json:"created_at"`
}

func newCallJSON(c *vidivo.Call) callJSON {
	return callJSON{
		ID: c.ID, Status: string(c.Status), ShortCode: c.ShortCode, HostID: c.HostID, GuestName: c.GuestName,
		RatePerMinute: c.Rate.String(), WindowSizeMinutes: c.WindowMinutes, CreatedAt: formatTime(c.CreatedAt),
		RingingAt: optTime(c.RingingAt), ActiveAt: optTime(c.ActiveAt), EndedAt: optTime(c.EndedAt), EndReason: c.EndReason,
		DurationSeconds: c.DurationSeconds, BilledMinutes: c.BilledMinutes, TotalCharged: c.TotalCharged.String(),
		Currency: billing.Currency,
	}
}

func (s *Server) handleCallGet(w http.ResponseWriter, r *http.Request) error {
	c, err := s.CallStore.CallByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if !c.CanSee(CallerFrom(r.Context())) {
		return vidivo.Errorf(vidivo.EFORBIDDEN, "you are not a participant in this call")
	}
	charges, err := s.CallStore.Charges(r.Context(), c.ID)
	if err != nil {
		return err
	}
	out := newCallJSON(c)
	out.Charges = make([]chargeJSON, 0, len(charges))
	for _, ch := range charges {
		out.Charges = append(out.Charges, chargeJSON{Kind: string(ch.Kind), Window: ch.Window, Amount: ch.Amount.String(),
			State: string(ch.State), CreatedAt: formatTime(ch.CreatedAt)})
	}
	writeJSON(w, http.StatusOK, map[string]callJSON{"call": out})
	return nil
}

type pagePagination struct {
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	Total   int `json:"total"`
}

// pageParams reads page and per_page by the domain's one rule.
func pageParams(r *http.Request) (page, perPage int, errs []vidivo.FieldError) {
	q := r.URL.Query()
	return vidivo.ParsePage(q.Get("page"), q.Get("per_page"))
}

func (s *Server) handleCallHistory(w http.ResponseWriter, r *http.Request) error {
	page, perPage, errs := pageParams(r)
	f := vidivo.CallFilter{UserID: CallerFrom(r.Context()).Subject, Page: page, PerPage: perPage}
	if v := r.URL.Query().Get("status"); v != "" {
		f.Status = vidivo.CallStatus(v)
		valid := false
		for _, st := range vidivo.CallStatuses {
			valid = valid || st == f.Status
		}
		if !valid {
			errs = append(errs, vidivo.FieldError{Field: "status", Issue: "must be waiting, ringing, active, completed, missed or failed"})
		}
	}
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	res, err := s.CallStore.Calls(r.Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Calls      []callJSON     `json:"calls"`
		Pagination pagePagination `json:"pagination"`
	}{Calls: make([]callJSON, 0, len(res.Calls)), Pagination: pagePagination{Page: page, PerPage: perPage, Total: res.Total}}
	for _, c := range res.Calls {
		out.Calls = append(out.Calls, newCallJSON(c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type signalingTokenResponse struct {
	SignalingToken  string           `json:"signaling_token"`
	TURNCredentials turn.Credentials `json:"turn_credentials"`
}

// handleSignalingToken is POST /v1/calls/{id}/signaling-token: a
// participant of a call that has not ended gets a fresh signaling token
// (and TURN credentials) to reconnect after a network drop.
func (s *Server) handleSignalingToken(w http.ResponseWriter, r *http.Request) error {
	caller := CallerFrom(r.Context())
	c, err := s.CallStore.CallByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var participant, role string
	switch {
	case c.IsHost(caller):
		participant, role = c.HostID, "host"
	case c.IsGuest(caller):
		participant, role = c.GuestID, "guest"
	default:
		return vidivo.Errorf(vidivo.EFORBIDDEN, "you are not a participant in this call")
	}
	if c.Status.Ended() {
		return vidivo.Errorf(vidivo.ECONFLICT, "the call already ended (%s)", c.Status)
	}
	writeJSON(w, http.StatusCreated, signalingTokenResponse{
		SignalingToken:  s.Signaling.Mint(c.ID, participant, role),
		TURNCredentials: s.TURN.Mint(participant, s.now()),
	})
	return nil
}
