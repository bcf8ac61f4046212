package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// TestBackup copies a live SQLite database (another connection holds it
// open) into a file that opens as a complete store; it refuses to
// overwrite, and sends PostgreSQL to pg_dump.
func TestBackup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	url := sqldbtest.URL(t, "sqlite")
	vars := map[string]string{"VIDIVO_DATA_DIR": dir, "VIDIVO_DATABASE_URL": url}
	if code, _, errOut := runCmd(t, vars, "", "user", "create", "--email", "jane@example.com", "--username", "jane"); code != 0 {
		t.Fatalf("user create = %d %s", code, errOut)
	}
	live := sqldbtest.Open(t, url, nil) // the service, still running
	file := filepath.Join(dir, "copy.db")

	code, out, errOut := runCmd(t, vars, "", "backup", file)
	if code != 0 || !strings.Contains(out, "backed up to "+file) {
		t.Fatalf("backup = %d %q %q", code, out, errOut)
	}
	if _, _, err := live.UserByLogin(context.Background(), "jane"); err != nil {
		t.Errorf("the live database after the backup: %v", err)
	}
	restored := sqldbtest.Open(t, "sqlite:"+file, nil)
	u, _, err := restored.UserByLogin(context.Background(), "jane@example.com")
	if err != nil || u.Username != "jane" {
		t.Fatalf("the copy: UserByLogin = %v, %v; want jane", u, err)
	}

	type refusal struct {
		name    string
		vars    map[string]string
		args    []string
		wantErr string
	}
	tests := []refusal{
		{"existing file", vars, []string{"backup", file}, "already exists"},
		{"no file", vars, []string{"backup"}, "give one file"},
		{"two files", vars, []string{"backup", "a", "b"}, "give one file"},
	}
	if engines := sqldbtest.Engines(); len(engines) > 1 {
		pg := map[string]string{"VIDIVO_DATA_DIR": dir, "VIDIVO_DATABASE_URL": sqldbtest.URL(t, "postgres")}
		tests = append(tests, refusal{"postgres", pg, []string{"backup", filepath.Join(dir, "pg.db")}, "pg_dump"})
	}
	for _, tt := range tests {
		code, _, errOut := runCmd(t, tt.vars, "", tt.args...)
		if code != 1 || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("%s: backup = %d %q; want 1 and %q", tt.name, code, errOut, tt.wantErr)
		}
	}
}
