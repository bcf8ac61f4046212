package calendar

import (
	"context"
	"time"
)

// Kind is how a connection is read.
type Kind string

// The kinds of connections.
const (
	KindCalDAV Kind = "caldav"
	KindICS    Kind = "ics"
)

// What slots do while a calendar of a connection cannot be read.
const (
	// WhenFailingWithhold offers no slots at all: the safe default, as a
	// host whose calendar cannot be read might be busy at any time.
	WhenFailingWithhold = "withhold"
	// WhenFailingOffer offers slots around the busy times last read.
	WhenFailingOffer = "offer"
)

// MaxConnections bounds a host's connections.
const MaxConnections = 10

// Connection is a host's CalDAV account or .ics subscription.
type Connection struct {
	ID     string
	UserID string
	Kind   Kind
	URL    string
	// Username may be empty (a public feed). PasswordSealed is the
	// password encrypted with the service's key; empty for none.
	Username       string
	PasswordSealed string
	WhenFailing    string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Calendars      []*Calendar
}

// Calendar is one calendar of a connection (an .ics feed is one).
type Calendar struct {
	ID             string
	ConnectionID   string
	UserID         string
	URL            string
	Name           string
	CheckConflicts bool
	AddBookings    bool
	// RefreshedAt is the last successful read; FailingSince and
	// LastError are set while reads fail.
	RefreshedAt  *time.Time
	FailingSince *time.Time
	LastError    string
}

// Failing reports whether the calendar's last read failed.
func (c *Calendar) Failing() bool { return c.FailingSince != nil }

// HostCalendar is a calendar that checks a host's conflicts, with what
// its connection says to do while it fails.
type HostCalendar struct {
	Calendar
	Kind        Kind
	WhenFailing string
}

// Write is a booking's change waiting to be written to the host's
// calendar that receives bookings (the outbox rows migration 0015's
// triggers add).
type Write struct {
	ID        int64
	BookingID string
	HostID    string
	// Action is "put" (made or moved) or "delete" (canceled).
	Action   string
	Attempts int
}

// The write-back actions.
const (
	WritePut    = "put"
	WriteDelete = "delete"
)

// Store keeps connections, their calendars and the busy times last read.
type Store interface {
	// CreateCalendarConnection inserts c and its calendars (ids and
	// times are set). A host at MaxConnections, or with the same URL and
	// username already, is ECONFLICT.
	CreateCalendarConnection(ctx context.Context, c *Connection) error
	// CalendarConnection returns a connection with its calendars, or
	// ENOTFOUND.
	CalendarConnection(ctx context.Context, id string) (*Connection, error)
	// CalendarConnections lists a host's connections, oldest first.
	CalendarConnections(ctx context.Context, userID string) ([]*Connection, error)
	// UpdateCalendarConnection stores c's WhenFailing and its calendars'
	// CheckConflicts and AddBookings. A second calendar receiving
	// bookings is ECONFLICT.
	UpdateCalendarConnection(ctx context.Context, c *Connection) error
	// DeleteCalendarConnection removes a connection, its calendars and
	// their busy times; ENOTFOUND if there is none.
	DeleteCalendarConnection(ctx context.Context, id string) error
	// CalendarsToRefresh returns up to limit calendars (of any host) last
	// read, or last tried, before staleBefore, least recent first.
	CalendarsToRefresh(ctx context.Context, staleBefore time.Time, limit int) ([]*HostCalendar, error)
	// HostCalendars returns a host's calendars that check for conflicts.
	HostCalendars(ctx context.Context, userID string) ([]*HostCalendar, error)
	// SaveCalendarBusy replaces a calendar's busy times and marks it read
	// at at.
	SaveCalendarBusy(ctx context.Context, calendarID string, busy []Interval, at time.Time) error
	// SaveCalendarError records a failed read at at.
	SaveCalendarError(ctx context.Context, calendarID, msg string, at time.Time) error
	// CalendarBusy returns the cached busy times overlapping [from, to)
	// of the given calendars.
	CalendarBusy(ctx context.Context, calendarIDs []string, from, to time.Time) ([]Interval, error)

	// PendingCalendarWrites returns up to limit writes not yet done,
	// oldest first.
	PendingCalendarWrites(ctx context.Context, limit int) ([]*Write, error)
	// FinishCalendarWrite records an attempt: done, or failed with msg.
	FinishCalendarWrite(ctx context.Context, id int64, msg string, done bool, at time.Time) error
	// BookingCalendar returns the host's calendar that receives bookings,
	// or ENOTFOUND.
	BookingCalendar(ctx context.Context, hostID string) (*Calendar, error)
	// BookingChain returns the first booking of the reschedules that led
	// to bookingID (itself when none did), how many came before it, and
	// whether bookingID was itself replaced by a reschedule.
	BookingChain(ctx context.Context, bookingID string) (root string, depth int, replaced bool, err error)
}
