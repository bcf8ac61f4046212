package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sqldb/storetest"
)

// TestSessionRulesInDatabase: the store refuses what the service checks
// too — a session longer than 8 hours or ending before it starts, a fee
// on a host, a second live payment of one participant — on both engines,
// whoever writes.
func TestSessionRulesInDatabase(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := sqldbtest.New(t, engine)
			host := storetest.MustCreateUser(t, db, "host", vidivo.RoleHost)
			start := time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)
			mk := func(id string, end time.Time, ps ...*vidivo.SessionParticipant) error {
				return db.CreateSession(ctx, &vidivo.Session{ID: id, Name: "S", HostID: host.ID, StartTime: start,
					EndTime: end, State: vidivo.SessionScheduled, Participants: ps})
			}
			guest := func(id string, fee vidivo.Money, role vidivo.ParticipantRole) *vidivo.SessionParticipant {
				return &vidivo.SessionParticipant{ID: id, SessionID: "01J00000000000000000000001", DisplayName: "G",
					Role: role, Fee: fee, TokenHash: "hash-" + id, EntrySalt: "salt"}
			}
			n := 0
			for name, end := range map[string]time.Time{
				"nine hours": start.Add(9 * time.Hour), "ends at its start": start, "ends before": start.Add(-time.Minute),
				"eight hours and a second": start.Add(8*time.Hour + time.Second),
			} {
				n++
				if err := mk("01J0000000000000000000000"+string(rune('A'+n)), end); err == nil {
					t.Errorf("%s: stored", name)
				}
			}
			if err := mk("01J00000000000000000000001", start.Add(8*time.Hour)); err != nil {
				t.Fatalf("eight hours: %v", err)
			}
			if err := db.AddSessionParticipant(ctx, guest("01J0000000000000000000000H", 100, vidivo.ParticipantHost)); err == nil {
				t.Error("a host with a fee was stored")
			}
			g := guest("01J0000000000000000000000G", 100, vidivo.ParticipantGuest)
			if err := db.AddSessionParticipant(ctx, g); err != nil {
				t.Fatal(err)
			}
			pay := &vidivo.SessionPayment{ID: "01J0000000000000000000000P", SessionID: g.SessionID, ParticipantID: g.ID,
				HostID: host.ID, Amount: 100}
			first, err := db.StartSessionPayment(ctx, pay)
			if err != nil {
				t.Fatal(err)
			}
			pay.ID = "01J0000000000000000000000Q"
			again, err := db.StartSessionPayment(ctx, pay)
			if err != nil || again.ID != first.ID {
				t.Fatalf("second start = %+v, %v; want the first payment", again, err)
			}
			if err := db.RemoveSessionParticipant(ctx, g.SessionID, g.ID); vidivo.ErrorCode(err) != vidivo.ECONFLICT {
				t.Fatalf("removing a paying participant = %v, want conflict", err)
			}
		})
	}
}
