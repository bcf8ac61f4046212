package api

import (
	"net/http"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/calls"
)

type personJSON struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
}

type scheduledCallJSON struct {
	ID              string       `json:"id"`
	Host            personJSON   `json:"host"`
	Guest           personJSON   `json:"guest"`
	ScheduledAt     string       `json:"scheduled_at"`
	DurationMinutes int          `json:"duration_minutes"`
	EndsAt          string       `json:"ends_at"`
	Note            *string      `json:"note"`
	Status          string       `json:"status"`
	JoinURL         string       `json:"join_url"`
	CalendarURL     string       `json:"calendar_url"`
	CanceledBy      *string      `json:"canceled_by,omitempty"`
	CancelReason    *string      `json:"cancel_reason,omitempty"`
	Rescheduled     bool         `json:"rescheduled,omitempty"`
	Tracking        trackingJSON `json:"tracking"`
}

// trackingJSON is a booking's UTM parameters; one not given is null.
type trackingJSON struct {
	UTMSource   *string `json:"utm_source"`
	UTMMedium   *string `json:"utm_medium"`
	UTMCampaign *string `json:"utm_campaign"`
	UTMContent  *string `json:"utm_content"`
	UTMTerm     *string `json:"utm_term"`
}

// tracking is the domain's form: null and "" are both not given.
func (t *trackingJSON) tracking() vidivo.Tracking {
	if t == nil {
		return vidivo.Tracking{}
	}
	v := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return vidivo.Tracking{UTMSource: v(t.UTMSource), UTMMedium: v(t.UTMMedium), UTMCampaign: v(t.UTMCampaign),
		UTMContent: v(t.UTMContent), UTMTerm: v(t.UTMTerm)}
}

func newTrackingJSON(t vidivo.Tracking) trackingJSON {
	p := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return trackingJSON{UTMSource: p(t.UTMSource), UTMMedium: p(t.UTMMedium), UTMCampaign: p(t.UTMCampaign),
		UTMContent: p(t.UTMContent), UTMTerm: p(t.UTMTerm)}
}

// scheduledCallJSON renders a booking with its two people.
func (s *Server) scheduledCallJSON(b *booking.Booking) scheduledCallJSON {
	return scheduledCallJSON{
		ID:              b.ID,
		Host:            personJSON{b.Host.ID, b.Host.Username, b.Host.DisplayName},
		Guest:           personJSON{b.Guest.ID, b.Guest.Username, b.Guest.DisplayName},
		ScheduledAt:     formatTime(b.StartsAt),
		DurationMinutes: b.DurationMinutes,
		EndsAt:          formatTime(b.EndsAt),
		Note:            b.Note,
		Status:          b.Status,
		JoinURL:         s.Booking.JoinURL(b.ID),
		CalendarURL:     s.PublicURL + "/v1/schedule/" + b.ID + "/calendar",
		CanceledBy:      b.CanceledBy,
		CancelReason:    b.CancelReason,
		Rescheduled:     b.Rescheduled,
		Tracking:        newTrackingJSON(b.Tracking),
	}
}

func (s *Server) handleScheduleMine(w http.ResponseWriter, r *http.Request) error {
	page, perPage, errs := pageParams(r)
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	res, err := s.Booking.Mine(r.Context(), CallerFrom(r.Context()), page, perPage)
	if err != nil {
		return err
	}
	out := struct {
		ScheduledCalls []scheduledCallJSON `json:"scheduled_calls"`
		Pagination     pagePagination      `json:"pagination"`
	}{ScheduledCalls: make([]scheduledCallJSON, 0, len(res.Bookings)), Pagination: pagePagination{page, perPage, res.Total}}
	for _, b := range res.Bookings {
		out.ScheduledCalls = append(out.ScheduledCalls, s.scheduledCallJSON(b))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type cancelRequest struct {
	Reason *string `json:"reason"`
}

func (cancelRequest) bodyOptional() bool { return true }

// handleScheduleCancel is PUT /v1/schedule/{id}/cancel: the host or guest
// cancels a booking that has not started, freeing its slot.
func (s *Server) handleScheduleCancel(w http.ResponseWriter, r *http.Request) error {
	var in cancelRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Booking.Cancel(r.Context(), CallerFrom(r.Context()), r.PathValue("id"), in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type scheduledJoinRequest struct {
	PaymentMethodID *string `json:"payment_method_id"`
	GuestName       *string `json:"guest_name"`
}

func (scheduledJoinRequest) bodyOptional() bool { return true }

// handleScheduledJoin is POST /v1/calls/{id}/join for a booked call.
func (s *Server) handleScheduledJoin(w http.ResponseWriter, r *http.Request) error {
	var in scheduledJoinRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	caller := CallerFrom(r.Context())
	j := calls.ScheduledJoin{Caller: caller, BookingID: r.PathValue("id"), GuestName: in.GuestName}
	if in.PaymentMethodID != nil {
		j.PaymentMethodID = *in.PaymentMethodID
	}
	c, err := s.Calls.JoinScheduled(r.Context(), j)
	if err != nil {
		return err
	}
	participant := c.GuestID
	role := "guest"
	if caller.Subject == c.HostID {
		participant, role = c.HostID, "host"
	}
	out := struct {
		Call struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"call"`
		SignalingToken  string `json:"signaling_token"`
		TURNCredentials any    `json:"turn_credentials"`
	}{SignalingToken: s.Signaling.Mint(c.ID, participant, role), TURNCredentials: s.TURN.Mint(participant, s.now())}
	out.Call.ID, out.Call.Status = c.ID, string(c.Status)
	writeJSON(w, http.StatusCreated, out)
	return nil
}
