package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is everything that differs between SQLite and PostgreSQL. Queries
// are written once, with ? placeholders and portable SQL.
type dialect interface {
	name() string
	driver() string
	configure(*sql.DB)
	// rebind turns ? placeholders into the engine's own.
	rebind(query string) string
	// uniqueViolation reports whether err is a unique-constraint violation
	// and, if so, which constraint or index it names.
	uniqueViolation(err error) (constraint string, ok bool)
	// exclusionViolation reports whether err is the no-overlap constraint
	// refusing a booking.
	exclusionViolation(err error) bool
	// lockHostBookings makes concurrent bookings of one host queue for the
	// rest of tx, so the checks a booking makes before it inserts (the
	// buffers' margin, the per-guest cap) see every committed booking and
	// none can slip in between. The plain no-overlap guarantee stays
	// PostgreSQL's exclusion constraint; queuing also spares it the
	// deadlocks that many racing inserts into one constraint produce.
	lockHostBookings(ctx context.Context, tx *sql.Tx, hostID string) error
	// retryable reports whether a failed transaction may simply be run
	// again (it was aborted to break a deadlock or a serialization clash).
	retryable(err error) bool
	// forUpdate is the suffix that locks the rows a SELECT reads until the
	// transaction ends.
	forUpdate() string
	// lockMigrations serialises migration runs from several processes for
	// the rest of tx.
	lockMigrations(ctx context.Context, tx *sql.Tx) error
}

type sqliteDialect struct{}

func (sqliteDialect) name() string   { return "sqlite" }
func (sqliteDialect) driver() string { return "sqlite" }

// sqliteDSN opens path in WAL mode with a busy timeout, foreign keys on, and
// every transaction begun IMMEDIATE: it takes the write lock at BEGIN, so
// writers queue instead of failing with SQLITE_BUSY at their first write.
// synchronous=FULL syncs the WAL at every commit: a committed ledger entry
// (whose payment operation may already have happened at the gateway)
// survives a power cut, which NORMAL does not promise. bench/README.md
// has its cost.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

func (sqliteDialect) configure(db *sql.DB) {
	// Readers run concurrently under WAL; writers queue on the busy timeout.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(0)
}

func (sqliteDialect) rebind(q string) string { return q }

func (sqliteDialect) uniqueViolation(err error) (string, bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return "", false
	}
	if se.Code() != sqlite3.SQLITE_CONSTRAINT_UNIQUE && se.Code() != sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
		return "", false
	}
	// "UNIQUE constraint failed: index 'users_email_key'" or "…: users.email".
	msg := se.Error()
	if i := strings.LastIndex(msg, "failed: "); i >= 0 {
		msg = msg[i+len("failed: "):]
	}
	return strings.Trim(msg, "index '"), true
}

func (sqliteDialect) retryable(error) bool { return false } // writers queue on the busy timeout

func (sqliteDialect) lockHostBookings(context.Context, *sql.Tx, string) error {
	return nil // the IMMEDIATE transaction already holds the only write lock
}
func (sqliteDialect) exclusionViolation(error) bool { return false }

// forUpdate is empty: an IMMEDIATE transaction already holds SQLite's one
// write lock, so no other writer can change the rows it read.
func (sqliteDialect) forUpdate() string { return "" }

func (sqliteDialect) lockMigrations(context.Context, *sql.Tx) error {
	return nil // the transaction already holds SQLite's single write lock
}

type postgresDialect struct{}

func (postgresDialect) name() string   { return "postgres" }
func (postgresDialect) driver() string { return "pgx" }

func (postgresDialect) configure(db *sql.DB) {
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
}

func (postgresDialect) rebind(q string) string {
	n := strings.Count(q, "?")
	if n == 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 2*n)
	i := 0
	for _, r := range q {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		i++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

func (postgresDialect) uniqueViolation(err error) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName, true
	}
	return "", false
}

func (postgresDialect) forUpdate() string { return " FOR UPDATE" }

func (postgresDialect) lockHostBookings(ctx context.Context, tx *sql.Tx, hostID string) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('vidivo booking ' || $1))", hostID)
	return err
}

// retryable is SQLSTATE 40P01 (deadlock detected) or 40001 (serialization
// failure): the transaction was rolled back and may run again.
func (postgresDialect) retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// exclusionViolation is SQLSTATE 23P01, raised by the bookings' EXCLUDE
// constraint.
func (postgresDialect) exclusionViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23P01"
}

// migrationLockKey is an arbitrary constant naming Vidivo's migration lock.
const migrationLockKey = 0x76696469766f // "vidivo"

func (postgresDialect) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey)
	return err
}
