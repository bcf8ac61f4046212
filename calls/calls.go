// Package calls runs paid call sessions: a guest joins through a link and a
// first hold is placed, the host is rung and joins, holds are renewed
// window by window, and the call ends and is settled — or is missed, or
// fails on a billing error. Every state change is a compare-and-set in the
// store; every gateway operation is written to the ledger first and carries
// a deterministic idempotency key, so retries and crashes never charge
// twice or leave a hold open.
package calls

import (
	"context"
	"crypto/rand"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// DefaultRenewLead is how long before a window ends its successor's hold is
// placed. River promotes scheduled jobs every few seconds, so a minute
// leaves room for that and for a retry.
const DefaultRenewLead = time.Minute

// Store is the storage the service needs.
type Store interface {
	vidivo.CallStore
	Booking(ctx context.Context, id string) (*vidivo.ScheduledCall, error)
	MarkHostJoined(ctx context.Context, id string, at time.Time) error
	LinkWithHost(ctx context.Context, code string) (*vidivo.Link, *vidivo.User, error)
	UserByID(ctx context.Context, id string) (*vidivo.User, error)
}

// Notifier tells a host about an incoming call. The stream that writes
// the event to the host calls Delivered, which moves the call to ringing.
type Notifier interface {
	NotifyIncoming(hostID string, ev Incoming)
}

// Incoming is the call.incoming event.
type Incoming struct {
	CallID            string  `json:"call_id"`
	GuestName         *string `json:"guest_name"`
	RatePerMinute     string  `json:"rate_per_minute"`
	WindowSizeMinutes int     `json:"window_size_minutes"`
	ShortCode         string  `json:"short_code"`
}

// Service runs calls.
type Service struct {
	Store    Store
	Gateway  billing.Gateway
	Notifier Notifier
	// Sockets closes signaling connections of ended calls; may be nil.
	Sockets Sockets
	// PlatformFeePercent is the platform's share of each capture.
	PlatformFeePercent int
	// RenewLead is how early renewal holds are placed; zero means
	// DefaultRenewLead.
	RenewLead time.Duration
	Now       func() time.Time
	Logger    *slog.Logger
	// Metrics counts shortfalls; may be nil.
	Metrics *Metrics
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) lead() time.Duration {
	if s.RenewLead > 0 {
		return s.RenewLead
	}
	return DefaultRenewLead
}

func newID(now time.Time) string { return ulid.MustNew(ulid.Timestamp(now), rand.Reader).String() }

// Idempotency keys of the gateway operations of a call: deterministic, so a
// retry of the same step is the same operation at the gateway. A hold may
// take several attempts (a booked call's first hold after a declined card,
// or after a hold that was released because the session never started):
// each attempt is a new operation with a key of its own, and the capture
// and release of a hold carry its attempt too. Attempt 0 keeps the form
// keys had before attempts existed, so older ledgers resume unchanged.
func holdKey(callID string, window, attempt int) string {
	return withAttempt("call/"+callID+"/hold/"+strconv.Itoa(window), attempt)
}

func withAttempt(key string, attempt int) string {
	if attempt == 0 {
		return key
	}
	return key + "/" + strconv.Itoa(attempt)
}

// attemptOf is the attempt number of a hold ledger entry, read from its
// key.
func attemptOf(hold *vidivo.Charge) int {
	rest, ok := strings.CutPrefix(hold.IdempotencyKey, holdKey(hold.CallID, hold.Window, 0)+"/")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(rest)
	if err != nil {
		return 0
	}
	return n
}

// stepKey is the key of a capture or release ("capture", "release") of a
// placed hold.
func stepKey(hold *vidivo.Charge, step string) string {
	return withAttempt("call/"+hold.CallID+"/"+step+"/"+strconv.Itoa(hold.Window), attemptOf(hold))
}

// shortfallKey is the key of the ledger line recording what a call's
// holds could not cover.
func shortfallKey(callID string) string { return "call/" + callID + "/shortfall" }
