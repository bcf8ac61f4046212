package jobs_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/jobs"
	"github.com/vidivo/vidivo/mail"
	"github.com/vidivo/vidivo/mail/mailtest"
	"github.com/vidivo/vidivo/sessions"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sqldb/storetest"
	"github.com/vidivo/vidivo/testclock"
)

// mailStart is a Tuesday: "Tue 8 Dec 15:00 UTC".
var mailStart = time.Date(2026, 12, 8, 15, 0, 0, 0, time.UTC)

// mailRig is the sessions service on a real store, the outbox's sender
// pointed at a real SMTP server on loopback, and one clock for all.
// wantEvery fails the test unless every mail row of the session is ok,
// and returns the rows.
func (r *mailRig) wantEvery(t *testing.T, sessionID, what string, ok func(*vidivo.InviteMail) bool) []*vidivo.InviteMail {
	t.Helper()
	rows, err := r.db.InviteMails(context.Background(), sessionID)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if !ok(row) {
			t.Fatalf("row %+v, want every row %s", row, what)
		}
	}
	return rows
}

func sentOnce(row *vidivo.InviteMail) bool { return row.Status == vidivo.MailSent && row.Attempts == 1 }

type mailRig struct {
	db     *sqldb.DB
	svc    *sessions.Service
	clk    *testclock.Clock
	srv    *mailtest.Server
	outbox *jobs.MailOutbox
	host   *vidivo.User
}

func newMailRig(t *testing.T, db *sqldb.DB) *mailRig {
	t.Helper()
	clk := testclock.New(mailStart.Add(-26 * time.Hour))
	db.Now = clk.Now
	srv := mailtest.Start(t)
	sender, err := mail.New(srv.URL(), "Vidivo <noreply@vidivo.test>")
	if err != nil {
		t.Fatal(err)
	}
	sender.Timeout = 5 * time.Second
	host := storetest.MustCreateUser(t, db, "drsmith", vidivo.RoleHost)
	svc := &sessions.Service{Store: db, EntryKey: []byte("entry-key-entry-key-entry-key-32"),
		PublicURL: "https://vidivo.test", Now: clk.Now, Logger: slog.New(slog.DiscardHandler)}
	return &mailRig{db: db, svc: svc, clk: clk, srv: srv, host: host, outbox: &jobs.MailOutbox{Store: db, Sessions: svc,
		Sender: sender, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)}}
}

func (r *mailRig) caller() vidivo.Caller {
	return vidivo.Caller{Subject: r.host.ID, Role: vidivo.RoleHost}
}

// schedule creates "Group practice": the host, Pat, Sam (no email) and
// Mallory, whose name tries to add a recipient.
func (r *mailRig) schedule(t *testing.T) *vidivo.Session {
	t.Helper()
	s, err := r.svc.Create(context.Background(), r.caller(), vidivo.SessionInput{Name: "Group practice",
		StartTime: mailStart, EndTime: mailStart.Add(time.Hour), Participants: []vidivo.ParticipantInput{
			{DisplayName: "Dr Smith", Role: vidivo.ParticipantHost, Email: r.host.Email},
			{DisplayName: "Pat", Role: vidivo.ParticipantGuest, Email: "pat@example.com"},
			{DisplayName: "Sam", Role: vidivo.ParticipantGuest},
			{DisplayName: `Mallory <victim@example.com>, "Bob"`, Role: vidivo.ParticipantGuest, Email: "mallory@example.com"},
		}})
	if err != nil {
		t.Fatalf("create session: %v", err)
	}
	return s
}

func (r *mailRig) drain(t *testing.T) {
	t.Helper()
	if err := r.outbox.Drain(context.Background()); err != nil {
		t.Fatalf("drain: %v", err)
	}
}

// sent is one received invite mail, read back.
type sent struct {
	rcpt   []string
	mail   *mailtest.Mail
	text   string
	ics    string
	method string // of the text/calendar part's Content-Type
}

func (s sent) prop(name string) string {
	for _, line := range strings.Split(s.ics, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	return ""
}

// take parses and forgets what the server received, by recipient.
func (r *mailRig) take(t *testing.T) map[string]sent {
	t.Helper()
	out := map[string]sent{}
	for _, got := range r.srv.Received() {
		m, err := mailtest.Parse(got.Data)
		if err != nil {
			t.Fatalf("parse mail: %v\n%s", err, got.Data)
		}
		cal, text, att := m.Part("text/calendar"), m.Part("text/plain"), m.Attachment("invite.ics")
		if cal == nil || text == nil || att == nil || string(att.Body) != string(cal.Body) {
			t.Fatalf("mail to %v is not an iMIP invite: %v", got.To, m.Tree)
		}
		if _, dup := out[m.To.Address]; dup {
			t.Fatalf("two mails to %s", m.To.Address)
		}
		out[m.To.Address] = sent{rcpt: got.To, mail: m, text: string(text.Body), ics: string(cal.Body), method: cal.Params["method"]}
	}
	r.srv.Reset()
	return out
}

func recipients(got map[string]sent) []string {
	var out []string
	for k := range got {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func uidOf(s *vidivo.Session, p *vidivo.SessionParticipant) string {
	return "session-" + s.ID + "-" + p.ID + "@vidivo"
}

// TestInviteMails follows one session through its changes with a real
// SMTP server (both engines): each change's mails, read back with
// net/mail and mime/multipart, go to exactly those they concern, with
// their own entry URL, the right method, UID and SEQUENCE; the participant
// without an email gets nothing.
func TestInviteMails(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			r := newMailRig(t, sqldbtest.New(t, engine))
			s := r.schedule(t)
			host, pat, mallory := s.Participants[0], s.Participants[1], s.Participants[3]

			// Created: an invitation to each participant with an email.
			r.drain(t)
			got := r.take(t)
			if rc := recipients(got); !slices.Equal(rc, []string{"drsmith@example.com", "mallory@example.com", "pat@example.com"}) {
				t.Fatalf("created: mails to %v", rc)
			}
			for _, p := range []*vidivo.SessionParticipant{host, pat, mallory} {
				m := got[p.Email]
				url := r.svc.EntryURLOf(p)
				if !slices.Equal(m.rcpt, []string{p.Email}) {
					t.Fatalf("mail for %s went to %v", p.Email, m.rcpt)
				}
				if m.method != "REQUEST" || m.prop("METHOD") != "REQUEST" || m.prop("SEQUENCE") != "0" ||
					m.prop("UID") != uidOf(s, p) || m.prop("URL") != url {
					t.Fatalf("invitation to %s:\n%s", p.Email, m.ics)
				}
				if !strings.Contains(m.text, url) || !strings.Contains(m.text, "Tue 8 Dec 2026, 15:00–16:00 UTC") {
					t.Fatalf("text to %s:\n%s", p.Email, m.text)
				}
				if m.mail.Subject != "Invitation: Group practice, Tue 8 Dec 15:00 UTC" {
					t.Fatalf("subject %q", m.mail.Subject)
				}
				for _, q := range s.Participants {
					if q != p && strings.Contains(m.text+m.ics, r.svc.EntryURLOf(q)) {
						t.Fatalf("the mail to %s holds %s's entry URL", p.Email, q.DisplayName)
					}
				}
			}
			if m := got["mallory@example.com"]; m.mail.To.Name != `Mallory <victim@example.com>, "Bob"` {
				t.Fatalf("To of Mallory's mail = %+v", m.mail.To)
			}

			// New times (PATCH): the update, SEQUENCE:1, to the same three.
			later, end := mailStart.Add(2*time.Hour), mailStart.Add(3*time.Hour)
			if _, err := r.svc.Update(ctx, r.caller(), s.ID, vidivo.SessionUpdate{StartTime: &later, EndTime: &end}); err != nil {
				t.Fatal(err)
			}
			r.drain(t)
			got = r.take(t)
			if len(got) != 3 {
				t.Fatalf("updated: mails to %v", recipients(got))
			}
			for email, m := range got {
				if m.method != "REQUEST" || m.prop("SEQUENCE") != "1" || m.prop("DTSTART") != "20261208T170000Z" ||
					!strings.HasPrefix(m.mail.Subject, "Updated invitation: Group practice, Tue 8 Dec 17:00 UTC") {
					t.Fatalf("update to %s (%q):\n%s", email, m.mail.Subject, m.ics)
				}
			}

			// A new picture changes no invite: nothing is sent.
			pic := "https://img.example/p.png"
			if _, err := r.svc.Update(ctx, r.caller(), s.ID, vidivo.SessionUpdate{Picture: &pic}); err != nil {
				t.Fatal(err)
			}
			r.drain(t)
			if got := r.take(t); len(got) != 0 {
				t.Fatalf("a new picture sent %v", recipients(got))
			}

			// Pat removed: the cancellation of Pat's event, to Pat only.
			if err := r.svc.RemoveParticipant(ctx, r.caller(), s.ID, pat.ID); err != nil {
				t.Fatal(err)
			}
			r.drain(t)
			got = r.take(t)
			if m, ok := got["pat@example.com"]; len(got) != 1 || !ok || m.method != "CANCEL" || m.prop("METHOD") != "CANCEL" ||
				m.prop("UID") != uidOf(s, pat) || m.prop("STATUS") != "CANCELLED" || m.prop("SEQUENCE") != "3" ||
				!strings.HasPrefix(m.mail.Subject, "Canceled: Group practice") {
				t.Fatalf("removed: %v\n%s", recipients(got), got["pat@example.com"].ics)
			}

			// Mallory's URL reissued: the invitation again with the new URL.
			old := r.svc.EntryURLOf(mallory)
			np, err := r.svc.Reissue(ctx, r.caller(), s.ID, mallory.ID)
			if err != nil {
				t.Fatal(err)
			}
			r.drain(t)
			got = r.take(t)
			m, ok := got["mallory@example.com"]
			if nu := r.svc.EntryURLOf(np); len(got) != 1 || !ok || nu == old || m.method != "REQUEST" || m.prop("URL") != nu ||
				!strings.Contains(m.text, nu) || strings.Contains(m.text+m.ics, old) || m.prop("UID") != uidOf(s, mallory) {
				t.Fatalf("reissued: %v\n%s\n%s", recipients(got), m.text, m.ics)
			}

			// Canceled: the cancellation to the two who remain.
			if _, err := r.svc.Cancel(ctx, r.caller(), s.ID); err != nil {
				t.Fatal(err)
			}
			r.drain(t)
			got = r.take(t)
			if rc := recipients(got); !slices.Equal(rc, []string{"drsmith@example.com", "mallory@example.com"}) {
				t.Fatalf("canceled: mails to %v", rc)
			}
			for email, m := range got {
				if m.method != "CANCEL" || m.prop("SEQUENCE") != "3" || m.prop("STATUS") != "CANCELLED" {
					t.Fatalf("cancellation to %s:\n%s", email, m.ics)
				}
			}
			r.wantEvery(t, s.ID, "sent at the first attempt", sentOnce)
		})
	}
}

// TestInviteMailHeaderInjection: a display name with CR/LF (which the API
// refuses; here written to the store directly) starts no header and adds
// no recipient.
func TestInviteMailHeaderInjection(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			r := newMailRig(t, sqldbtest.New(t, engine))
			s := r.schedule(t)
			r.drain(t)
			r.take(t)
			p := *s.Participants[2]
			p.ID, p.TokenHash, p.DisplayName = "01JZZZZZZZZZZZZZZZZZZZZZZZ", "another-hash", "Eve\r\nBcc: victim@example.com\r\nX-Evil: 1"
			p.Email = "eve@example.com"
			if err := r.db.AddSessionParticipant(ctx, &p); err != nil {
				t.Fatal(err)
			}
			r.drain(t)
			received := r.srv.Received()
			if len(received) != 1 || !slices.Equal(received[0].To, []string{"eve@example.com"}) {
				t.Fatalf("received %+v", received)
			}
			got := r.take(t)["eve@example.com"]
			if got.mail.Header.Get("Bcc") != "" || got.mail.Header.Get("X-Evil") != "" || strings.ContainsAny(got.mail.To.Name, "\r\n") {
				t.Fatalf("headers %v", got.mail.Header)
			}
		})
	}
}

// TestInviteMailsOutage: with the SMTP server down nothing is lost — the
// rows wait (backing off) and are delivered once it is back, each once;
// two quick changes send only the current invitation.
func TestInviteMailsOutage(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			r := newMailRig(t, sqldbtest.New(t, engine))
			s := r.schedule(t)
			r.srv.Stop()
			r.drain(t)
			r.wantEvery(t, s.ID, "pending after one failed attempt", func(row *vidivo.InviteMail) bool {
				return row.Status == vidivo.MailPending && row.Attempts == 1 && row.Error != ""
			})
			// Two changes while it is down: only the second's invitation goes.
			for _, name := range []string{"Group practice (moved)", "Group practice II"} {
				if _, err := r.svc.Update(ctx, r.caller(), s.ID, vidivo.SessionUpdate{Name: &name}); err != nil {
					t.Fatal(err)
				}
			}
			r.srv.Restart(t)
			r.clk.Add(30 * time.Second)
			r.drain(t) // the newest rows are due; the superseded ones never go
			got := r.take(t)
			if len(got) != 3 {
				t.Fatalf("after the restart: mails to %v", recipients(got))
			}
			for email, m := range got {
				if m.prop("SEQUENCE") != "2" || m.prop("SUMMARY") != "Group practice II" {
					t.Fatalf("to %s:\n%s", email, m.ics)
				}
			}
			r.clk.Add(2 * time.Hour)
			r.drain(t)
			if got := r.take(t); len(got) != 0 {
				t.Fatalf("sent again: %v", recipients(got))
			}
			rows, _ := r.db.InviteMails(ctx, s.ID)
			count := map[string]int{}
			for _, row := range rows {
				count[row.Status]++
			}
			if count[vidivo.MailSent] != 3 || count[vidivo.MailSuperseded] != 6 || len(rows) != 9 {
				t.Fatalf("rows by status %v", count)
			}
		})
	}
}

// TestInviteMailsBackoffAndRefusal: a recipient the server refuses for now
// (452) is retried after the back-off, not before; one refused for good
// (550) is recorded failed with the server's answer and not retried.
func TestInviteMailsBackoffAndRefusal(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			r := newMailRig(t, sqldbtest.New(t, engine))
			r.srv.Reject("pat@example.com", 452)
			r.srv.Reject("mallory@example.com", 550)
			s := r.schedule(t)
			r.drain(t)
			if got := recipients(r.take(t)); !slices.Equal(got, []string{"drsmith@example.com"}) {
				t.Fatalf("first drain: %v", got)
			}
			byEmail := func() map[string]*vidivo.InviteMail {
				rows, err := r.db.InviteMails(ctx, s.ID)
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]*vidivo.InviteMail{}
				for _, row := range rows {
					out[row.Email] = row
				}
				return out
			}
			rows := byEmail()
			if m := rows["mallory@example.com"]; m.Status != vidivo.MailFailed || !strings.Contains(m.Error, "550") {
				t.Fatalf("refused for good: %+v", m)
			}
			if p := rows["pat@example.com"]; p.Status != vidivo.MailPending || !strings.Contains(p.Error, "452") {
				t.Fatalf("refused for now: %+v", p)
			}
			r.srv.Reset()
			r.srv.Reject("pat@example.com", 0) // no longer refused
			r.clk.Add(30 * time.Second)        // before the first back-off of a minute
			r.drain(t)
			if got := r.take(t); len(got) != 0 {
				t.Fatalf("retried early: %v", recipients(got))
			}
			r.clk.Add(time.Minute)
			r.drain(t)
			if got := recipients(r.take(t)); !slices.Equal(got, []string{"pat@example.com"}) {
				t.Fatalf("after the back-off: %v", got)
			}
			if p := byEmail()["pat@example.com"]; p.Status != vidivo.MailSent || p.Attempts != 2 {
				t.Fatalf("pat's row %+v", p)
			}
		})
	}
}

// TestInviteMailsTwoDrains: two instances draining one outbox at once send
// every row exactly once (claimed by compare-and-set).
func TestInviteMailsTwoDrains(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			r := newMailRig(t, sqldbtest.New(t, engine))
			r.srv.Delay(5 * time.Millisecond)
			var ids []string
			for range 6 {
				ids = append(ids, r.schedule(t).ID)
			}
			other := *r.outbox
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for _, o := range []*jobs.MailOutbox{r.outbox, &other, r.outbox, &other} {
				wg.Go(func() { errs <- o.Drain(context.Background()) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			seen := map[string]int{}
			for _, got := range r.srv.Received() {
				m, err := mailtest.Parse(got.Data)
				if err != nil {
					t.Fatal(err)
				}
				seen[sent{ics: string(m.Part("text/calendar").Body)}.prop("UID")]++
			}
			if len(seen) != 18 {
				t.Fatalf("%d events mailed, want 18 (6 sessions × 3 with an email)", len(seen))
			}
			for uid, n := range seen {
				if n != 1 {
					t.Fatalf("%s mailed %d times", uid, n)
				}
			}
			for _, id := range ids {
				r.wantEvery(t, id, "sent at the first attempt", sentOnce)
			}
		})
	}
}

// TestInviteMailsNoServer: without SMTP the rows are marked skipped, not
// left to pile up.
func TestInviteMailsNoServer(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			r := newMailRig(t, sqldbtest.New(t, engine))
			r.outbox.Sender = nil
			s := r.schedule(t)
			r.drain(t)
			if rows := r.wantEvery(t, s.ID, "skipped", func(row *vidivo.InviteMail) bool { return row.Status == vidivo.MailSkipped }); len(rows) != 3 {
				t.Fatalf("%d rows, want 3", len(rows))
			}
			if n := len(r.srv.Received()); n != 0 {
				t.Fatalf("%d mails", n)
			}
		})
	}
}

// TestMailDrainJob runs River for real: the periodic drain, run at
// start, delivers a session's invitations.
func TestMailDrainJob(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			url := sqldbtest.URL(t, engine)
			pool := jobPool(t, url)
			r := newMailRig(t, sqldbtest.Open(t, url, nil))
			r.schedule(t)
			r.outbox.Now = nil // River runs on the wall clock
			startRunner(t, jobs.Config{Engine: engine, Pool: pool, Mail: r.outbox})
			deadline := time.Now().Add(30 * time.Second)
			for len(r.srv.Received()) < 3 {
				if time.Now().After(deadline) {
					t.Fatalf("the drain job delivered %d of 3 mails", len(r.srv.Received()))
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// TestInviteMailsQuickCancel: a session created and canceled before the
// drain, and a participant added and removed, send nothing: nobody had
// an invitation to cancel.
func TestInviteMailsQuickCancel(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			r := newMailRig(t, sqldbtest.New(t, engine))
			s := r.schedule(t)
			if _, err := r.svc.Cancel(ctx, r.caller(), s.ID); err != nil {
				t.Fatal(err)
			}
			kept := r.schedule(t)
			r.drain(t)
			r.take(t)
			_, p, err := r.svc.AddParticipant(ctx, r.caller(), kept.ID, vidivo.ParticipantInput{DisplayName: "Kim",
				Role: vidivo.ParticipantGuest, Email: "kim@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.svc.RemoveParticipant(ctx, r.caller(), kept.ID, p.ID); err != nil {
				t.Fatal(err)
			}
			r.drain(t)
			if got := r.take(t); len(got) != 0 {
				t.Fatalf("mails to %v", recipients(got))
			}
			for _, id := range []string{s.ID, kept.ID} {
				rows, err := r.db.InviteMails(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				for _, row := range rows {
					want := vidivo.MailSent
					switch {
					case id == kept.ID && row.Email != "kim@example.com":
					case row.Method == vidivo.InviteRequest:
						want = vidivo.MailSuperseded
					default:
						want = vidivo.MailSkipped
					}
					if row.Status != want {
						t.Fatalf("row %+v, want %s", row, want)
					}
				}
			}
		})
	}
}
