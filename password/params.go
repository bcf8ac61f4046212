package password

import (
	"errors"
	"fmt"
)

// Bounds every Params must respect, whether configured or decoded from a
// stored hash. The upper bounds stop a tampered stored hash from making a
// single Verify allocate or compute without limit.
const (
	// MaxMemory is the largest accepted memory cost, in KiB (1 GiB).
	MaxMemory = 1 << 20
	// MaxIterations is the largest accepted time cost.
	MaxIterations = 100
	// MinSaltLen and MaxSaltLen bound the salt length in bytes.
	MinSaltLen, MaxSaltLen = 8, 64
	// MinKeyLen and MaxKeyLen bound the derived key length in bytes.
	MinKeyLen, MaxKeyLen = 16, 1024
)

// Params are argon2id cost parameters.
type Params struct {
	// Memory is the memory cost in KiB; at least 8×Parallelism.
	Memory uint32
	// Iterations is the time cost (passes over memory); at least 1.
	Iterations uint32
	// Parallelism is the number of lanes (and goroutines); at least 1.
	Parallelism uint8
	// SaltLen is the length of the random salt in bytes.
	SaltLen uint32
	// KeyLen is the length of the derived key in bytes.
	KeyLen uint32
}

// DefaultParams returns the OWASP-recommended argon2id parameters:
// 19 MiB of memory, 2 iterations, 1 lane, a 16-byte salt and a 32-byte key.
func DefaultParams() Params {
	return Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
}

// Validate reports whether p is within the bounds this package accepts: the
// argon2 minimums and the Max*/Min* constants above.
func (p Params) Validate() error {
	var errs []error
	if p.Parallelism < 1 {
		errs = append(errs, errors.New("parallelism must be at least 1"))
	}
	if p.Memory < 8*uint32(p.Parallelism) || p.Memory > MaxMemory {
		errs = append(errs, fmt.Errorf("memory %d KiB outside [8×parallelism, %d]", p.Memory, MaxMemory))
	}
	if p.Iterations < 1 || p.Iterations > MaxIterations {
		errs = append(errs, fmt.Errorf("iterations %d outside [1, %d]", p.Iterations, MaxIterations))
	}
	if p.SaltLen < MinSaltLen || p.SaltLen > MaxSaltLen {
		errs = append(errs, fmt.Errorf("salt length %d outside [%d, %d]", p.SaltLen, MinSaltLen, MaxSaltLen))
	}
	if p.KeyLen < MinKeyLen || p.KeyLen > MaxKeyLen {
		errs = append(errs, fmt.Errorf("key length %d outside [%d, %d]", p.KeyLen, MinKeyLen, MaxKeyLen))
	}
	return errors.Join(errs...)
}
