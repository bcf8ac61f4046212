// Package booking runs scheduled calls up to the moment they are joined:
// a host's availability and slots, booking, rescheduling, canceling and
// calendar invites. The rules themselves are pure (package schedule and
// the domain); this service gathers what they need from the store, asks
// the payments gateway to verify a payment method, and leaves every
// guarantee that races could break (no double booking, buffers, the
// per-guest cap, no change once the call exists) to the store's
// transactions. Joining a booked call is the calls service's.
package booking

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/schedule"
)

// Store is the storage the service needs.
type Store interface {
	vidivo.ScheduleStore
	UserByID(ctx context.Context, id string) (*vidivo.User, error)
	UserByLogin(ctx context.Context, login string) (*vidivo.User, string, error)
	ActiveLink(ctx context.Context, hostID string, now time.Time) (*vidivo.Link, error)
	EventType(ctx context.Context, id string) (*vidivo.EventType, error)
	EventTypeBySlug(ctx context.Context, hostID, slug string) (*vidivo.EventType, error)
}

// Service books scheduled calls.
type Service struct {
	Store Store
	// Gateway verifies payment methods given at booking.
	Gateway billing.Gateway
	// PublicURL builds join links (no trailing slash).
	PublicURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// External is when hosts are busy elsewhere; nil means nowhere.
	External External
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Booking is a booked call with its two people, as callers show it.
type Booking struct {
	*vidivo.ScheduledCall
	Host, Guest *vidivo.User
}

// JoinURL is where the booking's participants join its call.
func (s *Service) JoinURL(id string) string { return s.PublicURL + "/join/" + id }

// Availability returns a host's availability, or the defaults (no hours)
// when none is set.
func (s *Service) Availability(ctx context.Context, hostID string) (schedule.Availability, error) {
	doc, err := s.Store.Availability(ctx, hostID)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return schedule.Defaults(), nil
	}
	if err != nil {
		return schedule.Availability{}, err
	}
	var a schedule.Availability
	if err := json.Unmarshal(doc, &a); err != nil {
		return schedule.Availability{}, err
	}
	return a, nil
}

// SetAvailability validates a host's availability and stores it in
// canonical form, which it returns. Returns EVALIDATION naming every bad
// field (see schedule.Availability.Validate). Bookings already made are
// kept.
func (s *Service) SetAvailability(ctx context.Context, hostID string, a schedule.Availability) (schedule.Availability, error) {
	if err := a.Validate(); err != nil {
		return a, err
	}
	a.Normalize()
	doc, err := json.Marshal(a)
	if err != nil {
		return a, err
	}
	return a, s.Store.PutAvailability(ctx, hostID, doc)
}

// Host finds a host by username (any case). Returns ENOTFOUND for anyone
// who is not a host or an admin.
func (s *Service) Host(ctx context.Context, username string) (*vidivo.User, error) {
	if !vidivo.IsUsername(strings.ToLower(username)) {
		// Text no username has (NUL, overlong) never reaches the store.
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "host not found")
	}
	u, _, err := s.Store.UserByLogin(ctx, username)
	if err != nil || u.Username != strings.ToLower(username) || !isHost(u) {
		if err != nil && vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
			return nil, err
		}
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "host not found")
	}
	return u, nil
}

// HostByRef finds a host by username, user id or user URI (ending in
// /v1/users/{id}). Returns ENOTFOUND for anyone who is not a host.
func (s *Service) HostByRef(ctx context.Context, ref string) (*vidivo.User, error) {
	if i := strings.LastIndex(ref, "/v1/users/"); i >= 0 {
		ref = ref[i+len("/v1/users/"):]
	}
	if isID(ref) {
		u, err := s.Store.UserByID(ctx, ref)
		switch {
		case err == nil && isHost(u):
			return u, nil
		case err != nil && vidivo.ErrorCode(err) != vidivo.ENOTFOUND:
			return nil, err
		}
	}
	return s.Host(ctx, ref)
}

// isID reports whether ref is an id as ids are written (upper case), so a
// lower-case username or slug is never taken for one.
func isID(ref string) bool { return vidivo.IsID(ref) && ref == strings.ToUpper(ref) }

func isHost(u *vidivo.User) bool { return u.Role == vidivo.RoleHost || u.Role == vidivo.RoleAdmin }

// hostEventType finds one of host's event types by id or slug, or
// ENOTFOUND. It may be inactive.
func (s *Service) hostEventType(ctx context.Context, host *vidivo.User, ref string) (*vidivo.EventType, error) {
	if isID(ref) {
		e, err := s.Store.EventType(ctx, ref)
		if err != nil {
			return nil, err
		}
		if e.HostID != host.ID {
			return nil, vidivo.Errorf(vidivo.ENOTFOUND, "event type not found")
		}
		return e, nil
	}
	slug := strings.ToLower(strings.TrimSpace(ref))
	if vidivo.CheckSlug(slug) != "" {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "event type not found")
	}
	return s.Store.EventTypeBySlug(ctx, host.ID, slug)
}

// price is what the host's scheduled calls cost (schedule's rule), the
// host's active link read only when the availability leaves something
// unset.
func (s *Service) price(ctx context.Context, hostID string, a schedule.Availability) (schedule.Price, bool, error) {
	var link *vidivo.Link
	if a.NeedsLink() {
		l, err := s.Store.ActiveLink(ctx, hostID, s.now())
		switch {
		case err == nil:
			link = l
		case vidivo.ErrorCode(err) != vidivo.ENOTFOUND:
			return schedule.Price{}, false, err
		}
	}
	p, ok := a.Price(link)
	return p, ok, nil
}

func newID(now time.Time) string { return ulid.MustNew(ulid.Timestamp(now), rand.Reader).String() }
