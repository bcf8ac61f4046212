package audit_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo/bench/chaos/audit"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// setup returns a raw pool on a new, migrated database of engine, and a
// planter writing into it.
func setup(t *testing.T, engine string) (*sql.DB, *audit.Planter) {
	t.Helper()
	ctx := context.Background()
	url := sqldbtest.URL(t, engine)
	db, err := sqldb.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	pool, _, err := audit.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool, &audit.Planter{DB: pool, Engine: engine, Now: time.Now().UTC().Truncate(time.Second)}
}

func kindsOf(r *audit.Report) []audit.Kind {
	var out []audit.Kind
	for _, v := range r.Violations {
		if !slices.Contains(out, v.Kind) {
			out = append(out, v.Kind)
		}
	}
	return out
}

// TestCleanBooksPass: calls of every healthy shape — completed, partly
// released, ended before the host came, missed, active in paid time,
// waiting, a declined join, a join that never started — raise nothing.
func TestCleanBooksPass(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool, p := setup(t, engine)
			if err := p.Clean(ctx); err != nil {
				t.Fatal(err)
			}
			rep, err := audit.Run(ctx, pool, audit.Options{Now: p.Now})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Violations) != 0 {
				t.Errorf("clean books: %d violations: %v", len(rep.Violations), rep.Violations)
			}
			if rep.Calls != 6 || rep.Captured != 450 {
				t.Errorf("clean books: %d calls, %d cents captured; want 6 and 450", rep.Calls, rep.Captured)
			}
		})
	}
}

// TestPlantedViolationsAreFlagged plants each violation (one per kind and
// the crash states of issue 17's five defects) among clean calls and
// checks the audit flags exactly its kinds, on its call.
func TestPlantedViolationsAreFlagged(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		for _, pl := range audit.Plants {
			t.Run(engine+"/"+pl.Name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				pool, p := setup(t, engine)
				if err := p.Clean(ctx); err != nil {
					t.Fatal(err)
				}
				id, err := p.Plant(ctx, pl.Name)
				if err != nil {
					t.Fatal(err)
				}
				rep, err := audit.Run(ctx, pool, audit.Options{Now: p.Now})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(pl.Kinds, kindsOf(rep)); diff != "" {
					t.Errorf("kinds flagged (-want +got):\n%s\nviolations: %v", diff, rep.Violations)
				}
				for _, v := range rep.Violations {
					if v.CallID != id {
						t.Errorf("violation on call %s, planted on %s: %v", v.CallID, id, v)
					}
				}
			})
		}
	}
}

// TestEveryKindCanBePlanted keeps Plants in step with Kinds: an invariant
// the audit checks but no plant breaks would be unproven.
func TestEveryKindCanBePlanted(t *testing.T) {
	t.Parallel()
	for _, k := range audit.Kinds {
		found := false
		for _, pl := range audit.Plants {
			found = found || slices.Contains(pl.Kinds, k)
		}
		if !found {
			t.Errorf("no plant breaks %s", k)
		}
	}
}
