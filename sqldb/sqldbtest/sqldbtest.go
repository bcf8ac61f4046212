// Package sqldbtest opens fresh, migrated stores for tests: a SQLite file in
// the test's temp dir always, and a PostgreSQL schema of its own whenever
// VIDIVO_TEST_DATABASE_URL is set.
package sqldbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for schema set-up

	"github.com/vidivo/vidivo/sqldb"
)

// EnvPostgres names the PostgreSQL server used by tests.
const EnvPostgres = "VIDIVO_TEST_DATABASE_URL"

// Engines returns the engines tests should run on: "sqlite" always, and
// "postgres" when VIDIVO_TEST_DATABASE_URL is set.
func Engines() []string {
	if os.Getenv(EnvPostgres) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// URL returns a database URL for a new, empty database on engine, removed
// when the test ends.
func URL(tb testing.TB, engine string) string {
	tb.Helper()
	switch engine {
	case "sqlite":
		return "sqlite:" + filepath.Join(tb.TempDir(), "vidivo.db")
	case "postgres":
		return postgresSchema(tb)
	}
	tb.Fatalf("sqldbtest: unknown engine %q", engine)
	return ""
}

// New returns a migrated store on a new, empty database on engine, with
// no job queue.
func New(tb testing.TB, engine string) *sqldb.DB {
	tb.Helper()
	return Open(tb, URL(tb, engine), nil)
}

// Open returns a migrated store with opts on the database at url (from
// URL), closed when the test ends.
func Open(tb testing.TB, url string, opts *sqldb.Opts) *sqldb.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, url, opts)
	if err != nil {
		tb.Fatalf("sqldbtest: open %s: %v", url, err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatalf("sqldbtest: migrate %s: %v", url, err)
	}
	return db
}

// postgresSchema creates a schema of the test's own and returns a URL whose
// connections use it, so parallel tests and packages never collide.
func postgresSchema(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		tb.Fatalf("sqldbtest: %s is not set", EnvPostgres)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "vt_" + hex.EncodeToString(b[:])

	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("sqldbtest: open postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("sqldbtest: create schema: %v", err)
	}
	tb.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
	})

	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("sqldbtest: parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	// public stays on the path for extensions (btree_gist) that a database
	// can hold only once; every table lands in the test's own schema.
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}
