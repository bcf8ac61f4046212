package jobs

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/vidivo/vidivo/calls"
)

// Billing windows are minutes long (one minute at the least) and a renewal
// is placed a minute before its window ends, so the queue's timings are
// seconds, not River's defaults of a minute's timeout and an hour's wait
// before a job a dead process was running is tried again.
const (
	// JobTimeout bounds one run of a job; a gateway call that hangs longer
	// is cut off and retried with the same idempotency key.
	JobTimeout = 20 * time.Second
	// RescueStuckJobsAfter is how long a job may stay running before it is
	// taken to belong to a process that died (killed, or an instance of the
	// fleet that is gone) and is run again. River's rescuer looks every 30
	// seconds, so such a job runs again within about a minute.
	RescueStuckJobsAfter = 30 * time.Second
	// ReconcileEvery is how often the leader enqueues reconciliation.
	ReconcileEvery = 30 * time.Second
	// maxRetryDelay caps the wait between retries of a failing job.
	maxRetryDelay = 30 * time.Second
)

// retryPolicy retries a failed job after 1, 2, 4 … seconds, at most
// maxRetryDelay, with a little jitter: a renewal that met a passing
// failure is tried several times before its window runs out.
type retryPolicy struct{}

func (retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	d := maxRetryDelay
	if n := job.Attempt; n < 6 {
		d = time.Second << max(n-1, 0)
	}
	d += time.Duration(rand.Int64N(int64(d / 10)))
	return time.Now().Add(d)
}

// reconcileArgs is the periodic reconciliation job.
type reconcileArgs struct{}

func (reconcileArgs) Kind() string { return "calls_reconcile" }

// One reconciliation waits in the queue at a time.
func (reconcileArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

// reconcileJob is enqueued by the leader only (River runs periodic jobs
// there) every ReconcileEvery, and once at start.
func reconcileJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(ReconcileEvery),
		func() (river.JobArgs, *river.InsertOpts) { return reconcileArgs{}, nil },
		&river.PeriodicJobOpts{ID: "calls_reconcile", RunOnStart: true})
}

type reconcileWorker struct {
	river.WorkerDefaults[reconcileArgs]
	calls *calls.Service
}

func (w *reconcileWorker) Work(ctx context.Context, _ *river.Job[reconcileArgs]) error {
	return w.calls.Reconcile(ctx)
}
