package booking

import (
	"context"
	"strings"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/resources"
)

// EventStore is the storage the scheduled-event reads need.
type EventStore interface {
	vidivo.ScheduledEventStore
	Booking(ctx context.Context, id string) (*vidivo.ScheduledCall, error)
	UserByID(ctx context.Context, id string) (*vidivo.User, error)
	CallByID(ctx context.Context, id string) (*vidivo.Call, error)
	EventType(ctx context.Context, id string) (*vidivo.EventType, error)
}

// Organizations says who belongs to which organization.
type Organizations interface {
	Membership(ctx context.Context, orgID, userID string) (*vidivo.Membership, error)
	UserMembership(ctx context.Context, userID string) (*vidivo.Membership, error)
	OrganizationMemberIDs(ctx context.Context, orgID string) ([]string, error)
}

// Events serves bookings to integrators as scheduled events and invitees
// (Calendly's API v2 reads), and renders them for webhook payloads. Who
// may read a booking: its host, its guest, a platform admin, and the
// owners and admins of the host's organization. Anyone else is told it
// does not exist.
type Events struct {
	Store EventStore
	// Orgs answers organization membership; nil means there are no
	// organizations (only the participants and admins read).
	Orgs Organizations
	// PublicURL builds the resources' URIs (no trailing slash).
	PublicURL string
}

var errEventNotFound = vidivo.Errorf(vidivo.ENOTFOUND, "scheduled event not found")

// EventQuery is GET /v1/scheduled_events: the filter apart from whose
// events, and the scope.
type EventQuery struct {
	Caller vidivo.Caller
	// User and Organization are URIs (or ids); at least one is set.
	User, Organization string
	// Filter is the rest; its HostIDs and GuestID are set from the scope.
	Filter vidivo.EventFilter
}

// EventList is one page of scheduled events; First and Last are the keys
// of its first and last rows (nil on an empty page).
type EventList struct {
	Events      []resources.ScheduledEvent
	First, Last *vidivo.EventKey
	More        bool
	// Scope names whose events these are (user and organization ids), for
	// binding page tokens to the list they page.
	Scope string
}

// List returns one page of the scheduled events the query selects. A
// user's own list holds the events they host and the ones they booked; an
// organization's owner or admin reads the events its members host (of one
// member with user as well, or of a member given alone by user). A member
// asking for the organization, or anyone for a user who is neither they
// nor a member of an organization they own or administer, is EFORBIDDEN;
// URIs of the wrong shape are EVALIDATION naming the parameter.
func (e *Events) List(ctx context.Context, q EventQuery) (*EventList, error) {
	f := q.Filter
	userID, orgID, err := parseScope(q.User, q.Organization)
	if err != nil {
		return nil, err
	}
	if orgID != "" {
		f.HostIDs, err = e.organizationHosts(ctx, q.Caller, orgID, userID)
	} else {
		f.HostIDs, f.GuestID, err = e.userScope(ctx, q.Caller, userID)
	}
	if err != nil {
		return nil, err
	}
	page, err := e.Store.ScheduledEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &EventList{Events: make([]resources.ScheduledEvent, 0, len(page.Calls)), More: page.More,
		Scope: "u:" + userID + ",o:" + orgID}
	users := newReadCache(e.Store)
	for _, b := range page.Calls {
		ev, err := e.event(ctx, b, users)
		if err != nil {
			return nil, err
		}
		out.Events = append(out.Events, ev)
	}
	if n := len(page.Calls); n > 0 {
		out.First = &vidivo.EventKey{StartsAt: page.Calls[0].StartsAt, ID: page.Calls[0].ID}
		out.Last = &vidivo.EventKey{StartsAt: page.Calls[n-1].StartsAt, ID: page.Calls[n-1].ID}
	}
	return out, nil
}

// parseScope reads the user and organization parameters: URIs ending in
// /v1/users/{id} and /v1/organizations/{id}, or the bare ids.
func parseScope(user, org string) (userID, orgID string, err error) {
	var errs []vidivo.FieldError
	if user == "" && org == "" {
		return "", "", vidivo.Invalid(vidivo.FieldError{Field: "user", Issue: "user or organization is required"})
	}
	if user != "" {
		if userID = refID(user, "/v1/users/"); userID == "" {
			errs = append(errs, vidivo.FieldError{Field: "user", Issue: "must be a user URI"})
		}
	}
	if org != "" {
		if orgID = refID(org, "/v1/organizations/"); orgID == "" {
			errs = append(errs, vidivo.FieldError{Field: "organization", Issue: "must be an organization URI"})
		}
	}
	if len(errs) > 0 {
		return "", "", vidivo.Invalid(errs...)
	}
	return userID, orgID, nil
}

// refID is the id a URI (…/v1/users/{id}) or a bare id names, or "".
func refID(ref, prefix string) string {
	if i := strings.LastIndex(ref, prefix); i >= 0 {
		ref = ref[i+len(prefix):]
	}
	if !isID(ref) {
		return ""
	}
	return ref
}

var errOthersEvents = vidivo.Errorf(vidivo.EFORBIDDEN,
	"you may read your own scheduled events, and your organization's if you are its owner or an admin")

// userScope is whose bookings a user's list holds: for the user themself
// (or a platform admin) those they host and those they booked; for an
// owner or admin of the user's organization those the user hosts.
func (e *Events) userScope(ctx context.Context, c vidivo.Caller, userID string) (hostIDs []string, guestID string, err error) {
	if userID == c.Subject || c.Role == vidivo.RoleAdmin {
		return []string{userID}, userID, nil
	}
	if e.Orgs == nil {
		return nil, "", errOthersEvents
	}
	m, err := e.Orgs.UserMembership(ctx, userID)
	if err != nil {
		return nil, "", forbiddenIfNotFound(err)
	}
	if err := e.canReadOrganization(ctx, c, m.OrganizationID); err != nil {
		return nil, "", err
	}
	return []string{userID}, "", nil
}

// organizationHosts are the hosts whose events an organization's list
// holds: every member, or only userID when it is given (none if userID is
// not a member).
func (e *Events) organizationHosts(ctx context.Context, c vidivo.Caller, orgID, userID string) ([]string, error) {
	if err := e.canReadOrganization(ctx, c, orgID); err != nil {
		return nil, err
	}
	ids, err := e.Orgs.OrganizationMemberIDs(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if userID == "" {
		return ids, nil
	}
	for _, id := range ids {
		if id == userID {
			return []string{userID}, nil
		}
	}
	return nil, nil
}

// canReadOrganization is nil if the caller is an owner or admin of orgID,
// EFORBIDDEN otherwise (an unknown organization included).
func (e *Events) canReadOrganization(ctx context.Context, c vidivo.Caller, orgID string) error {
	if e.Orgs == nil {
		return errOthersEvents
	}
	m, err := e.Orgs.Membership(ctx, orgID, c.Subject)
	if err != nil {
		return forbiddenIfNotFound(err)
	}
	if !m.CanReadOrganization() {
		return vidivo.Errorf(vidivo.EFORBIDDEN, "only the organization's owners and admins read its scheduled events")
	}
	return nil
}

func forbiddenIfNotFound(err error) error {
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return errOthersEvents
	}
	return err
}

// Event returns one scheduled event the caller may read; ENOTFOUND for
// unknown ids and for others' events alike.
func (e *Events) Event(ctx context.Context, c vidivo.Caller, id string) (resources.ScheduledEvent, error) {
	b, err := e.readable(ctx, c, id)
	if err != nil {
		return resources.ScheduledEvent{}, err
	}
	return e.event(ctx, b, newReadCache(e.Store))
}

// Invitee returns the invitee of a scheduled event the caller may read;
// ENOTFOUND as Event.
func (e *Events) Invitee(ctx context.Context, c vidivo.Caller, eventID string) (resources.Invitee, error) {
	b, err := e.readable(ctx, c, eventID)
	if err != nil {
		return resources.Invitee{}, err
	}
	p, err := e.payload(ctx, b)
	if err != nil {
		return resources.Invitee{}, err
	}
	return p.Invitee, nil
}

// readable loads a booking the caller may read.
func (e *Events) readable(ctx context.Context, c vidivo.Caller, id string) (*vidivo.ScheduledCall, error) {
	if !isID(id) {
		return nil, errEventNotFound
	}
	b, err := e.Store.Booking(ctx, id)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, errEventNotFound
	}
	if err != nil {
		return nil, err
	}
	if b.IsParticipant(c.Subject) || c.Role == vidivo.RoleAdmin {
		return b, nil
	}
	if e.Orgs == nil {
		return nil, errEventNotFound
	}
	m, err := e.Orgs.UserMembership(ctx, b.HostID)
	if err == nil {
		err = e.canReadOrganization(ctx, c, m.OrganizationID)
	}
	switch vidivo.ErrorCode(err) {
	case "":
		return b, nil
	case vidivo.ENOTFOUND, vidivo.EFORBIDDEN:
		return nil, errEventNotFound
	}
	return nil, err
}

// event renders a booking as its scheduled event.
func (e *Events) event(ctx context.Context, b *vidivo.ScheduledCall, users *readCache) (resources.ScheduledEvent, error) {
	host, err := users.get(ctx, b.HostID)
	if err != nil {
		return resources.ScheduledEvent{}, err
	}
	var d resources.Details
	if d.Canceler, err = e.canceler(ctx, b, users); err != nil {
		return resources.ScheduledEvent{}, err
	}
	if d.EventType, err = users.eventType(ctx, b.EventTypeID); err != nil {
		return resources.ScheduledEvent{}, err
	}
	return resources.Event(e.PublicURL, b, host, d), nil
}

// payload gathers everything a booking's invitee shows: its people, who
// canceled it, its event type, its call's totals and its reschedule links.
func (e *Events) payload(ctx context.Context, b *vidivo.ScheduledCall) (resources.InviteeWithEvent, error) {
	users := newReadCache(e.Store)
	host, err := users.get(ctx, b.HostID)
	if err != nil {
		return resources.InviteeWithEvent{}, err
	}
	guest, err := users.get(ctx, b.GuestID)
	if err != nil {
		return resources.InviteeWithEvent{}, err
	}
	var d resources.Details
	if d.Canceler, err = e.canceler(ctx, b, users); err != nil {
		return resources.InviteeWithEvent{}, err
	}
	if d.EventType, err = users.eventType(ctx, b.EventTypeID); err != nil {
		return resources.InviteeWithEvent{}, err
	}
	if b.CallStartedAt != nil {
		if d.Session, err = e.Store.CallByID(ctx, b.ID); err != nil && vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
			return resources.InviteeWithEvent{}, err
		}
	}
	if d.RescheduledFrom, d.RescheduledTo, err = e.Store.RescheduleLinks(ctx, b.ID); err != nil {
		return resources.InviteeWithEvent{}, err
	}
	return resources.InviteePayload(e.PublicURL, b, host, guest, d), nil
}

// canceler is the account that canceled b; nil if b is not canceled or
// the account is gone.
func (e *Events) canceler(ctx context.Context, b *vidivo.ScheduledCall, users *readCache) (*vidivo.User, error) {
	if b.Status != vidivo.BookingCanceled || b.CanceledBy == nil {
		return nil, nil
	}
	u, err := users.get(ctx, *b.CanceledBy)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, nil
	}
	return u, err
}

// readCache reads each account and event type once per request: the
// same few people and event types appear on every line of a list.
type readCache struct {
	store interface {
		UserByID(ctx context.Context, id string) (*vidivo.User, error)
		EventType(ctx context.Context, id string) (*vidivo.EventType, error)
	}
	users map[string]*vidivo.User
	types map[string]*vidivo.EventType
}

func newReadCache(st EventStore) *readCache {
	return &readCache{store: st, users: map[string]*vidivo.User{}, types: map[string]*vidivo.EventType{}}
}

// eventType is the event type a booking was made with; nil for a booking
// made without one.
func (c *readCache) eventType(ctx context.Context, id *string) (*vidivo.EventType, error) {
	if id == nil {
		return nil, nil
	}
	if e, ok := c.types[*id]; ok {
		return e, nil
	}
	e, err := c.store.EventType(ctx, *id)
	if err != nil {
		return nil, err
	}
	c.types[*id] = e
	return e, nil
}

func (c *readCache) get(ctx context.Context, id string) (*vidivo.User, error) {
	if u, ok := c.users[id]; ok {
		return u, nil
	}
	u, err := c.store.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	c.users[id] = u
	return u, nil
}
