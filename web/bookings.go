package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/schedule"
)

// bookingsPerPage is how many bookings /bookings lists at once.
const bookingsPerPage = 50

// bookingsView is /bookings: the account's bookings, those not yet ended
// first (soonest first), then past ones (latest first).
type bookingsView struct {
	Upcoming, Past []bookingRow
	// Show is the zone the times are in, and the choice of another.
	Show          zoneChoice
	Notice, Error string
	// Failed is the booking the Error is about; its cancel form opens.
	Failed             string
	PrevPage, NextPage int
}

// bookingRow is one booking as its host or guest sees it.
type bookingRow struct {
	ID, With, Role, When, Status string
	Minutes                      int
	Note, CancelReason           string
	Rate                         vidivo.Money
	Window                       int
	// Changeable bookings may be canceled and rescheduled.
	Changeable  bool
	Rescheduled bool
	JoinURL     string
	// CSRF is the token of the row's forms; Open opens its cancel form;
	// TZ keeps the page's ?tz= on its links.
	CSRF string
	Open bool
	TZ   string
}

var bookingNotices = map[string]string{
	"canceled":    "The booking is canceled and its time is free again.",
	"rescheduled": "The booking is moved: the old time is canceled and the new one confirmed.",
}

// handleBookings is /bookings, for hosts and clients alike.
func (s *Server) handleBookings(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	bv := bookingsView{Notice: bookingNotices[r.URL.Query().Get("done")]}
	return s.renderBookings(w, r, http.StatusOK, u, bv)
}

func (s *Server) renderBookings(w http.ResponseWriter, r *http.Request, status int, u *vidivo.User, bv bookingsView) error {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	res, err := s.Booking.Mine(r.Context(), callerOf(u), page, bookingsPerPage)
	if err != nil {
		return err
	}
	loc, err := s.zoneOf(r, u)
	if err != nil {
		return err
	}
	bv.Show = newZoneChoice(r, loc)
	now := s.now()
	csrf := s.csrfToken(w, r)
	for _, b := range res.Bookings {
		row := s.bookingRow(b, u, loc, now)
		row.CSRF, row.Open = csrf, b.ID == bv.Failed
		if bv.Show.Explicit {
			row.TZ = bv.Show.Zone
		}
		if b.EndsAt.After(now) {
			bv.Upcoming = append(bv.Upcoming, row)
		} else {
			bv.Past = append(bv.Past, row)
		}
	}
	if page > 1 {
		bv.PrevPage = page - 1
	}
	if page*bookingsPerPage < res.Total {
		bv.NextPage = page + 1
	}
	s.render(w, r, status, "bookings", view{Title: "Bookings", User: u, Data: bv})
	return nil
}

func (s *Server) bookingRow(b *booking.Booking, u *vidivo.User, loc *time.Location, now time.Time) bookingRow {
	row := bookingRow{ID: b.ID, Role: "guest", With: b.Host.DisplayName, When: whenLabel(b.StartsAt, b.EndsAt, loc),
		Status: b.Status, Minutes: b.DurationMinutes, Rate: b.Rate, Window: b.WindowMinutes,
		Rescheduled: b.Rescheduled, JoinURL: "/join/" + b.ID}
	if b.HostID == u.ID {
		row.Role, row.With = "host", b.Guest.DisplayName
	}
	if b.Note != nil {
		row.Note = *b.Note
	}
	if b.CancelReason != nil {
		row.CancelReason = *b.CancelReason
	}
	row.Changeable = b.Status == vidivo.BookingConfirmed && b.CallStartedAt == nil && now.Before(b.StartsAt)
	return row
}

// zoneOf is the time zone a user's times are shown in: the one named in
// ?tz= (a bad name is EVALIDATION), else a host's availability zone, else
// the account's, else UTC.
func (s *Server) zoneOf(r *http.Request, u *vidivo.User) (*time.Location, error) {
	name := u.Timezone
	if u.Role == vidivo.RoleHost {
		if a, err := s.Booking.Availability(r.Context(), u.ID); err == nil {
			name = a.Timezone
		}
	}
	if vidivo.CheckTimezone(name) != "" {
		name = "UTC"
	}
	return viewZone(r, name)
}

// zoneChoice is the "show times in" form of a page that lists times.
type zoneChoice struct {
	Zone  string
	Zones []string
	// Explicit is true when ?tz= named the zone: links and forms keep it.
	Explicit bool
}

func newZoneChoice(r *http.Request, loc *time.Location) zoneChoice {
	zc := zoneChoice{Zone: loc.String(), Zones: ianaZones}
	if !slices.Contains(zc.Zones, zc.Zone) {
		zc.Zones = append([]string{zc.Zone}, ianaZones...)
	}
	zc.Explicit = r.URL.Query().Get("tz") != ""
	return zc
}

// whenLabel says a booking's time in loc, such as "Mon 7 Dec 2026,
// 09:00–10:00".
func whenLabel(start, end time.Time, loc *time.Location) string {
	return start.In(loc).Format("Mon 2 Jan 2006, 15:04") + "–" + end.In(loc).Format("15:04")
}

// previewDate names a date, such as "Mon 7 Dec".
func previewDate(d schedule.Date) string {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Format("Mon 2 Jan")
}

var timeUTC = time.UTC

func slotsQuery(username string, from, to schedule.Date) booking.SlotsQuery {
	return booking.SlotsQuery{Username: username, From: from, To: to}
}

// handleBookingCancel is a booking's Cancel button, with an optional
// reason. A refusal shows the list again with the reason why.
func (s *Server) handleBookingCancel(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	var reason *string
	if v := strings.TrimSpace(r.PostFormValue("reason")); v != "" {
		reason = &v
	}
	id := r.PathValue("id")
	if err := s.Booking.Cancel(r.Context(), callerOf(u), id, reason); err != nil {
		code := vidivo.ErrorCode(err)
		if code == "" || code == vidivo.EINTERNAL {
			return err
		}
		bv := bookingsView{Error: "The booking was not canceled: " + vidivo.ErrorMessage(err), Failed: id}
		return s.renderBookings(w, r, statusOf(code), u, bv)
	}
	http.Redirect(w, r, "/bookings?done=canceled", http.StatusSeeOther)
	return nil
}
