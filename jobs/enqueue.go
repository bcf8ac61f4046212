package jobs

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/vidivo/vidivo"
)

// Enqueuer inserts jobs in the store's transactions and works none: the
// store is built with it, before the services whose work the Runner does.
// It implements sqldb.Enqueuer.
type Enqueuer struct {
	client *river.Client[*sql.Tx]
	driver riverdriver.Driver[*sql.Tx]
}

// NewEnqueuer builds an insert-only job client on pool ("sqlite" or
// "postgres" engine), and brings River's tables up to date.
func NewEnqueuer(ctx context.Context, engine string, pool *sql.DB) (*Enqueuer, error) {
	driver, err := newDriver(engine, pool)
	if err != nil {
		return nil, err
	}
	client, err := river.NewClient(driver, &river.Config{})
	if err != nil {
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return nil, fmt.Errorf("jobs: migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("jobs: migrate: %w", err)
	}
	return &Enqueuer{client: client, driver: driver}, nil
}

// EnqueueTx inserts jobs in tx, to run at their times.
func (e *Enqueuer) EnqueueTx(ctx context.Context, tx *sql.Tx, jobs []vidivo.ScheduledJob) error {
	return insertTx(ctx, e.client, tx, jobs)
}

func newDriver(engine string, pool *sql.DB) (riverdriver.Driver[*sql.Tx], error) {
	switch engine {
	case "sqlite":
		return riversqlite.New(pool), nil
	case "postgres":
		return riverdatabasesql.New(pool), nil
	}
	return nil, fmt.Errorf("jobs: unknown engine %q", engine)
}

// insertTx inserts domain jobs through client in tx.
func insertTx(ctx context.Context, client *river.Client[*sql.Tx], tx *sql.Tx, jobs []vidivo.ScheduledJob) error {
	params := make([]river.InsertManyParams, 0, len(jobs))
	for _, j := range jobs {
		args, err := riverArgs(j.Job)
		if err != nil {
			return err
		}
		params = append(params, river.InsertManyParams{Args: args, InsertOpts: &river.InsertOpts{ScheduledAt: j.RunAt}})
	}
	if _, err := client.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("jobs: insert: %w", err)
	}
	return nil
}
