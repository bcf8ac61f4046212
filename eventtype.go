package vidivo

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Limits on event types.
const (
	MaxEventTypeNameLen = 100
	MaxEventTypeSlugLen = 60
	// MaxEventTypesPerHost bounds a host's event types, active or not, so
	// listing them needs no paging.
	MaxEventTypesPerHost = 100
)

// EventType is a kind of call a host offers, such as a 15-minute intro or a
// 60-minute session: its slots are cut at its duration and a booking of it
// lasts exactly that long. Slugs are lower-case and unique per host; the
// booking page of an event type is {public URL}/schedule/{username}/{slug}.
type EventType struct {
	ID              string
	HostID          string
	Name            string
	Slug            string
	DurationMinutes int
	// Active is false once the host stops offering it: it has no slots and
	// cannot be booked, but stays listed.
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

var slugRE = regexp.MustCompile(`^[a-z0-9-]{1,60}$`)

// Normalize trims the name and trims and lower-cases the slug, so "Intro"
// and "intro" are one slug.
func (e *EventType) Normalize() {
	e.Name = strings.TrimSpace(e.Name)
	e.Slug = strings.ToLower(strings.TrimSpace(e.Slug))
}

// Validate checks a normalized event type. Returns EVALIDATION naming
// every bad field: name (1-100 characters), slug (1-60 of a-z, 0-9 and -)
// and duration_minutes (5-480).
func (e *EventType) Validate() error {
	var errs []FieldError
	if issue := checkEventTypeName(e.Name); issue != "" {
		errs = append(errs, FieldError{"name", issue})
	}
	if issue := CheckSlug(e.Slug); issue != "" {
		errs = append(errs, FieldError{"slug", issue})
	}
	if issue := checkEventTypeDuration(e.DurationMinutes); issue != "" {
		errs = append(errs, FieldError{"duration_minutes", issue})
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// EventTypeUpdate changes an event type. Nil fields are left alone.
type EventTypeUpdate struct {
	Name            *string
	Slug            *string
	DurationMinutes *int
	Active          *bool
}

// Validate normalizes and checks the fields being set, as
// EventType.Validate does. Returns EVALIDATION naming every bad field.
func (u *EventTypeUpdate) Validate() error {
	var errs []FieldError
	if u.Name != nil {
		*u.Name = strings.TrimSpace(*u.Name)
		if issue := checkEventTypeName(*u.Name); issue != "" {
			errs = append(errs, FieldError{"name", issue})
		}
	}
	if u.Slug != nil {
		*u.Slug = strings.ToLower(strings.TrimSpace(*u.Slug))
		if issue := CheckSlug(*u.Slug); issue != "" {
			errs = append(errs, FieldError{"slug", issue})
		}
	}
	if u.DurationMinutes != nil {
		if issue := checkEventTypeDuration(*u.DurationMinutes); issue != "" {
			errs = append(errs, FieldError{"duration_minutes", issue})
		}
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// BookingMinutes is the one rule for how long a booking of e lasts: the
// event type's duration. minutes is what the booking asked for; nil means
// it left the duration to the event type. Returns EVALIDATION naming
// event_type if e is not active, or duration_minutes if minutes differs
// from e's duration.
func (e *EventType) BookingMinutes(minutes *int) (int, error) {
	if !e.Active {
		return 0, &Error{Code: EVALIDATION, Message: "this event type is not offered any more",
			Details: []FieldError{{Field: "event_type", Issue: "is not active"}}}
	}
	if minutes != nil && *minutes != e.DurationMinutes {
		issue := "must be " + strconv.Itoa(e.DurationMinutes) + ", the event type's duration, or left out"
		return 0, &Error{Code: EVALIDATION, Message: "duration_minutes: " + issue,
			Details: []FieldError{{Field: "duration_minutes", Issue: issue}}}
	}
	return e.DurationMinutes, nil
}

// CheckSlug returns what is wrong with a normalized slug, or "".
func CheckSlug(slug string) string {
	if !slugRE.MatchString(slug) {
		return "must be 1-60 characters of a-z, 0-9 and -"
	}
	return ""
}

func checkEventTypeName(name string) string {
	return TextIssue(name, TextRule{Required: true, Max: MaxEventTypeNameLen})
}

func checkEventTypeDuration(minutes int) string {
	if minutes < MinBookingMinutes || minutes > MaxBookingMinutes {
		return "must be from 5 to 480 minutes"
	}
	return ""
}

// EventTypeStore keeps hosts' event types.
type EventTypeStore interface {
	// CreateEventType stores a validated event type of e.HostID, setting
	// its ID, CreatedAt and UpdatedAt. Returns ECONFLICT naming slug if the
	// host already has an event type with that slug, ECONFLICT if the host
	// has MaxEventTypesPerHost already, and ENOTFOUND if there is no such
	// host.
	CreateEventType(ctx context.Context, e *EventType) error
	// EventType returns ENOTFOUND if there is no such event type.
	EventType(ctx context.Context, id string) (*EventType, error)
	// EventTypeBySlug returns the host's event type with a normalized slug,
	// or ENOTFOUND.
	EventTypeBySlug(ctx context.Context, hostID, slug string) (*EventType, error)
	// EventTypes lists a host's event types, oldest first: all of them, or
	// only the active (or inactive) ones when active is not nil.
	EventTypes(ctx context.Context, hostID string, active *bool) ([]*EventType, error)
	// UpdateEventType applies a validated update. Returns ENOTFOUND if
	// there is no such event type and ECONFLICT naming slug if the new slug
	// is another of the host's.
	UpdateEventType(ctx context.Context, id string, upd EventTypeUpdate) (*EventType, error)
}
