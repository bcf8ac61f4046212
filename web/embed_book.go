package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/booking"
)

// embedBookView is the pop-up's booking step: the chosen time, and for a
// signed-in visitor the form that books it.
type embedBookView struct {
	Host     hostView
	Path     string
	Slot     time.Time
	HostTime string
	HostZone string
	Minutes  int
	Params   embedParams
	// Self is this step's address, where log-in and sign-up come back to.
	Self     string
	Name     string
	NeedCard bool
	Card     cardStep
	// CardUnavailable is set when the host requires a card this pop-up
	// cannot take (Stripe's Payment Element lives on the scheduling page).
	CardUnavailable bool
	SchedulingURL   string
	Error           string
	// Conflict is set when someone else booked the time first.
	Conflict bool
}

// LoginURL and SignupURL come back to this step, prefilled.
func (v embedBookView) LoginURL() string {
	return "/login?" + url.Values{"next": {v.Self}, "email": {v.Params.Email}}.Encode()
}

func (v embedBookView) SignupURL() string {
	return "/signup?" + url.Values{"next": {v.Self}, "role": {"client"}, "email": {v.Params.Email},
		"name": {v.Params.Name}}.Encode()
}

// embedBookStep loads what the booking step shows for the slot in the
// request (?slot= or the form's slot). A bad slot is EVALIDATION.
func (s *Server) embedBookStep(r *http.Request, get func(string) string) (embedBookView, *vidivo.User, error) {
	slot, err := time.Parse(time.RFC3339, get("slot"))
	if err != nil {
		return embedBookView{}, nil, vidivo.Invalid(vidivo.FieldError{Field: "slot", Issue: "must be a start time such as 2027-03-29T13:00:00Z"})
	}
	host, err := s.Booking.Host(r.Context(), r.PathValue("username"))
	if err != nil {
		return embedBookView{}, nil, err
	}
	a, err := s.Booking.Availability(r.Context(), host.ID)
	if err != nil {
		return embedBookView{}, nil, err
	}
	loc, err := vidivo.LoadZone(a.Timezone)
	if err != nil {
		loc = time.UTC
	}
	v := embedBookView{Host: newHostView(host), Path: r.URL.Path, Slot: slot.UTC(), HostZone: a.Timezone,
		HostTime: slot.In(loc).Format("Monday 2 January 2006, 15:04"), Minutes: a.SlotMinutes,
		Params: readEmbedParams(get), NeedCard: a.RequirePaymentMethod,
		SchedulingURL: "/" + host.Username}
	if slug := r.PathValue("slug"); slug != "" {
		v.SchedulingURL += "/" + url.PathEscape(slug)
		if e, err := s.EventTypes.EventTypeBySlug(r.Context(), host.ID, slug); err == nil {
			v.Minutes = e.DurationMinutes
		}
	}
	v.SchedulingURL += "?" + url.Values{"slot": {v.Slot.Format(time.RFC3339)}}.Encode()
	v.Self = r.URL.Path + "?" + v.Params.query(url.Values{"slot": {v.Slot.Format(time.RFC3339)}}).Encode()
	v.Card = cardStep{Sandbox: s.Payments != "stripe", TestCards: testCards, Card: testCards[0].Value, HostName: host.DisplayName}
	v.CardUnavailable = v.NeedCard && !v.Card.Sandbox
	return v, host, nil
}

// handleEmbedConfirm is the pop-up's booking step (GET …?slot=).
func (s *Server) handleEmbedConfirm(w http.ResponseWriter, r *http.Request) error {
	v, _, err := s.embedBookStep(r, r.URL.Query().Get)
	if err != nil {
		return err
	}
	u := s.optionalUser(w, r)
	if u != nil {
		v.Name = u.DisplayName
	}
	s.renderEmbedBook(w, r, http.StatusOK, u, v)
	return nil
}

func (s *Server) renderEmbedBook(w http.ResponseWriter, r *http.Request, status int, u *vidivo.User, v embedBookView) {
	s.render(w, r, status, "embed-book", view{Title: "Book a call with " + v.Host.Name, User: u, Layout: "embed-layout",
		Script: "embed-book.js", Main: map[string]string{"slot": v.Slot.Format(time.RFC3339)}, Data: v})
}

// handleEmbedBook books the pop-up's slot for the signed-in visitor with
// the UTM parameters the frame passed on, then tells the frame (see
// embed-book.js). A refusal shows the booking step again with the reason.
func (s *Server) handleEmbedBook(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	v, host, err := s.embedBookStep(r, r.PostFormValue)
	if err != nil {
		return err
	}
	u := s.optionalUser(w, r)
	if u == nil {
		http.Redirect(w, r, v.LoginURL(), http.StatusSeeOther)
		return nil
	}
	v.Name = u.DisplayName
	req := booking.BookRequest{Caller: vidivo.Caller{Subject: u.ID, Role: u.Role}, HostUsername: host.Username,
		ScheduledAt: v.Slot.Format(time.RFC3339), Tracking: v.Params.Tracking}
	if note := r.PostFormValue("note"); note != "" {
		req.Note = &note
	}
	if slug := r.PathValue("slug"); slug != "" {
		req.EventType = &slug
	} else {
		req.DurationMinutes = &v.Minutes
	}
	if pm := r.PostFormValue("payment_method_id"); pm != "" && v.NeedCard {
		req.PaymentMethodID, v.Card.Card = &pm, pm
	}
	b, err := s.Booking.Book(r.Context(), req)
	if err != nil {
		code := vidivo.ErrorCode(err)
		if code == "" || code == vidivo.EINTERNAL {
			return err
		}
		v.Error, _ = formError(err)
		v.Params.Note = r.PostFormValue("note")
		if v.Conflict = code == vidivo.ECONFLICT; v.Conflict {
			v.Error = "Someone else has just booked this time. Close this window and pick another time."
		}
		s.renderEmbedBook(w, r, statusOf(code), u, v)
		return nil
	}
	s.render(w, r, http.StatusCreated, "embed-done", view{Title: "Booked", User: u, Layout: "embed-layout",
		Script: "embed-book.js", Data: v, Main: map[string]string{
			"booking-id": b.ID, "scheduled-at": b.StartsAt.Format(time.RFC3339), "ends-at": b.EndsAt.Format(time.RFC3339),
			"join-url": s.Booking.JoinURL(b.ID), "booking-url": s.PublicURL + "/booked/" + b.ID,
		}})
	return nil
}
