// Package resources renders Vidivo's bookings in the shapes integrators
// know from Calendly's API v2: a booking is a scheduled event with one
// invitee, its guest. The API's reads and the webhook payloads render
// through the same functions, so a payload and a GET of its uri say the
// same thing. Everything here is pure: callers pass the stored records
// (a job has them as well as a request does).
package resources

import (
	"github.com/vidivo/vidivo"
)

// Statuses of events and invitees.
const (
	StatusActive   = "active"
	StatusCanceled = "canceled"
)

// Who canceled: the booking's host or its invitee (the guest).
const (
	CancelerHost    = "host"
	CancelerInvitee = "invitee"
)

// LocationType is where every Vidivo event takes place: its own call page.
const LocationType = "vidivo"

// Currency is the currency of every amount (vidivo.Money is US cents).
const Currency = "usd"

// timeLayout is how times are written: RFC 3339 in UTC, whole seconds, as
// the rest of the API writes them.
const timeLayout = "2006-01-02T15:04:05Z07:00"

// ScheduledEvent is a booking as an event (Calendly's scheduled event).
type ScheduledEvent struct {
	URI              string            `json:"uri"`
	Name             string            `json:"name"`
	Status           string            `json:"status"`
	StartTime        string            `json:"start_time"`
	EndTime          string            `json:"end_time"`
	EventType        *string           `json:"event_type"`
	Location         Location          `json:"location"`
	InviteesCounter  InviteesCounter   `json:"invitees_counter"`
	CreatedAt        string            `json:"created_at"`
	UpdatedAt        string            `json:"updated_at"`
	EventMemberships []EventMembership `json:"event_memberships"`
	Cancellation     *Cancellation     `json:"cancellation,omitempty"`
}

// Location is where the event takes place: the call's join page.
type Location struct {
	Type    string `json:"type"`
	JoinURL string `json:"join_url"`
}

// InviteesCounter counts an event's invitees: a Vidivo event has one.
type InviteesCounter struct {
	Total  int `json:"total"`
	Active int `json:"active"`
	Limit  int `json:"limit"`
}

// EventMembership is a host of the event.
type EventMembership struct {
	User      string `json:"user"`
	UserEmail string `json:"user_email"`
	UserName  string `json:"user_name"`
}

// Cancellation says who canceled and why; present once canceled.
type Cancellation struct {
	CanceledBy   string `json:"canceled_by"`
	Reason       string `json:"reason"`
	CancelerType string `json:"canceler_type"`
	CreatedAt    string `json:"created_at"`
}

// Invitee is a booking's guest as an invitee of its event.
type Invitee struct {
	URI           string        `json:"uri"`
	Email         string        `json:"email"`
	Name          string        `json:"name"`
	FirstName     *string       `json:"first_name"`
	LastName      *string       `json:"last_name"`
	Status        string        `json:"status"`
	Timezone      string        `json:"timezone"`
	Event         string        `json:"event"`
	CreatedAt     string        `json:"created_at"`
	UpdatedAt     string        `json:"updated_at"`
	CancelURL     string        `json:"cancel_url"`
	RescheduleURL string        `json:"reschedule_url"`
	Rescheduled   bool          `json:"rescheduled"`
	OldInvitee    *string       `json:"old_invitee"`
	NewInvitee    *string       `json:"new_invitee"`
	Tracking      Tracking      `json:"tracking"`
	Cancellation  *Cancellation `json:"cancellation,omitempty"`
	Payment       *Payment      `json:"payment,omitempty"`
}

// Tracking are the UTM parameters the booking came with; null when not
// given.
type Tracking struct {
	UTMCampaign *string `json:"utm_campaign"`
	UTMSource   *string `json:"utm_source"`
	UTMMedium   *string `json:"utm_medium"`
	UTMContent  *string `json:"utm_content"`
	UTMTerm     *string `json:"utm_term"`
}

// Payment is Vidivo's own block for a paid call: the price agreed at
// booking and, once the call has ended and settled, what it cost.
type Payment struct {
	Rate          string  `json:"rate"`
	Currency      string  `json:"currency"`
	WindowMinutes int     `json:"window_minutes"`
	BilledMinutes *int64  `json:"billed_minutes,omitempty"`
	Total         *string `json:"total,omitempty"`
}

// Details is what a rendering needs beyond the booking and its people;
// every field may be left zero.
type Details struct {
	// EventType is the event type the booking was made with, if known.
	EventType *vidivo.EventType
	// Canceler is the account that canceled the booking (its CanceledBy).
	Canceler *vidivo.User
	// Session is the booking's call once it was joined; its totals are
	// shown once it has ended.
	Session *vidivo.Call
	// RescheduledFrom is the id of the booking this one replaced;
	// RescheduledTo the id of the booking that replaced this one.
	RescheduledFrom string
	RescheduledTo   string
}

// EventURI is the scheduled event of booking id.
func EventURI(publicURL, id string) string { return publicURL + "/v1/scheduled_events/" + id }

// InviteeURI is the invitee of booking id. A Vidivo event has exactly one
// invitee, its guest, so the invitee's uuid is the booking's id too: the
// pair names the booking and nothing more needs storing.
func InviteeURI(publicURL, id string) string { return EventURI(publicURL, id) + "/invitees/" + id }

// Status is a booking's status as events and invitees say it.
func Status(b *vidivo.ScheduledCall) string {
	if b.Status == vidivo.BookingCanceled {
		return StatusCanceled
	}
	return StatusActive
}

// Event renders booking b of host as a scheduled event.
func Event(publicURL string, b *vidivo.ScheduledCall, host *vidivo.User, d Details) ScheduledEvent {
	e := ScheduledEvent{
		URI: EventURI(publicURL, b.ID), Name: eventName(host, d.EventType), Status: Status(b),
		StartTime: b.StartsAt.UTC().Format(timeLayout), EndTime: b.EndsAt.UTC().Format(timeLayout),
		Location:        Location{Type: LocationType, JoinURL: publicURL + "/join/" + b.ID},
		InviteesCounter: InviteesCounter{Total: 1, Limit: 1},
		CreatedAt:       b.CreatedAt.UTC().Format(timeLayout), UpdatedAt: updatedAt(b, nil),
		EventMemberships: []EventMembership{{User: publicURL + "/v1/users/" + host.ID, UserEmail: host.Email,
			UserName: host.DisplayName}},
		Cancellation: cancellation(b, d.Canceler),
	}
	if d.EventType != nil {
		uri := publicURL + "/v1/event_types/" + d.EventType.ID
		e.EventType = &uri
	}
	if e.Status == StatusActive {
		e.InviteesCounter.Active = 1
	}
	return e
}

// eventName is the event type's name, or what the calendar invite calls
// the call.
func eventName(host *vidivo.User, et *vidivo.EventType) string {
	if et != nil && et.Name != "" {
		return et.Name
	}
	return "Vidivo call with " + host.DisplayName
}

// InviteeOf renders the guest of booking b as its event's invitee.
func InviteeOf(publicURL string, b *vidivo.ScheduledCall, guest *vidivo.User, d Details) Invitee {
	inv := Invitee{
		URI: InviteeURI(publicURL, b.ID), Email: guest.Email, Name: guest.DisplayName, Status: Status(b),
		Timezone: guest.Timezone, Event: EventURI(publicURL, b.ID),
		CreatedAt: b.CreatedAt.UTC().Format(timeLayout), UpdatedAt: updatedAt(b, d.Session),
		CancelURL:     publicURL + "/bookings#booking-" + b.ID,
		RescheduleURL: publicURL + "/bookings/" + b.ID + "/reschedule",
		Rescheduled:   b.Rescheduled,
		Tracking:      tracking(b.Tracking),
		Cancellation:  cancellation(b, d.Canceler),
		Payment:       payment(b, d.Session),
	}
	if d.RescheduledFrom != "" {
		uri := InviteeURI(publicURL, d.RescheduledFrom)
		inv.OldInvitee = &uri
	}
	if d.RescheduledTo != "" {
		uri := InviteeURI(publicURL, d.RescheduledTo)
		inv.NewInvitee = &uri
	}
	return inv
}

// updatedAt is the last change to the booking: its cancellation, or the
// end of its call, or its creation.
func updatedAt(b *vidivo.ScheduledCall, session *vidivo.Call) string {
	t := b.CreatedAt
	if b.CanceledAt != nil && b.CanceledAt.After(t) {
		t = *b.CanceledAt
	}
	if session != nil && session.EndedAt != nil && session.EndedAt.After(t) {
		t = *session.EndedAt
	}
	return t.UTC().Format(timeLayout)
}

// cancellation is the block of a canceled booking: the canceler's name
// (empty if their account is not known), the reason given (may be empty)
// and whether the host or the invitee canceled. Anyone but the guest who
// cancels (the host, an admin) cancels on the host's side.
func cancellation(b *vidivo.ScheduledCall, canceler *vidivo.User) *Cancellation {
	if b.Status != vidivo.BookingCanceled {
		return nil
	}
	c := &Cancellation{CancelerType: CancelerHost}
	if b.CanceledBy != nil && *b.CanceledBy == b.GuestID {
		c.CancelerType = CancelerInvitee
	}
	if canceler != nil {
		c.CanceledBy = canceler.DisplayName
	}
	if b.CancelReason != nil {
		c.Reason = *b.CancelReason
	}
	if b.CanceledAt != nil {
		c.CreatedAt = b.CanceledAt.UTC().Format(timeLayout)
	}
	return c
}

func tracking(t vidivo.Tracking) Tracking {
	opt := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	return Tracking{UTMCampaign: opt(t.UTMCampaign), UTMSource: opt(t.UTMSource), UTMMedium: opt(t.UTMMedium),
		UTMContent: opt(t.UTMContent), UTMTerm: opt(t.UTMTerm)}
}

// payment is the block of a paid booking (a rate above zero): the rate
// and window agreed at booking, and once its call has ended (settled:
// completed, missed or failed) the minutes billed and the total charged.
func payment(b *vidivo.ScheduledCall, session *vidivo.Call) *Payment {
	if b.Rate <= 0 {
		return nil
	}
	p := &Payment{Rate: b.Rate.String(), Currency: Currency, WindowMinutes: b.WindowMinutes}
	if session != nil && session.Status.Ended() {
		minutes, total := session.BilledMinutes, session.TotalCharged.String()
		p.BilledMinutes, p.Total = &minutes, &total
	}
	return p
}

// InviteeWithEvent is an invitee with its scheduled event embedded, as
// Calendly's invitee webhooks carry it: the invitee's fields, then
// "scheduled_event".
type InviteeWithEvent struct {
	Invitee
	ScheduledEvent ScheduledEvent `json:"scheduled_event"`
}

// InviteePayload renders booking b as an invitee webhook's payload.
func InviteePayload(publicURL string, b *vidivo.ScheduledCall, host, guest *vidivo.User, d Details) InviteeWithEvent {
	return InviteeWithEvent{Invitee: InviteeOf(publicURL, b, guest, d), ScheduledEvent: Event(publicURL, b, host, d)}
}
