package sqldb

import (
	"crypto/rand"
	"time"

	"github.com/oklog/ulid/v2"
)

// entropy makes ids minted in the same millisecond by this process sort in
// the order they were made (the ledger lists entries by id), while staying
// unguessable: the monotonic increments start from crypto randomness.
var entropy = &ulid.LockedMonotonicReader{MonotonicReader: ulid.Monotonic(rand.Reader, 0)}

// newID returns a ULID: 26 characters, sortable by creation time.
func newID(now time.Time) string {
	return ulid.MustNew(ulid.Timestamp(now), entropy).String()
}

// shortCodeLen gives 62^10 ≈ 8·10^17 codes: unguessable by enumeration.
const shortCodeLen = 10

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newShortCode returns a random base62 code from crypto/rand, unbiased
// (bytes ≥ 248 are rejected, 248 = 4·62).
func newShortCode() string {
	out := make([]byte, 0, shortCodeLen)
	var buf [16]byte
	for len(out) < shortCodeLen {
		rand.Read(buf[:])
		for _, b := range buf {
			if b < 248 && len(out) < shortCodeLen {
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out)
}
