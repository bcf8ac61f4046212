package password

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// Hasher hashes and verifies passwords with argon2id. The zero value uses
// DefaultParams. A Hasher is safe for concurrent use; each Hash or Verify
// allocates Params.Memory KiB for its duration.
type Hasher struct {
	// Params are the costs new hashes use; the zero value means
	// DefaultParams(). Verify uses the parameters stored in each hash.
	Params Params
}

// params returns the configured parameters, or the defaults for the zero
// value.
func (h Hasher) params() Params {
	if h.Params == (Params{}) {
		return DefaultParams()
	}
	return h.Params
}

// Hash returns a PHC string for pw with a fresh random salt:
// $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<hash>, salt and
// hash in unpadded standard base64. It fails if h.Params is not the zero
// value and does not pass Params.Validate.
func (h Hasher) Hash(pw string) (string, error) {
	p := h.params()
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("password: invalid parameters: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
	return encode(p, salt, key), nil
}

// Verify reports whether pw matches encoded, a string from Hash, using the
// parameters stored in encoded (not h.Params) and a constant-time
// comparison. A malformed encoded string, or one whose parameters are out of
// the bounds Params.Validate enforces, is an error and never a panic.
func (h Hasher) Verify(pw, encoded string) (bool, error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, fmt.Errorf("password: malformed hash: %w", err)
	}
	got := argon2.IDKey([]byte(pw), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// DummyVerify does the work of Verify (decoding, hashing with h's
// parameters, comparing) against a fixed hash that matches no password, and
// discards the result. Call it when a login names an unknown account, so
// that the response takes as long as for a wrong password.
func (h Hasher) DummyVerify(pw string) {
	p := h.params()
	if p.Validate() != nil {
		p = DefaultParams()
	}
	// A zero salt and zero key: the derived key is never all zeros in
	// practice, so this matches nothing.
	dummy := encode(p, make([]byte, p.SaltLen), make([]byte, p.KeyLen))
	_, _ = h.Verify(pw, dummy)
}
