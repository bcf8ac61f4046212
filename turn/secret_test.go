package turn_test

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/vidivo/vidivo/turn"
)

func TestLoadOrCreateSecret(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	s1, err := turn.LoadOrCreateSecret(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := hex.DecodeString(string(s1)); err != nil || len(b) != 32 {
		t.Errorf("secret %q is not 32 bytes in hex", s1)
	}
	path := filepath.Join(dir, turn.SecretFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	s2, err := turn.LoadOrCreateSecret(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if string(s2) != string(s1) {
		t.Errorf("second call = %q, want %q", s2, s1)
	}
	s3, err := turn.LoadOrCreateSecret(dir, " from-env\n")
	if err != nil || string(s3) != "from-env" {
		t.Errorf("given: %q, %v", s3, err)
	}
	// No temporary files left behind.
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("data dir holds %v", ents)
	}
}

func TestLoadOrCreateSecretGivenWins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := turn.LoadOrCreateSecret(dir, "given")
	if err != nil || string(s) != "given" {
		t.Fatalf("%q, %v", s, err)
	}
	if _, err := os.Stat(filepath.Join(dir, turn.SecretFile)); !os.IsNotExist(err) {
		t.Errorf("secret file created although given: %v", err)
	}
	if _, err := turn.LoadOrCreateSecret(dir, " \n"); err == nil {
		t.Error("blank given secret accepted")
	}
}

func TestLoadOrCreateSecretExisting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, turn.SecretFile)
	if err := os.WriteFile(path, []byte("shared-with-coturn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := turn.LoadOrCreateSecret(dir, "")
	if err != nil || string(s) != "shared-with-coturn" {
		t.Errorf("%q, %v", s, err)
	}
	if err := os.WriteFile(path, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := turn.LoadOrCreateSecret(dir, ""); err == nil {
		t.Error("empty secret file accepted")
	}
}

// TestLoadOrCreateSecretConcurrent: concurrent first calls agree.
func TestLoadOrCreateSecretConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 16
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := turn.LoadOrCreateSecret(dir, "")
			got[i], errs[i] = string(s), err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if got[i] != got[0] {
			t.Fatalf("call %d got %q, call 0 got %q", i, got[i], got[0])
		}
	}
}
