package mail_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo/mail"
	"github.com/vidivo/vidivo/mail/mailtest"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	good := []struct {
		raw  string
		want mail.Server
	}{
		{"smtp://user:pa%20ss@mail.example.com:587", mail.Server{Host: "mail.example.com", Port: 587, Username: "user", Password: "pa ss", TLS: mail.StartTLS}},
		{"smtp://user:pass@mail.example.com", mail.Server{Host: "mail.example.com", Port: 587, Username: "user", Password: "pass", TLS: mail.StartTLS}},
		{"smtps://user:pass@mail.example.com", mail.Server{Host: "mail.example.com", Port: 465, Username: "user", Password: "pass", TLS: mail.Implicit}},
		{"smtps://mail.example.com:2465", mail.Server{Host: "mail.example.com", Port: 2465, TLS: mail.Implicit}},
		{"smtp://relay.internal?tls=none", mail.Server{Host: "relay.internal", Port: 25, TLS: mail.NoTLS}},
		{"smtp://127.0.0.1:2525?tls=none", mail.Server{Host: "127.0.0.1", Port: 2525, TLS: mail.NoTLS}},
		{"smtp://user:pass@localhost:25?tls=none", mail.Server{Host: "localhost", Port: 25, Username: "user", Password: "pass", TLS: mail.NoTLS}},
		{"smtp://user:pass@[::1]:25?tls=none", mail.Server{Host: "::1", Port: 25, Username: "user", Password: "pass", TLS: mail.NoTLS}},
	}
	for _, tc := range good {
		got, err := mail.ParseURL(tc.raw)
		if err != nil || *got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.raw, got, err, tc.want)
		}
	}
	bad := map[string]string{
		"":                                             "scheme",
		"http://mail.example.com":                      `scheme "http"`,
		"mail.example.com:587":                         "scheme",
		"smtp://":                                      "no host",
		"smtp://mail.example.com:0":                    "port",
		"smtp://mail.example.com:99999":                "port",
		"smtp://mail.example.com/inbox":                "no path",
		"smtp://:pass@mail.example.com":                "password without a user",
		"smtp://mail.example.com?tls=yes":              "tls=",
		"smtp://mail.example.com?auth=plain":           `unknown parameter "auth"`,
		"smtps://mail.example.com?tls=none":            "smtps:// with tls=none",
		"smtp://user:pass@mail.example.com?tls=none":   "plain text to mail.example.com",
		"smtp://user:pass@10.0.0.5:25?tls=none":        "plain text to 10.0.0.5",
		"smtp://user:pass@localhost.evil.com?tls=none": "plain text",
		"smtp://%zz":                                   "not a URL",
	}
	for raw, want := range bad {
		_, err := mail.ParseURL(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseURL(%q) = %v, want an error saying %q", raw, err, want)
		}
	}
	if _, err := mail.New("smtp://h:25?tls=none", "not an address"); err == nil || !strings.Contains(err.Error(), "VIDIVO_MAIL_FROM") {
		t.Errorf("New with a bad from = %v, want a VIDIVO_MAIL_FROM error", err)
	}
	if _, err := mail.New("ftp://h", "a@b.example"); err == nil || !strings.Contains(err.Error(), "VIDIVO_SMTP_URL") {
		t.Errorf("New with a bad URL = %v, want a VIDIVO_SMTP_URL error", err)
	}
	if _, err := mail.ParseURL("smtp://user:hunter2@mail.example.com?tls=none"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the password: %v", err)
	}
	s, _ := mail.ParseURL("smtp://user:secret@mail.example.com")
	if got := s.String(); strings.Contains(got, "secret") || got != "smtp://user@mail.example.com:587" {
		t.Errorf("String() = %q", got)
	}
}

var ics = []byte("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:u1@vidivo\r\nSEQUENCE:0\r\n" +
	"DESCRIPTION:a long line with = signs and ünïcödé that quoted-printable must wrap without changing a byte of it at all\r\n" +
	"END:VEVENT\r\nEND:VCALENDAR\r\n")

// TestSendIMIP sends through a real SMTP server: a multipart/alternative
// of the text and text/calendar (with its method), the same .ics attached,
// and a name with CR/LF that starts no header of its own.
func TestSendIMIP(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	s, err := mail.New(srv.URL(), "Vidivo <noreply@vidivo.test>")
	if err != nil {
		t.Fatal(err)
	}
	evil := "Eve\r\nBcc: victim@example.com\r\nX-Evil: 1"
	err = s.Send(context.Background(), mail.Message{ToName: evil, ToEmail: "eve@example.com",
		Subject: "Invitation: Practice\r\nBcc: victim@example.com", Text: "Hello Eve", Method: "REQUEST", ICS: ics})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Received()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "eve@example.com" || got[0].From != "noreply@vidivo.test" {
		t.Fatalf("received %+v", got)
	}
	m, err := mailtest.Parse(got[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Bcc") != "" || m.Header.Get("X-Evil") != "" {
		t.Fatalf("injected headers: %v", m.Header)
	}
	if m.To.Address != "eve@example.com" || !strings.HasPrefix(m.To.Name, "Eve") || strings.ContainsAny(m.To.Name, "\r\n") {
		t.Fatalf("To = %+v", m.To)
	}
	if !strings.HasPrefix(m.Subject, "Invitation: Practice") || strings.ContainsAny(m.Subject, "\r\n") {
		t.Fatalf("Subject = %q", m.Subject)
	}
	want := []string{"multipart/mixed", "multipart/alternative", "text/plain", "text/calendar", "application/ics"}
	if strings.Join(m.Tree, " ") != strings.Join(want, " ") {
		t.Fatalf("structure = %v, want %v", m.Tree, want)
	}
	cal := m.Part("text/calendar")
	if cal.Params["method"] != "REQUEST" || !strings.EqualFold(cal.Params["charset"], "UTF-8") || string(cal.Body) != string(ics) {
		t.Fatalf("calendar part %v: %q", cal.Params, cal.Body)
	}
	if a := m.Attachment("invite.ics"); a == nil || string(a.Body) != string(ics) {
		t.Fatalf("invite.ics attachment: %+v", a)
	}
	if p := m.Part("text/plain"); p == nil || string(p.Body) != "Hello Eve" {
		t.Fatalf("text part: %+v", p)
	}
}

// TestSendErrors: a 5xx reply is permanent, a 4xx reply and a server
// that is down are passing.
func TestSendErrors(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	srv.Reject("gone@example.com", 550)
	srv.Reject("full@example.com", 452)
	s, err := mail.New(srv.URL(), "noreply@vidivo.test")
	if err != nil {
		t.Fatal(err)
	}
	send := func(to string) error {
		return s.Send(context.Background(), mail.Message{ToEmail: to, Subject: "x", Text: "x", Method: "CANCEL", ICS: ics})
	}
	if err := send("gone@example.com"); err == nil || !mail.Permanent(err) {
		t.Fatalf("550: %v (permanent %v), want permanent", err, mail.Permanent(err))
	}
	if err := send("full@example.com"); err == nil || mail.Permanent(err) {
		t.Fatalf("452: %v, want a passing error", err)
	}
	if err := send("not an address"); err == nil || !mail.Permanent(err) {
		t.Fatalf("bad address: %v, want permanent", err)
	}
	srv.Stop()
	if err := send("ok@example.com"); err == nil || mail.Permanent(err) {
		t.Fatalf("server down: %v, want a passing error", err)
	}
}

// TestSendStartTLSAuth: smtp:// with credentials upgrades with STARTTLS
// before it authenticates; a server without STARTTLS is refused.
func TestSendStartTLSAuth(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	srv := (&mailtest.Server{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, User: "vidivo", Password: "s3cret"}).StartWith(t)
	_, port, _ := net.SplitHostPort(srv.Addr)
	s, err := mail.New("smtp://vidivo:s3cret@127.0.0.1:"+port, "noreply@vidivo.test")
	if err != nil {
		t.Fatal(err)
	}
	s.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	msg := mail.Message{ToEmail: "a@example.com", Subject: "x", Text: "x", Method: "REQUEST", ICS: ics}
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Received()); n != 1 {
		t.Fatalf("received %d", n)
	}
	plain := (&mailtest.Server{}).StartWith(t)
	_, port, _ = net.SplitHostPort(plain.Addr)
	s, _ = mail.New("smtp://vidivo:s3cret@127.0.0.1:"+port, "noreply@vidivo.test")
	if err := s.Send(context.Background(), msg); err == nil {
		t.Fatal("sent without STARTTLS")
	}
	if n := len(plain.Received()); n != 0 {
		t.Fatalf("the server without TLS received %d", n)
	}
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}
