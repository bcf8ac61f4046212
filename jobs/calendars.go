package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/vidivo/vidivo/calendars"
)

// Connected calendars are read and written in their own queue, so a slow
// calendar server never holds up the calls' jobs: a periodic job reads the
// stale ones every calendars.RefreshEvery, another writes pending bookings
// (the outbox of migration 0015) every calendars.WriteEvery.
const (
	CalendarQueue      = "calendars"
	calendarWorkers    = 4
	calendarJobTimeout = 5 * time.Minute
)

type calendarRefreshArgs struct{}

func (calendarRefreshArgs) Kind() string { return "calendar_refresh" }

// One refresh at a time is enough: each reads a batch of stale calendars.
func (calendarRefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: CalendarQueue, MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: calendars.RefreshEvery}}
}

type calendarWriteArgs struct{}

func (calendarWriteArgs) Kind() string { return "calendar_write" }

func (calendarWriteArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: CalendarQueue, MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: calendars.WriteEvery}}
}

type calendarWriteWorker struct {
	river.WorkerDefaults[calendarWriteArgs]
	svc *calendars.Service
}

func (w *calendarWriteWorker) Timeout(*river.Job[calendarWriteArgs]) time.Duration {
	return calendarJobTimeout
}

func (w *calendarWriteWorker) Work(ctx context.Context, _ *river.Job[calendarWriteArgs]) error {
	return w.svc.WriteBack(ctx)
}

type calendarRefreshWorker struct {
	river.WorkerDefaults[calendarRefreshArgs]
	svc *calendars.Service
}

func (w *calendarRefreshWorker) Timeout(*river.Job[calendarRefreshArgs]) time.Duration {
	return calendarJobTimeout
}

func (w *calendarRefreshWorker) Work(ctx context.Context, _ *river.Job[calendarRefreshArgs]) error {
	return w.svc.RefreshDue(ctx)
}

// addCalendars registers the refresh worker, its queue and its schedule.
func addCalendars(rc *river.Config, svc *calendars.Service) {
	if rc.Workers == nil {
		rc.Workers = river.NewWorkers()
	}
	if rc.Queues == nil {
		rc.Queues = map[string]river.QueueConfig{}
	}
	river.AddWorker(rc.Workers, &calendarRefreshWorker{svc: svc})
	river.AddWorker(rc.Workers, &calendarWriteWorker{svc: svc})
	rc.Queues[CalendarQueue] = river.QueueConfig{MaxWorkers: calendarWorkers}
	rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(calendars.RefreshEvery),
		func() (river.JobArgs, *river.InsertOpts) { return calendarRefreshArgs{}, nil },
		&river.PeriodicJobOpts{ID: "calendar_refresh", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(calendars.WriteEvery),
			func() (river.JobArgs, *river.InsertOpts) { return calendarWriteArgs{}, nil },
			&river.PeriodicJobOpts{ID: "calendar_write", RunOnStart: true}))
}
