// Package calendars runs hosts' connected calendars: connecting a CalDAV
// account or an .ics subscription (checked when saved, passwords sealed),
// reading busy times into the store's cache (refreshed in the background
// by the job queue), and answering the booking service's question of when
// a host is busy elsewhere. Reading and expanding events is package
// calendar's; every request goes through the webhooks' address guard.
package calendars

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calendar"
	"github.com/vidivo/vidivo/schedule"
	"github.com/vidivo/vidivo/webhook"
)

// Refresh timing.
const (
	// RefreshEvery is how often the job queue looks for stale calendars.
	RefreshEvery = time.Minute
	// StaleAfter is how old a calendar's read may be before the periodic
	// job reads it again (a failing one is retried as often).
	StaleAfter = 5 * time.Minute
	// Past and Ahead bound the busy times kept: the host's dates reach
	// 14 hours either side of UTC, and bookings up to 365 days ahead.
	Past  = 2 * 24 * time.Hour
	Ahead = 368 * 24 * time.Hour
	// FreshTimeout bounds the fresh read of a host's calendars before a
	// booking commits (all calendars, read at once): a calendar that has
	// not answered by then counts as failing, and its connection's
	// when_failing rule decides with the busy times last read.
	FreshTimeout = 5 * time.Second
	// refreshBatch is how many calendars one periodic job reads.
	refreshBatch = 50
)

// Store is the storage the service needs.
type Store interface {
	calendar.Store
	UserByID(ctx context.Context, id string) (*vidivo.User, error)
	Availability(ctx context.Context, userID string) ([]byte, error)
	Booking(ctx context.Context, id string) (*vidivo.ScheduledCall, error)
}

// Service connects and reads hosts' calendars.
type Service struct {
	Store  Store
	Sealer *Sealer
	Guard  webhook.Guard
	// HTTP reads calendars; NewHTTPClient(Guard) unless a test wraps it.
	HTTP   *http.Client
	Logger *slog.Logger
	// PublicURL builds the join links of bookings written back (no
	// trailing slash).
	PublicURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// FreshWithin bounds the fresh read before a booking; zero means
	// FreshTimeout.
	FreshWithin time.Duration
}

func (s *Service) freshWithin() time.Duration {
	if s.FreshWithin > 0 {
		return s.FreshWithin
	}
	return FreshTimeout
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// host is what reading a host's calendars needs to know of the host.
type host struct {
	loc    *time.Location
	emails []string
}

// hostOf reads the host's zone (from their availability) and address.
func (s *Service) hostOf(ctx context.Context, userID string) (host, error) {
	u, err := s.Store.UserByID(ctx, userID)
	if err != nil {
		return host{}, err
	}
	h := host{loc: time.UTC, emails: []string{u.Email}}
	doc, err := s.Store.Availability(ctx, userID)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return h, nil
	}
	if err != nil {
		return h, err
	}
	var a schedule.Availability
	if json.Unmarshal(doc, &a) == nil {
		if loc, err := vidivo.LoadZone(a.Timezone); err == nil {
			h.loc = loc
		}
	}
	return h, nil
}

// Refresh reads one calendar and replaces its cached busy times, or
// records why it could not be read. The error returned is the store's
// only: a calendar that cannot be read is the host's to see, not a
// failed job.
func (s *Service) Refresh(ctx context.Context, cal *calendar.HostCalendar) error {
	return s.refreshAll(ctx, ctx, []*calendar.HostCalendar{cal})
}

// pendingRead is one calendar to read and what reading it needs.
type pendingRead struct {
	cal     *calendar.HostCalendar
	conn    *calendar.Connection
	host    host
	busy    []calendar.Interval
	readErr error
}

// refreshAll reads calendars at once, each under readCtx (which may run
// out sooner than ctx: the booking's bound), and saves each result under
// ctx, so a read cut short is recorded as any failed read.
func (s *Service) refreshAll(ctx, readCtx context.Context, cals []*calendar.HostCalendar) error {
	var reads []*pendingRead
	for _, cal := range cals {
		conn, err := s.Store.CalendarConnection(ctx, cal.ConnectionID)
		if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		h, err := s.hostOf(ctx, conn.UserID)
		if err != nil {
			return err
		}
		reads = append(reads, &pendingRead{cal: cal, conn: conn, host: h})
	}
	now := s.now()
	var wg sync.WaitGroup
	for _, p := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.busy, p.readErr = s.read(readCtx, p.conn, p.cal.URL, p.host, now)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err // the caller gave up: the calendars are not to blame
	}
	for _, p := range reads {
		if err := s.save(ctx, p, now); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) save(ctx context.Context, p *pendingRead, now time.Time) error {
	if p.readErr != nil {
		fe := problem(p.readErr)
		s.log().Info("calendar read failed", "calendar", p.cal.ID, "err", p.readErr)
		return s.Store.SaveCalendarError(ctx, p.cal.ID, fe.Field+" "+fe.Issue, now)
	}
	return s.Store.SaveCalendarBusy(ctx, p.cal.ID, p.busy, now)
}

// read fetches and expands one calendar's busy times around now.
func (s *Service) read(ctx context.Context, conn *calendar.Connection, calURL string, h host, now time.Time) ([]calendar.Interval, error) {
	pass, err := s.Sealer.Open(conn.PasswordSealed)
	if err != nil {
		return nil, err
	}
	r, err := s.remote(conn.Kind, conn.URL, conn.Username, pass)
	if err != nil {
		return nil, err
	}
	from, to := now.Add(-Past), now.Add(Ahead)
	cals, err := r.events(ctx, calURL, from, to)
	if err != nil {
		return nil, err
	}
	busy, bad := calendar.Expand(cals, calendar.ExpandOptions{From: from, To: to, Host: h.loc, Self: h.emails,
		OwnUIDSuffixes: ownUIDs})
	if bad > 0 {
		s.log().Info("calendar events skipped", "calendar", calURL, "unreadable", bad)
	}
	return busy, nil
}

// RefreshDue reads the calendars whose last read (or failure) is older
// than StaleAfter, a batch at a time; the job queue runs it every
// RefreshEvery.
func (s *Service) RefreshDue(ctx context.Context) error {
	due, err := s.Store.CalendarsToRefresh(ctx, s.now().Add(-StaleAfter), refreshBatch)
	if err != nil {
		return err
	}
	for _, cal := range due {
		if err := s.Refresh(ctx, cal); err != nil {
			return fmt.Errorf("calendars: refresh %s: %w", cal.ID, err)
		}
	}
	return nil
}

// Busy returns a host's busy times elsewhere overlapping [from, to): the
// cached ones, or with fresh the calendars read again first (the booking
// check, so a time that became busy a minute ago cannot be booked).
// withhold is true when a calendar that checks for conflicts cannot be
// read and its connection says to offer nothing meanwhile.
func (s *Service) Busy(ctx context.Context, hostID string, from, to time.Time, fresh bool) (busy []calendar.Interval, withhold bool, err error) {
	cals, err := s.Store.HostCalendars(ctx, hostID)
	if err != nil || len(cals) == 0 {
		return nil, false, err
	}
	ids := make([]string, 0, len(cals))
	for _, c := range cals {
		ids = append(ids, c.ID)
	}
	if fresh {
		readCtx, cancel := context.WithTimeout(ctx, s.freshWithin())
		err := s.refreshAll(ctx, readCtx, cals)
		cancel()
		if err != nil {
			return nil, false, err
		}
		if cals, err = s.Store.HostCalendars(ctx, hostID); err != nil {
			return nil, false, err
		}
	}
	for _, c := range cals {
		if c.Failing() && c.WhenFailing != calendar.WhenFailingOffer {
			withhold = true
		}
	}
	busy, err = s.Store.CalendarBusy(ctx, ids, from, to)
	return busy, withhold, err
}

// Owned returns the caller's connection, or ENOTFOUND (also for anyone
// else's: ids are not confirmed to strangers).
func (s *Service) Owned(ctx context.Context, callerID, id string) (*calendar.Connection, error) {
	if !vidivo.IsID(id) {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "calendar connection not found")
	}
	c, err := s.Store.CalendarConnection(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.UserID != callerID {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "calendar connection not found")
	}
	return c, nil
}

// List returns the caller's connections.
func (s *Service) List(ctx context.Context, callerID string) ([]*calendar.Connection, error) {
	return s.Store.CalendarConnections(ctx, callerID)
}

// Delete removes the caller's connection and its cached busy times.
func (s *Service) Delete(ctx context.Context, callerID, id string) error {
	if _, err := s.Owned(ctx, callerID, id); err != nil {
		return err
	}
	return s.Store.DeleteCalendarConnection(ctx, id)
}

func trimmed(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// ExternalBusy implements booking.External.
func (s *Service) ExternalBusy(ctx context.Context, hostID string, from, to time.Time, fresh bool) ([]schedule.Busy, bool, error) {
	busy, withhold, err := s.Busy(ctx, hostID, from, to, fresh)
	out := make([]schedule.Busy, len(busy))
	for i, b := range busy {
		out[i] = schedule.Busy{Start: b.Start, End: b.End}
	}
	return out, withhold, err
}
