package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/schedule"
)

// sessionIDIn is the session a redirect after scheduling names.
var sessionIDIn = regexp.MustCompile(`^/sessions/([0-9A-Z]{26})\?done=created$`)

// entryLinks are the entry links a host's session page shows.
var entryLinks = regexp.MustCompile(`value="(https://[^"]+/s/[A-Za-z0-9_-]+)"`)

// TestHostSessionPages: a host in Berlin schedules a group session from
// the page (times typed in their zone), sees each participant's link,
// issues a new link, removes a guest and cancels, and the sessions
// service agrees at each step; bad forms come back with what is wrong;
// other hosts and clients get nothing.
func TestHostSessionPages(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		ctx := context.Background()
		b := s.host(t, "Jane")
		// A host's times are in their availability's zone, as on their
		// other pages.
		zone := "Europe/Berlin"
		a := schedule.Defaults()
		a.Timezone = zone
		if _, err := s.Server.Booking.SetAvailability(ctx, userID(t, s, "jane"), a); err != nil {
			t.Fatal(err)
		}
		if p := b.get("/sessions"); p.Status != http.StatusOK || !strings.Contains(p.Body, "No sessions coming up") ||
			!strings.Contains(p.Body, "In your time zone, Europe/Berlin") {
			t.Fatalf("/sessions = %d:\n%s", p.Status, p.Body)
		}

		berlin, _ := time.LoadLocation(zone)
		day := s.Clock.Now().In(berlin).AddDate(0, 0, 2)
		form := url.Values{"session_name": {"Group practice"}, "date": {day.Format("2006-01-02")}, "start": {"09:30"},
			"duration_minutes": {"90"}, "name_1": {"Ana"}, "email_1": {"ana@example.com"}, "fee_1": {"25.00"},
			"name_3": {"Ben"}, "cohost_3": {"on"}}
		p := b.post("/sessions", form)
		m := sessionIDIn.FindStringSubmatch(p.Header.Get("Location"))
		if p.Status != http.StatusSeeOther || m == nil {
			t.Fatalf("schedule = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
		}
		id := m[1]
		jane := vidivo.Caller{Subject: userID(t, s, "jane"), Role: vidivo.RoleHost}
		sess, err := s.Server.Sessions.Get(ctx, jane, id)
		if err != nil {
			t.Fatal(err)
		}
		wantStart := time.Date(day.Year(), day.Month(), day.Day(), 9, 30, 0, 0, berlin)
		if !sess.StartTime.Equal(wantStart) || sess.EndTime.Sub(sess.StartTime) != 90*time.Minute || sess.Name != "Group practice" {
			t.Errorf("stored session %s %s–%s, want Group practice at %s for 90 minutes", sess.Name, sess.StartTime, sess.EndTime, wantStart.UTC())
		}
		roles := map[string]vidivo.ParticipantRole{}
		for _, q := range sess.Participants {
			roles[q.DisplayName] = q.Role
		}
		if len(roles) != 3 || roles["Jane"] != vidivo.ParticipantHost || roles["Ana"] != vidivo.ParticipantGuest || roles["Ben"] != vidivo.ParticipantHost {
			t.Errorf("participants = %v, want Jane and Ben hosts, Ana a guest", roles)
		}

		detail := b.get("/sessions/" + id + "?done=created")
		links := entryLinks.FindAllStringSubmatch(detail.Body, -1)
		if detail.Status != http.StatusOK || len(links) != 3 || !strings.Contains(detail.Body, "Send each participant their own link") ||
			!strings.Contains(detail.Body, `Fee $25.00: <span class="fee-state">not paid yet</span>`) ||
			!strings.Contains(detail.Body, ">Remove Ana</button>") || strings.Contains(detail.Body, ">Remove Ben</button>") ||
			!strings.Contains(detail.Body, "09:30–11:00") {
			t.Fatalf("the session's page = %d with %d links:\n%s", detail.Status, len(links), detail.Body)
		}
		anaID := participantID(t, sess, "Ana")
		before := linkOf(t, detail.Body, anaID)
		if _, _, err := s.Server.Sessions.Entry(ctx, before[strings.LastIndex(before, "/")+1:]); err != nil {
			t.Errorf("Ana's link does not open the session: %v", err)
		}
		if p := b.get("/sessions"); !strings.Contains(p.Body, `id="session-`+id+`"`) || !strings.Contains(p.Body, "3 people") ||
			!strings.Contains(p.Body, `<h3 class="day">`+wantStart.Format("Monday 2 January 2006")+`</h3>`) {
			t.Errorf("the calendar does not show the session on its day:\n%s", p.Body)
		}

		// Move it a day later and make it shorter; a bad time changes nothing.
		next := wantStart.AddDate(0, 0, 1)
		if p := b.post("/sessions/"+id, url.Values{"session_name": {"Group practice II"}, "date": {next.Format("2006-01-02")},
			"start": {"10:15"}, "duration_minutes": {"45"}}); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/sessions/"+id+"?done=saved" {
			t.Fatalf("save = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
		}
		moved := time.Date(next.Year(), next.Month(), next.Day(), 10, 15, 0, 0, berlin)
		if got, err := s.Server.Sessions.Get(ctx, jane, id); err != nil || got.Name != "Group practice II" || !got.StartTime.Equal(moved) ||
			got.EndTime.Sub(got.StartTime) != 45*time.Minute || got.Sequence != sess.Sequence+1 {
			t.Errorf("after the change: %+v (%v), want Group practice II at %s for 45 minutes, the next sequence", got, err, moved)
		}
		if p := b.post("/sessions/"+id, url.Values{"session_name": {"Group practice III"}, "date": {""}, "start": {"10:15"},
			"duration_minutes": {"45"}}); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Start: enter a date and a time.") ||
			!strings.Contains(p.Body, `value="Group practice III"`) {
			t.Errorf("a bad change = %d:\n%s", p.Status, p.Body)
		}
		if got, _ := s.Server.Sessions.Get(ctx, jane, id); got.Name != "Group practice II" {
			t.Errorf("a refused change renamed the session to %q", got.Name)
		}

		// A new link for Ana: the old one stops opening the session.
		if p := b.post("/sessions/"+id+"/participants/"+anaID+"/reissue", nil); p.Status != http.StatusSeeOther {
			t.Fatalf("reissue = %d:\n%s", p.Status, p.Body)
		}
		after := linkOf(t, b.get("/sessions/"+id+"?done=reissued").Body, anaID)
		if after == before {
			t.Error("the page shows the same link after a new one was issued")
		}
		if _, _, err := s.Server.Sessions.Entry(ctx, before[strings.LastIndex(before, "/")+1:]); vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
			t.Errorf("the old link = %v, want not found", err)
		}

		// Another host sees nothing of it; a client has no such pages.
		other := s.host(t, "Omar")
		for _, p := range []*page{other.get("/sessions/" + id), other.post("/sessions/"+id+"/cancel", nil),
			other.post("/sessions/"+id+"/participants/"+anaID+"/remove", nil)} {
			if p.Status != http.StatusNotFound {
				t.Errorf("another host = %d, want 404", p.Status)
			}
		}
		if p := s.signedUp(t, "Casey", vidivo.RoleClient).get("/sessions"); p.Status != http.StatusForbidden {
			t.Errorf("a client's /sessions = %d, want 403", p.Status)
		}
		if p := b.post("/sessions/"+id+"/cancel", url.Values{"csrf": {"forged"}}); p.Status != http.StatusForbidden {
			t.Errorf("cancel with a forged CSRF token = %d, want 403", p.Status)
		}

		// Remove Ana, then cancel.
		if p := b.post("/sessions/"+id+"/participants/"+anaID+"/remove", nil); p.Status != http.StatusSeeOther {
			t.Fatalf("remove = %d:\n%s", p.Status, p.Body)
		}
		if p := b.get("/sessions/" + id); strings.Contains(p.Body, "participant-"+anaID) {
			t.Errorf("Ana is still on the page after her removal")
		}
		if p := b.post("/sessions/"+id+"/cancel", nil); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/sessions/"+id+"?done=canceled" {
			t.Fatalf("cancel = %d → %q", p.Status, p.Header.Get("Location"))
		}
		if p := b.get("/sessions/" + id + "?done=canceled"); !strings.Contains(p.Body, `id="session-state">canceled<`) ||
			strings.Contains(p.Body, "Cancel session</button>") || strings.Contains(p.Body, "New link for") {
			t.Errorf("the canceled session's page:\n%s", p.Body)
		}
		if sess, err := s.Server.Sessions.Get(ctx, jane, id); err != nil || sess.State != vidivo.SessionCanceled {
			t.Errorf("stored state = %v (%v), want canceled", sess.State, err)
		}
	})
}

// TestHostSessionForm: a refused form comes back at 400 with what is
// wrong where it is, as typed, and nothing is scheduled.
func TestHostSessionForm(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		b := s.host(t, "Jane")
		tomorrow := s.Clock.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
		yesterday := s.Clock.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
		good := func(change map[string]string) url.Values {
			f := url.Values{"session_name": {"Group practice"}, "date": {tomorrow}, "start": {"10:00"}, "duration_minutes": {"60"},
				"name_1": {"Ana"}}
			for k, v := range change {
				f.Set(k, v)
			}
			return f
		}
		for _, tc := range []struct {
			name   string
			change map[string]string
			want   string
		}{
			{"no date", map[string]string{"date": ""}, "Start: enter a date and a time."},
			{"not a time", map[string]string{"start": "25:99"}, "Start: enter a date and a time."},
			{"no length", map[string]string{"duration_minutes": "x"}, "Length: enter the number of minutes."},
			{"in the past", map[string]string{"date": yesterday}, "start_time must not be in the past"},
			{"too long", map[string]string{"duration_minutes": "600"}, "end_time must be at most 8 hours after start_time"},
			{"no name", map[string]string{"session_name": " "}, "session_name"},
			{"a bad fee", map[string]string{"fee_1": "abc"}, "Fee: enter an amount such as 25.00."},
			{"a bad email", map[string]string{"email_2": "not an email", "name_2": "Ben"}, "email"},
			{"a guest without a name", map[string]string{"email_2": "ben@example.com"}, "display_name"},
		} {
			p := b.post("/sessions", good(tc.change))
			if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, tc.want) || !strings.Contains(p.Body, `role="alert"`) {
				t.Errorf("%s: = %d, want 400 saying %q:\n%s", tc.name, p.Status, tc.want, p.Body)
			}
			if !strings.Contains(p.Body, `value="Ana"`) {
				t.Errorf("%s: the form lost what was typed", tc.name)
			}
		}
		if p := b.get("/sessions"); !strings.Contains(p.Body, "No sessions coming up") {
			t.Error("a refused form scheduled a session")
		}
	})
}

func participantID(t *testing.T, sess *vidivo.Session, name string) string {
	t.Helper()
	for _, p := range sess.Participants {
		if p.DisplayName == name {
			return p.ID
		}
	}
	t.Fatalf("no participant %s", name)
	return ""
}

// linkOf is the entry link the page shows for a participant.
func linkOf(t *testing.T, body, pid string) string {
	t.Helper()
	m := regexp.MustCompile(`id="link-` + pid + `" type="text" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link for %s:\n%s", pid, body)
	}
	return m[1]
}
