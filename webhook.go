package vidivo

import (
	"context"
	"strings"
	"time"
)

// Webhook events: what a subscription can ask to be told about.
const (
	// EventInviteeCreated is a booking made (a reschedule's new booking
	// too).
	EventInviteeCreated = "invitee.created"
	// EventInviteeCanceled is a booking canceled; a reschedule's old
	// booking says rescheduled: true.
	EventInviteeCanceled = "invitee.canceled"
	// EventCallStarted is a call that became active (both joined).
	EventCallStarted = "call.started"
	// EventCallCompleted is a call that ended and was billed.
	EventCallCompleted = "call.completed"
	// EventCallMissed is a call the host never joined: nothing charged.
	EventCallMissed = "call.missed"
	// EventSessionCreated, EventSessionCanceled and EventSessionEnded are
	// a group session scheduled, canceled (its fees refunded) and ended
	// (the last person left after its end).
	EventSessionCreated  = "session.created"
	EventSessionCanceled = "session.canceled"
	EventSessionEnded    = "session.ended"
	// EventParticipantPaid is a session participant's fee captured.
	EventParticipantPaid = "participant.paid"
)

// WebhookEvents lists every event name, in the order the API documents.
var WebhookEvents = []string{EventInviteeCreated, EventInviteeCanceled, EventCallStarted, EventCallCompleted, EventCallMissed,
	EventSessionCreated, EventSessionCanceled, EventSessionEnded, EventParticipantPaid}

// IsWebhookEvent reports whether name is a known event.
func IsWebhookEvent(name string) bool {
	for _, e := range WebhookEvents {
		if e == name {
			return true
		}
	}
	return false
}

// WebhookScope is whose events a subscription receives.
type WebhookScope string

const (
	// WebhookScopeUser receives the events of one user's bookings and
	// calls as their host.
	WebhookScopeUser WebhookScope = "user"
	// WebhookScopeOrganization receives the events of every member's
	// bookings and calls.
	WebhookScopeOrganization WebhookScope = "organization"
)

// WebhookState is whether a subscription is delivered to.
type WebhookState string

const (
	WebhookActive   WebhookState = "active"
	WebhookDisabled WebhookState = "disabled"
)

// Limits and timings of webhooks.
const (
	// MaxWebhookSubscriptions caps the subscriptions one user creates.
	MaxWebhookSubscriptions = 20
	// MaxWebhookURLLen bounds a callback URL.
	MaxWebhookURLLen = 2048
	// WebhookKeep is how long finished deliveries stay listed (and
	// fanned-out outbox rows kept) before the sweep removes them.
	WebhookKeep = 30 * 24 * time.Hour
	// WebhookRetryFor is how long a failing subscription is retried
	// before it is disabled; a delivery is given up after as long.
	WebhookRetryFor = 24 * time.Hour
	// webhookFirstRetry and webhookMaxRetry bound the exponential
	// back-off between attempts of one delivery.
	webhookFirstRetry = 10 * time.Second
	webhookMaxRetry   = time.Hour
)

// WebhookBackoff is the wait after failed attempt n (1-based) of a
// delivery: 10 s, 20 s, 40 s … doubling up to an hour, so a receiver that
// is down for a day is tried about 30 times.
func WebhookBackoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 10 {
		return webhookMaxRetry
	}
	return min(webhookFirstRetry<<(n-1), webhookMaxRetry)
}

// WebhookSubscription is a callback URL that receives signed events.
type WebhookSubscription struct {
	ID             string
	URL            string
	Events         []string
	Scope          WebhookScope
	OrganizationID string // set for the organization scope
	UserID         string // set for the user scope
	CreatorID      string
	// SigningKey is the shared secret deliveries are signed with
	// ("whsec_" + base64 of the key's bytes).
	SigningKey string
	State      WebhookState
	// RetryStartedAt is when deliveries began to fail (nil while the
	// receiver answers); a subscription failing for WebhookRetryFor is
	// disabled and keeps it.
	RetryStartedAt *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Wants reports whether the subscription receives event.
func (s *WebhookSubscription) Wants(event string) bool {
	for _, e := range s.Events {
		if e == event {
			return true
		}
	}
	return false
}

// JoinEvents and SplitEvents store a subscription's events as one text.
func JoinEvents(events []string) string { return strings.Join(events, " ") }
func SplitEvents(s string) []string     { return strings.Fields(s) }

// WebhookEvent is one row of the outbox: a change to a booking or a call,
// written by the database in the change's own transaction.
type WebhookEvent struct {
	ID        int64
	Event     string
	SubjectID string // the booking's or the call's id
	HostID    string
	CreatedAt time.Time
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
)

// WebhookDelivery is one event for one subscription. Its ID is the
// webhook-id every attempt carries, so a receiver can drop repeats.
type WebhookDelivery struct {
	ID             string
	SubscriptionID string
	EventID        int64
	Event          string
	// Body is the JSON envelope, fixed when the delivery was made: every
	// attempt sends the same bytes.
	Body     []byte
	Status   DeliveryStatus
	Attempts int
	// ResponseCode and Duration are the last attempt's (nil before one
	// was made or when it got no answer); Error says why it failed.
	ResponseCode *int
	Duration     *time.Duration
	Error        string
	NextAttempt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// WebhookAttempt is the outcome of one attempt, as the store records it.
type WebhookAttempt struct {
	DeliveryID string
	// Attempt is the delivery's attempt count before this one (the
	// compare-and-set: a duplicate run of the same attempt records
	// nothing).
	Attempt      int
	Status       DeliveryStatus
	ResponseCode *int
	Duration     time.Duration
	Error        string
	At           time.Time
	// Next schedules the next attempt (Status pending).
	Next *ScheduledJob
	// Subscription changes: Failing sets retry_started_at if unset,
	// Healthy clears it, Disable disables the subscription.
	Failing, Healthy, Disable bool
}

// WebhookFilter selects subscriptions to list.
type WebhookFilter struct {
	Scope          WebhookScope
	UserID         string
	OrganizationID string
	// Before is the id of the last item of the previous page.
	Before string
	Limit  int
}

// WebhookDeliveryFilter selects a subscription's deliveries to list.
type WebhookDeliveryFilter struct {
	SubscriptionID string
	Before         string
	Limit          int
}

// WebhookFanOutJob turns pending outbox events into deliveries: those of
// one booking or call (SubjectID), enqueued with its change, so fan-outs
// of different changes run side by side; or all of them (the sweep).
type WebhookFanOutJob struct {
	SubjectID string `json:"subject_id,omitempty"`
}

func (WebhookFanOutJob) Kind() string { return "webhook_fan_out" }

// WebhookDeliverJob makes the next attempt of one delivery.
type WebhookDeliverJob struct {
	DeliveryID string `json:"delivery_id"`
	Attempt    int    `json:"attempt"`
}

func (WebhookDeliverJob) Kind() string { return "webhook_deliver" }

// WebhookStore keeps subscriptions, the outbox and deliveries.
type WebhookStore interface {
	// CreateWebhookSubscription stores s (setting ID, state and times).
	// ECONFLICT when its owner already has MaxWebhookSubscriptions or a
	// subscription to the same URL in the same scope.
	CreateWebhookSubscription(ctx context.Context, s *WebhookSubscription) error
	// WebhookSubscription returns ENOTFOUND if there is no such one.
	WebhookSubscription(ctx context.Context, id string) (*WebhookSubscription, error)
	// WebhookSubscriptions returns up to f.Limit subscriptions, newest
	// first, and whether more follow.
	WebhookSubscriptions(ctx context.Context, f WebhookFilter) ([]*WebhookSubscription, bool, error)
	// DeleteWebhookSubscription removes it and its deliveries.
	DeleteWebhookSubscription(ctx context.Context, id string) error
	// SubscriptionsFor lists the active subscriptions of a user's scope
	// and (orgID not "") of an organization's.
	SubscriptionsFor(ctx context.Context, userID, orgID string) ([]*WebhookSubscription, error)

	// PendingWebhookEvents lists up to limit outbox events not yet fanned
	// out, oldest first: subjectID's, or all when it is "".
	PendingWebhookEvents(ctx context.Context, subjectID string, limit int) ([]*WebhookEvent, error)
	// FanOutWebhookEvent marks the event fanned out and stores its
	// deliveries with their first attempts' jobs, in one transaction; it
	// stores nothing (and returns false) if another worker did it first.
	FanOutWebhookEvent(ctx context.Context, eventID int64, ds []*WebhookDelivery) (bool, error)

	// WebhookDelivery returns ENOTFOUND if there is no such one.
	WebhookDelivery(ctx context.Context, id string) (*WebhookDelivery, error)
	// WebhookDeliveries lists a subscription's deliveries, newest first.
	WebhookDeliveries(ctx context.Context, f WebhookDeliveryFilter) ([]*WebhookDelivery, bool, error)
	// RecordWebhookAttempt stores an attempt's outcome, the
	// subscription's change and the next attempt's job in one
	// transaction; false when the attempt was already recorded.
	RecordWebhookAttempt(ctx context.Context, a WebhookAttempt) (bool, error)
	// PruneWebhooks removes fanned-out outbox events and finished
	// deliveries last changed before before.
	PruneWebhooks(ctx context.Context, before time.Time) error
	// RedeliverWebhook makes a finished delivery pending again with a job
	// to run now; ECONFLICT while it is still pending.
	RedeliverWebhook(ctx context.Context, id string, at time.Time) (*WebhookDelivery, error)
}
