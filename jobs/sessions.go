package jobs

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
)

// Group sessions in progress whose room emptied before their scheduled
// end are ended at the end by a periodic sweep (the relay's PeerGone ends
// the others), in a queue of its own so it never waits behind the calls'
// jobs.
const (
	SessionsQueue = "sessions"
	// SessionSweepEvery is how often the leader sweeps, and once at start:
	// a session ends at most about this long after its end.
	SessionSweepEvery = time.Minute
)

// SessionSweeper ends the sessions in progress past their end with nobody
// in their room (sessions.Service.EndOverSessions).
type SessionSweeper interface {
	EndOverSessions(ctx context.Context) (int, error)
}

type sessionSweepArgs struct{}

func (sessionSweepArgs) Kind() string { return "session_end_sweep" }

// One sweep per period: each looks at every session due.
func (sessionSweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: SessionsQueue, MaxAttempts: 3,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: SessionSweepEvery}}
}

// sessionSweepWorker sweeps with the service it was given, at New or
// later through Runner.SetSessions (the service needs the signaling relay,
// which a server builds after its job queue); until then it does nothing.
type sessionSweepWorker struct {
	river.WorkerDefaults[sessionSweepArgs]
	svc atomic.Pointer[SessionSweeper]
}

func (w *sessionSweepWorker) Work(ctx context.Context, _ *river.Job[sessionSweepArgs]) error {
	svc := w.svc.Load()
	if svc == nil {
		return nil
	}
	_, err := (*svc).EndOverSessions(ctx)
	return err
}

// addSessions registers the sweep's worker, its queue and its schedule on
// a runner that works calls or was given Sessions, and returns the worker
// (nil when not registered).
func addSessions(rc *river.Config, cfg Config) *sessionSweepWorker {
	if cfg.Calls == nil && cfg.Sessions == nil {
		return nil
	}
	if rc.Workers == nil {
		rc.Workers = river.NewWorkers()
	}
	if rc.Queues == nil {
		rc.Queues = map[string]river.QueueConfig{}
	}
	w := &sessionSweepWorker{}
	if cfg.Sessions != nil {
		w.svc.Store(&cfg.Sessions)
	}
	river.AddWorker(rc.Workers, w)
	rc.Queues[SessionsQueue] = river.QueueConfig{MaxWorkers: 1}
	rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(SessionSweepEvery),
		func() (river.JobArgs, *river.InsertOpts) { return sessionSweepArgs{}, nil },
		&river.PeriodicJobOpts{ID: "session_end_sweep", RunOnStart: true}))
	return w
}

// SetSessions gives the sweep its service once it exists.
func (r *Runner) SetSessions(s SessionSweeper) {
	if r.sessions != nil && s != nil {
		r.sessions.svc.Store(&s)
	}
}
