package main

import (
	"log/slog"

	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/webhook"
	"github.com/vidivo/vidivo/webhooks"
)

// newWebhooks builds the webhook service: deliveries dial only public
// addresses, and the ranges of VIDIVO_WEBHOOK_ALLOW_NETS.
func newWebhooks(c *config, db *sqldb.DB, logger *slog.Logger) *webhooks.Service {
	guard := webhook.Guard{Allow: c.WebhookAllowNets}
	return &webhooks.Service{Store: db, Orgs: db, Guard: guard, Sender: webhook.NewClient(guard), PublicURL: c.PublicURL,
		Logger: logger}
}
