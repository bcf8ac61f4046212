package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/resources"
)

// timeLayout writes times as the API does: RFC 3339, UTC, whole seconds.
const timeLayout = "2006-01-02T15:04:05Z07:00"

// Envelope is every delivery's body.
type Envelope struct {
	Event     string `json:"event"`
	CreatedAt string `json:"created_at"`
	// CreatedBy is the user who created the subscription, as Calendly
	// writes it.
	CreatedBy string `json:"created_by"`
	Payload   any    `json:"payload"`
}

func envelope(e *vidivo.WebhookEvent, createdBy string, payload any) ([]byte, error) {
	b, err := json.Marshal(Envelope{Event: e.Event, CreatedAt: e.CreatedAt.UTC().Format(timeLayout), CreatedBy: createdBy,
		Payload: payload})
	if err != nil {
		return nil, fmt.Errorf("webhooks: envelope: %w", err)
	}
	return b, nil
}

// payload renders the event's subject as it was when the event happened.
func (s *Service) payload(ctx context.Context, e *vidivo.WebhookEvent) (any, error) {
	switch e.Event {
	case vidivo.EventInviteeCreated, vidivo.EventInviteeCanceled:
		return s.inviteePayload(ctx, e)
	case vidivo.EventSessionCreated, vidivo.EventSessionCanceled, vidivo.EventSessionEnded, vidivo.EventParticipantPaid:
		return s.sessionPayload(ctx, e)
	default:
		return s.callPayload(ctx, e)
	}
}

// inviteePayload is the invitee with its event embedded, as GET
// /v1/scheduled_events/{uuid}/invitees/{uuid} renders it. A booking
// changes after it is made only by being canceled (a reschedule cancels
// it too), so invitee.created shows the booking with its cancellation
// taken off: what was created, even when delivered after the cancel.
func (s *Service) inviteePayload(ctx context.Context, e *vidivo.WebhookEvent) (any, error) {
	b, err := s.Store.Booking(ctx, e.SubjectID)
	if err != nil {
		return nil, err
	}
	host, err := s.Store.UserByID(ctx, b.HostID)
	if err != nil {
		return nil, err
	}
	guest, err := s.Store.UserByID(ctx, b.GuestID)
	if err != nil {
		return nil, err
	}
	var d resources.Details
	if b.EventTypeID != nil {
		if d.EventType, err = s.Store.EventType(ctx, *b.EventTypeID); err != nil {
			return nil, err
		}
	}
	if rl, ok := s.Store.(rescheduleLinks); ok {
		if d.RescheduledFrom, d.RescheduledTo, err = rl.RescheduleLinks(ctx, b.ID); err != nil {
			return nil, err
		}
	}
	if e.Event == vidivo.EventInviteeCreated {
		snap := *b
		snap.Status, snap.CanceledAt, snap.CanceledBy, snap.CancelReason = vidivo.BookingConfirmed, nil, nil, nil
		snap.Rescheduled, d.RescheduledTo = false, ""
		b = &snap
	} else if b.CanceledBy != nil && vidivo.IsID(*b.CanceledBy) {
		if c, err := s.Store.UserByID(ctx, *b.CanceledBy); err == nil {
			d.Canceler = c
		}
	}
	return resources.InviteePayload(s.PublicURL, b, host, guest, d), nil
}

// CallPayload is a call.* event's payload: the call and, once it has
// ended, what it cost.
type CallPayload struct {
	URI             string  `json:"uri"`
	Status          string  `json:"status"`
	Host            string  `json:"host"`
	GuestName       *string `json:"guest_name"`
	GuestEmail      *string `json:"guest_email"`
	ScheduledEvent  *string `json:"scheduled_event"`
	CreatedAt       string  `json:"created_at"`
	StartedAt       *string `json:"started_at"`
	EndedAt         *string `json:"ended_at"`
	EndReason       *string `json:"end_reason"`
	DurationSeconds int64   `json:"duration_seconds"`
	BilledMinutes   int64   `json:"billed_minutes"`
	Rate            string  `json:"rate"`
	Total           string  `json:"total"`
	Currency        string  `json:"currency"`
}

// callPayload renders the call as of the event: call.started shows the
// call active, before its end (which is the call's only later change).
func (s *Service) callPayload(ctx context.Context, e *vidivo.WebhookEvent) (any, error) {
	c, err := s.Store.CallByID(ctx, e.SubjectID)
	if err != nil {
		return nil, err
	}
	p := CallPayload{URI: s.PublicURL + "/v1/calls/" + c.ID, Status: string(c.Status), Host: s.PublicURL + "/v1/users/" + c.HostID,
		GuestName: c.GuestName, GuestEmail: c.GuestEmail, CreatedAt: formatTime(c.CreatedAt), StartedAt: formatPtr(c.ActiveAt),
		EndedAt: formatPtr(c.EndedAt), EndReason: c.EndReason, DurationSeconds: c.DurationSeconds,
		BilledMinutes: c.BilledMinutes, Rate: c.Rate.String(), Total: c.TotalCharged.String(), Currency: resources.Currency}
	if c.ScheduledAt != nil {
		uri := resources.EventURI(s.PublicURL, c.ID)
		p.ScheduledEvent = &uri
	}
	if e.Event == vidivo.EventCallStarted {
		p.Status, p.EndedAt, p.EndReason = string(vidivo.CallActive), nil, nil
		p.DurationSeconds, p.BilledMinutes, p.Total = 0, 0, vidivo.Money(0).String()
	}
	return p, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func formatPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}
