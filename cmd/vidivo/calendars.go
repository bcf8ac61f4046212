package main

import (
	"log/slog"

	"github.com/vidivo/vidivo/calendars"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/webhook"
)

// newCalendars builds the connected-calendars service: passwords sealed
// with VIDIVO_CALENDAR_KEY or the data dir's calendar.key, reads through
// the webhooks' address guard (VIDIVO_WEBHOOK_ALLOW_NETS).
func newCalendars(c *config, db *sqldb.DB, logger *slog.Logger) (*calendars.Service, error) {
	key, err := calendars.LoadOrCreateKey(c.DataDir, c.CalendarKey)
	if err != nil {
		return nil, err
	}
	sealer, err := calendars.NewSealer(key)
	if err != nil {
		return nil, err
	}
	guard := webhook.Guard{Allow: c.WebhookAllowNets}
	return &calendars.Service{Store: db, Sealer: sealer, Guard: guard, HTTP: calendars.NewHTTPClient(guard), Logger: logger,
		PublicURL: c.PublicURL}, nil
}
