package web

import (
	"net/http"
	"slices"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/schedule"
)

// bookingRoutes registers the scheduling pages of accounts: bookings
// (cancel, reschedule), the host's availability editor and event types.
func (s *Server) bookingRoutes(m *http.ServeMux) {
	m.Handle("GET /bookings", s.page(s.handleBookings))
	m.Handle("POST /bookings/{id}/cancel", s.page(s.handleBookingCancel))
	m.Handle("GET /bookings/{id}/reschedule", s.page(s.handleRescheduleForm))
	m.Handle("POST /bookings/{id}/reschedule", s.page(s.handleReschedule))
	m.Handle("GET /settings/availability", s.page(s.handleAvailability))
	m.Handle("POST /settings/availability", s.page(s.handleAvailabilitySave))
	m.Handle("GET /settings/event-types", s.page(s.handleEventTypes))
	m.Handle("POST /settings/event-types", s.page(s.handleEventTypeCreate))
	m.Handle("GET /settings/event-types/{id}", s.page(s.handleEventTypeEdit))
	m.Handle("POST /settings/event-types/{id}", s.page(s.handleEventTypeUpdate))
}

// availabilityView is the availability editor's data: the form, and a
// preview of the slots the stored availability offers this week.
type availabilityView struct {
	Form    *availForm
	Preview []previewDay
	// Priced is false when neither the availability nor a call link sets
	// a rate: then no slots are offered.
	Priced bool
	// Zone is the stored time zone the preview is shown in.
	Zone   string
	Notice string
}

// previewDay is one of the host's dates with its free slots.
type previewDay struct {
	Label string
	Slots []string
}

// handleAvailability is /settings/availability: the host's stored
// availability in the editor, and the coming week's slots.
func (s *Server) handleAvailability(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r, vidivo.RoleHost)
	if !ok {
		return err
	}
	a, err := s.Booking.Availability(r.Context(), u.ID)
	if err != nil {
		return err
	}
	av := availabilityView{Form: formOf(a)}
	if r.URL.Query().Get("done") == "saved" {
		av.Notice = "Your availability is saved."
	}
	return s.renderAvailability(w, r, http.StatusOK, u, a, av)
}

// handleAvailabilitySave stores the posted availability, or shows the form
// again (400) with each bad field's message next to it, storing nothing.
func (s *Server) handleAvailabilitySave(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.hostPOST(w, r)
	if !ok {
		return err
	}
	f := parseAvailForm(r)
	a, paths := f.availability()
	if _, err := s.Booking.SetAvailability(r.Context(), u.ID, a); err != nil {
		code := vidivo.ErrorCode(err)
		if code != vidivo.EVALIDATION {
			return err
		}
		f.explain(err, paths)
		stored, lerr := s.Booking.Availability(r.Context(), u.ID)
		if lerr != nil {
			return lerr
		}
		return s.renderAvailability(w, r, http.StatusBadRequest, u, stored, availabilityView{Form: f})
	}
	http.Redirect(w, r, "/settings/availability?done=saved", http.StatusSeeOther)
	return nil
}

func (s *Server) renderAvailability(w http.ResponseWriter, r *http.Request, status int, u *vidivo.User, stored schedule.Availability, av availabilityView) error {
	f := av.Form
	f.Zones = ianaZones
	if !slices.Contains(f.Zones, f.Timezone) {
		f.Zones = append([]string{f.Timezone}, ianaZones...)
	}
	f.pad()
	var err error
	if av.Preview, av.Priced, err = s.preview(r, u, stored); err != nil {
		return err
	}
	av.Zone = stored.Timezone
	s.render(w, r, status, "availability", view{Title: "Availability", User: u, Script: "availability.js", Data: av})
	return nil
}

// preview lists the free slots of the host's next seven dates, as the
// scheduling page offers them now.
func (s *Server) preview(r *http.Request, u *vidivo.User, a schedule.Availability) ([]previewDay, bool, error) {
	loc, err := vidivo.LoadZone(a.Timezone)
	if err != nil {
		loc = timeUTC
	}
	today := schedule.DateOf(s.now().In(loc))
	res, err := s.Booking.Slots(r.Context(), slotsQuery(u.Username, today, today.AddDays(6)))
	if err != nil {
		if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
			return nil, false, nil
		}
		return nil, false, err
	}
	days := []previewDay{}
	for i := range 7 {
		d := today.AddDays(i)
		pd := previewDay{Label: previewDate(d)}
		for _, sl := range res.Slots {
			if sl.Available && sl.Date == d {
				pd.Slots = append(pd.Slots, sl.StartTime+"–"+sl.EndTime)
			}
		}
		days = append(days, pd)
	}
	return days, res.Price != nil, nil
}
