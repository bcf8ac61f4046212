package main

import (
	"github.com/vidivo/vidivo/auth"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sso"
)

// ssoService is the pages' partner sign-on, or nil when no partner is
// configured (the /sso/ routes then answer not_found).
func ssoService(c *config, db *sqldb.DB, a *auth.Service) *sso.Service {
	if len(c.SSOPartners) == 0 {
		return nil
	}
	return &sso.Service{Store: db, Auth: a, Partners: c.SSOPartners}
}
