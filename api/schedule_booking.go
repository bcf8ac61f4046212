package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/ical"
	"github.com/vidivo/vidivo/schedule"
)

// maxSlotRangeDays bounds GET /v1/schedule/{username}.
const maxSlotRangeDays = 62

// hostAvailability returns a host's stored availability, or the defaults
// (no hours) when none is set.
func (s *Server) hostAvailability(ctx context.Context, hostID string) (schedule.Availability, error) {
	doc, err := s.Schedule.Availability(ctx, hostID)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return schedule.Defaults(), nil
	}
	if err != nil {
		return schedule.Availability{}, err
	}
	var a schedule.Availability
	if err := json.Unmarshal(doc, &a); err != nil {
		return schedule.Availability{}, err
	}
	return a, nil
}

func (s *Server) handleAvailabilityGet(w http.ResponseWriter, r *http.Request) error {
	a, err := s.hostAvailability(r.Context(), CallerFrom(r.Context()).Subject)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) handleAvailabilityPut(w http.ResponseWriter, r *http.Request) error {
	var a schedule.Availability
	if err := decodeJSON(r, &a); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	a.Normalize()
	doc, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if err := s.Schedule.PutAvailability(r.Context(), CallerFrom(r.Context()).Subject, doc); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// price is what a host's scheduled calls cost: the availability's rate and
// window, each falling back to the host's active call link. ok is false
// when neither sets a rate.
func (s *Server) price(ctx context.Context, host *vidivo.User, a schedule.Availability) (rate vidivo.Money, window int, ok bool) {
	var link *vidivo.Link
	// The link is read only when the availability leaves something unset.
	if a.RatePerMinute == nil || a.WindowSizeMinutes == nil {
		if l, err := s.Links.ActiveLink(ctx, host.ID, s.now()); err == nil {
			link = l
		}
	}
	if a.RatePerMinute != nil {
		rate, ok = vidivo.ParseMoney(*a.RatePerMinute)
	} else if link != nil {
		rate, ok = link.Rate, true
	}
	switch {
	case a.WindowSizeMinutes != nil:
		window = *a.WindowSizeMinutes
	case link != nil:
		window = link.WindowMinutes
	default:
		window = 10
	}
	return rate, window, ok
}

// bookableHost finds a host by username: 404 for anyone else.
func (s *Server) bookableHost(ctx context.Context, username string) (*vidivo.User, error) {
	u, _, err := s.Users.UserByLogin(ctx, username)
	if err != nil || u.Username != strings.ToLower(username) || (u.Role != vidivo.RoleHost && u.Role != vidivo.RoleAdmin) {
		if err != nil && vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
			return nil, err
		}
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "host not found")
	}
	return u, nil
}

type slotHost struct {
	DisplayName       string  `json:"display_name"`
	Username          string  `json:"username"`
	Timezone          string  `json:"timezone"`
	RatePerMinute     *string `json:"rate_per_minute"`
	WindowSizeMinutes int     `json:"window_size_minutes"`
}

// handleScheduleSlots is GET /v1/schedule/{username}: the host's slots
// between two of the host's dates, cut at the length of an active event
// type of the host's when ?event_type= names one (by slug or id).
func (s *Server) handleScheduleSlots(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	from, to, err := dateRange(r)
	if err != nil {
		return err
	}
	host, err := s.bookableHost(ctx, r.PathValue("username"))
	if err != nil {
		return err
	}
	a, err := s.hostAvailability(ctx, host.ID)
	if err != nil {
		return err
	}
	if ref := r.URL.Query().Get("event_type"); ref != "" {
		e, err := s.activeEventType(ctx, host, ref)
		if err != nil {
			return err
		}
		a.SlotMinutes = e.DurationMinutes
	}
	rules, err := a.Rules()
	if err != nil {
		return err
	}
	// Host dates reach up to 14 hours either side of UTC dates, and
	// buffers a little further: read bookings two days wider.
	busy, err := s.busy(ctx, host.ID, from.AddDays(-2), to.AddDays(3))
	if err != nil {
		return err
	}
	rate, window, priced := s.price(ctx, host, a)
	out := slotsPage{Host: slotHost{DisplayName: host.DisplayName, Username: host.Username, Timezone: a.Timezone, WindowSizeMinutes: window},
		Slots: appendSlots(make([]byte, 0, 16<<10), rules.Slots(from, to, busy, s.now()))}
	if priced {
		r := rate.String()
		out.Host.RatePerMinute = &r
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// busy returns the host's booked times between two dates (as UTC days).
func (s *Server) busy(ctx context.Context, hostID string, from, to schedule.Date) ([]schedule.Busy, error) {
	start := time.Date(from.Year, from.Month, from.Day, 0, 0, 0, 0, time.UTC)
	end := time.Date(to.Year, to.Month, to.Day, 0, 0, 0, 0, time.UTC)
	bookings, err := s.Schedule.BusyTimes(ctx, hostID, start, end)
	if err != nil {
		return nil, err
	}
	out := make([]schedule.Busy, len(bookings))
	for i, b := range bookings {
		out[i] = schedule.Busy{Start: b.StartsAt, End: b.EndsAt}
	}
	return out, nil
}

// dateRange reads start_date and end_date: both required, end not before
// start, at most 62 days.
func dateRange(r *http.Request) (from, to schedule.Date, err error) {
	q := r.URL.Query()
	var errs []vidivo.FieldError
	from, ferr := schedule.ParseDate(q.Get("start_date"))
	if ferr != nil {
		errs = append(errs, vidivo.FieldError{Field: "start_date", Issue: "must be a date such as 2026-03-15"})
	}
	to, terr := schedule.ParseDate(q.Get("end_date"))
	if terr != nil {
		errs = append(errs, vidivo.FieldError{Field: "end_date", Issue: "must be a date such as 2026-03-22"})
	}
	if ferr == nil && terr == nil {
		switch days := from.DaysUntil(to); {
		case days < 0:
			errs = append(errs, vidivo.FieldError{Field: "end_date", Issue: "must not be before start_date"})
		case days >= maxSlotRangeDays:
			errs = append(errs, vidivo.FieldError{Field: "end_date", Issue: "the range must be at most 62 days"})
		}
	}
	if len(errs) > 0 {
		return from, to, vidivo.Invalid(errs...)
	}
	return from, to, nil
}

type bookRequest struct {
	HostUsername string `json:"host_username"`
	ScheduledAt  string `json:"scheduled_at"`
	// DurationMinutes may be left out when EventType gives it.
	DurationMinutes *int    `json:"duration_minutes"`
	EventType       *string `json:"event_type"`
	Note            *string `json:"note"`
	PaymentMethodID *string `json:"payment_method_id"`
}

// handleScheduleBook is POST /v1/schedule/book: the caller books time with
// a host. The database guarantees no double booking; buffers around other
// bookings are checked here.
func (s *Server) handleScheduleBook(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var in bookRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	start, err := bookingTime(in.ScheduledAt, in.Note)
	if err != nil {
		return err
	}
	if in.HostUsername == "" {
		return vidivo.Invalid(vidivo.FieldError{Field: "host_username", Issue: "is required"})
	}
	host, err := s.bookableHost(ctx, in.HostUsername)
	if err != nil {
		return err
	}
	guest := CallerFrom(ctx).Subject
	if guest == host.ID {
		return vidivo.Invalid(vidivo.FieldError{Field: "host_username", Issue: "you cannot book yourself"})
	}
	minutes, err := s.bookingMinutes(ctx, host, in.EventType, in.DurationMinutes)
	if err != nil {
		return err
	}
	b, err := s.newBooking(ctx, host, guest, start, minutes)
	if err != nil {
		return err
	}
	b.Note, b.PaymentMethodID = in.Note, in.PaymentMethodID
	if err := s.Schedule.Book(ctx, b); err != nil {
		return err
	}
	return s.writeBooking(w, r, http.StatusCreated, b)
}

// newBooking checks a proposed time against the host's availability,
// buffers and price, and returns the booking to store.
func (s *Server) newBooking(ctx context.Context, host *vidivo.User, guestID string, start time.Time, minutes int) (*vidivo.ScheduledCall, error) {
	a, err := s.hostAvailability(ctx, host.ID)
	if err != nil {
		return nil, err
	}
	rules, err := a.Rules()
	if err != nil {
		return nil, err
	}
	d := time.Duration(minutes) * time.Minute
	if err := rules.Check(start, d, s.now()); err != nil {
		return nil, err
	}
	from := schedule.DateOf(start.UTC())
	busy, err := s.busy(ctx, host.ID, from.AddDays(-1), from.AddDays(2))
	if err != nil {
		return nil, err
	}
	if rules.Conflicts(start, d, busy) {
		return nil, vidivo.Errorf(vidivo.ECONFLICT, "this time slot is already booked")
	}
	rate, window, ok := s.price(ctx, host, a)
	if !ok {
		return nil, vidivo.Errorf(vidivo.ECONFLICT, "this host has not set a price for scheduled calls")
	}
	return &vidivo.ScheduledCall{HostID: host.ID, GuestID: guestID, StartsAt: start.UTC(), EndsAt: start.Add(d).UTC(),
		DurationMinutes: minutes, Rate: rate, WindowMinutes: window}, nil
}

// bookingTime parses scheduled_at and checks the note.
func bookingTime(at string, note *string) (time.Time, error) {
	var errs []vidivo.FieldError
	start, err := time.Parse(time.RFC3339, at)
	if err != nil {
		errs = append(errs, vidivo.FieldError{Field: "scheduled_at", Issue: `must be an RFC 3339 time such as "2026-03-16T14:00:00Z"`})
	}
	if note != nil && (utf8.RuneCountInString(*note) > vidivo.MaxNoteLen || !utf8.ValidString(*note)) {
		errs = append(errs, vidivo.FieldError{Field: "note", Issue: "must be at most 1000 characters"})
	}
	if len(errs) > 0 {
		return start, vidivo.Invalid(errs...)
	}
	return start, nil
}

func (s *Server) writeBooking(w http.ResponseWriter, r *http.Request, status int, b *vidivo.ScheduledCall) error {
	j, err := s.scheduledCallJSON(r.Context(), b)
	if err != nil {
		return err
	}
	writeJSON(w, status, map[string]scheduledCallJSON{"scheduled_call": j})
	return nil
}

type rescheduleRequest struct {
	ScheduledAt     string `json:"scheduled_at"`
	DurationMinutes int    `json:"duration_minutes"`
}

// handleScheduleReschedule cancels a booking as rescheduled and books the
// new time in one transaction: if the new time is taken nothing changes.
func (s *Server) handleScheduleReschedule(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var in rescheduleRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	start, err := bookingTime(in.ScheduledAt, nil)
	if err != nil {
		return err
	}
	old, err := s.participantBooking(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if old.Status != vidivo.BookingConfirmed || !s.now().Before(old.StartsAt) {
		return vidivo.Errorf(vidivo.ECONFLICT, "only a confirmed booking that has not started can be rescheduled")
	}
	host, err := s.Users.UserByID(ctx, old.HostID)
	if err != nil {
		return err
	}
	next, err := s.newBooking(ctx, host, old.GuestID, start, in.DurationMinutes)
	if err != nil {
		return err
	}
	next.Note, next.PaymentMethodID = old.Note, old.PaymentMethodID
	if err := s.Schedule.Reschedule(ctx, old.ID, CallerFrom(ctx).Subject, next); err != nil {
		return err
	}
	return s.writeBooking(w, r, http.StatusCreated, next)
}

// handleScheduleCalendar is GET /v1/schedule/{id}/calendar: the .ics
// invite (or cancellation) of a booking, for its participants.
func (s *Server) handleScheduleCalendar(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	b, err := s.participantBooking(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	host, err := s.Users.UserByID(ctx, b.HostID)
	if err != nil {
		return err
	}
	guest, err := s.Users.UserByID(ctx, b.GuestID)
	if err != nil {
		return err
	}
	join := s.PublicURL + "/join/" + b.ID
	desc := "Join the call: " + join
	if b.Note != nil && *b.Note != "" {
		desc = *b.Note + "\n\n" + desc
	}
	stamp := b.CreatedAt
	if b.CanceledAt != nil {
		stamp = *b.CanceledAt
	}
	ev := ical.Event{
		UID: b.ID + "@vidivo", Sequence: b.Sequence, Stamp: stamp, Start: b.StartsAt, End: b.EndsAt,
		Summary: "Vidivo call with " + host.DisplayName, Description: desc, URL: join,
		Organizer: ical.Person{Name: host.DisplayName, Email: host.Email},
		Attendees: []ical.Person{{Name: guest.DisplayName, Email: guest.Email}},
		Canceled:  b.Status == vidivo.BookingCanceled,
	}
	if err := ev.Validate(); err != nil {
		return err
	}
	w.Header().Set("Content-Type", ical.ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename=vidivo-call.ics")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(ev.Marshal())
	return nil
}
