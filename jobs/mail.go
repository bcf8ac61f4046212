package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/mail"
	"github.com/vidivo/vidivo/sessions"
)

// Session invites leave through the mail outbox of migration 0019 in a
// queue of their own, so a slow or unreachable mail server never holds up
// the calls' jobs (nor they the mail). The outbox is drained by a
// periodic job rather than a job per row: the rows are written by
// database triggers, which cannot insert River jobs on both engines, and
// a drain a few seconds after a change lets a quick second change
// supersede the first one's invitation, so the participant gets only the
// current one. Mail is not that urgent: MailDrainEvery is the delay.
const (
	MailQueue = "mail"
	// MailDrainEvery is how often the leader drains the outbox, and once
	// at start.
	MailDrainEvery = 5 * time.Second
	// mailBatch is how many rows one pass of a drain takes.
	mailBatch = 50
	// mailLease is how long a claimed row is its sender's: past it, a
	// sender that died is taken to have sent nothing and the row is sent
	// again (at least once, as SMTP can only be). It outlasts a drain.
	mailLease = 5 * time.Minute
	// mailJobTimeout bounds one drain; sends are cut off at the sender's
	// own timeout well before.
	mailJobTimeout = 2 * time.Minute
	// mailRetryMax caps the wait between attempts of a row the server
	// refused for now (4xx) or could not be reached for.
	mailRetryMax = time.Hour
	// MailGiveUpAfter is how long a row is retried before it is recorded
	// failed with its last error.
	MailGiveUpAfter = 3 * 24 * time.Hour
)

// MailSender sends one invite mail; mail.Sender is one.
type MailSender interface {
	Send(ctx context.Context, m mail.Message) error
}

// InviteRenderer renders an outbox row; sessions.Service is one.
type InviteRenderer interface {
	InviteMail(ctx context.Context, row *vidivo.InviteMail) (*sessions.InviteMessage, error)
}

// MailOutbox sends the invite mails of the outbox.
type MailOutbox struct {
	Store    vidivo.InviteMailStore
	Sessions InviteRenderer
	// Sender sends; nil (no SMTP configured) marks every row skipped, so
	// none pile up for a server that will never come (the invites stay at
	// the entry URLs' invite.ics).
	Sender MailSender
	Now    func() time.Time
	Logger *slog.Logger
}

func (o *MailOutbox) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

func (o *MailOutbox) log() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// Drain sends every row due now, oldest first. Any number of drains may
// run at once (two instances, a drain run by hand): each row is claimed
// by compare-and-set before it is sent, so one sender sends it.
func (o *MailOutbox) Drain(ctx context.Context) error {
	if o.Sender == nil {
		n, err := o.Store.SkipInviteMails(ctx, o.now())
		if n > 0 {
			o.log().InfoContext(ctx, "invite mails skipped: no SMTP server configured", "count", n)
		}
		return err
	}
	if _, err := o.Store.SupersedeInviteMails(ctx, o.now()); err != nil {
		return err
	}
	// A row that fails is moved into the future, one taken by another
	// drain is leased: every pass takes new rows, and the passes end.
	for {
		rows, err := o.Store.DueInviteMails(ctx, o.now(), mailBatch)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if err := o.send(ctx, row); err != nil {
				return err
			}
		}
		if len(rows) < mailBatch || ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// send claims row, renders it as its session stands, sends it and records
// the outcome. Only a store error is returned: a failed send is the row's
// to record.
func (o *MailOutbox) send(ctx context.Context, row *vidivo.InviteMail) error {
	now := o.now()
	ok, err := o.Store.ClaimInviteMail(ctx, row.ID, now, now.Add(mailLease))
	if err != nil || !ok {
		return err
	}
	row.Attempts++
	msg, err := o.Sessions.InviteMail(ctx, row)
	if errors.Is(err, sessions.ErrNoInvite) {
		return o.finish(ctx, row, vidivo.MailSkipped, err)
	}
	if err != nil {
		return o.retry(ctx, row, err)
	}
	err = o.Sender.Send(ctx, mail.Message{ToName: msg.ToName, ToEmail: msg.ToEmail, Subject: msg.Subject,
		Text: msg.Text, Method: msg.Method, ICS: msg.ICS})
	switch {
	case err == nil:
		return o.finish(ctx, row, vidivo.MailSent, nil)
	case mail.Permanent(err):
		o.log().WarnContext(ctx, "invite mail refused", "mail_id", row.ID, "session_id", row.SessionID, "err", err)
		return o.finish(ctx, row, vidivo.MailFailed, err)
	}
	return o.retry(ctx, row, err)
}

// finish records row's final status.
func (o *MailOutbox) finish(ctx context.Context, row *vidivo.InviteMail, status string, cause error) error {
	text := ""
	if cause != nil {
		text = cause.Error()
	}
	_, err := o.Store.FinishInviteMail(ctx, row.ID, status, text, o.now())
	return err
}

// retry puts row back for later, after 1, 2, 4 … minutes (at most an
// hour), until MailGiveUpAfter has passed since it was written.
func (o *MailOutbox) retry(ctx context.Context, row *vidivo.InviteMail, cause error) error {
	now := o.now()
	if now.Sub(row.CreatedAt) >= MailGiveUpAfter {
		o.log().WarnContext(ctx, "invite mail given up", "mail_id", row.ID, "attempts", row.Attempts, "err", cause)
		return o.finish(ctx, row, vidivo.MailFailed, fmt.Errorf("gave up after %d attempts: %w", row.Attempts, cause))
	}
	wait := mailRetryMax
	if n := row.Attempts; n <= 7 {
		wait = time.Minute << max(n-1, 0)
	}
	o.log().InfoContext(ctx, "invite mail to be retried", "mail_id", row.ID, "in", wait, "err", cause)
	return o.Store.RetryInviteMail(ctx, row.ID, now.Add(wait), cause.Error())
}

type mailDrainArgs struct{}

func (mailDrainArgs) Kind() string { return "mail_drain" }

// One drain waits in the queue at a time; each sends everything due.
func (mailDrainArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: MailQueue, MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: MailDrainEvery}}
}

type mailDrainWorker struct {
	river.WorkerDefaults[mailDrainArgs]
	outbox *MailOutbox
}

func (w *mailDrainWorker) Timeout(*river.Job[mailDrainArgs]) time.Duration { return mailJobTimeout }

func (w *mailDrainWorker) Work(ctx context.Context, _ *river.Job[mailDrainArgs]) error {
	return w.outbox.Drain(ctx)
}

// addMail registers the drain's worker, its queue and its schedule.
func addMail(rc *river.Config, outbox *MailOutbox) {
	if rc.Workers == nil {
		rc.Workers = river.NewWorkers()
	}
	if rc.Queues == nil {
		rc.Queues = map[string]river.QueueConfig{}
	}
	river.AddWorker(rc.Workers, &mailDrainWorker{outbox: outbox})
	rc.Queues[MailQueue] = river.QueueConfig{MaxWorkers: 1}
	rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(MailDrainEvery),
		func() (river.JobArgs, *river.InsertOpts) { return mailDrainArgs{}, nil },
		&river.PeriodicJobOpts{ID: "mail_drain", RunOnStart: true}))
}
