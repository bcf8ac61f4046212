package web_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calls"
)

// signedUp signs a new account up in a fresh browser.
func (s *site) signedUp(t *testing.T, name string, role vidivo.Role) *browser {
	t.Helper()
	b := s.browser(t)
	f := url.Values{"display_name": {name}, "email": {strings.ToLower(name) + "@example.com"}, "username": {strings.ToLower(name)},
		"password": {"correct horse battery"}, "role": {string(role)}}
	if p := b.post("/signup", f); p.Status != http.StatusSeeOther {
		t.Fatalf("sign up %s = %d:\n%s", name, p.Status, p.Body)
	}
	return b
}

// host signs a host up and connects their payouts through the page, so
// they can create links.
func (s *site) host(t *testing.T, name string) *browser {
	t.Helper()
	b := s.signedUp(t, name, vidivo.RoleHost)
	if p := b.post("/settings/payouts/onboarding", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("payouts onboarding = %d:\n%s", p.Status, p.Body)
	}
	return b
}

// goodLink is a valid create-link form.
func goodLink() url.Values {
	return url.Values{"rate_per_minute": {"2.50"}, "window_size_minutes": {"10"}, "label": {"Coaching"}}
}

var linkURL = regexp.MustCompile(`value="https://[^"]+/c/([A-Za-z0-9]+)"`)

// createLink creates a link through the dashboard's form and returns its
// short code.
func (b *browser) createLink(form url.Values) string {
	b.t.Helper()
	p := b.post("/dashboard/links", form)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/dashboard?done=created#link-") {
		b.t.Fatalf("create link = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
	}
	return strings.TrimPrefix(p.Header.Get("Location"), "/dashboard?done=created#link-")
}

// join has a guest join the link with code, paying with the sandbox visa.
func (s *site) join(t *testing.T, code, guest string) *vidivo.Call {
	t.Helper()
	c, _, err := s.Calls.Join(context.Background(), calls.JoinRequest{ShortCode: code, PaymentMethodID: "pm_card_visa", GuestName: &guest})
	if err != nil {
		t.Fatalf("join %s: %v", code, err)
	}
	return c
}

// callStatus reads a call's status from the store.
func (s *site) call(t *testing.T, id string) *vidivo.Call {
	t.Helper()
	c, err := s.DB.CallByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitStatus polls the store briefly for a call to reach want: the
// stream marks a call ringing right after writing its event.
func (s *site) waitStatus(t *testing.T, id string, want vidivo.CallStatus) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.call(t, id).Status != want {
		if time.Now().After(deadline) {
			t.Fatalf("call %s is %s after 5 s, want %s", id, s.call(t, id).Status, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sse is an open event stream read as a browser's EventSource would.
type sse struct {
	t      *testing.T
	resp   *http.Response
	r      *bufio.Reader
	cancel func()
}

// events opens path as an event stream with the browser's cookies.
func (b *browser) events(path string) *sse {
	b.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		b.t.Fatal(err)
	}
	st := &sse{t: b.t, resp: resp, r: bufio.NewReader(resp.Body), cancel: cancel}
	b.t.Cleanup(st.close)
	return st
}

func (st *sse) close() { st.cancel(); st.resp.Body.Close() }

// next returns the next event's name and data, skipping comments; it
// fails the test if none comes within 10 s.
func (st *sse) next() (name, data string) {
	st.t.Helper()
	timer := time.AfterFunc(10*time.Second, st.close)
	defer timer.Stop()
	for {
		line, err := st.r.ReadString('\n')
		if err != nil {
			st.t.Fatalf("event stream ended before an event: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "" && name != "":
			return name, data
		}
	}
}
