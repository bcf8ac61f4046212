package web

import (
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/schedule"
)

// rescheduleDays is how many of the host's dates the reschedule page
// offers slots from.
const rescheduleDays = 14

// rescheduleView is a booking's reschedule page: its time now, and the
// host's free slots to move it to.
type rescheduleView struct {
	Booking bookingRow
	Days    []slotDay
	Error   string
	Show    zoneChoice
}

// slotDay is one date's free slots, for a picker.
type slotDay struct {
	Label string
	Slots []slotChoice
}

// slotChoice is one free slot: Value is its start (RFC 3339), Label its
// time in the viewer's zone.
type slotChoice struct{ Value, Label string }

// handleRescheduleForm is /bookings/{id}/reschedule.
func (s *Server) handleRescheduleForm(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	b, err := s.myBooking(r, u)
	if err != nil {
		return err
	}
	return s.renderReschedule(w, r, http.StatusOK, u, b, "")
}

// handleReschedule moves a booking to the slot picked: the old booking is
// canceled and a new one confirmed, or nothing changes and the page says
// why, with fresh slots (someone may have been faster).
func (s *Server) handleReschedule(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkCSRF(r); err != nil {
		return err
	}
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	b, err := s.myBooking(r, u)
	if err != nil {
		return err
	}
	at := r.PostFormValue("scheduled_at")
	if at == "" {
		return s.renderReschedule(w, r, http.StatusBadRequest, u, b, "Pick a new time first.")
	}
	_, err = s.Booking.Reschedule(r.Context(), callerOf(u), b.ID,
		booking.RescheduleRequest{ScheduledAt: at, DurationMinutes: b.DurationMinutes})
	if err != nil {
		code := vidivo.ErrorCode(err)
		if code == "" || code == vidivo.EINTERNAL {
			return err
		}
		msg := vidivo.ErrorMessage(err)
		if code == vidivo.ECONFLICT {
			msg = "That time could not be booked: " + msg + ". Pick another time from the fresh list below."
		}
		return s.renderReschedule(w, r, statusOf(code), u, b, msg)
	}
	http.Redirect(w, r, "/bookings?done=rescheduled", http.StatusSeeOther)
	return nil
}

// withPeople adds a booking's host and guest.
func (s *Server) withPeople(r *http.Request, b *vidivo.ScheduledCall) (*booking.Booking, error) {
	host, err := s.Users.UserByID(r.Context(), b.HostID)
	if err != nil {
		return nil, err
	}
	guest, err := s.Users.UserByID(r.Context(), b.GuestID)
	if err != nil {
		return nil, err
	}
	return &booking.Booking{ScheduledCall: b, Host: host, Guest: guest}, nil
}

// myBooking is the request's booking with its people, for a participant;
// anyone else's is not found (participantBooking's rule).
func (s *Server) myBooking(r *http.Request, u *vidivo.User) (*booking.Booking, error) {
	b, err := s.participantBooking(r, u)
	if err != nil {
		return nil, err
	}
	return s.withPeople(r, b)
}

func (s *Server) renderReschedule(w http.ResponseWriter, r *http.Request, status int, u *vidivo.User, b *booking.Booking, msg string) error {
	loc, err := s.zoneOf(r, u)
	if err != nil {
		return err
	}
	now := s.now()
	rv := rescheduleView{Booking: s.bookingRow(b, u, loc, now), Error: msg, Show: newZoneChoice(r, loc)}
	if !rv.Booking.Changeable {
		return vidivo.Errorf(vidivo.ECONFLICT, "this booking can no longer be rescheduled")
	}
	days, err := s.freeSlots(r, b.Host, loc)
	if err != nil {
		return err
	}
	rv.Days = days
	s.render(w, r, status, "reschedule", view{Title: "Reschedule", User: u, Data: rv})
	return nil
}

// freeSlots lists a host's free slots of the coming days by the viewer's
// dates.
func (s *Server) freeSlots(r *http.Request, host *vidivo.User, loc *time.Location) ([]slotDay, error) {
	a, err := s.Booking.Availability(r.Context(), host.ID)
	if err != nil {
		return nil, err
	}
	hostLoc, err := vidivo.LoadZone(a.Timezone)
	if err != nil {
		hostLoc = time.UTC
	}
	today := schedule.DateOf(s.now().In(hostLoc))
	res, err := s.Booking.Slots(r.Context(), slotsQuery(host.Username, today, today.AddDays(rescheduleDays-1)))
	if err != nil {
		return nil, err
	}
	// The scheduling page's grouping: by the viewer's date of each start.
	byDay := slotsByDay(res.Slots, loc)
	dates := slices.SortedFunc(maps.Keys(byDay), schedule.Date.Compare)
	var days []slotDay
	for _, d := range dates {
		day := slotDay{Label: previewDate(d)}
		for _, sl := range byDay[d] {
			if sl.Available {
				day.Slots = append(day.Slots, slotChoice{Value: sl.Start.UTC().Format(time.RFC3339),
					Label: sl.Start.In(loc).Format("15:04") + "–" + sl.End.In(loc).Format("15:04")})
			}
		}
		if len(day.Slots) > 0 {
			days = append(days, day)
		}
	}
	return days, nil
}
