package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/vidivo/vidivo/sqldb"
)

// cmdBackup copies the SQLite database to a new file while the service
// runs. It does not migrate: the copy is the schema the service has.
func cmdBackup(ctx context.Context, args []string, e env) error {
	fs := flag.NewFlagSet("vidivo backup", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	build := registerConfig(fs, e.getenv, storeFlags...)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("give one file to write the backup to (it must not exist)")
	}
	c, err := build()
	if err != nil {
		return err
	}
	db, err := sqldb.Open(ctx, c.DatabaseURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, fs.Arg(0)); err != nil {
		if errors.Is(err, sqldb.ErrBackupEngine) {
			return errors.New("this is a PostgreSQL database: back it up with pg_dump (docs/operations.md)")
		}
		return err
	}
	fmt.Fprintf(e.stdout, "backed up to %s\n", fs.Arg(0))
	return nil
}
