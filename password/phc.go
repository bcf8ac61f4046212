package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// maxEncodedLen bounds the strings decode looks at; the longest valid one
// (64-byte salt, 1024-byte key) is about 1.5 KB.
const maxEncodedLen = 2048

// b64 returns the PHC string encoding: standard alphabet, no padding, and
// strict so that every hash has exactly one encoding.
func b64() *base64.Encoding { return base64.RawStdEncoding.Strict() }

// encode formats a PHC string. p.SaltLen and p.KeyLen are ignored; the
// lengths of salt and key are encoded.
func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		b64().EncodeToString(salt), b64().EncodeToString(key))
}

// decode parses a PHC argon2id string produced by encode. It accepts only
// the canonical form encode writes and parameters that pass
// Params.Validate, with SaltLen and KeyLen set from the decoded lengths.
func decode(s string) (p Params, salt, key []byte, err error) {
	if len(s) > maxEncodedLen {
		return Params{}, nil, nil, errors.New("encoded hash too long")
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return Params{}, nil, nil, errors.New("not a PHC string with 5 fields")
	}
	if parts[1] != "argon2id" {
		return Params{}, nil, nil, errors.New("algorithm is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, errors.New("unsupported argon2 version")
	}
	if p, err = decodeParams(parts[3]); err != nil {
		return Params{}, nil, nil, err
	}
	if salt, err = decodeB64(parts[4]); err != nil {
		return Params{}, nil, nil, fmt.Errorf("salt: %w", err)
	}
	if key, err = decodeB64(parts[5]); err != nil {
		return Params{}, nil, nil, fmt.Errorf("hash: %w", err)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.Validate(); err != nil {
		return Params{}, nil, nil, fmt.Errorf("parameters: %w", err)
	}
	return p, salt, key, nil
}

// decodeB64 decodes s, accepting only its canonical encoding: the base64
// decoder alone skips newlines even in strict mode.
func decodeB64(s string) ([]byte, error) {
	b, err := b64().DecodeString(s)
	if err != nil {
		return nil, err
	}
	if b64().EncodeToString(b) != s {
		return nil, errors.New("not canonical unpadded base64")
	}
	return b, nil
}

// decodeParams parses "m=<memory>,t=<iterations>,p=<parallelism>".
func decodeParams(s string) (Params, error) {
	var p Params
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Params{}, errors.New("parameters are not m=,t=,p=")
	}
	m, err := decodeUint(fields[0], "m=", 32)
	if err != nil {
		return Params{}, err
	}
	t, err := decodeUint(fields[1], "t=", 32)
	if err != nil {
		return Params{}, err
	}
	par, err := decodeUint(fields[2], "p=", 8)
	if err != nil {
		return Params{}, err
	}
	p.Memory, p.Iterations, p.Parallelism = uint32(m), uint32(t), uint8(par)
	return p, nil
}

// decodeUint parses prefix followed by a canonical decimal (digits only, no
// leading zero) that fits in bits.
func decodeUint(field, prefix string, bits int) (uint64, error) {
	digits, ok := strings.CutPrefix(field, prefix)
	if !ok || digits == "" || (len(digits) > 1 && digits[0] == '0') ||
		strings.TrimLeft(digits, "0123456789") != "" {
		return 0, fmt.Errorf("parameter %q is not %s<decimal>", field, prefix)
	}
	n, err := strconv.ParseUint(digits, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("parameter %s: %w", prefix, err)
	}
	return n, nil
}
