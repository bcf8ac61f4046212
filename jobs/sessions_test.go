package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/jobs"
	"github.com/vidivo/vidivo/sessions"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sqldb/storetest"
)

// roomsOf stands in for the relay: the sessions whose rooms are occupied.
type roomsOf map[string]bool

func (roomsOf) Remove(string, string, string) bool { return false }

func (r roomsOf) Occupied(_ context.Context, sessionID string) (bool, error) {
	return r[sessionID], nil
}

// TestSessionSweepJob runs River for real: the periodic sweep, run at
// start, ends a session in progress whose end passed with nobody in its
// room, and leaves one whose room is occupied and one not yet over (both
// engines).
func TestSessionSweepJob(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := sqldbtest.URL(t, engine)
			pool := jobPool(t, url)
			db := sqldbtest.Open(t, url, nil)
			host := storetest.MustCreateUser(t, db, "sessionhost", vidivo.RoleHost)
			now := time.Now().UTC().Truncate(time.Second)
			inProgress := func(start, end time.Time) string {
				t.Helper()
				s := &vidivo.Session{ID: ulid.Make().String(), Name: "Group", HostID: host.ID, StartTime: start, EndTime: end,
					State: vidivo.SessionScheduled}
				if err := db.CreateSession(ctx, s); err != nil {
					t.Fatal(err)
				}
				if ok, err := db.SetSessionState(ctx, s.ID, vidivo.SessionInProgress, start); !ok || err != nil {
					t.Fatalf("start session: %v %v", ok, err)
				}
				return s.ID
			}
			over := inProgress(now.Add(-2*time.Hour), now.Add(-time.Hour))
			busy := inProgress(now.Add(-2*time.Hour), now.Add(-time.Hour))
			running := inProgress(now.Add(-time.Hour), now.Add(time.Hour))
			svc := &sessions.Service{Store: db, Rooms: roomsOf{busy: true}}

			startRunner(t, jobs.Config{Engine: engine, Pool: pool, Sessions: svc})
			deadline := time.Now().Add(20 * time.Second)
			for {
				s, err := db.Session(ctx, over)
				if err != nil {
					t.Fatal(err)
				}
				if s.State == vidivo.SessionEnded {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the sweep never ended the empty session past its end: it is %s", s.State)
				}
				time.Sleep(50 * time.Millisecond)
			}
			for _, id := range []string{busy, running} {
				if s, err := db.Session(ctx, id); err != nil || s.State != vidivo.SessionInProgress {
					t.Errorf("session %s is %v (%v), want still in_progress", id, s.State, err)
				}
			}
		})
	}
}
