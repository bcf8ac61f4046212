// Package webhooks runs webhook subscriptions: who may subscribe to what,
// the fan-out of each outbox event to the subscriptions that want it, and
// the rules of delivery (retry with back-off for a day, disable on 410 or
// after a day of failures). Sending one attempt is package webhook's.
package webhooks

import (
	"context"
	"log/slog"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/webhook"
)

// Store is what the service needs of storage.
type Store interface {
	vidivo.WebhookStore
	Booking(ctx context.Context, id string) (*vidivo.ScheduledCall, error)
	CallByID(ctx context.Context, id string) (*vidivo.Call, error)
	UserByID(ctx context.Context, id string) (*vidivo.User, error)
	EventType(ctx context.Context, id string) (*vidivo.EventType, error)
}

// Orgs reads organization memberships (nil: no organizations, so only
// the user scope).
type Orgs interface {
	UserMembership(ctx context.Context, userID string) (*vidivo.Membership, error)
}

// rescheduleLinks is offered by stores that link a reschedule's two
// bookings; the invitee payloads then name them.
type rescheduleLinks interface {
	RescheduleLinks(ctx context.Context, id string) (from, to string, err error)
}

// Sender makes one attempt (webhook.Client).
type Sender interface {
	Send(ctx context.Context, url string, key []byte, id string, at time.Time, body []byte) webhook.Result
}

// Service runs subscriptions and deliveries.
type Service struct {
	Store Store
	Orgs  Orgs
	// Guard checks callback URLs when they are created; Sender (built on
	// the same guard) checks every address it dials.
	Guard  webhook.Guard
	Sender Sender
	// PublicURL builds the uris in payloads.
	PublicURL string
	Now       func() time.Time
	Logger    *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}
