// Package mail sends email over SMTP (an adapter on go-mail): the session
// invites of iMIP (RFC 6047), a text part and the invite's text/calendar
// part as alternatives, and the same .ics attached as invite.ics.
//
// The server is one URL, VIDIVO_SMTP_URL:
//
//	smtp://user:pass@host:587     STARTTLS, required
//	smtps://user:pass@host:465    TLS from the first byte
//	smtp://host:25?tls=none       no TLS: loopback or test servers, or a relay
//	                              without credentials on a private network
//
// Credentials are never sent in plain text to a host other than loopback.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS is how a connection is secured.
type TLS string

const (
	StartTLS TLS = "starttls" // STARTTLS, required (smtp://)
	Implicit TLS = "implicit" // TLS from the first byte (smtps://)
	NoTLS    TLS = "none"     // plain text (smtp://…?tls=none)
)

// Server is a parsed VIDIVO_SMTP_URL.
type Server struct {
	Host     string
	Port     int
	Username string
	Password string
	TLS      TLS
}

// ParseURL reads an SMTP URL (see the package comment). Every error says
// what is wrong in words an operator can act on, without the password.
func ParseURL(raw string) (*Server, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, errors.New(`not a URL; want smtp://user:pass@host:587, smtps://user:pass@host:465 or smtp://host:25?tls=none`)
	}
	s := &Server{Host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		s.TLS, s.Port = StartTLS, 587
	case "smtps":
		s.TLS, s.Port = Implicit, 465
	default:
		return nil, fmt.Errorf(`scheme %q: want smtp (STARTTLS) or smtps (implicit TLS)`, u.Scheme)
	}
	if s.Host == "" {
		return nil, errors.New("no host; want smtp://user:pass@host:587")
	}
	if u.Path != "" && u.Path != "/" || u.Fragment != "" || u.Opaque != "" {
		return nil, errors.New("an SMTP URL has no path; want smtp://user:pass@host:587")
	}
	if p := u.Port(); p != "" {
		if s.Port, err = strconv.Atoi(p); err != nil || s.Port < 1 || s.Port > 65535 {
			return nil, fmt.Errorf("port %q: want 1-65535", p)
		}
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
		if s.Username == "" {
			return nil, errors.New("a password without a user name")
		}
	}
	if err := s.query(u.Query(), u.Port() != ""); err != nil {
		return nil, err
	}
	return s, nil
}

// query applies the URL's parameters: only tls=none.
func (s *Server) query(q url.Values, portGiven bool) error {
	for k := range q {
		if k != "tls" {
			return fmt.Errorf("unknown parameter %q; the only one is tls=none", k)
		}
	}
	switch tlsMode := q.Get("tls"); {
	case !q.Has("tls"):
		return nil
	case tlsMode != "none":
		return fmt.Errorf("tls=%q: the only value is none (smtp:// is STARTTLS, smtps:// implicit TLS)", tlsMode)
	case s.TLS == Implicit:
		return errors.New("smtps:// with tls=none: use smtp://host:25?tls=none for plain text")
	}
	s.TLS = NoTLS
	if !portGiven {
		s.Port = 25
	}
	if s.Username != "" && !IsLoopback(s.Host) {
		return fmt.Errorf("tls=none would send the password in plain text to %s; use STARTTLS (smtp://) or smtps://, or drop the credentials", s.Host)
	}
	return nil
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String is the URL without the password, for logs.
func (s *Server) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port))}
	if s.TLS == Implicit {
		u.Scheme = "smtps"
	}
	if s.Username != "" {
		u.User = url.User(s.Username)
	}
	if s.TLS == NoTLS {
		u.RawQuery = "tls=none"
	}
	return u.String()
}

// ParseFrom reads VIDIVO_MAIL_FROM: an address with an optional name,
// "Vidivo <noreply@example.com>".
func ParseFrom(raw string) (*netmail.Address, error) {
	a, err := netmail.ParseAddress(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf(`%q is not an address such as "Vidivo <noreply@example.com>"`, raw)
	}
	return a, nil
}

// Message is one invite mail.
type Message struct {
	ToName, ToEmail string
	Subject         string
	// Text is the text/plain part.
	Text string
	// Method is the iTIP method of ICS: "REQUEST" or "CANCEL".
	Method string
	// ICS is the calendar object, sent as the text/calendar alternative
	// and attached as invite.ics.
	ICS []byte
}

// Sender sends mail through one SMTP server.
type Sender struct {
	server *Server
	from   *netmail.Address
	// Timeout bounds connecting and each command; zero means 30 seconds.
	Timeout time.Duration
	// TLSConfig overrides the TLS settings (tests trust their own CA);
	// nil verifies the server's certificate for its host name.
	TLSConfig *tls.Config
}

// New builds a Sender from VIDIVO_SMTP_URL and VIDIVO_MAIL_FROM.
func New(smtpURL, from string) (*Sender, error) {
	s, err := ParseURL(smtpURL)
	if err != nil {
		return nil, fmt.Errorf("VIDIVO_SMTP_URL: %w", err)
	}
	a, err := ParseFrom(from)
	if err != nil {
		return nil, fmt.Errorf("VIDIVO_MAIL_FROM: %w", err)
	}
	return &Sender{server: s, from: a}, nil
}

// Server is where the sender sends.
func (s *Sender) Server() *Server { return s.server }

// Send sends m. Permanent(err) tells a refusal that retrying cannot fix
// (a 5xx reply) from a passing failure (4xx, network).
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, err := s.build(m)
	if err != nil {
		return permanent{err}
	}
	c, err := s.client()
	if err != nil {
		return permanent{err}
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send to %s via %s: %w", m.ToEmail, s.server.Host, err)
	}
	return nil
}

// client is a go-mail client for the server.
func (s *Sender) client() (*gomail.Client, error) {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	opts := []gomail.Option{gomail.WithPort(s.server.Port), gomail.WithTimeout(timeout)}
	switch s.server.TLS {
	case StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case Implicit:
		opts = append(opts, gomail.WithSSL())
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.TLSConfig))
	}
	if s.server.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.server.Username), gomail.WithPassword(s.server.Password))
	}
	c, err := gomail.NewClient(s.server.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: client: %w", err)
	}
	return c, nil
}

// build is m as an iMIP message: multipart/alternative of the text and the
// text/calendar part (with its method), and invite.ics attached. Names
// are quoted or encoded as MIME words (net/mail) and the subject encoded
// (go-mail), so no value given here can start a header of its own; CR,
// LF and other controls are also replaced before that.
func (s *Sender) build(m Message) (*gomail.Msg, error) {
	if m.Method != "REQUEST" && m.Method != "CANCEL" {
		return nil, fmt.Errorf("mail: iTIP method %q", m.Method)
	}
	msg := gomail.NewMsg()
	msg.FromMailAddress(&netmail.Address{Name: oneLine(s.from.Name), Address: s.from.Address})
	to, err := netmail.ParseAddress(m.ToEmail)
	if err != nil || to.Name != "" {
		return nil, fmt.Errorf("mail: to %q: not an address", m.ToEmail)
	}
	to.Name = oneLine(m.ToName)
	msg.AddToMailAddress(to)
	msg.Subject(oneLine(m.Subject))
	msg.SetMessageID()
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.ContentType("text/calendar; method="+m.Method), string(m.ICS),
		gomail.WithPartEncoding(gomail.EncodingQP))
	if err := msg.AttachReader("invite.ics", bytes.NewReader(m.ICS),
		gomail.WithFileContentType(gomail.ContentType("application/ics"))); err != nil {
		return nil, fmt.Errorf("mail: attach invite.ics: %w", err)
	}
	return msg, nil
}

// oneLine replaces control characters (CR and LF among them) with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// permanent marks an error retrying cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent reports whether err is a refusal that retrying will not fix:
// the server's 5xx reply to the sender, a recipient or the message, or a
// message that cannot be built. Anything else (4xx, a network failure, a
// server that is down) is passing, and worth a retry.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	var p permanent
	if errors.As(err, &p) {
		return true
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		if se.IsTemp() {
			return false
		}
		code := se.ErrorCode()
		return code >= 500 && code < 600
	}
	return false
}
