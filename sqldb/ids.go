package sqldb

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ids makes ULIDs that only ever increase within this process, even when
// the clock stands still or steps back (tests move it): lists ordered by
// id are in the order their rows were made. Entropy is crypto-random, with
// monotonic increments inside one millisecond.
var ids = struct {
	sync.Mutex
	lastMS  uint64
	entropy *ulid.MonotonicEntropy
}{entropy: ulid.Monotonic(rand.Reader, 0)}

// newID returns a ULID: 26 characters, sortable by creation time.
func newID(now time.Time) string {
	ids.Lock()
	defer ids.Unlock()
	ms := max(ulid.Timestamp(now), ids.lastMS)
	ids.lastMS = ms
	return ulid.MustNew(ms, ids.entropy).String()
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
