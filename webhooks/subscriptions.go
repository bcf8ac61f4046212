package webhooks

import (
	"context"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/webhook"
)

// NewSubscription is a request to subscribe.
type NewSubscription struct {
	URL    string
	Events []string
	Scope  vidivo.WebhookScope
	// UserID and OrganizationID are the ids the request's uris named
	// ("" when not given).
	UserID, OrganizationID string
	// SigningKey is the caller's key, or "" for a generated one.
	SigningKey string
}

// Create validates and stores a subscription by callerID. A user
// subscribes for themselves; an organization's owners and admins for it.
func (s *Service) Create(ctx context.Context, callerID string, in NewSubscription) (*vidivo.WebhookSubscription, error) {
	if err := s.validate(in); err != nil {
		return nil, err
	}
	sub := &vidivo.WebhookSubscription{URL: in.URL, Events: dedupe(in.Events), Scope: in.Scope, CreatorID: callerID,
		SigningKey: in.SigningKey}
	if sub.SigningKey == "" {
		sub.SigningKey = webhook.NewKey()
	}
	switch in.Scope {
	case vidivo.WebhookScopeUser:
		if in.UserID != callerID {
			return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "a user-scoped subscription is for your own user only")
		}
		if in.OrganizationID != "" {
			if _, err := s.member(ctx, callerID, in.OrganizationID); err != nil {
				return nil, err
			}
		}
		sub.UserID = callerID
	case vidivo.WebhookScopeOrganization:
		if err := s.canReadOrganization(ctx, callerID, in.OrganizationID); err != nil {
			return nil, err
		}
		sub.OrganizationID = in.OrganizationID
	}
	if err := s.Store.CreateWebhookSubscription(ctx, sub); err != nil {
		return nil, err
	}
	return sub, nil
}

// validate checks a request's fields, naming each problem.
func (s *Service) validate(in NewSubscription) error {
	var errs []vidivo.FieldError
	if issue := s.Guard.CheckURL(in.URL); issue != "" {
		errs = append(errs, vidivo.FieldError{Field: "url", Issue: issue})
	}
	if len(in.Events) == 0 {
		errs = append(errs, vidivo.FieldError{Field: "events", Issue: "must name at least one event"})
	}
	for _, e := range in.Events {
		if !vidivo.IsWebhookEvent(e) {
			errs = append(errs, vidivo.FieldError{Field: "events",
				Issue: "must be among invitee.created, invitee.canceled, call.started, call.completed, call.missed"})
			break
		}
	}
	switch in.Scope {
	case vidivo.WebhookScopeUser:
		if in.UserID == "" {
			errs = append(errs, vidivo.FieldError{Field: "user", Issue: "is required for the user scope"})
		}
	case vidivo.WebhookScopeOrganization:
		if in.OrganizationID == "" {
			errs = append(errs, vidivo.FieldError{Field: "organization", Issue: "is required for the organization scope"})
		}
	default:
		errs = append(errs, vidivo.FieldError{Field: "scope", Issue: `must be "user" or "organization"`})
	}
	if in.SigningKey != "" {
		if _, err := webhook.KeyBytes(in.SigningKey); err != nil {
			errs = append(errs, vidivo.FieldError{Field: "signing_key", Issue: err.Error()})
		}
	}
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	return nil
}

func dedupe(events []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range events {
		if !seen[e] {
			seen[e], out = true, append(out, e)
		}
	}
	return out
}

// member returns callerID's membership of orgID; EFORBIDDEN when they are
// not its member.
func (s *Service) member(ctx context.Context, callerID, orgID string) (*vidivo.Membership, error) {
	if s.Orgs == nil {
		return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "you are not a member of this organization")
	}
	m, err := s.Orgs.UserMembership(ctx, callerID)
	switch {
	case vidivo.ErrorCode(err) == vidivo.ENOTFOUND:
		return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "you are not a member of this organization")
	case err != nil:
		return nil, err
	case m.OrganizationID != orgID:
		return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "you are not a member of this organization")
	}
	return m, nil
}

// canReadOrganization is nil for owners and admins of orgID.
func (s *Service) canReadOrganization(ctx context.Context, callerID, orgID string) error {
	m, err := s.member(ctx, callerID, orgID)
	if err != nil {
		return err
	}
	if !m.CanReadOrganization() {
		return vidivo.Errorf(vidivo.EFORBIDDEN, "only the organization's owners and admins may do this")
	}
	return nil
}

// Get returns a subscription callerID may see: their own user-scoped
// ones, and their organization's if they are its owner or admin. Others'
// are ENOTFOUND, so ids reveal nothing.
func (s *Service) Get(ctx context.Context, callerID, id string) (*vidivo.WebhookSubscription, error) {
	if !vidivo.IsID(id) {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "webhook subscription not found")
	}
	sub, err := s.Store.WebhookSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	switch sub.Scope {
	case vidivo.WebhookScopeUser:
		if sub.UserID == callerID {
			return sub, nil
		}
	case vidivo.WebhookScopeOrganization:
		if s.canReadOrganization(ctx, callerID, sub.OrganizationID) == nil {
			return sub, nil
		}
	}
	return nil, vidivo.Errorf(vidivo.ENOTFOUND, "webhook subscription not found")
}

// List returns a page of subscriptions of f's scope, which callerID must
// be allowed to read.
func (s *Service) List(ctx context.Context, callerID string, f vidivo.WebhookFilter) ([]*vidivo.WebhookSubscription, bool, error) {
	switch f.Scope {
	case vidivo.WebhookScopeUser:
		if f.UserID != callerID {
			return nil, false, vidivo.Errorf(vidivo.EFORBIDDEN, "you may list only your own user-scoped subscriptions")
		}
	case vidivo.WebhookScopeOrganization:
		if err := s.canReadOrganization(ctx, callerID, f.OrganizationID); err != nil {
			return nil, false, err
		}
	}
	return s.Store.WebhookSubscriptions(ctx, f)
}

// Delete removes a subscription callerID may see.
func (s *Service) Delete(ctx context.Context, callerID, id string) error {
	if _, err := s.Get(ctx, callerID, id); err != nil {
		return err
	}
	return s.Store.DeleteWebhookSubscription(ctx, id)
}

// Deliveries lists a subscription's deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, callerID string, f vidivo.WebhookDeliveryFilter) ([]*vidivo.WebhookDelivery, bool, error) {
	if _, err := s.Get(ctx, callerID, f.SubscriptionID); err != nil {
		return nil, false, err
	}
	return s.Store.WebhookDeliveries(ctx, f)
}

// Redeliver sends a finished delivery again, with its webhook-id and
// body, now. A disabled subscription is sent nothing.
func (s *Service) Redeliver(ctx context.Context, callerID, subID, id string) (*vidivo.WebhookDelivery, error) {
	sub, err := s.Get(ctx, callerID, subID)
	if err != nil {
		return nil, err
	}
	d, err := s.delivery(ctx, sub.ID, id)
	if err != nil {
		return nil, err
	}
	if sub.State != vidivo.WebhookActive {
		return nil, vidivo.Errorf(vidivo.ECONFLICT, "the subscription is disabled; create a new one to receive events again")
	}
	return s.Store.RedeliverWebhook(ctx, d.ID, s.now())
}

// delivery returns subID's delivery id, or ENOTFOUND.
func (s *Service) delivery(ctx context.Context, subID, id string) (*vidivo.WebhookDelivery, error) {
	if !vidivo.IsID(id) {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "webhook delivery not found")
	}
	d, err := s.Store.WebhookDelivery(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.SubscriptionID != subID {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "webhook delivery not found")
	}
	return d, nil
}
