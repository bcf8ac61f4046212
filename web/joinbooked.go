package web

import (
	"net/http"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/calls"
)

// The states of a booked call's join page.
const (
	joinEarly    = "early"    // before the window: a countdown
	joinOpen     = "open"     // the window is open: join (with a card if needed)
	joinWaiting  = "waiting"  // the host is in; the guest has not come
	joinEnded    = "ended"    // the window closed and no call took place
	joinCanceled = "canceled" // the booking was canceled
)

// joinBookedView is /join/{id}'s data.
type joinBookedView struct {
	ID       string
	State    string
	Role     string
	PeerName string
	When     string
	// StartsAt and EndsAt (RFC 3339) let the script say When in the
	// browser's zone too.
	StartsAt, EndsAt string
	OpensAt          string // RFC 3339, for the countdown
	OpensWhen        string
	Rate             vidivo.Money
	Window           int
	Hold             vidivo.Money
	NeedCard         bool
	Card             cardStep
	Error            string
}

// handleJoinBooked serves /join/{id} for a booking's participants: a
// countdown until 5 minutes before the start, then the join; once the
// call exists the in-call page (or its summary once ended).
func (s *Server) handleJoinBooked(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	b, err := s.participantBooking(r, u)
	if err != nil {
		return err
	}
	jv, redirect, err := s.joinBookedState(r, u, b)
	if err != nil {
		return err
	}
	if redirect != "" {
		http.Redirect(w, r, redirect, http.StatusSeeOther)
		return nil
	}
	s.renderJoinBooked(w, r, http.StatusOK, u, jv)
	return nil
}

// joinBookedState works out the page's state, or where the participant
// belongs instead (the call, or its summary).
func (s *Server) joinBookedState(r *http.Request, u *vidivo.User, b *vidivo.ScheduledCall) (joinBookedView, string, error) {
	isHost := u.ID == b.HostID
	jv := joinBookedView{ID: b.ID, Role: roleGuest, Rate: b.Rate, Window: b.WindowMinutes,
		Hold: billing.WindowAmount(b.Rate, b.WindowMinutes), NeedCard: !isHost && b.PaymentMethodID == nil}
	peer := b.HostID
	if isHost {
		jv.Role, peer = roleHost, b.GuestID
	}
	if p, err := s.Users.UserByID(r.Context(), peer); err == nil {
		jv.PeerName = p.DisplayName
		if !isHost {
			jv.Card = s.bookingCard(p)
		}
	}
	loc := time.UTC
	if a, err := s.Booking.Availability(r.Context(), b.HostID); err == nil {
		if l, err := vidivo.LoadZone(a.Timezone); err == nil {
			loc = l
		}
	}
	jv.When = zoneTime(b.StartsAt, b.EndsAt, loc)
	jv.StartsAt, jv.EndsAt = b.StartsAt.UTC().Format(time.RFC3339), b.EndsAt.UTC().Format(time.RFC3339)
	c, err := s.CallStore.CallByID(r.Context(), b.ID)
	switch {
	case err == nil && c.Status.Ended():
		return jv, callPath(c.ID) + "/summary", nil
	case err == nil && (!isHost || c.Status == vidivo.CallActive):
		return jv, callPath(c.ID), nil
	case err == nil:
		jv.State = joinOpen // the guest is waiting for the host
		return jv, "", nil
	case vidivo.ErrorCode(err) != vidivo.ENOTFOUND:
		return jv, "", err
	}
	open, opens := b.JoinOpen(s.now())
	switch {
	case b.Status == vidivo.BookingCanceled:
		jv.State = joinCanceled
	case !open && opens.IsZero():
		jv.State = joinEnded
	case !open:
		jv.State, jv.OpensAt = joinEarly, opens.UTC().Format(time.RFC3339)
		jv.OpensWhen = opens.In(loc).Format("15:04 MST (") + loc.String() + ")"
	case isHost && b.HostJoinedAt != nil:
		jv.State = joinWaiting
	default:
		jv.State = joinOpen
	}
	return jv, "", nil
}

func (s *Server) renderJoinBooked(w http.ResponseWriter, r *http.Request, status int, u *vidivo.User, jv joinBookedView) {
	v := view{Title: "Your call with " + jv.PeerName, User: u, Script: "joinbooked.js", Data: jv,
		Main: map[string]string{"join-state": jv.State, "booking-id": jv.ID, "server-time": s.now().Format(time.RFC3339Nano),
			"starts-at": jv.StartsAt, "ends-at": jv.EndsAt}}
	if jv.OpensAt != "" {
		v.Main["opens-at"] = jv.OpensAt
	}
	if jv.NeedCard && jv.Card.StripeKey != "" {
		v.Main["stripe-key"] = jv.Card.StripeKey
	}
	s.render(w, r, status, "joinbooked", v)
}

// handleJoinBookedPost joins the booked call (calls.Service's scheduled
// join: the guest's first hold, or the host's arrival) and goes to the
// in-call page. Outside the window, or with a refused card, the page
// shows why; nothing is charged.
func (s *Server) handleJoinBookedPost(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	b, err := s.participantBooking(r, u)
	if err != nil {
		return err
	}
	c, jerr := s.Calls.JoinScheduled(r.Context(), calls.ScheduledJoin{Caller: vidivo.Caller{Subject: u.ID, Role: u.Role},
		BookingID: b.ID, PaymentMethodID: r.PostFormValue("payment_method_id")})
	if code := vidivo.ErrorCode(jerr); jerr != nil && (code == "" || code == vidivo.EINTERNAL) {
		return jerr
	}
	if jerr == nil {
		dest := "/join/" + b.ID // the host before the guest: wait here
		if c.GuestID != "" {
			dest = callPath(c.ID)
		}
		http.Redirect(w, r, dest, http.StatusSeeOther)
		return nil
	}
	jv, redirect, err := s.joinBookedState(r, u, b)
	if err != nil {
		return err
	}
	if redirect != "" {
		http.Redirect(w, r, redirect, http.StatusSeeOther)
		return nil
	}
	msg, _ := joinMessage(jerr)
	jv.Error = sentence(msg)
	jv.Card.Card = r.PostFormValue("payment_method_id")
	s.renderJoinBooked(w, r, statusOf(vidivo.ErrorCode(jerr)), u, jv)
	return nil
}
