package main

import (
	"context"
	"log/slog"

	"github.com/vidivo/vidivo/jobs"
	"github.com/vidivo/vidivo/mail"
	"github.com/vidivo/vidivo/sessions"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/token"
)

// newMailOutbox builds the sender of session invites (VIDIVO_SMTP_URL,
// VIDIVO_MAIL_FROM). Without a server it still drains the outbox, marking
// its rows skipped, and says so once: invites stay at the entry URLs'
// invite.ics. The invites are rendered by a sessions service of their
// own: the entry URLs need only the store, the entry key and the public
// URL, which are the same as the API's.
func newMailOutbox(ctx context.Context, c *config, db *sqldb.DB, keys *token.KeySet, logger *slog.Logger) (*jobs.MailOutbox, error) {
	out := &jobs.MailOutbox{Store: db, Logger: logger, Sessions: &sessions.Service{Store: db,
		EntryKey: keys.DeriveSecret("session-entry"), PublicURL: c.PublicURL, Logger: logger}}
	if c.SMTPURL == "" {
		logger.InfoContext(ctx, "no SMTP server (VIDIVO_SMTP_URL): session invites are not emailed, only served as invite.ics")
		return out, nil
	}
	sender, err := mail.New(c.SMTPURL, c.MailFrom)
	if err != nil {
		return nil, err
	}
	out.Sender = sender
	logger.InfoContext(ctx, "session invites are emailed", "smtp", sender.Server().String(), "from", c.MailFrom)
	return out, nil
}
