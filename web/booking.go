package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/booking"
)

// confirmView is the confirm step of the scheduling page: the chosen time
// in both zones, then for a visitor the log-in and sign-up forms (which
// come back here), for an account the note and, when the host requires
// it, the card.
type confirmView struct {
	Slot      string // RFC 3339, UTC
	LocalTime string
	HostTime  string
	// Back is the day's slots; Next this step's address (for log-in).
	Back     string
	Next     string
	SignedIn bool
	NeedCard bool
	Card     cardStep
	Note     string
	Error    string
	Fields   map[string]string
}

// confirmStep fills the confirm step of sv for the slot in sq. A slot
// someone took meanwhile is a conflict and one that is no slot at all bad
// input: either shows the day's fresh slots with a notice, and the status
// says which.
func (s *Server) confirmStep(w http.ResponseWriter, r *http.Request, hs *hostSchedule, sq *scheduleQuery, sv *scheduleView) int {
	start := sq.Slot.Format(time.RFC3339)
	var found *slotCell
	if sv.Day != nil {
		for i := range sv.Day.Slots {
			if sv.Day.Slots[i].Start == start {
				found = &sv.Day.Slots[i]
			}
		}
	}
	switch {
	case found == nil:
		sv.Notice = "That time cannot be booked. Pick one of the free times."
		return http.StatusBadRequest
	case found.URL == "" && sq.Slot.Before(s.now().Add(time.Duration(hs.avail.MinNoticeMinutes)*time.Minute)):
		sv.Notice = "That time has passed or is too soon to book. Pick one of the free times."
		return http.StatusBadRequest
	case found.URL == "":
		sv.Notice = "Someone has just booked that time. Pick another one of the free times."
		return http.StatusConflict
	}
	end := sq.Slot.Add(time.Duration(sv.Minutes) * time.Minute)
	hostLoc, err := vidivo.LoadZone(sv.HostZone)
	if err != nil {
		hostLoc = time.UTC
	}
	cv := &confirmView{Slot: start, LocalTime: zoneTime(*sq.Slot, end, sq.Loc), HostTime: zoneTime(*sq.Slot, end, hostLoc),
		Back: sq.link("date", sq.Date.String()), Next: sq.link("slot", start), NeedCard: hs.avail.RequirePaymentMethod,
		Card: s.bookingCard(hs.host)}
	_, cv.SignedIn = s.caller(w, r)
	sv.Confirm = cv
	return http.StatusOK
}

// bookingCard is the booking's card step: verified at booking, held only
// when the call starts.
func (s *Server) bookingCard(host *vidivo.User) cardStep {
	c := cardStep{Sandbox: s.Payments != "stripe", TestCards: testCards, Card: testCards[0].Value,
		HostName: host.DisplayName, SetupURL: "/schedule/" + host.Username + "/setup-intent"}
	if !c.Sandbox {
		c.StripeKey = s.StripePublishableKey
	}
	return c
}

// handleBook books the confirm step's slot for the signed-in account. A
// visitor is sent to log in and back to the confirm step. A slot taken
// meanwhile answers 409 with the day's fresh slots; a refused card or
// note shows the confirm step again with the reason; nothing is booked.
func (s *Server) handleBook(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	hs, err := s.loadHost(r.Context(), r.PathValue("username"), r.PathValue("slug"))
	if err != nil {
		return err
	}
	sq, err := parseScheduleQuery(r, hs.avail.Timezone, s.now())
	if err != nil {
		return err
	}
	caller, ok := s.caller(w, r)
	if !ok {
		http.Redirect(w, r, loginURL(sq.link("slot", sq.Slot.Format(time.RFC3339))), http.StatusSeeOther)
		return nil
	}
	req := booking.BookRequest{Caller: caller, HostUsername: hs.host.Username, ScheduledAt: sq.Slot.Format(time.RFC3339)}
	if hs.etype != nil {
		req.EventType = &hs.etype.Slug
	} else {
		req.DurationMinutes = &hs.avail.SlotMinutes
	}
	note := r.PostFormValue("note")
	if strings.TrimSpace(note) != "" {
		req.Note = &note
	}
	if pm := r.PostFormValue("payment_method_id"); pm != "" {
		req.PaymentMethodID = &pm
	}
	b, berr := s.Booking.Book(r.Context(), req)
	code := vidivo.ErrorCode(berr)
	if berr != nil && (code == "" || code == vidivo.EINTERNAL) {
		return berr
	}
	if berr == nil {
		http.Redirect(w, r, "/booked/"+b.ID+"?tz="+url.QueryEscape(sq.Zone), http.StatusSeeOther)
		return nil
	}
	// Refused: the page again, with slots as they are now.
	sv, err := s.scheduleView(r.Context(), hs, sq)
	if err != nil {
		return err
	}
	if code == vidivo.ECONFLICT {
		sv.Notice = "Someone has just booked that time. Pick another one of the free times."
		s.renderSchedule(w, r, http.StatusConflict, sv)
		return nil
	}
	status := statusOf(code)
	if st := s.confirmStep(w, r, hs, sq, &sv); st != http.StatusOK {
		// The time itself was refused (too soon, say): say why above the
		// fresh slots.
		sv.Notice, _ = bookMessage(berr)
		status = st
	} else {
		sv.Confirm.Note = note
		sv.Confirm.Card.Card = r.PostFormValue("payment_method_id")
		sv.Confirm.Error, sv.Confirm.Fields = bookMessage(berr)
	}
	s.renderSchedule(w, r, status, sv)
	return nil
}

// bookMessage says in plain words why a booking was refused, and each
// field's problem.
func bookMessage(err error) (string, map[string]string) {
	var e *vidivo.Error
	if !errors.As(err, &e) {
		return "Something went wrong on our side. Please try again in a moment.", nil
	}
	msg, fields := formError(err)
	if words, marked, ok := cardRefusal(e, msg, fields, "Nothing was booked or charged."); ok {
		return words, marked
	}
	if e.Code == vidivo.EVALIDATION {
		if issue, ok := fields["note"]; ok {
			return "Please shorten the note: it " + issue + ".", fields
		}
	}
	return sentence(msg), fields
}

// sentence capitalizes a service's message and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// handleBookingSetupIntent answers POST /schedule/{username}/setup-intent
// for the booking page's Stripe Payment Element: a fresh SetupIntent's
// client secret, for a signed-in account booking an existing host.
func (s *Server) handleBookingSetupIntent(w http.ResponseWriter, r *http.Request) {
	si, ok := s.Gateway.(setupIntents)
	err := s.checkCSRF(r)
	switch {
	case err != nil:
	case !ok || s.Payments != "stripe":
		err = vidivo.Errorf(vidivo.ENOTFOUND, "this server does not take cards in the browser")
	}
	var caller vidivo.Caller
	if err == nil {
		if caller, ok = s.caller(w, r); !ok {
			err = vidivo.Errorf(vidivo.EUNAUTHORIZED, "log in to book")
		}
	}
	if pl, ok := s.Limiter.(publicLimiter); ok && err == nil {
		err = pl.LimitPublic(w, r)
	}
	var host *vidivo.User
	if err == nil {
		host, err = s.host(r.Context(), r.PathValue("username"))
	}
	if err != nil {
		s.writeJSONError(w, r, err)
		return
	}
	s.writeSetupIntent(w, r, si, "setup/booking/"+host.ID+"/"+caller.Subject,
		map[string]string{"host_id": host.ID, "guest_id": caller.Subject})
}
