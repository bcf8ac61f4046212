package sqldb

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// ErrBackupEngine is Backup's answer on an engine it cannot copy itself.
var ErrBackupEngine = errors.New("sqldb: back up PostgreSQL with pg_dump")

// Backup writes a consistent copy of an SQLite database to path, a file
// that must not exist yet, while the database stays in use: VACUUM INTO
// reads one snapshot, so writers carry on and the copy is compact and
// ready to open. PostgreSQL answers ErrBackupEngine: pg_dump does that.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.d.name() != "sqlite" {
		return ErrBackupEngine
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("sqldb: backup: %s already exists", path)
	}
	if _, err := db.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("sqldb: backup to %s: %w", path, err)
	}
	return nil
}
