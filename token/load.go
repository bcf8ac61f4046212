package token

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeyFileName is the file, inside the data directory, that LoadKeySet reads
// the signing key from and writes a generated key to.
const KeyFileName = "jwt-signing-key.pem"

// LoadKeySet returns the service's signing keys.
//
// If pemText is not empty it must hold one or more PEM blocks of type
// "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1), each an RSA key of at
// least 2048 bits; the first block signs and all of them verify, which is how
// keys are rotated. dataDir is not used then.
//
// Otherwise LoadKeySet reads <dataDir>/jwt-signing-key.pem (same format). If
// that file does not exist it generates an RSA-2048 key and writes it there
// with mode 0600, creating dataDir with mode 0700 if needed. The write is
// atomic: the key is written to a temporary file and then linked into place
// only if no file exists yet, so instances starting at the same time never
// read a partial file and all end up with the same key (a loser of the race
// loads the winner's file).
//
// Garbage PEM, non-RSA keys, keys under 2048 bits and unreadable files are
// reported as errors.
func LoadKeySet(dataDir, pemText string) (*KeySet, error) {
	if pemText != "" {
		ks, err := parseKeySet([]byte(pemText))
		if err != nil {
			return nil, fmt.Errorf("token: signing key from PEM text: %w", err)
		}
		return ks, nil
	}
	if dataDir == "" {
		return nil, errors.New("token: no signing key PEM and no data directory")
	}
	path := filepath.Join(dataDir, KeyFileName)
	ks, err := readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return ks, err
	}
	return createKeyFile(dataDir, path)
}

// readKeyFile parses the key file at path. A missing file yields an error
// matching fs.ErrNotExist.
func readKeyFile(path string) (*KeySet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("token: read signing key: %w", err)
	}
	ks, err := parseKeySet(data)
	if err != nil {
		return nil, fmt.Errorf("token: signing key file %s: %w", path, err)
	}
	return ks, nil
}

// createKeyFile generates a key and publishes it at path without ever
// replacing an existing file; if another process got there first, its key
// is loaded instead.
func createKeyFile(dataDir, path string) (*KeySet, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("token: create data directory: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, fmt.Errorf("token: generate RSA key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("token: encode signing key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	tmp, err := writeTemp(dataDir, data)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp) // after a successful link this removes only the extra name

	// os.Link fails if path exists, which gives create-if-absent semantics
	// that os.Rename (which replaces) lacks.
	switch err := os.Link(tmp, path); {
	case err == nil:
		return generatedKeySet(key)
	case errors.Is(err, fs.ErrExist):
		return readKeyFile(path)
	}
	// Hard links unsupported here: fall back to rename, checking first so
	// only a near-simultaneous start can replace a just-written key.
	if _, err := os.Lstat(path); err == nil {
		return readKeyFile(path)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("token: install signing key: %w", err)
	}
	return generatedKeySet(key)
}

// generatedKeySet wraps a freshly generated key in a KeySet.
func generatedKeySet(key *rsa.PrivateKey) (*KeySet, error) {
	ks, err := newKeySet(key)
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	return ks, nil
}

// writeTemp writes data to a new mode-0600 file in dir, flushed to disk, and
// returns its name.
func writeTemp(dir string, data []byte) (name string, err error) {
	f, err := os.CreateTemp(dir, "."+KeyFileName+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("token: write signing key: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	// CreateTemp already uses 0600; Chmod makes the promise explicit.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return "", fmt.Errorf("token: write signing key: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return "", fmt.Errorf("token: write signing key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("token: write signing key: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("token: write signing key: %w", err)
	}
	return f.Name(), nil
}

// parseKeySet parses one or more PEM private-key blocks; the first signs.
func parseKeySet(data []byte) (*KeySet, error) {
	var keys []*rsa.PrivateKey
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		key, err := parsePrivateKey(block)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", len(keys)+1, err)
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM private key found")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("unexpected data after the last PEM block")
	}
	return newKeySet(keys...)
}

// parsePrivateKey decodes a PKCS#8 or PKCS#1 block holding an RSA key.
func parsePrivateKey(block *pem.Block) (*rsa.PrivateKey, error) {
	if _, encrypted := block.Headers["Proc-Type"]; encrypted {
		return nil, errors.New("encrypted PEM keys are not supported")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("invalid PKCS#1 RSA key: %w", err)
		}
		return key, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("invalid PKCS#8 key: %w", err)
		}
		key, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("PKCS#8 key is %T, not RSA", k)
		}
		return key, nil
	default:
		return nil, fmt.Errorf("type %q is not \"PRIVATE KEY\" or \"RSA PRIVATE KEY\"", block.Type)
	}
}
