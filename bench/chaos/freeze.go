package main

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"time"
)

// The sharpest fault: freeze only the ledger's *updates*. The service
// writes a ledger row as pending before it asks the gateway and updates it
// with the answer afterwards (and marks a call's new window after that), so
// while updates of call_charges (or calls) hang, every request and job
// that reaches that point has done its gateway step and not recorded it —
// and the kill lands there: the process dies between a gateway step and
// its ledger update, the state reconciliation exists for.
//
// It is a trigger this program adds to the run's own database, switched
// by a row in chaos_freeze: on PostgreSQL a BEFORE UPDATE trigger that
// sleeps while the switch is on; on SQLite (no sleep) one that counts a
// large cross join, holding the write lock for about two seconds per
// update while the switch is on. The service's schema is not touched
// otherwise; the audit never reads these objects.

const modeUpdateFrozen = "ledger_update_frozen"

var freezeDDL = map[string][]string{
	"postgres": {
		`CREATE TABLE IF NOT EXISTS chaos_freeze (tbl TEXT PRIMARY KEY, until TIMESTAMPTZ NOT NULL)`,
		`CREATE OR REPLACE FUNCTION chaos_freeze_wait() RETURNS trigger LANGUAGE plpgsql AS $$
		DECLARE deadline timestamptz := clock_timestamp() + interval '20 seconds';
		BEGIN
			WHILE clock_timestamp() < deadline
				AND EXISTS (SELECT 1 FROM chaos_freeze WHERE tbl = TG_TABLE_NAME AND until > clock_timestamp()) LOOP
				PERFORM pg_sleep(0.02);
			END LOOP;
			RETURN NEW;
		END $$`,
		`DROP TRIGGER IF EXISTS chaos_freeze ON call_charges`,
		`CREATE TRIGGER chaos_freeze BEFORE UPDATE ON call_charges FOR EACH ROW EXECUTE FUNCTION chaos_freeze_wait()`,
		`DROP TRIGGER IF EXISTS chaos_freeze ON calls`,
		`CREATE TRIGGER chaos_freeze BEFORE UPDATE ON calls FOR EACH ROW EXECUTE FUNCTION chaos_freeze_wait()`,
	},
	"sqlite": {
		`CREATE TABLE IF NOT EXISTS chaos_freeze (tbl TEXT PRIMARY KEY, until TEXT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS chaos_n (n INTEGER)`,
		`DELETE FROM chaos_n`,
		`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300) INSERT INTO chaos_n SELECT x FROM c`,
		`DROP TRIGGER IF EXISTS chaos_freeze_call_charges`,
		`CREATE TRIGGER chaos_freeze_call_charges BEFORE UPDATE ON call_charges
			WHEN EXISTS (SELECT 1 FROM chaos_freeze WHERE tbl = 'call_charges' AND until > strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
			BEGIN SELECT count(*) FROM chaos_n a, chaos_n b, chaos_n c; END`,
		`DROP TRIGGER IF EXISTS chaos_freeze_calls`,
		`CREATE TRIGGER chaos_freeze_calls BEFORE UPDATE ON calls
			WHEN EXISTS (SELECT 1 FROM chaos_freeze WHERE tbl = 'calls' AND until > strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
			BEGIN SELECT count(*) FROM chaos_n a, chaos_n b, chaos_n c; END`,
	},
}

// installFreeze adds the switchable triggers (after the server migrated).
func (r *run) installFreeze(ctx context.Context) error {
	for _, q := range freezeDDL[r.engine] {
		if _, err := r.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("install freeze triggers: %w", err)
		}
	}
	return nil
}

// freezeUpdates switches the trigger of table on for up to 20 seconds and
// returns a function that switches it off.
func (r *run) freezeUpdates(ctx context.Context, table string) (func(), error) {
	until := time.Now().Add(20 * time.Second).UTC().Format("2006-01-02T15:04:05.000Z")
	q := `INSERT INTO chaos_freeze (tbl, until) VALUES ($1, $2) ON CONFLICT (tbl) DO UPDATE SET until = excluded.until`
	if _, err := r.db.ExecContext(ctx, q, table, until); err != nil {
		return nil, fmt.Errorf("freeze %s: %w", table, err)
	}
	return func() {
		_, _ = r.db.ExecContext(context.Background(), `DELETE FROM chaos_freeze WHERE tbl = $1`, table)
	}, nil
}

// killWithUpdatesFrozen freezes ledger (or call) updates for a moment of
// load, kills the server while they hang, and thaws them.
func (r *run) killWithUpdatesFrozen(ctx context.Context, victim *server) string {
	table := "call_charges"
	if mrand.Float64() < 0.3 {
		table = "calls"
	}
	thaw, err := r.freezeUpdates(ctx, table)
	if err != nil {
		r.logf("%v", err)
		victim.kill()
		return " (freeze failed)"
	}
	sleep(ctx, time.Duration(300+mrand.IntN(2700))*time.Millisecond)
	caught := ""
	if r.engine == "postgres" {
		var n int
		if r.db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event = 'PgSleep'`).Scan(&n) == nil {
			caught = fmt.Sprintf(", %d updates hanging", n)
			r.stats.add("freeze.updates_hanging_at_kill", int64(n))
		}
	}
	victim.kill()
	thaw()
	r.stats.add("freeze.updates_of_"+table, 1)
	return " (" + table + " updates" + caught + ")"
}
