// Package jobs runs Vidivo's background work on River: no-show detection,
// billing-window renewals, the end of a call's paid time, settlement
// retries and continuous reconciliation. Jobs are inserted in the
// same transaction as the change that needs them (EnqueueTx), on SQLite
// with riversqlite and on PostgreSQL with riverdatabasesql, so both engines
// share one *sql.Tx-based store.
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/calendars"
	"github.com/vidivo/vidivo/calls"
	"github.com/vidivo/vidivo/oauth"
	"github.com/vidivo/vidivo/webhooks"
)

// Config sets up a Runner.
type Config struct {
	// Engine is "sqlite" or "postgres".
	Engine string
	// Pool is River's own connection pool on the service's database. On
	// SQLite it must have one connection, as riversqlite advises.
	Pool *sql.DB
	// Calls does the work; nil makes an insert-only runner (it enqueues but
	// works nothing), for tools and tests that drive jobs themselves.
	Calls *calls.Service
	// Webhooks fans out and delivers webhooks; nil works none.
	Webhooks *webhooks.Service
	// Calendars reads hosts' connected calendars; nil reads none.
	Calendars *calendars.Service
	// Mail sends the session invites of the mail outbox; nil sends none
	// (and leaves the rows pending).
	Mail *MailOutbox
	// OAuth sweeps expired OAuth codes and tokens; nil sweeps none.
	OAuth  *oauth.Service
	Logger *slog.Logger
	// MaxWorkers bounds concurrent jobs; zero means 50.
	MaxWorkers int
	// Sessions ends sessions past their end with nobody in (jobs/sessions.go);
	// with Calls set it may come later, through Runner.SetSessions.
	Sessions SessionSweeper
}

// Runner inserts and works jobs.
type Runner struct {
	client *river.Client[*sql.Tx]
	driver riverdriver.Driver[*sql.Tx]

	// sessions is the session sweep's worker, if registered.
	sessions *sessionSweepWorker
}

// New builds a Runner. Call Migrate before Start or any insert.
func New(cfg Config) (*Runner, error) {
	driver, err := newDriver(cfg.Engine, cfg.Pool)
	if err != nil {
		return nil, err
	}
	rc := &river.Config{Logger: cfg.Logger, JobTimeout: JobTimeout, RescueStuckJobsAfter: RescueStuckJobsAfter,
		RetryPolicy: retryPolicy{}}
	if cfg.Logger == nil {
		rc.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Calls != nil {
		workers := river.NewWorkers()
		river.AddWorker(workers, &noShowWorker{calls: cfg.Calls})
		river.AddWorker(workers, &renewWorker{calls: cfg.Calls})
		river.AddWorker(workers, &paidTimeWorker{calls: cfg.Calls})
		river.AddWorker(workers, &settleWorker{calls: cfg.Calls})
		river.AddWorker(workers, &reconcileWorker{calls: cfg.Calls})
		max := cfg.MaxWorkers
		if max == 0 {
			max = 50
		}
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max}}
		rc.PeriodicJobs = []*river.PeriodicJob{reconcileJob()}
	}
	if cfg.Webhooks != nil {
		addWebhooks(rc, cfg.Webhooks)
	}
	if cfg.Calendars != nil {
		addCalendars(rc, cfg.Calendars)
	}
	if cfg.OAuth != nil {
		addOAuth(rc, cfg.OAuth)
	}
	if cfg.Mail != nil {
		addMail(rc, cfg.Mail)
	}
	sweep := addSessions(rc, cfg)
	client, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	return &Runner{client: client, driver: driver, sessions: sweep}, nil
}

// Migrate brings River's own tables up to date (safe to run twice).
func (r *Runner) Migrate(ctx context.Context) error {
	m, err := rivermigrate.New(r.driver, nil)
	if err != nil {
		return fmt.Errorf("jobs: migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// Start works jobs until Stop.
func (r *Runner) Start(ctx context.Context) error { return r.client.Start(ctx) }

// Stop waits for running jobs to finish.
func (r *Runner) Stop(ctx context.Context) error { return r.client.Stop(ctx) }

// EnqueueTx inserts jobs in tx, to run at their times. It implements
// sqldb.Enqueuer.
func (r *Runner) EnqueueTx(ctx context.Context, tx *sql.Tx, jobs []vidivo.ScheduledJob) error {
	return insertTx(ctx, r.client, tx, jobs)
}

// riverArgs wraps a domain job in its River argument type.
func riverArgs(j vidivo.Job) (river.JobArgs, error) {
	switch j := j.(type) {
	case vidivo.NoShowJob:
		return noShowArgs(j), nil
	case vidivo.RenewHoldJob:
		return renewArgs(j), nil
	case vidivo.SettleJob:
		return settleArgs(j), nil
	case calls.PaidTimeJob:
		return paidTimeArgs(j), nil
	case vidivo.WebhookFanOutJob:
		return fanOutArgs(j), nil
	case vidivo.WebhookDeliverJob:
		return deliverArgs(j), nil
	}
	return nil, fmt.Errorf("jobs: no worker for %T", j)
}

// The River argument types: the domain jobs, with River's insert options.
type (
	noShowArgs   vidivo.NoShowJob
	renewArgs    vidivo.RenewHoldJob
	settleArgs   vidivo.SettleJob
	paidTimeArgs calls.PaidTimeJob
)

func (noShowArgs) Kind() string   { return vidivo.NoShowJob{}.Kind() }
func (renewArgs) Kind() string    { return vidivo.RenewHoldJob{}.Kind() }
func (settleArgs) Kind() string   { return vidivo.SettleJob{}.Kind() }
func (paidTimeArgs) Kind() string { return calls.PaidTimeJob{}.Kind() }

// A renewal of one window is one job, however often it is enqueued: the
// renewal and reconciliation may both carry a call's chain on.
func (renewArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// The end of one window's paid time is one job, likewise.
func (paidTimeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type noShowWorker struct {
	river.WorkerDefaults[noShowArgs]
	calls *calls.Service
}

func (w *noShowWorker) Work(ctx context.Context, job *river.Job[noShowArgs]) error {
	return w.calls.NoShow(ctx, job.Args.CallID)
}

type renewWorker struct {
	river.WorkerDefaults[renewArgs]
	calls *calls.Service
}

func (w *renewWorker) Work(ctx context.Context, job *river.Job[renewArgs]) error {
	return w.calls.RenewHold(ctx, job.Args.CallID, job.Args.Window)
}

type paidTimeWorker struct {
	river.WorkerDefaults[paidTimeArgs]
	calls *calls.Service
}

func (w *paidTimeWorker) Work(ctx context.Context, job *river.Job[paidTimeArgs]) error {
	return w.calls.EndUnpaid(ctx, job.Args.CallID, job.Args.Window)
}

type settleWorker struct {
	river.WorkerDefaults[settleArgs]
	calls *calls.Service
}

func (w *settleWorker) Work(ctx context.Context, job *river.Job[settleArgs]) error {
	return w.calls.Settle(ctx, job.Args.CallID)
}
