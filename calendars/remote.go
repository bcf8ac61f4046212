package calendars

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav/caldav"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calendar"
	"github.com/vidivo/vidivo/webhook"
)

// Timeouts and bounds of one read.
const (
	ConnectTimeout = 10 * time.Second
	RequestTimeout = 30 * time.Second
	// MaxFeedBytes bounds an .ics feed or a CalDAV answer.
	MaxFeedBytes = 16 << 20
	maxRedirects = 5
)

// NewHTTPClient builds the client calendars are read with: it dials only
// what the guard allows (checked at dial time, after name resolution, so
// also for every redirect), uses no proxy, and follows a few redirects
// (CalDAV servers redirect /.well-known/caldav).
func NewHTTPClient(g webhook.Guard) *http.Client {
	d := &net.Dialer{Timeout: ConnectTimeout, Control: g.Control}
	tr := &http.Transport{
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   ConnectTimeout,
		ResponseHeaderTimeout: RequestTimeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, Timeout: RequestTimeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return errors.New("too many redirects")
		}
		return nil
	}}
}

// StatusError is a server's answer other than 2xx.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return fmt.Sprintf("the server answered HTTP %d", e.Code) }

// authClient adds basic auth to every request and turns any answer other
// than 2xx (and 207) into a *StatusError.
type authClient struct {
	http       *http.Client
	user, pass string
	ua         string
}

func (c *authClient) Do(req *http.Request) (*http.Response, error) {
	if c.user != "" || c.pass != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil, &StatusError{Code: resp.StatusCode}
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, MaxFeedBytes), resp.Body}
	return resp, nil
}

// remote reads one connection's calendars.
type remote struct {
	kind   calendar.Kind
	base   *url.URL
	client *authClient
}

func (s *Service) remote(kind calendar.Kind, rawURL, user, pass string) (*remote, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	return &remote{kind: kind, base: u, client: &authClient{http: s.HTTP, user: user, pass: pass, ua: "Vidivo-Calendars/1"}}, nil
}

// discover finds the connection's calendars: the feed itself, or the
// CalDAV principal's calendar home's calendars that hold events.
func (r *remote) discover(ctx context.Context) ([]*calendar.Calendar, error) {
	if r.kind == calendar.KindICS {
		cal, err := r.feed(ctx, r.base.String())
		if err != nil {
			return nil, err
		}
		name := ""
		if p := cal.Props.Get("X-WR-CALNAME"); p != nil {
			name = p.Value
		}
		return []*calendar.Calendar{{URL: r.base.String(), Name: cleanName(name, r.base.Host)}}, nil
	}
	c, err := caldav.NewClient(r.client, r.base.String())
	if err != nil {
		return nil, err
	}
	principal, err := c.FindCurrentUserPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	home, err := c.FindCalendarHomeSet(ctx, principal)
	if err != nil {
		return nil, err
	}
	found, err := c.FindCalendars(ctx, home)
	if err != nil {
		return nil, err
	}
	var out []*calendar.Calendar
	for _, f := range found {
		if len(f.SupportedComponentSet) > 0 && !contains(f.SupportedComponentSet, ical.CompEvent) {
			continue
		}
		ref, err := url.Parse(f.Path)
		if err != nil {
			continue
		}
		out = append(out, &calendar.Calendar{URL: r.base.ResolveReference(ref).String(), Name: cleanName(f.Name, f.Path)})
	}
	if len(out) == 0 {
		return nil, errNotCalendar
	}
	return out, nil
}

var errNotCalendar = errors.New("no calendar found")

// events reads a calendar's events that may be busy in [from, to).
func (r *remote) events(ctx context.Context, calURL string, from, to time.Time) ([]*ical.Calendar, error) {
	if r.kind == calendar.KindICS {
		cal, err := r.feed(ctx, calURL)
		if err != nil {
			return nil, err
		}
		return []*ical.Calendar{cal}, nil
	}
	c, err := caldav.NewClient(r.client, r.base.String())
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(calURL)
	if err != nil {
		return nil, err
	}
	objs, err := c.QueryCalendar(ctx, u.Path, &caldav.CalendarQuery{
		CompRequest: caldav.CalendarCompRequest{Name: ical.CompCalendar, AllProps: true, AllComps: true},
		CompFilter: caldav.CompFilter{Name: ical.CompCalendar,
			Comps: []caldav.CompFilter{{Name: ical.CompEvent, Start: from, End: to}}},
	})
	if err != nil {
		return nil, err
	}
	out := make([]*ical.Calendar, 0, len(objs))
	for _, o := range objs {
		if o.Data != nil {
			out = append(out, o.Data)
		}
	}
	return out, nil
}

// feed GETs and parses an .ics document.
func (r *remote) feed(ctx context.Context, u string) (*ical.Calendar, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/calendar")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	cal, err := calendar.Parse(resp.Body)
	if err != nil {
		return nil, errNotCalendar
	}
	return cal, nil
}

// problem turns a failed read into what the host is told: a field error
// for the API, and the same words for a calendar's last error.
func problem(err error) vidivo.FieldError {
	var se *StatusError
	switch {
	case errors.As(err, &se) && (se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden):
		return vidivo.FieldError{Field: "password", Issue: fmt.Sprintf("was refused by the calendar server (HTTP %d): check the username and password", se.Code)}
	case errors.As(err, &se) && se.Code == http.StatusNotFound:
		return vidivo.FieldError{Field: "url", Issue: "is not a calendar (the server answered HTTP 404)"}
	case errors.As(err, &se):
		return vidivo.FieldError{Field: "url", Issue: fmt.Sprintf("could not be read: the server answered HTTP %d", se.Code)}
	case errors.Is(err, errNotCalendar):
		return vidivo.FieldError{Field: "url", Issue: "is not a calendar"}
	case strings.Contains(err.Error(), "webhook: refused"):
		return vidivo.FieldError{Field: "url", Issue: "points to a loopback, private, link-local or reserved address"}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return vidivo.FieldError{Field: "url", Issue: "did not answer in time"}
	}
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	if errors.As(err, &ne) || errors.As(err, &oe) || errors.As(err, &de) {
		return vidivo.FieldError{Field: "url", Issue: "could not be reached"}
	}
	return vidivo.FieldError{Field: "url", Issue: "is not a calendar (the answer could not be read)"}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// cleanName is a calendar's display name: its own, else a fallback, made
// safe to show (one line, bounded).
func cleanName(name, fallback string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		name = strings.Trim(fallback, "/")
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100])
	}
	return name
}
