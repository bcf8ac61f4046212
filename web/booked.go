package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/ical"
)

// bookedView is the booking's confirmation: the time in the visitor's and
// the host's zones, the invite and calendar links, and where to join.
type bookedView struct {
	ID        string
	HostName  string
	GuestName string
	Canceled  bool
	LocalTime string
	HostTime  string
	JoinURL   string
	ICSURL    string
	Google    string
	Outlook   string
}

// errNoBooking is every refusal of a booking's pages: unknown, malformed
// and other people's bookings look the same.
func errNoBooking() error {
	return vidivo.Errorf(vidivo.ENOTFOUND, "there is no booking here for you; if it is yours, log in with the account that booked it")
}

// participantBooking loads the booking of the request's id for one of its
// participants; anyone else gets ENOTFOUND.
func (s *Server) participantBooking(r *http.Request, u *vidivo.User) (*vidivo.ScheduledCall, error) {
	id := r.PathValue("id")
	if !vidivo.IsID(id) {
		return nil, errNoBooking()
	}
	b, err := s.Booking.Store.Booking(r.Context(), id)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND || (err == nil && !b.IsParticipant(u.ID)) {
		return nil, errNoBooking()
	}
	return b, err
}

// viewZone is the zone of ?tz=, or def; a bad name is EVALIDATION.
func viewZone(r *http.Request, def string) (*time.Location, error) {
	name := r.URL.Query().Get("tz")
	if name == "" {
		name = def
	}
	if vidivo.CheckTimezone(name) != "" {
		return nil, vidivo.Invalid(vidivo.FieldError{Field: "tz", Issue: "must be an IANA time zone name such as Europe/Berlin"})
	}
	return vidivo.LoadZone(name)
}

// handleBooked serves /booked/{id}: the confirmation of a booking, for
// its participants, with times in ?tz= and in the host's zone.
func (s *Server) handleBooked(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	b, err := s.participantBooking(r, u)
	if err != nil {
		return err
	}
	a, err := s.Booking.Availability(r.Context(), b.HostID)
	if err != nil {
		return err
	}
	hostLoc, err := vidivo.LoadZone(a.Timezone)
	if err != nil {
		return err
	}
	loc, err := viewZone(r, a.Timezone)
	if err != nil {
		return err
	}
	ev, err := s.Booking.Invite(r.Context(), vidivo.Caller{Subject: u.ID, Role: u.Role}, b.ID)
	if err != nil {
		return err
	}
	bv := bookedView{ID: b.ID, HostName: ev.Organizer.Name, Canceled: b.Status == vidivo.BookingCanceled,
		LocalTime: zoneTime(b.StartsAt, b.EndsAt, loc), HostTime: zoneTime(b.StartsAt, b.EndsAt, hostLoc),
		JoinURL: s.Booking.JoinURL(b.ID), ICSURL: "/booked/" + b.ID + "/invite.ics",
		Google: googleURL(ev), Outlook: outlookURL(ev)}
	if len(ev.Attendees) > 0 {
		bv.GuestName = ev.Attendees[0].Name
	}
	title := "Your call is booked"
	if bv.Canceled {
		title = "This booking was canceled"
	}
	s.render(w, r, http.StatusOK, "booked", view{Title: title, User: u, Data: bv,
		Main: map[string]string{"booking-id": b.ID, "booking-status": string(b.Status)}})
	return nil
}

// handleBookedInvite serves the booking's .ics for a participant: the
// invitation, or its cancellation.
func (s *Server) handleBookedInvite(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	if _, err := s.participantBooking(r, u); err != nil {
		return err
	}
	ev, err := s.Booking.Invite(r.Context(), vidivo.Caller{Subject: u.ID, Role: u.Role}, r.PathValue("id"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ical.ContentType)
	h.Set("Content-Disposition", "attachment; filename=vidivo-call.ics")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(ev.Marshal())
	return nil
}

// calendarStamp is the UTC form calendar links take: 20270329T080000Z.
func calendarStamp(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// googleURL is Google Calendar's "add event" link for ev (times in UTC).
func googleURL(ev *ical.Event) string {
	q := url.Values{"action": {"TEMPLATE"}, "text": {ev.Summary},
		"dates":   {calendarStamp(ev.Start) + "/" + calendarStamp(ev.End)},
		"details": {ev.Description}, "location": {ev.URL}}
	return "https://calendar.google.com/calendar/render?" + q.Encode()
}

// outlookURL is Outlook on the web's "add event" link for ev.
func outlookURL(ev *ical.Event) string {
	q := url.Values{"path": {"/calendar/action/compose"}, "rru": {"addevent"}, "subject": {ev.Summary},
		"startdt": {ev.Start.UTC().Format(time.RFC3339)}, "enddt": {ev.End.UTC().Format(time.RFC3339)},
		"body": {ev.Description}, "location": {ev.URL}}
	return "https://outlook.live.com/calendar/0/deeplink/compose?" + q.Encode()
}
