package calendars

import (
	"context"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calendar"
)

// Bounds of a connection's fields.
const (
	MaxUsernameLen = 256
	MaxPasswordLen = 1024
)

// NewConnection is a host's request to connect a calendar.
type NewConnection struct {
	Kind               string
	URL                string
	Username, Password *string
	// CheckForConflicts (default true) applies to every calendar found;
	// AddBookings (default false) makes the first one receive bookings.
	CheckForConflicts, AddBookings *bool
	WhenFailing                    *string
}

// Create checks a connection against its server (the URL must answer as
// a calendar with the credentials given: EVALIDATION naming url or
// password otherwise), seals its password, stores it with the calendars
// found and reads them once. Hosts only.
func (s *Service) Create(ctx context.Context, caller vidivo.Caller, in NewConnection) (*calendar.Connection, error) {
	if !caller.Can(vidivo.RoleHost) {
		return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "only hosts connect calendars")
	}
	if err := s.validate(in); err != nil {
		return nil, err
	}
	conn := &calendar.Connection{UserID: caller.Subject, Kind: calendar.Kind(in.Kind), URL: in.URL,
		Username: trimmed(in.Username), WhenFailing: calendar.WhenFailingWithhold}
	if in.WhenFailing != nil {
		conn.WhenFailing = *in.WhenFailing
	}
	pass := ""
	if in.Password != nil {
		pass = *in.Password
	}
	r, err := s.remote(conn.Kind, conn.URL, conn.Username, pass)
	if err != nil {
		return nil, vidivo.Invalid(vidivo.FieldError{Field: "url", Issue: "must be an absolute URL"})
	}
	cals, err := r.discover(ctx)
	if err != nil {
		p := problem(err)
		return nil, &vidivo.Error{Code: vidivo.EVALIDATION, Message: "the calendar could not be connected: " + p.Field + " " + p.Issue,
			Details: []vidivo.FieldError{p}}
	}
	check, add := true, false
	if in.CheckForConflicts != nil {
		check = *in.CheckForConflicts
	}
	if in.AddBookings != nil {
		add = *in.AddBookings
	}
	for i, c := range cals {
		c.CheckConflicts, c.AddBookings = check, add && i == 0
	}
	conn.Calendars = cals
	conn.PasswordSealed = s.Sealer.Seal(pass)
	if err := s.Store.CreateCalendarConnection(ctx, conn); err != nil {
		return nil, err
	}
	return s.readNew(ctx, conn)
}

// readNew reads a new connection's calendars once, so its busy times
// count from the start, and returns it as stored.
func (s *Service) readNew(ctx context.Context, conn *calendar.Connection) (*calendar.Connection, error) {
	for _, c := range conn.Calendars {
		if !c.CheckConflicts {
			continue
		}
		if err := s.Refresh(ctx, &calendar.HostCalendar{Calendar: *c, Kind: conn.Kind, WhenFailing: conn.WhenFailing}); err != nil {
			return nil, err
		}
	}
	return s.Store.CalendarConnection(ctx, conn.ID)
}

func (s *Service) validate(in NewConnection) error {
	var errs []vidivo.FieldError
	switch calendar.Kind(in.Kind) {
	case calendar.KindCalDAV, calendar.KindICS:
	default:
		errs = append(errs, vidivo.FieldError{Field: "kind", Issue: `must be "caldav" or "ics"`})
	}
	if issue := s.Guard.CheckURL(in.URL); issue != "" {
		errs = append(errs, vidivo.FieldError{Field: "url", Issue: issue})
	}
	if fe := vidivo.CheckText("username", trimmed(in.Username), vidivo.TextRule{Max: MaxUsernameLen}); fe != nil {
		errs = append(errs, *fe)
	}
	if in.Password != nil {
		if fe := vidivo.CheckText("password", *in.Password, vidivo.TextRule{Max: MaxPasswordLen}); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if in.Password != nil && *in.Password != "" && trimmed(in.Username) == "" {
		errs = append(errs, vidivo.FieldError{Field: "username", Issue: "is required with a password"})
	}
	if calendar.Kind(in.Kind) == calendar.KindICS && in.AddBookings != nil && *in.AddBookings {
		errs = append(errs, vidivo.FieldError{Field: "add_bookings", Issue: "an .ics subscription is read-only and cannot receive bookings"})
	}
	if in.WhenFailing != nil {
		errs = append(errs, checkWhenFailing(*in.WhenFailing)...)
	}
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	return nil
}

func checkWhenFailing(v string) []vidivo.FieldError {
	if v != calendar.WhenFailingWithhold && v != calendar.WhenFailingOffer {
		return []vidivo.FieldError{{Field: "when_failing", Issue: `must be "withhold" or "offer"`}}
	}
	return nil
}

// CalendarChange changes one calendar of a connection.
type CalendarChange struct {
	ID                             string
	CheckForConflicts, AddBookings *bool
}

// ConnectionChange is a PATCH of a connection: its credentials (checked
// against the server as when connecting, then sealed), what slots do
// while it fails, and which calendars check conflicts and receive
// bookings. The server's URL is not changed: another server is another
// connection.
type ConnectionChange struct {
	Username, Password *string
	WhenFailing        *string
	Calendars          []CalendarChange
}

// Update changes the caller's connection. A calendar id not of this
// connection, or an .ics feed asked to receive bookings, is EVALIDATION;
// a second calendar receiving bookings is ECONFLICT.
func (s *Service) Update(ctx context.Context, callerID, id string, in ConnectionChange) (*calendar.Connection, error) {
	conn, err := s.Owned(ctx, callerID, id)
	if err != nil {
		return nil, err
	}
	var errs []vidivo.FieldError
	if in.WhenFailing != nil {
		errs = append(errs, checkWhenFailing(*in.WhenFailing)...)
		conn.WhenFailing = *in.WhenFailing
	}
	credentials := in.Username != nil || in.Password != nil
	if credentials {
		errs = append(errs, s.changeCredentials(conn, in.Username, in.Password)...)
	}
	byID := map[string]*calendar.Calendar{}
	for _, c := range conn.Calendars {
		byID[c.ID] = c
	}
	var newlyChecked []*calendar.Calendar
	for _, ch := range in.Calendars {
		c := byID[ch.ID]
		if c == nil {
			errs = append(errs, vidivo.FieldError{Field: "calendars.id", Issue: "must be the id of one of this connection's calendars"})
			continue
		}
		if ch.CheckForConflicts != nil {
			if *ch.CheckForConflicts && !c.CheckConflicts {
				newlyChecked = append(newlyChecked, c)
			}
			c.CheckConflicts = *ch.CheckForConflicts
		}
		if ch.AddBookings != nil {
			if *ch.AddBookings && conn.Kind == calendar.KindICS {
				errs = append(errs, vidivo.FieldError{Field: "calendars.add_bookings", Issue: "an .ics subscription is read-only and cannot receive bookings"})
			}
			c.AddBookings = *ch.AddBookings
		}
	}
	if len(errs) > 0 {
		return nil, vidivo.Invalid(errs...)
	}
	if credentials {
		if err := s.checkCredentials(ctx, conn); err != nil {
			return nil, err
		}
		newlyChecked = checking(conn.Calendars) // read again with the new credentials
	}
	if err := s.Store.UpdateCalendarConnection(ctx, conn); err != nil {
		return nil, err
	}
	for _, c := range newlyChecked {
		if err := s.Refresh(ctx, &calendar.HostCalendar{Calendar: *c, Kind: conn.Kind, WhenFailing: conn.WhenFailing}); err != nil {
			return nil, err
		}
	}
	return s.Store.CalendarConnection(ctx, conn.ID)
}

// changeCredentials sets a connection's new username and password (each
// kept when not given), sealing the password; it returns the fields'
// problems.
func (s *Service) changeCredentials(conn *calendar.Connection, username, password *string) []vidivo.FieldError {
	var errs []vidivo.FieldError
	if username != nil {
		conn.Username = trimmed(username)
		if fe := vidivo.CheckText("username", conn.Username, vidivo.TextRule{Max: MaxUsernameLen}); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if password != nil {
		if fe := vidivo.CheckText("password", *password, vidivo.TextRule{Max: MaxPasswordLen}); fe != nil {
			errs = append(errs, *fe)
		}
		conn.PasswordSealed = s.Sealer.Seal(*password) // "" for none
	}
	if conn.PasswordSealed != "" && conn.Username == "" {
		errs = append(errs, vidivo.FieldError{Field: "username", Issue: "is required with a password"})
	}
	return errs
}

// checkCredentials asks the server whether the connection's (new)
// credentials open it, as when connecting: EVALIDATION naming the field
// the server refused otherwise.
func (s *Service) checkCredentials(ctx context.Context, conn *calendar.Connection) error {
	pass, err := s.Sealer.Open(conn.PasswordSealed)
	if err != nil { // sealed with a key since lost: only a new password helps
		return vidivo.Invalid(vidivo.FieldError{Field: "password", Issue: "must be given again: the stored one can no longer be read"})
	}
	r, err := s.remote(conn.Kind, conn.URL, conn.Username, pass)
	if err != nil {
		return err
	}
	if _, err := r.discover(ctx); err != nil {
		p := problem(err)
		return &vidivo.Error{Code: vidivo.EVALIDATION, Message: "the credentials were not changed: " + p.Field + " " + p.Issue,
			Details: []vidivo.FieldError{p}}
	}
	return nil
}

// checking returns the calendars that check for conflicts.
func checking(cals []*calendar.Calendar) []*calendar.Calendar {
	var out []*calendar.Calendar
	for _, c := range cals {
		if c.CheckConflicts {
			out = append(out, c)
		}
	}
	return out
}
