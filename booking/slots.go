package booking

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/schedule"
)

// MaxSlotRangeDays bounds the dates one slots query covers.
const MaxSlotRangeDays = 62

// SlotsQuery asks for a host's slots on the host's dates From to To.
type SlotsQuery struct {
	Username string
	// EventType, the id or slug of an active event type of the host's,
	// cuts the slots at its duration; empty means the host's slot length.
	EventType string
	From, To  schedule.Date
}

// Slots is a host's schedule page.
type Slots struct {
	Host     *vidivo.User
	Timezone string
	// Price is nil when the host has set no price: then there are no
	// slots, as nothing could be booked.
	Price *schedule.Price
	Slots []schedule.Slot
}

// Slots returns a host's slots between two of the host's dates. Returns
// ENOTFOUND for an unknown host or an unknown or inactive event type.
func (s *Service) Slots(ctx context.Context, q SlotsQuery) (*Slots, error) {
	host, err := s.Host(ctx, q.Username)
	if err != nil {
		return nil, err
	}
	a, err := s.Availability(ctx, host.ID)
	if err != nil {
		return nil, err
	}
	if q.EventType != "" {
		e, err := s.hostEventType(ctx, host, q.EventType)
		if err != nil {
			return nil, err
		}
		if !e.Active {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "event type not found")
		}
		a.SlotMinutes = e.DurationMinutes
	}
	out := &Slots{Host: host, Timezone: a.Timezone, Slots: []schedule.Slot{}}
	p, priced, err := s.price(ctx, host.ID, a)
	if err != nil || !priced {
		return out, err
	}
	out.Price = &p
	out.Slots, err = s.slots(ctx, host.ID, a, q.From, q.To)
	return out, err
}

// slots cuts a's slots on the host's dates from to to, less bookings.
func (s *Service) slots(ctx context.Context, hostID string, a schedule.Availability, from, to schedule.Date) ([]schedule.Slot, error) {
	rules, err := a.Rules()
	if err != nil {
		return nil, err
	}
	// Host dates reach up to 14 hours either side of UTC dates, and
	// buffers a little further: read bookings two days wider.
	busy, err := s.busy(ctx, hostID, from.AddDays(-2), to.AddDays(3))
	if err != nil {
		return nil, err
	}
	return rules.Slots(from, to, busy, s.now()), nil
}

// busy returns the host's booked times between two dates (as UTC days).
func (s *Service) busy(ctx context.Context, hostID string, from, to schedule.Date) ([]schedule.Busy, error) {
	start := time.Date(from.Year, from.Month, from.Day, 0, 0, 0, 0, time.UTC)
	end := time.Date(to.Year, to.Month, to.Day, 0, 0, 0, 0, time.UTC)
	bookings, err := s.Store.BusyTimes(ctx, hostID, start, end)
	if err != nil {
		return nil, err
	}
	out := make([]schedule.Busy, len(bookings))
	for i, b := range bookings {
		out[i] = schedule.Busy{Start: b.StartsAt, End: b.EndsAt}
	}
	elsewhere, _, err := s.external(ctx, hostID, start, end, false)
	return append(out, elsewhere...), err
}

// EventTypeTimes is an event type's bookable slots.
type EventTypeTimes struct {
	EventType *vidivo.EventType
	Host      *vidivo.User
	// Slots are the available ones starting in the range asked for.
	Slots []schedule.Slot
}

// EventTypeTimes returns the bookable start times in [start, end) of an
// active event type (by id or URI): the host's available slots cut at its
// duration; none when the host has no price. Returns ENOTFOUND for an
// unknown or inactive event type, or one whose owner is not a host.
func (s *Service) EventTypeTimes(ctx context.Context, ref string, start, end time.Time) (*EventTypeTimes, error) {
	if i := strings.LastIndex(ref, "/v1/event_types/"); i >= 0 {
		ref = ref[i+len("/v1/event_types/"):]
	}
	notFound := vidivo.Errorf(vidivo.ENOTFOUND, "event type not found")
	if !isID(ref) {
		return nil, notFound
	}
	e, err := s.Store.EventType(ctx, ref)
	if err != nil {
		return nil, err
	}
	host, err := s.Store.UserByID(ctx, e.HostID)
	if err != nil {
		return nil, err
	}
	if !e.Active || !isHost(host) {
		return nil, notFound
	}
	out := &EventTypeTimes{EventType: e, Host: host, Slots: []schedule.Slot{}}
	a, err := s.Availability(ctx, host.ID)
	if err != nil {
		return nil, err
	}
	if _, priced, err := s.price(ctx, host.ID, a); err != nil || !priced {
		return out, err
	}
	a.SlotMinutes = e.DurationMinutes
	rules, err := a.Rules()
	if err != nil {
		return nil, err
	}
	loc := rules.Location()
	all, err := s.slots(ctx, host.ID, a, schedule.DateOf(start.In(loc)), schedule.DateOf(end.In(loc)))
	if err != nil {
		return nil, err
	}
	for _, sl := range all {
		if sl.Available && !sl.Start.Before(start) && sl.Start.Before(end) {
			out.Slots = append(out.Slots, sl)
		}
	}
	return out, nil
}

// BusyTime is a booked time of a host, and the span the host's buffers
// keep free around it.
type BusyTime struct {
	Start, End                 time.Time
	BufferedStart, BufferedEnd time.Time
	// External marks a busy time from the host's connected calendars.
	External bool
}

// BusyTimes returns the booked times of a host (by username, id or URI)
// whose buffered span reaches into [start, end). Returns ENOTFOUND for
// anyone who is not a host.
func (s *Service) BusyTimes(ctx context.Context, ref string, start, end time.Time) ([]BusyTime, error) {
	host, err := s.HostByRef(ctx, ref)
	if err != nil {
		return nil, err
	}
	a, err := s.Availability(ctx, host.ID)
	if err != nil {
		return nil, err
	}
	before := time.Duration(a.BufferBeforeMinutes) * time.Minute
	after := time.Duration(a.BufferAfterMinutes) * time.Minute
	bookings, err := s.Store.BusyTimes(ctx, host.ID, start.Add(-after), end.Add(before))
	if err != nil {
		return nil, err
	}
	out := make([]BusyTime, len(bookings))
	for i, b := range bookings {
		out[i] = BusyTime{Start: b.StartsAt, End: b.EndsAt, BufferedStart: b.StartsAt.Add(-before), BufferedEnd: b.EndsAt.Add(after)}
	}
	elsewhere, _, err := s.external(ctx, host.ID, start.Add(-after), end.Add(before), false)
	for _, b := range elsewhere {
		out = append(out, BusyTime{Start: b.Start, End: b.End, BufferedStart: b.Start.Add(-before), BufferedEnd: b.End.Add(after), External: true})
	}
	slices.SortStableFunc(out, func(x, y BusyTime) int { return x.Start.Compare(y.Start) })
	return out, err
}
