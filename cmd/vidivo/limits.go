package main

import (
	"github.com/vidivo/vidivo/api"
	"github.com/vidivo/vidivo/sqldb"
)

// apiLimits are the configured abuse limits. On PostgreSQL, which a fleet
// of instances shares, they count in the database, so a client's budget is
// the same however the load balancer spreads its requests; on SQLite (one
// instance) they count in memory, at no cost.
func apiLimits(c *config, db *sqldb.DB) api.Limits {
	l := api.Limits{Auth: c.AuthRateLimit, Public: c.PublicRateLimit}
	if db.Engine() == "postgres" {
		l.Shared = db
	}
	return l
}
