package calendars

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeyFile is the calendar key's file in the data dir.
const KeyFile = "calendar.key"

// Sealer encrypts calendar passwords at rest (AES-256-GCM, a random nonce
// per password, the sealed text being base64 of nonce and ciphertext).
type Sealer struct{ aead cipher.AEAD }

// NewSealer builds a Sealer from a secret of any length; it is hashed
// into the AES-256 key.
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) < 16 {
		return nil, errors.New("calendars: key: must be at least 16 bytes")
	}
	key := sha256.Sum256(secret)
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("calendars: key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("calendars: key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts a password; "" stays "".
func (s *Sealer) Seal(plain string) string {
	if plain == "" {
		return ""
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce) // never fails (crypto/rand, Go ≥ 1.24)
	return base64.StdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), nil))
}

// Open decrypts a sealed password.
func (s *Sealer) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return "", errors.New("calendars: sealed password is malformed")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", errors.New("calendars: sealed password does not open with this key (was VIDIVO_CALENDAR_KEY changed?)")
	}
	return string(plain), nil
}

// LoadOrCreateKey returns the operator's key (VIDIVO_CALENDAR_KEY) when
// given, else the data dir's calendar.key, generated (32 random bytes,
// hex, mode 0600) the first time.
func LoadOrCreateKey(dataDir, given string) ([]byte, error) {
	if given != "" {
		s := strings.TrimSpace(given)
		if len(s) < 16 {
			return nil, errors.New("calendars: VIDIVO_CALENDAR_KEY must be at least 16 characters")
		}
		return []byte(s), nil
	}
	path := filepath.Join(dataDir, KeyFile)
	if b, err := os.ReadFile(path); err == nil {
		return readKey(path, b)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("calendars: key: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("calendars: key: %w", err)
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_, err = f.WriteString(hex.EncodeToString(raw[:]) + "\n")
		err = errors.Join(err, f.Close())
	}
	if err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("calendars: key: %w", err)
	}
	// Another process may have made it first: read what is there.
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("calendars: key: %w", err)
	}
	return readKey(path, b)
}

func readKey(path string, b []byte) ([]byte, error) {
	s := strings.TrimSpace(string(b))
	if len(s) < 16 {
		return nil, fmt.Errorf("calendars: key: %s is too short", path)
	}
	return []byte(s), nil
}
