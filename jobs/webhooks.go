package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/webhooks"
)

// Webhooks run in their own queue, so receivers that are slow or down
// never hold up the calls' jobs, and enough workers that one slow
// receiver does not hold up the others: each delivery attempt is its own
// job. The queue is polled often (the database drivers River uses here
// cannot listen for inserts), which keeps a booking's delivery close to
// its commit.
const (
	WebhookQueue         = "webhooks"
	webhookWorkers       = 100
	webhookPollInterval  = 100 * time.Millisecond
	webhookFetchCooldown = 20 * time.Millisecond
	// WebhookSweepEvery is how often the leader fans out outbox events no
	// job took (a process killed between a change's commit and its
	// fan-out), and once at start.
	WebhookSweepEvery = 15 * time.Second
	// webhookJobTimeout covers one attempt's connect and read timeouts.
	webhookJobTimeout = 40 * time.Second
)

// addWebhooks registers the webhook workers, their queue and the sweep.
func addWebhooks(rc *river.Config, svc *webhooks.Service) {
	if rc.Workers == nil {
		rc.Workers = river.NewWorkers()
	}
	if rc.Queues == nil {
		rc.Queues = map[string]river.QueueConfig{}
	}
	river.AddWorker(rc.Workers, &fanOutWorker{svc: svc})
	river.AddWorker(rc.Workers, &deliverWorker{svc: svc})
	rc.Queues[WebhookQueue] = river.QueueConfig{MaxWorkers: webhookWorkers, FetchPollInterval: webhookPollInterval,
		FetchCooldown: webhookFetchCooldown}
	rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(WebhookSweepEvery),
		func() (river.JobArgs, *river.InsertOpts) { return fanOutArgs{}, nil },
		&river.PeriodicJobOpts{ID: "webhook_sweep", RunOnStart: true}))
}

type (
	fanOutArgs  vidivo.WebhookFanOutJob
	deliverArgs vidivo.WebhookDeliverJob
)

func (fanOutArgs) Kind() string  { return vidivo.WebhookFanOutJob{}.Kind() }
func (deliverArgs) Kind() string { return vidivo.WebhookDeliverJob{}.Kind() }

// A fan-out that fails is simply left to the next one (every change and
// the sweep enqueue one), so it is tried a few times only.
func (fanOutArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: WebhookQueue, MaxAttempts: 3}
}

// A delivery attempt is one job; its retries are the service's (a new job
// per attempt, at the back-off's time). River's own retries only cover a
// store error while recording it, and the attempt's compare-and-set makes
// a repeat harmless.
func (deliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: WebhookQueue, MaxAttempts: 5}
}

type fanOutWorker struct {
	river.WorkerDefaults[fanOutArgs]
	svc *webhooks.Service
}

func (w *fanOutWorker) Work(ctx context.Context, job *river.Job[fanOutArgs]) error {
	if job.Args.SubjectID == "" {
		return w.svc.Sweep(ctx)
	}
	return w.svc.FanOut(ctx, job.Args.SubjectID)
}

type deliverWorker struct {
	river.WorkerDefaults[deliverArgs]
	svc *webhooks.Service
}

func (w *deliverWorker) Timeout(*river.Job[deliverArgs]) time.Duration { return webhookJobTimeout }

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	return w.svc.Attempt(ctx, job.Args.DeliveryID, job.Args.Attempt)
}
