package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	_ "modernc.org/sqlite"             // the "sqlite" driver
)

// Open opens a plain pool on a Vidivo database named as the service names
// it ("sqlite:<path>" or "postgres://…") and returns its engine. It is the
// audit's own connection, not the service's store: on SQLite in WAL mode
// with a busy timeout, so it reads while the service writes, and its
// transactions take the write lock up front (BEGIN IMMEDIATE), which is
// what the chaos run's write freezes need.
func Open(ctx context.Context, dbURL string, conns int) (*sql.DB, string, error) {
	var driver, dsn, engine string
	switch {
	case strings.HasPrefix(dbURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite:"), "//")
		if path == "" {
			return nil, "", errors.New("audit: sqlite: URL needs a file path")
		}
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "busy_timeout(30000)")
		q.Set("_txlock", "immediate")
		driver, dsn, engine = "sqlite", "file:"+path+"?"+q.Encode(), "sqlite"
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		driver, dsn, engine = "pgx", dbURL, "postgres"
	default:
		return nil, "", errors.New(`audit: database URL must start with "sqlite:" or "postgres://"`)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, "", fmt.Errorf("audit: open %s: %w", engine, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, "", fmt.Errorf("audit: connect to %s: %w", engine, err)
	}
	return db, engine, nil
}
