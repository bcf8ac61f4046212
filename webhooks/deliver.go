package webhooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/webhook"
)

// fanOutBatch is how many outbox events one fan-out takes at a time.
const fanOutBatch = 100

// FanOut turns the pending outbox events of one booking or call
// (subjectID), or every pending one (""), into one delivery per
// subscription that wants it, each with its first attempt's job. The
// first is the job the store enqueues with a change, the second the
// periodic sweep.
func (s *Service) FanOut(ctx context.Context, subjectID string) error {
	for {
		events, err := s.Store.PendingWebhookEvents(ctx, subjectID, fanOutBatch)
		if err != nil {
			return err
		}
		for _, e := range events {
			if err := s.fanOutOne(ctx, e); err != nil {
				return fmt.Errorf("webhooks: fan out event %d: %w", e.ID, err)
			}
		}
		if len(events) < fanOutBatch {
			return nil
		}
	}
}

// Sweep is the periodic safety net: it fans out every pending event (one
// a killed process left behind) and removes what is older than
// WebhookKeep.
func (s *Service) Sweep(ctx context.Context) error {
	if err := s.FanOut(ctx, ""); err != nil {
		return err
	}
	return s.Store.PruneWebhooks(ctx, s.now().Add(-vidivo.WebhookKeep))
}

func (s *Service) fanOutOne(ctx context.Context, e *vidivo.WebhookEvent) error {
	orgID := ""
	if s.Orgs != nil {
		m, err := s.Orgs.UserMembership(ctx, e.HostID)
		switch {
		case err == nil:
			orgID = m.OrganizationID
		case vidivo.ErrorCode(err) != vidivo.ENOTFOUND:
			return err
		}
	}
	subs, err := s.Store.SubscriptionsFor(ctx, e.HostID, orgID)
	if err != nil {
		return err
	}
	var ds []*vidivo.WebhookDelivery
	var payload any
	for _, sub := range subs {
		if !sub.Wants(e.Event) {
			continue
		}
		if payload == nil {
			if payload, err = s.payload(ctx, e); err != nil {
				return err
			}
		}
		body, err := envelope(e, s.PublicURL+"/v1/users/"+sub.CreatorID, payload)
		if err != nil {
			return err
		}
		ds = append(ds, &vidivo.WebhookDelivery{SubscriptionID: sub.ID, Event: e.Event, Body: body})
	}
	_, err = s.Store.FanOutWebhookEvent(ctx, e.ID, ds)
	return err
}

// Attempt makes attempt n (the delivery's count of attempts made so far)
// of a delivery and records the outcome: success; 410, which disables the
// subscription; or a failure retried after WebhookBackoff, until the
// subscription has failed for WebhookRetryFor (then it is disabled) or the
// delivery is that old (then it is given up). A delivery no longer pending
// or past attempt n is left alone: its job ran twice.
func (s *Service) Attempt(ctx context.Context, id string, n int) error {
	d, err := s.Store.WebhookDelivery(ctx, id)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil // its subscription was deleted
	}
	if err != nil {
		return err
	}
	if d.Status != vidivo.DeliveryPending || d.Attempts != n {
		return nil
	}
	sub, err := s.Store.WebhookSubscription(ctx, d.SubscriptionID)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	a := s.attempt(ctx, sub, d)
	if _, err := s.Store.RecordWebhookAttempt(ctx, a); err != nil {
		return err
	}
	return nil
}

// attempt sends d (unless its subscription is disabled) and decides what
// follows.
func (s *Service) attempt(ctx context.Context, sub *vidivo.WebhookSubscription, d *vidivo.WebhookDelivery) vidivo.WebhookAttempt {
	now := s.now()
	a := vidivo.WebhookAttempt{DeliveryID: d.ID, Attempt: d.Attempts, At: now}
	if sub.State != vidivo.WebhookActive {
		a.Status, a.Error = vidivo.DeliveryFailed, "the subscription was disabled"
		return a
	}
	key, err := webhook.KeyBytes(sub.SigningKey)
	if err != nil {
		a.Status, a.Error = vidivo.DeliveryFailed, "the subscription's signing key is unusable"
		return a
	}
	res := s.Sender.Send(ctx, sub.URL, key, d.ID, now, d.Body)
	a.Duration = res.Duration
	if res.Code != 0 {
		code := res.Code
		a.ResponseCode = &code
	}
	switch {
	case res.OK():
		a.Status, a.Healthy = vidivo.DeliverySucceeded, true
	case res.Gone():
		a.Status, a.Error, a.Disable = vidivo.DeliveryFailed, "the receiver answered 410 Gone: subscription disabled", true
	default:
		s.failed(&a, sub, d, res.Err, now)
	}
	return a
}

// failed fills in a failed attempt: retried later, or the end.
func (s *Service) failed(a *vidivo.WebhookAttempt, sub *vidivo.WebhookSubscription, d *vidivo.WebhookDelivery, err error, now time.Time) {
	if err == nil {
		err = errors.New("webhook: failed")
	}
	a.Error, a.Failing = err.Error(), true
	started := now
	if sub.RetryStartedAt != nil {
		started = *sub.RetryStartedAt
	}
	switch {
	case now.Sub(started) >= vidivo.WebhookRetryFor:
		a.Status, a.Disable = vidivo.DeliveryFailed, true
		a.Error += "; failing for 24 hours: subscription disabled"
	case now.Sub(d.CreatedAt) >= vidivo.WebhookRetryFor:
		a.Status = vidivo.DeliveryFailed
		a.Error += "; given up after 24 hours"
	default:
		a.Status = vidivo.DeliveryPending
		a.Next = &vidivo.ScheduledJob{Job: vidivo.WebhookDeliverJob{DeliveryID: d.ID, Attempt: d.Attempts + 1},
			RunAt: time.Now().Add(vidivo.WebhookBackoff(d.Attempts + 1))}
	}
	s.logger().Info("webhook delivery failed", "delivery", d.ID, "subscription", sub.ID, "attempt", d.Attempts+1,
		"error", err, "status", a.Status)
}
