package vidivo

import (
	"context"
	"time"
)

// Invite mail methods (iTIP, RFC 5546): an invitation or its update, and
// a cancellation.
const (
	InviteRequest = "REQUEST"
	InviteCancel  = "CANCEL"
)

// Invite mail statuses.
const (
	MailPending    = "pending"
	MailSent       = "sent"
	MailFailed     = "failed"
	MailSkipped    = "skipped"
	MailSuperseded = "superseded"
)

// InviteMail is one session invite waiting in the mail outbox: the
// database's triggers write one for every change a participant's calendar
// must hear of, in the change's transaction. It carries what the mail
// needs when the participant is gone (removed): the address, the name,
// the event's UID and sequence.
type InviteMail struct {
	ID            int64
	Method        string // InviteRequest or InviteCancel
	Reason        string // invited, updated, canceled, removed, reissued
	SessionID     string
	ParticipantID string
	Email         string
	Name          string
	UID           string
	Sequence      int
	Status        string
	Attempts      int
	Error         string
	CreatedAt     time.Time
}

// InviteMailStore is the mail outbox. Every change of a row is a
// compare-and-set on its pending status, so two senders never both send
// one row (ClaimInviteMail leases it to one of them).
type InviteMailStore interface {
	// DueInviteMails lists up to limit pending rows due at now and not
	// leased, oldest first.
	DueInviteMails(ctx context.Context, now time.Time, limit int) ([]*InviteMail, error)
	// SupersedeInviteMails marks superseded every pending, unleased row
	// with a later row for the same event (UID): only the latest goes.
	// Then it marks skipped a cancellation of an event none of whose
	// invitations was sent (or is being sent).
	SupersedeInviteMails(ctx context.Context, now time.Time) (int, error)
	// ClaimInviteMail leases row id until until and counts an attempt;
	// false when it is no longer pending, is leased, not due, or
	// superseded.
	ClaimInviteMail(ctx context.Context, id int64, now, until time.Time) (bool, error)
	// FinishInviteMail sets a pending row's final status (sent, failed,
	// skipped) with the error, if any.
	FinishInviteMail(ctx context.Context, id int64, status, errText string, now time.Time) (bool, error)
	// RetryInviteMail releases a pending row's lease, to be tried again
	// at at.
	RetryInviteMail(ctx context.Context, id int64, at time.Time, errText string) error
	// SkipInviteMails marks every pending row skipped (no mail server).
	SkipInviteMails(ctx context.Context, now time.Time) (int, error)
	// InviteMails lists a session's rows in order, for tests and support.
	InviteMails(ctx context.Context, sessionID string) ([]*InviteMail, error)
}
