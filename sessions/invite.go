package sessions

import (
	"context"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/ical"
)

// event is participant p's calendar event for sess: one UID per session
// and participant (each invite carries its own URL), the session's
// sequence, canceled once the session is.
func (s *Service) event(ctx context.Context, sess *vidivo.Session, p *vidivo.SessionParticipant) ical.Event {
	url := s.EntryURLOf(p)
	ev := ical.Event{
		UID:         "session-" + sess.ID + "-" + p.ID + "@vidivo",
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

// sendInvites sends ps (those with an email) their invite as sess now
// stands. Failures are logged: the change is made either way, and the
// invite stays at the entry URL's invite.ics.
func (s *Service) sendInvites(ctx context.Context, sess *vidivo.Session, ps ...*vidivo.SessionParticipant) {
	if s.Inviter == nil {
		return
	}
	for _, p := range ps {
		if p.Email == "" {
			continue
		}
		if err := s.Inviter.SendInvite(ctx, *p, s.event(ctx, sess, p).Marshal()); err != nil {
			s.log().WarnContext(ctx, "send a session invite", "session_id", sess.ID, "participant_id", p.ID, "err", err)
		}
	}
}
