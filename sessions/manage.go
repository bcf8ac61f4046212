package sessions

import (
	"context"
	"fmt"
	"time"

	"github.com/vidivo/vidivo"
)

// access is what a caller may do with a session.
type access int

const (
	noAccess access = iota
	readAccess
	manageAccess
)

// accessOf is the caller's access to sess: its managers manage it; the
// owners and admins of the organization its creator belongs to read it.
func (s *Service) accessOf(ctx context.Context, caller vidivo.Caller, sess *vidivo.Session) (access, error) {
	if caller.IsGuest() {
		return noAccess, nil
	}
	if sess.ManagedBy(caller.Subject) {
		return manageAccess, nil
	}
	m, err := s.Store.UserMembership(ctx, caller.Subject)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return noAccess, nil
	}
	if err != nil {
		return noAccess, err
	}
	if !m.CanReadOrganization() {
		return noAccess, nil
	}
	host, err := s.Store.UserMembership(ctx, sess.HostID)
	if vidivo.ErrorCode(err) == vidivo.ENOTFOUND {
		return noAccess, nil
	}
	if err != nil {
		return noAccess, err
	}
	if host.OrganizationID != m.OrganizationID {
		return noAccess, nil
	}
	return readAccess, nil
}

// load returns session id if the caller has at least want on it; any
// other session is ENOTFOUND, so its existence does not leak.
func (s *Service) load(ctx context.Context, caller vidivo.Caller, id string, want access) (*vidivo.Session, error) {
	if !vidivo.IsID(id) {
		return nil, notFound()
	}
	sess, err := s.Store.Session(ctx, id)
	if err != nil {
		return nil, err
	}
	got, err := s.accessOf(ctx, caller, sess)
	if err != nil {
		return nil, err
	}
	switch {
	case got == noAccess:
		return nil, notFound()
	case got < want:
		return nil, vidivo.Errorf(vidivo.EFORBIDDEN, "only the session's hosts manage it")
	}
	return sess, nil
}

// Create schedules a session hosted by the caller. Host participants
// whose email is an account's manage it too; fees need the caller's
// payouts connected (ESTRIPENOTCONNECTED). Participants with an email
// get their invite through the mail outbox (migration 0019), written in
// the same transaction.
func (s *Service) Create(ctx context.Context, caller vidivo.Caller, in vidivo.SessionInput) (*vidivo.Session, error) {
	now := s.now()
	if err := in.Validate(now); err != nil {
		return nil, err
	}
	if err := s.checkPayouts(ctx, caller.Subject, in.Participants...); err != nil {
		return nil, err
	}
	sess := &vidivo.Session{ID: newID(now), Name: in.Name, Picture: in.Picture, HostID: caller.Subject,
		StartTime: in.StartTime.UTC(), EndTime: in.EndTime.UTC(), State: vidivo.SessionScheduled, Sequence: 0}
	for _, pin := range in.Participants {
		p, err := s.newParticipant(ctx, sess.ID, pin, now)
		if err != nil {
			return nil, err
		}
		sess.Participants = append(sess.Participants, p)
	}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return sess, nil
}

// checkPayouts refuses fees for a host who cannot be paid.
func (s *Service) checkPayouts(ctx context.Context, hostID string, ps ...vidivo.ParticipantInput) error {
	fees := false
	for _, p := range ps {
		fees = fees || p.Fee > 0
	}
	if !fees {
		return nil
	}
	host, err := s.Store.UserByID(ctx, hostID)
	if err != nil {
		return err
	}
	if !host.PayoutsConnected || host.PayoutAccountID == "" {
		return vidivo.Errorf(vidivo.ESTRIPENOTCONNECTED, "connect your payouts before charging fees")
	}
	return nil
}

// newParticipant makes a participant with a fresh entry token.
func (s *Service) newParticipant(ctx context.Context, sessionID string, in vidivo.ParticipantInput, now time.Time) (*vidivo.SessionParticipant, error) {
	p := &vidivo.SessionParticipant{ID: newID(now), SessionID: sessionID, DisplayName: in.DisplayName,
		Email: vidivo.NormalizeEmail(in.Email), Role: in.Role, Fee: in.Fee, CreatedAt: now}
	if p.Role == vidivo.ParticipantHost && p.Email != "" {
		u, _, err := s.Store.UserByLogin(ctx, p.Email)
		switch {
		case err == nil && u.Role != vidivo.RoleClient:
			p.UserID = u.ID
		case err != nil && vidivo.ErrorCode(err) != vidivo.ENOTFOUND:
			return nil, err
		}
	}
	salt, err := newSalt()
	if err != nil {
		return nil, err
	}
	p.EntrySalt, p.TokenHash = salt, HashEntryToken(s.entryToken(p.ID, salt))
	return p, nil
}

// EntryURLOf is participant p's current entry URL.
func (s *Service) EntryURLOf(p *vidivo.SessionParticipant) string {
	return s.EntryURL(s.entryToken(p.ID, p.EntrySalt))
}

// Get returns a session its managers or their organization's owners and
// admins may read; ENOTFOUND for anyone else.
func (s *Service) Get(ctx context.Context, caller vidivo.Caller, id string) (*vidivo.Session, error) {
	return s.load(ctx, caller, id, readAccess)
}

// CanManage reports whether the caller manages sess (entry URLs are shown
// to managers only).
func (s *Service) CanManage(caller vidivo.Caller, sess *vidivo.Session) bool {
	return !caller.IsGuest() && sess.ManagedBy(caller.Subject)
}

// List is the caller's calendar: sessions they manage and, for an
// organization's owners and admins, those of its members; upcoming
// first within [f.Start, f.End).
func (s *Service) List(ctx context.Context, caller vidivo.Caller, f vidivo.SessionFilter) ([]*vidivo.Session, bool, error) {
	f.UserIDs = []string{caller.Subject}
	m, err := s.Store.UserMembership(ctx, caller.Subject)
	switch {
	case err == nil && m.CanReadOrganization():
		ids, err := s.Store.OrganizationMemberIDs(ctx, m.OrganizationID)
		if err != nil {
			return nil, false, err
		}
		f.UserIDs = ids
	case err != nil && vidivo.ErrorCode(err) != vidivo.ENOTFOUND:
		return nil, false, err
	}
	return s.Store.Sessions(ctx, f)
}

// Update changes a scheduled session's name, picture or times; a new name
// or time sends the participants the updated invite (SEQUENCE + 1)
// through the mail outbox.
func (s *Service) Update(ctx context.Context, caller vidivo.Caller, id string, upd vidivo.SessionUpdate) (*vidivo.Session, error) {
	sess, err := s.load(ctx, caller, id, manageAccess)
	if err != nil {
		return nil, err
	}
	if err := upd.Apply(sess, s.now()); err != nil {
		return nil, err
	}
	if err := s.Store.UpdateSession(ctx, sess); err != nil {
		return nil, err
	}
	if sess, err = s.Store.Session(ctx, id); err != nil {
		return nil, err
	}
	return sess, nil
}

// Cancel cancels a scheduled session, refunds every captured fee in full
// and sends the cancellation (through the mail outbox). Canceling again
// retries refunds that failed; a session in progress or ended is
// ECONFLICT.
func (s *Service) Cancel(ctx context.Context, caller vidivo.Caller, id string) (*vidivo.Session, error) {
	sess, err := s.load(ctx, caller, id, manageAccess)
	if err != nil {
		return nil, err
	}
	if sess, err = s.Store.CancelSession(ctx, id, s.now()); err != nil {
		return nil, err
	}
	if err := s.refundAll(ctx, sess); err != nil {
		return nil, err
	}
	return s.Store.Session(ctx, id)
}

// refundAll refunds every captured fee of a canceled session.
func (s *Service) refundAll(ctx context.Context, sess *vidivo.Session) error {
	for _, p := range sess.Participants {
		if p.Payment != nil && p.Payment.Status == vidivo.PaymentCaptured {
			if err := s.refund(ctx, p.Payment); err != nil {
				return err
			}
		}
	}
	return nil
}

// refund gives a captured payment back in full and records it.
func (s *Service) refund(ctx context.Context, pay *vidivo.SessionPayment) error {
	refunds := s.Refunds
	if refunds == nil {
		refunds, _ = s.Gateway.(Refunder)
	}
	if refunds == nil {
		return vidivo.Errorf(vidivo.ECONFLICT, "this payments gateway cannot refund")
	}
	key := "session-payment/" + pay.ID + "/refund"
	if err := refunds.Refund(ctx, key, pay.HoldID, pay.Amount); err != nil {
		s.log().ErrorContext(ctx, "refund a session fee", "payment_id", pay.ID, "err", err)
		return vidivo.Errorf(vidivo.ESTRIPE, "the refund could not be made; try again")
	}
	if _, err := s.Store.RefundSessionPayment(ctx, pay.ID, s.now()); err != nil {
		return fmt.Errorf("sessions: record refund: %w", err)
	}
	return nil
}

// AddParticipant invites one more participant to a scheduled session.
func (s *Service) AddParticipant(ctx context.Context, caller vidivo.Caller, id string, in vidivo.ParticipantInput) (*vidivo.Session, *vidivo.SessionParticipant, error) {
	if errs := in.Validate(""); len(errs) > 0 {
		return nil, nil, vidivo.Invalid(errs...)
	}
	sess, err := s.load(ctx, caller, id, manageAccess)
	if err != nil {
		return nil, nil, err
	}
	if err := s.checkPayouts(ctx, sess.HostID, in); err != nil {
		return nil, nil, err
	}
	p, err := s.newParticipant(ctx, sess.ID, in, s.now())
	if err != nil {
		return nil, nil, err
	}
	if err := s.Store.AddSessionParticipant(ctx, p); err != nil {
		return nil, nil, err
	}
	if sess, err = s.Store.Session(ctx, id); err != nil {
		return nil, nil, err
	}
	return sess, p, nil
}

// RemoveParticipant removes a participant, refunding a captured fee
// first; their entry URL stops working.
func (s *Service) RemoveParticipant(ctx context.Context, caller vidivo.Caller, id, pid string) error {
	sess, err := s.load(ctx, caller, id, manageAccess)
	if err != nil {
		return err
	}
	p := sess.Participant(pid)
	if p == nil {
		return vidivo.Errorf(vidivo.ENOTFOUND, "no such participant")
	}
	if p.Payment != nil && p.Payment.Status == vidivo.PaymentCaptured {
		if err := s.refund(ctx, p.Payment); err != nil {
			return err
		}
	}
	return s.Store.RemoveSessionParticipant(ctx, id, pid)
}

// Reissue revokes a participant's entry URL and returns them a new one;
// a device in the room with the old one is replaced on its next join.
func (s *Service) Reissue(ctx context.Context, caller vidivo.Caller, id, pid string) (*vidivo.SessionParticipant, error) {
	sess, err := s.load(ctx, caller, id, manageAccess)
	if err != nil {
		return nil, err
	}
	p := sess.Participant(pid)
	if p == nil {
		return nil, vidivo.Errorf(vidivo.ENOTFOUND, "no such participant")
	}
	salt, err := newSalt()
	if err != nil {
		return nil, err
	}
	hash := HashEntryToken(s.entryToken(p.ID, salt))
	if err := s.Store.ReissueEntryToken(ctx, id, pid, hash, salt); err != nil {
		return nil, err
	}
	p.EntrySalt, p.TokenHash = salt, hash
	p.JoinGeneration++
	return p, nil
}
