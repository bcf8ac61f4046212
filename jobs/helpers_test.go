package jobs_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/vidivo/vidivo/jobs"
	"github.com/vidivo/vidivo/sqldb"
)

// jobPool opens the job queue's connection pool to the database at url,
// closed at the test's end.
func jobPool(t *testing.T, url string) *sql.DB {
	t.Helper()
	pool, _, err := sqldb.OpenJobPool(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool
}

// newRunner builds a job runner from cfg and migrates River's tables.
func newRunner(t *testing.T, cfg jobs.Config) *jobs.Runner {
	t.Helper()
	runner, err := jobs.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return runner
}

// run starts runner's workers, stopped at the test's end.
func run(t *testing.T, runner *jobs.Runner) *jobs.Runner {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := runner.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer cancel()
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		runner.Stop(stopCtx)
	})
	return runner
}

// startRunner is newRunner and run.
func startRunner(t *testing.T, cfg jobs.Config) *jobs.Runner {
	t.Helper()
	return run(t, newRunner(t, cfg))
}
