// Package sqldb stores Vidivo's data in SQLite (the embedded default) or
// PostgreSQL. There is one implementation of every query; the differences
// between the two engines live behind the small dialect seam in dialect.go.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DB is a Vidivo store on one database.
type DB struct {
	db  *sql.DB
	d   dialect
	dsn string
	// stmts caches prepared statements of the hottest reads: SQLite
	// otherwise parses the SQL again on every call.
	stmts sync.Map // query → *sql.Stmt

	// Now is the clock used for timestamps; tests replace it.
	Now func() time.Time
	// jobs enqueues background jobs inside store transactions.
	jobs Enqueuer
}

// Opts are a store's options; nil means all defaults.
type Opts struct {
	// Jobs enqueues the background jobs that changes need, in the
	// change's transaction. Without it, a change that needs a job fails
	// (read-only tools and tests that never start calls need none).
	Jobs Enqueuer
}

// Open connects to the database named by url: "sqlite:<path>" (the path is
// created if missing) or "postgres://…". It does not migrate; call Migrate.
func Open(ctx context.Context, url string, opts *Opts) (*DB, error) {
	d, dsn, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	sqlDB, err := sql.Open(d.driver(), dsn)
	if err != nil {
		return nil, fmt.Errorf("sqldb: open %s: %w", d.name(), err)
	}
	d.configure(sqlDB)
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("sqldb: connect to %s: %w", d.name(), err)
	}
	db := &DB{db: sqlDB, d: d, dsn: dsn, Now: time.Now}
	if opts != nil {
		db.jobs = opts.Jobs
	}
	return db, nil
}

// parseURL picks the dialect of a database URL and the driver's DSN.
func parseURL(url string) (dialect, string, error) {
	var (
		d   dialect
		dsn string
	)
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return nil, "", errors.New("sqldb: sqlite: URL needs a file path")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, "", fmt.Errorf("sqldb: create database directory: %w", err)
		}
		d, dsn = sqliteDialect{}, sqliteDSN(path)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		d, dsn = postgresDialect{}, url
	default:
		return nil, "", errors.New(`sqldb: database URL must start with "sqlite:" or "postgres://"`)
	}
	return d, dsn, nil
}

// OpenJobPool opens a small connection pool for the job queue on the
// database named by url, and names its engine ("sqlite" or "postgres").
// On SQLite it has a single connection, as River's SQLite driver advises;
// writers on it and on the store queue on the busy timeout. Open it before
// the store, whose Opts.Jobs inserts through it.
func OpenJobPool(ctx context.Context, url string) (pool *sql.DB, engine string, err error) {
	d, dsn, err := parseURL(url)
	if err != nil {
		return nil, "", err
	}
	pool, err = sql.Open(d.driver(), dsn)
	if err != nil {
		return nil, "", fmt.Errorf("sqldb: open job pool: %w", err)
	}
	conns := 4
	if d.name() == "sqlite" {
		conns = 1
	}
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, "", fmt.Errorf("sqldb: connect job pool: %w", err)
	}
	return pool, d.name(), nil
}

// Engine names the database engine: "sqlite" or "postgres".
func (db *DB) Engine() string { return db.d.name() }

// Close closes the cached statements and the connection pool.
func (db *DB) Close() error {
	db.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return db.db.Close()
}

// Ready reports whether the database answers and every migration embedded in
// this binary has been applied.
func (db *DB) Ready(ctx context.Context) error {
	applied, err := db.appliedVersion(ctx)
	if err != nil {
		return err
	}
	if latest := latestVersion(db.d); applied < latest {
		return fmt.Errorf("sqldb: schema at version %d, binary expects %d: run vidivo migrate", applied, latest)
	}
	return nil
}

func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }

// queryRowHot runs a hot single-row read through a cached prepared
// statement (rebound for the dialect).
func (db *DB) queryRowHot(ctx context.Context, query string, args ...any) (*sql.Row, error) {
	if st, ok := db.stmts.Load(query); ok {
		return st.(*sql.Stmt).QueryRowContext(ctx, args...), nil
	}
	st, err := db.db.PrepareContext(ctx, db.d.rebind(query))
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if prev, loaded := db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		st = prev.(*sql.Stmt)
	}
	return st.QueryRowContext(ctx, args...), nil
}

// txAttempts bounds retries of a transaction the database aborted to
// resolve a deadlock.
const txAttempts = 5

// tx runs fn in a transaction, committing if it returns nil. On SQLite every
// transaction takes the write lock up front (BEGIN IMMEDIATE), so a
// read-then-write inside fn cannot be interleaved with another writer. On
// PostgreSQL a transaction chosen as a deadlock victim (which concurrent
// bookings checked by the exclusion constraint can produce) is run again:
// fn must be safe to repeat, as everything it did was rolled back.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.tryTx(ctx, fn)
		if err == nil || attempt == txAttempts || !db.d.retryable(err) {
			return err
		}
		// A short, growing, jittered pause lets the winner commit.
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt*attempt) * time.Duration(1+mrand.IntN(5)) * time.Millisecond):
		}
	}
}

func (db *DB) tryTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// WithTx runs fn in a store transaction, for callers that insert jobs or
// other rows alongside the store's own (tools and tests).
func (db *DB) WithTx(ctx context.Context, fn func(*sql.Tx) error) error { return db.tx(ctx, fn) }
