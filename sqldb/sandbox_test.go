package sqldb_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// TestSandboxSettleIsIdempotentUnderItsLock is issue 17's fourth defect at
// the gateway: two settlements with the same key (the in-line one at the
// call's end and its settle job) race. Like Stripe, the sandbox must give
// the second the first's answer — success — instead of finding the hold
// already captured and refusing. It checked for the key before taking the
// hold's row lock, so on PostgreSQL the second often saw "hold is
// captured" (SQLite's single writer serialised the two anyway).
func TestSandboxSettleIsIdempotentUnderItsLock(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := sqldbtest.New(t, engine)
			for round := range 40 {
				op, amount := "capture", vidivo.Money(700)
				if round%2 == 1 {
					op, amount = "cancel", 0
				}
				hold, _, err := db.SandboxPutHold(ctx, fmt.Sprintf("call/r%d/hold/0", round), "", "pm_card_visa", 1000)
				if err != nil {
					t.Fatal(err)
				}
				key := fmt.Sprintf("call/r%d/%s/0", round, op)
				errs := make([]error, 3)
				var wg sync.WaitGroup
				for i := range errs {
					wg.Go(func() { errs[i] = db.SandboxSettleHold(ctx, key, hold, op, amount) })
				}
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("round %d: %s %d of 3 with one key: %v", round, op, i+1, err)
					}
				}
				_, captured, _, err := db.SandboxHold(ctx, hold)
				if err != nil || captured != amount {
					t.Fatalf("round %d: captured %v (%v), want %v", round, captured, err, amount)
				}
			}
			// The same key for another operation is refused, as Stripe
			// refuses a key reused with other parameters.
			hold, _, err := db.SandboxPutHold(ctx, "call/x/hold/0", "", "pm_card_visa", 1000)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.SandboxSettleHold(ctx, "call/x/capture/0", hold, "capture", 500); err != nil {
				t.Fatal(err)
			}
			if err := db.SandboxSettleHold(ctx, "call/x/capture/0", hold, "cancel", 0); vidivo.ErrorCode(err) != vidivo.EVALIDATION {
				t.Errorf("a capture's key reused to cancel = %v, want validation_error", err)
			}
		})
	}
}

// TestSQLiteLedgerIsDurable (issue 17): SQLite commits with
// synchronous=FULL, so a ledger entry committed after a payment operation
// at the gateway survives a power cut (NORMAL may lose the last commits).
func TestSQLiteLedgerIsDurable(t *testing.T) {
	t.Parallel()
	db := sqldbtest.New(t, "sqlite")
	var level int
	err := db.WithTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow("PRAGMA synchronous").Scan(&level)
	})
	if err != nil {
		t.Fatal(err)
	}
	if level != 2 {
		t.Errorf("PRAGMA synchronous = %d, want 2 (FULL)", level)
	}
}
