package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/vidivo/vidivo/oauth"
)

// Expired OAuth codes and tokens are swept by a periodic job in a queue of
// its own, so the sweep never waits behind the calls' jobs (nor they
// behind it).
const (
	OAuthQueue = "oauth"
	// OAuthSweepEvery is how often the leader sweeps, and once at start.
	// Rows are kept a day past expiry (oauth.SweepAfter), so an hour's lag
	// changes nothing.
	OAuthSweepEvery = time.Hour
)

type oauthSweepArgs struct{}

func (oauthSweepArgs) Kind() string { return "oauth_sweep" }

// One sweep per period: each deletes everything due.
func (oauthSweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: OAuthQueue, MaxAttempts: 3,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: OAuthSweepEvery}}
}

type oauthSweepWorker struct {
	river.WorkerDefaults[oauthSweepArgs]
	svc *oauth.Service
}

func (w *oauthSweepWorker) Work(ctx context.Context, _ *river.Job[oauthSweepArgs]) error {
	_, err := w.svc.Sweep(ctx)
	return err
}

// addOAuth registers the sweep's worker, its queue and its schedule.
func addOAuth(rc *river.Config, svc *oauth.Service) {
	if rc.Workers == nil {
		rc.Workers = river.NewWorkers()
	}
	if rc.Queues == nil {
		rc.Queues = map[string]river.QueueConfig{}
	}
	river.AddWorker(rc.Workers, &oauthSweepWorker{svc: svc})
	rc.Queues[OAuthQueue] = river.QueueConfig{MaxWorkers: 1}
	rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(OAuthSweepEvery),
		func() (river.JobArgs, *river.InsertOpts) { return oauthSweepArgs{}, nil },
		&river.PeriodicJobOpts{ID: "oauth_sweep", RunOnStart: true}))
}
