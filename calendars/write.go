package calendars

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calendar"
	"github.com/vidivo/vidivo/ical"
)

// Write-back timing.
const (
	// WriteEvery is how often the job queue writes pending bookings to
	// hosts' calendars (and retries failed writes).
	WriteEvery = 5 * time.Second
	// MaxWriteAttempts is how often a write is tried before it is given
	// up (with its last error kept): about 8 minutes of retries.
	MaxWriteAttempts = 100
	writeBatch       = 100
)

// uidSuffix ends the UIDs of the events Vidivo writes, and of the
// invitations it sends (booking.Invite): such events are bookings, which
// count as busy already.
const uidSuffix = "@vidivo"

// ownUIDs are the UID endings read calendars skip.
var ownUIDs = []string{uidSuffix}

// WriteBack writes pending bookings to their hosts' calendars that receive
// bookings: a booking made or moved is put (one event per chain of
// reschedules, its UID stable, so a reschedule moves it), a canceled one
// removed. A failed write is retried at the next run; it never touched the
// booking, which committed on its own.
func (s *Service) WriteBack(ctx context.Context) error {
	writes, err := s.Store.PendingCalendarWrites(ctx, writeBatch)
	if err != nil {
		return err
	}
	for _, w := range writes {
		werr := s.write(ctx, w)
		msg := ""
		if werr != nil {
			p := problem(werr)
			msg = p.Field + " " + p.Issue
			s.log().Info("calendar write failed", "booking", w.BookingID, "action", w.Action, "err", werr)
		}
		done := werr == nil || w.Attempts+1 >= MaxWriteAttempts
		if err := s.Store.FinishCalendarWrite(ctx, w.ID, msg, done, s.now()); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) write(ctx context.Context, w *calendar.Write) error {
	cal, err := s.Store.BookingCalendar(ctx, w.HostID)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil // the host stopped adding bookings meanwhile
	}
	if err != nil {
		return err
	}
	conn, err := s.Store.CalendarConnection(ctx, cal.ConnectionID)
	if err != nil {
		return err
	}
	root, depth, replaced, err := s.Store.BookingChain(ctx, w.BookingID)
	if err != nil {
		return err
	}
	pass, err := s.Sealer.Open(conn.PasswordSealed)
	if err != nil {
		return err
	}
	r, err := s.remote(conn.Kind, conn.URL, conn.Username, pass)
	if err != nil {
		return err
	}
	target, err := objectURL(cal.URL, root)
	if err != nil {
		return err
	}
	if w.Action == calendar.WriteDelete {
		if replaced {
			return nil // its successor's put moves the event
		}
		return r.remove(ctx, target)
	}
	ev, err := s.bookingEvent(ctx, w.BookingID, root, depth)
	if err != nil || ev == nil {
		return err
	}
	return r.put(ctx, target, ev)
}

// objectURL is where a chain's event lives in a calendar.
func objectURL(calURL, root string) (string, error) {
	u, err := url.Parse(calURL)
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.Path += "vidivo-" + strings.ToLower(root) + ".ics"
	return u.String(), nil
}

// bookingEvent is the event of a confirmed booking: its times, the guest,
// and the join URL in the description and URL. Nil for a booking no
// longer confirmed (its delete follows).
func (s *Service) bookingEvent(ctx context.Context, bookingID, root string, depth int) ([]byte, error) {
	b, err := s.Store.Booking(ctx, bookingID)
	if err != nil {
		return nil, err
	}
	if b.Status != vidivo.BookingConfirmed {
		return nil, nil
	}
	host, err := s.Store.UserByID(ctx, b.HostID)
	if err != nil {
		return nil, err
	}
	guest, err := s.Store.UserByID(ctx, b.GuestID)
	if err != nil {
		return nil, err
	}
	join := s.PublicURL + "/join/" + b.ID
	ev := ical.Event{UID: "booking-" + root + uidSuffix, Sequence: depth, Stamp: s.now(), Start: b.StartsAt, End: b.EndsAt,
		Summary: "Vidivo call with " + guest.DisplayName, Description: "Join the call: " + join, URL: join, Location: join,
		Organizer: ical.Person{Name: host.DisplayName, Email: host.Email},
		Attendees: []ical.Person{{Name: guest.DisplayName, Email: guest.Email}}}
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	// A calendar object resource carries no METHOD (RFC 4791 4.1).
	return bytes.Replace(ev.Marshal(), []byte("METHOD:REQUEST\r\n"), nil, 1), nil
}

// put stores an event at target.
func (r *remote) put(ctx context.Context, target string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// remove deletes the event at target; one already gone is fine.
func (r *remote) remove(ctx context.Context, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, target, nil)
	if err != nil {
		return err
	}
	resp, err := r.client.Do(req)
	var se *StatusError
	if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone) {
		return nil
	}
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
