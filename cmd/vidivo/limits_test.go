package main

import (
	"testing"

	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// TestAPILimitsShared: on PostgreSQL (a fleet's store) the limits count in
// the database; on SQLite (one instance) in memory.
func TestAPILimitsShared(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			db := sqldbtest.New(t, engine)
			l := apiLimits(&config{AuthRateLimit: 20, PublicRateLimit: 120}, db)
			if l.Auth != 20 || l.Public != 120 {
				t.Errorf("limits = %d auth, %d public; want 20, 120", l.Auth, l.Public)
			}
			if shared := l.Shared != nil; shared != (engine == "postgres") {
				t.Errorf("shared = %v on %s", shared, engine)
			}
		})
	}
}
