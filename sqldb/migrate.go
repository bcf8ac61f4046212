package sqldb

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one forward-only schema change, numbered from its file name
// (0001_init.sql is version 1).
type migration struct {
	version int
	name    string
	sql     string
}

func migrations(d dialect) ([]migration, error) {
	dir := path.Join("migrations", d.name())
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", e.Name())
		}
		body, err := migrationFS.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

func latestVersion(d dialect) int {
	ms, err := migrations(d)
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at TEXT NOT NULL
)`

// Migrate applies every embedded migration not yet applied, each in its own
// transaction under a lock, so running it twice, or from two instances at
// once, applies each migration exactly once. It returns the versions it
// applied.
func (db *DB) Migrate(ctx context.Context) ([]int, error) {
	ms, err := migrations(db.d)
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range ms {
		did, err := db.apply(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("sqldb: migration %s: %w", m.name, err)
		}
		if did {
			applied = append(applied, m.version)
		}
	}
	return applied, nil
}

func (db *DB) apply(ctx context.Context, m migration) (did bool, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.d.lockMigrations(ctx, tx); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var n int
		q := db.d.rebind("SELECT count(*) FROM schema_migrations WHERE version = ?")
		if err := tx.QueryRowContext(ctx, q, m.version).Scan(&n); err != nil {
			return fmt.Errorf("check version: %w", err)
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return err
		}
		q = db.d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
		if _, err := tx.ExecContext(ctx, q, m.version, m.name, ts(db.now())); err != nil {
			return fmt.Errorf("record version: %w", err)
		}
		did = true
		return nil
	})
	return did, err
}

// appliedVersion returns the highest applied migration, 0 if none.
func (db *DB) appliedVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := db.db.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v)
	if err != nil {
		if isMissingTable(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("sqldb: read schema version: %w", err)
	}
	return int(v.Int64), nil
}

func isMissingTable(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "no such table") || strings.Contains(msg, "does not exist")
}

// errNoRows reports whether err is sql.ErrNoRows.
func errNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
