package turn

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SecretFile is the name of the generated secret in the data directory.
const SecretFile = "turn-secret"

// LoadOrCreateSecret returns the TURN shared secret: given (the
// VIDIVO_TURN_SECRET setting) when not empty, else the contents of
// <dataDir>/turn-secret, which is created on first use holding 32 random
// bytes in hex (mode 0600).
//
// The secret is the text itself (leading and trailing whitespace trimmed),
// not the bytes it may encode, exactly as coturn uses static-auth-secret:
// an external coturn accepts the same credentials when configured with
// use-auth-secret and static-auth-secret=<that text>.
//
// Creation is safe against concurrent first runs (several processes or
// goroutines on the same data dir): the secret is written to a temporary
// file which is then hard-linked into place, so the file appears complete
// or not at all, the first writer wins, and everyone returns what is in
// the file.
func LoadOrCreateSecret(dataDir, given string) ([]byte, error) {
	if given != "" {
		s := strings.TrimSpace(given)
		if s == "" {
			return nil, errors.New("turn: given secret is blank")
		}
		return []byte(s), nil
	}
	path := filepath.Join(dataDir, SecretFile)
	secret, err := readSecret(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}

	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("turn: secret: %w", err)
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:]) // never fails (crypto/rand, Go ≥ 1.24)
	if err := writeNew(path, []byte(hex.EncodeToString(raw[:])+"\n")); err != nil {
		return nil, fmt.Errorf("turn: secret: %w", err)
	}
	return readSecret(path)
}

func readSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("turn: secret: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, fmt.Errorf("turn: secret: %s is empty", path)
	}
	return b, nil
}

// writeNew creates path holding data (mode 0600) unless it exists already,
// in which case it leaves it be and returns nil.
func writeNew(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir makes a new directory entry durable, best effort (not every
// platform can fsync a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
