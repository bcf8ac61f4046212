package sessions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/ical"
)

// eventUID is participant pid's event in session sid: one per session and
// participant, since each invite carries its own URL. Migration 0019's
// triggers write the same into the mail outbox.
func eventUID(sid, pid string) string { return "session-" + sid + "-" + pid + "@vidivo" }

// event is participant p's calendar event for sess: one UID per session and
// participant (each invite carries its own URL), the session's
// sequence, canceled once the session is.
func (s *Service) event(ctx context.Context, sess *vidivo.Session, p *vidivo.SessionParticipant) ical.Event {
	url := s.EntryURLOf(p)
	ev := ical.Event{
		UID:         eventUID(sess.ID, p.ID),
		Sequence:    sess.Sequence,
		Stamp:       sess.UpdatedAt,
		Start:       sess.StartTime,
		End:         sess.EndTime,
		Summary:     sess.Name,
		Description: "Join the session: " + url + "\nThe link opens 5 minutes before the start.",
		Location:    url,
		URL:         url,
		Attendees:   []ical.Person{{Name: p.DisplayName, Email: p.Email}},
		Canceled:    sess.State == vidivo.SessionCanceled,
	}
	if ev.Stamp.IsZero() {
		ev.Stamp = s.now()
	}
	if p.Fee > 0 {
		ev.Description += "\nFee: " + p.Fee.String() + " USD, paid before joining."
	}
	if host, err := s.Store.UserByID(ctx, sess.HostID); err == nil {
		ev.Organizer = ical.Person{Name: host.DisplayName, Email: host.Email}
	}
	return ev
}

// Invite is the .ics of the participant an entry token belongs to.
func (s *Service) Invite(ctx context.Context, tok string) ([]byte, error) {
	sess, p, err := s.Entry(ctx, tok)
	if err != nil {
		return nil, err
	}
	return s.event(ctx, sess, p).Marshal(), nil
}

// ErrNoInvite is InviteMail's answer for an outbox row with nothing left
// to send: its session is gone or over, or the participant an invitation
// was for no longer is one (their cancellation is a row of its own).
var ErrNoInvite = errors.New("sessions: nothing to send for this invite mail")

// InviteMessage is an invite mail, ready for the mail sender.
type InviteMessage struct {
	ToName, ToEmail string
	Subject         string
	Text            string
	// Method is the iTIP method, vidivo.InviteRequest or InviteCancel.
	Method string
	ICS    []byte
}

// InviteMail renders an outbox row from its session as it stands now, so
// a mail sent late says what holds when it is sent: the current name,
// times, sequence and the participant's current entry URL. A cancellation
// for a removed participant is made from what the row carries.
func (s *Service) InviteMail(ctx context.Context, row *vidivo.InviteMail) (*InviteMessage, error) {
	sess, err := s.Store.Session(ctx, row.SessionID)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return nil, ErrNoInvite
	}
	if err != nil {
		return nil, fmt.Errorf("sessions: invite mail: %w", err)
	}
	p := sess.Participant(row.ParticipantID)
	if row.Method == vidivo.InviteCancel {
		return s.cancelMail(ctx, sess, p, row), nil
	}
	if p == nil || sess.State == vidivo.SessionCanceled || sess.State == vidivo.SessionEnded {
		return nil, ErrNoInvite
	}
	ev := s.event(ctx, sess, p)
	ev.Stamp = later(ev.Stamp, row.CreatedAt)
	subject := "Invitation: "
	if row.Reason != "invited" {
		subject = "Updated invitation: "
	}
	return &InviteMessage{ToName: p.DisplayName, ToEmail: p.Email, Method: vidivo.InviteRequest,
		Subject: subject + subjectOf(sess), Text: s.inviteText(ctx, sess, p, row.Reason), ICS: ev.Marshal()}, nil
}

// cancelMail is the cancellation of row's event: the session's, or the
// participant's own when they were removed (p is nil then). Its sequence
// is at least the row's, which is above every invitation sent.
func (s *Service) cancelMail(ctx context.Context, sess *vidivo.Session, p *vidivo.SessionParticipant, row *vidivo.InviteMail) *InviteMessage {
	to := &vidivo.SessionParticipant{ID: row.ParticipantID, DisplayName: row.Name, Email: row.Email}
	if p != nil {
		to = p
	}
	ev := s.event(ctx, sess, to)
	ev.UID, ev.Canceled = row.UID, true
	ev.Sequence = max(ev.Sequence, row.Sequence)
	ev.Stamp = later(ev.Stamp, row.CreatedAt)
	ev.Location, ev.URL = "", ""
	why := "The session was canceled."
	if row.Reason == "removed" {
		why = "You are no longer a participant of this session."
	}
	ev.Description = why
	text := fmt.Sprintf("Hello %s,\n\n%s\n\n%s\nWhen: %s\n\nYour link to it no longer works.\n",
		row.Name, why, sess.Name, whenOf(sess))
	return &InviteMessage{ToName: row.Name, ToEmail: row.Email, Method: vidivo.InviteCancel,
		Subject: "Canceled: " + subjectOf(sess), Text: text, ICS: ev.Marshal()}
}

// inviteText is the text/plain part of an invitation: who, when (UTC)
// and the participant's own link.
func (s *Service) inviteText(ctx context.Context, sess *vidivo.Session, p *vidivo.SessionParticipant, reason string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", p.DisplayName)
	host := "You are"
	if u, err := s.Store.UserByID(ctx, sess.HostID); err == nil && u.DisplayName != "" {
		host = u.DisplayName + " invites you"
	}
	switch reason {
	case "updated":
		fmt.Fprintf(&b, "The session has changed; this is its new invitation.\n\n")
	case "reissued":
		fmt.Fprintf(&b, "Your link to the session has changed: the old one no longer works.\n\n")
	}
	if host == "You are" {
		fmt.Fprintf(&b, "You are invited to %s.\n\n", sess.Name)
	} else {
		fmt.Fprintf(&b, "%s to %s.\n\n", host, sess.Name)
	}
	fmt.Fprintf(&b, "When: %s\n", whenOf(sess))
	names := make([]string, 0, len(sess.Participants))
	for _, q := range sess.Participants {
		names = append(names, q.DisplayName)
	}
	fmt.Fprintf(&b, "Who: %s\n", strings.Join(names, ", "))
	fmt.Fprintf(&b, "Your link: %s\n", s.EntryURLOf(p))
	fmt.Fprintf(&b, "\nThe link is yours alone (do not forward it) and opens 5 minutes before the start.\n")
	if p.Fee > 0 {
		fmt.Fprintf(&b, "Fee: %s USD, paid from the link before joining.\n", p.Fee.String())
	}
	return b.String()
}

// subjectOf is "Group practice, Tue 8 Dec 15:00 UTC".
func subjectOf(sess *vidivo.Session) string {
	return sess.Name + ", " + sess.StartTime.UTC().Format("Mon 2 Jan 15:04") + " UTC"
}

// whenOf is "Tue 8 Dec 2026, 15:00–16:00 UTC".
func whenOf(sess *vidivo.Session) string {
	start, end := sess.StartTime.UTC(), sess.EndTime.UTC()
	endLayout := "15:04"
	if end.YearDay() != start.YearDay() || end.Year() != start.Year() {
		endLayout = "Mon 2 Jan 2006, 15:04"
	}
	return start.Format("Mon 2 Jan 2006, 15:04") + "–" + end.Format(endLayout) + " UTC"
}

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
