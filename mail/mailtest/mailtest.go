// Package mailtest runs a real SMTP server in a test (go-smtp, in process,
// on loopback) that keeps what it receives, and reads the received mails
// back with net/mail and mime/multipart.
package mailtest

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one mail as the server got it.
type Received struct {
	From string
	To   []string
	Data []byte
}

// Server is an SMTP server on 127.0.0.1.
type Server struct {
	// Addr is host:port; Restart listens on it again.
	Addr string
	// TLS, when set before Start, offers STARTTLS with it.
	TLS *tls.Config
	// User and Password, when set before Start, require PLAIN auth.
	User, Password string

	mu     sync.Mutex
	got    []Received
	reject map[string]*smtp.SMTPError
	delay  time.Duration
	srv    *smtp.Server
	down   bool
}

// Start starts a server on a free loopback port, stopped at the test's
// end.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{}
	s.listen(tb, "127.0.0.1:0")
	return s
}

// StartWith is Start for a server configured first (TLS, credentials).
func (s *Server) StartWith(tb testing.TB) *Server {
	tb.Helper()
	s.listen(tb, "127.0.0.1:0")
	return s
}

func (s *Server) listen(tb testing.TB, addr string) {
	tb.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatalf("mailtest: listen: %v", err)
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "mailtest.local"
	srv.TLSConfig = s.TLS
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = quiet{}
	s.mu.Lock()
	s.Addr, s.srv = l.Addr().String(), srv
	s.mu.Unlock()
	go srv.Serve(gate{l, s})
	tb.Cleanup(func() { srv.Close() })
}

// gate is the server's listener: while the server is stopped it drops
// every connection as it comes. The port stays the server's meanwhile,
// so no other test's server can take it and receive its mail.
type gate struct {
	net.Listener
	s *Server
}

func (g gate) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil || !g.s.stopped() {
			return c, err
		}
		c.Close()
	}
}

func (s *Server) stopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

// Stop takes the server down: each new connection is closed before the
// greeting, as if nothing listened, until Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = true
}

// Restart brings the server back after Stop, on the same address.
func (s *Server) Restart(tb testing.TB) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = false
}

// URL is the server's VIDIVO_SMTP_URL in plain text.
func (s *Server) URL() string { return "smtp://" + s.Addr + "?tls=none" }

// Reject makes RCPT TO addr answer code (451 for now, 550 for good); 0
// accepts it again.
func (s *Server) Reject(addr string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reject == nil {
		s.reject = map[string]*smtp.SMTPError{}
	}
	if code == 0 {
		delete(s.reject, strings.ToLower(addr))
		return
	}
	enh := smtp.EnhancedCode{5, 1, 1}
	if code < 500 {
		enh = smtp.EnhancedCode{4, 2, 0}
	}
	s.reject[strings.ToLower(addr)] = &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: "mailtest says no"}
}

// Delay makes every DATA take d, so senders overlap.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Received is every mail received so far.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

// Reset forgets the mails received so far.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = nil
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s    *Server
	from string
	to   []string
	auth bool
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.User || pass != ss.s.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		ss.auth = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.User != "" && !ss.auth {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if e := ss.s.reject[strings.ToLower(to)]; e != nil {
		return e
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	d := ss.s.delay
	ss.s.mu.Unlock()
	time.Sleep(d)
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.got = append(ss.s.got, Received{From: ss.from, To: append([]string(nil), ss.to...), Data: data})
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

type quiet struct{}

func (quiet) Printf(string, ...any) {}
func (quiet) Println(...any)        {}

// Part is one leaf of a parsed mail: its type and parameters, its
// disposition and file name, and its decoded body.
type Part struct {
	Type        string
	Params      map[string]string
	Disposition string
	Filename    string
	Body        []byte
}

// Mail is a parsed mail.
type Mail struct {
	Header  netmail.Header
	Subject string
	To      *netmail.Address
	// Type is the top-level content type.
	Type  string
	Parts []Part
	// Tree lists the content types from the top down, depth first, as
	// "multipart/mixed" "multipart/alternative" "text/plain" ….
	Tree []string
}

// Parse reads a received mail.
func Parse(data []byte) (*Mail, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	m := &Mail{Header: msg.Header}
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, err
	}
	if m.To, err = netmail.ParseAddress(msg.Header.Get("To")); err != nil {
		return nil, err
	}
	m.Type, _, _ = mime.ParseMediaType(msg.Header.Get("Content-Type"))
	return m, m.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
}

func (m *Mail) walk(ctype, cte, disp string, body io.Reader) error {
	typ, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return err
	}
	m.Tree = append(m.Tree, typ)
	if strings.HasPrefix(typ, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := m.walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"),
				p.Header.Get("Content-Disposition"), p); err != nil {
				return err
			}
		}
	}
	if strings.EqualFold(cte, "base64") {
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	part := Part{Type: typ, Params: params, Body: b}
	if disp != "" {
		d, dp, err := mime.ParseMediaType(disp)
		if err != nil {
			return err
		}
		part.Disposition, part.Filename = d, dp["filename"]
	}
	m.Parts = append(m.Parts, part)
	return nil
}

// Part returns the first part of type typ, or nil.
func (m *Mail) Part(typ string) *Part {
	for i := range m.Parts {
		if m.Parts[i].Type == typ && m.Parts[i].Disposition != "attachment" {
			return &m.Parts[i]
		}
	}
	return nil
}

// Attachment returns the attachment named name, or nil.
func (m *Mail) Attachment(name string) *Part {
	for i := range m.Parts {
		if m.Parts[i].Disposition == "attachment" && m.Parts[i].Filename == name {
			return &m.Parts[i]
		}
	}
	return nil
}
