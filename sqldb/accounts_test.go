package sqldb_test

import (
	"testing"

	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sqldb/storetest"
)

func TestAccountsConformance(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			storetest.RunAccounts(t, engine)
		})
	}
}
