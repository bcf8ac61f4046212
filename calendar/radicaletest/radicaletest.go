// Package radicaletest runs a real CalDAV server for tests: Debian's
// radicale on loopback, with one htpasswd user and its storage in the
// test's temp dir.
package radicaletest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Server is a running radicale.
type Server struct {
	// URL is the server's root, with a trailing slash.
	URL            string
	User, Password string
	tb             testing.TB
	dir            string
	port           int
	cmd            *exec.Cmd
}

// Start runs radicale until the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	_, err := exec.LookPath("radicale")
	if err != nil {
		tb.Fatalf("radicale is not installed (apt-get install radicale): %v", err)
	}
	dir := tb.TempDir()
	s := &Server{tb: tb, dir: dir, User: "host", Password: "s3cret-pass", port: freePort(tb)}
	s.URL = fmt.Sprintf("http://127.0.0.1:%d/", s.port)
	must(tb, os.WriteFile(filepath.Join(dir, "users"), []byte(s.User+":"+s.Password+"\n"), 0o600))
	conf := fmt.Sprintf(`[server]
hosts = 127.0.0.1:%d
[auth]
type = htpasswd
htpasswd_filename = %s
htpasswd_encryption = plain
delay = 0
[storage]
filesystem_folder = %s
[rights]
type = owner_only
[logging]
level = warning
[web]
type = none
`, s.port, filepath.Join(dir, "users"), filepath.Join(dir, "collections"))
	must(tb, os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o600))
	s.Up()
	tb.Cleanup(s.Down)
	return s
}

// Up starts the server (again) on its port, with its storage, and waits
// until it answers.
func (s *Server) Up() {
	s.tb.Helper()
	cmd := exec.Command("radicale", "--config", filepath.Join(s.dir, "config"))
	log, err := os.Create(filepath.Join(s.dir, "log"))
	must(s.tb, err)
	cmd.Stdout, cmd.Stderr = log, log
	must(s.tb, cmd.Start())
	s.cmd = cmd
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + ".well-known/caldav")
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(s.dir, "log"))
	s.tb.Fatalf("radicale did not start: %s", b)
}

// Down stops the server; its storage stays.
func (s *Server) Down() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// MakeCalendar creates a calendar of the user's and returns its URL.
func (s *Server) MakeCalendar(name, display string) string {
	s.tb.Helper()
	u := s.URL + s.User + "/" + name + "/"
	body := `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>` + display + `</D:displayname>
  <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set>
</C:mkcalendar>`
	code, out := s.Do("MKCALENDAR", u, "application/xml", body)
	if code != http.StatusCreated {
		s.tb.Fatalf("MKCALENDAR %s: %d %s", u, code, out)
	}
	return u
}

// Put stores an event (a whole VCALENDAR) as uid.ics in a calendar.
func (s *Server) Put(calURL, uid, ics string) {
	s.tb.Helper()
	ics = strings.ReplaceAll(strings.ReplaceAll(ics, "\r\n", "\n"), "\n", "\r\n")
	code, out := s.Do(http.MethodPut, calURL+uid+".ics", "text/calendar", ics)
	if code != http.StatusCreated && code != http.StatusNoContent && code != http.StatusOK {
		s.tb.Fatalf("PUT %s: %d %s", uid, code, out)
	}
}

// Do sends a request as the user and returns the status and body.
func (s *Server) Do(method, u, contentType, body string) (int, string) {
	s.tb.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	must(s.tb, err)
	req.SetBasicAuth(s.User, s.Password)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	must(s.tb, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func freePort(tb testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(tb, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// PutAll stores a VCALENDAR's events in a calendar, one object per UID
// (as CalDAV requires), each with the document's VTIMEZONEs.
func (s *Server) PutAll(calURL, ics string) {
	s.tb.Helper()
	ics = strings.ReplaceAll(ics, "\r\n", "\n")
	var zones []string
	byUID := map[string][]string{}
	var order []string
	for _, block := range blocks(ics, "VTIMEZONE") {
		zones = append(zones, block)
	}
	for _, block := range blocks(ics, "VEVENT") {
		uid := ""
		for _, line := range strings.Split(block, "\n") {
			if v, ok := strings.CutPrefix(line, "UID:"); ok {
				uid = v
			}
		}
		if _, ok := byUID[uid]; !ok {
			order = append(order, uid)
		}
		byUID[uid] = append(byUID[uid], block)
	}
	for _, uid := range order {
		doc := "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//vidivo test//EN\n" + strings.Join(zones, "") +
			strings.Join(byUID[uid], "") + "END:VCALENDAR\n"
		s.Put(calURL, uid, doc)
	}
}

// blocks returns the BEGIN:name … END:name blocks of a document, each
// with its final line feed.
func blocks(doc, name string) []string {
	var out []string
	begin, end := "BEGIN:"+name+"\n", "END:"+name+"\n"
	for {
		i := strings.Index(doc, begin)
		if i < 0 {
			return out
		}
		j := strings.Index(doc[i:], end)
		if j < 0 {
			return out
		}
		out = append(out, doc[i:i+j+len(end)])
		doc = doc[i+j+len(end):]
	}
}
