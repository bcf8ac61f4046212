package schedule

import (
	"time"

	vidivo "github.com/vidivo/vidivo"
)

// DefaultWindowMinutes is the billing window of a host's scheduled calls
// when the availability sets a rate without a window and the host has no
// active call link to take one from. It applies only to a priced host: a
// host without a rate has no window either.
const DefaultWindowMinutes = 10

// Price is what a host's scheduled calls cost.
type Price struct {
	Rate          vidivo.Money
	WindowMinutes int
}

// NeedsLink reports whether Price would read anything from the host's
// active call link, so callers fetch the link only then.
func (a Availability) NeedsLink() bool {
	return a.RatePerMinute == nil || a.WindowSizeMinutes == nil
}

// Price is the one rule for what a host's scheduled calls cost: the
// availability's rate and window, each falling back to link (the host's
// active call link, nil if none), and the window to DefaultWindowMinutes
// once a rate is known. ok is false when neither sets a rate: such a host
// offers no slots and cannot be booked.
func (a Availability) Price(link *vidivo.Link) (p Price, ok bool) {
	switch {
	case a.RatePerMinute != nil:
		p.Rate, ok = vidivo.ParseMoney(*a.RatePerMinute)
	case link != nil:
		p.Rate, ok = link.Rate, true
	}
	if !ok {
		return Price{}, false
	}
	switch {
	case a.WindowSizeMinutes != nil:
		p.WindowMinutes = *a.WindowSizeMinutes
	case link != nil:
		p.WindowMinutes = link.WindowMinutes
	default:
		p.WindowMinutes = DefaultWindowMinutes
	}
	return p, true
}

// Limits are the availability's rules the store enforces when it books:
// the larger buffer as the margin around other bookings (the rule Slots
// and Rules.Conflicts follow) and the per-guest cap.
func (a Availability) Limits() vidivo.BookingLimits {
	return vidivo.BookingLimits{
		Margin:              time.Duration(max(a.BufferBeforeMinutes, a.BufferAfterMinutes)) * time.Minute,
		MaxUpcomingPerGuest: a.MaxUpcomingBookingsPerGuest,
	}
}
