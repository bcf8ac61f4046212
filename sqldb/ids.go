package sqldb

import (
	"crypto/rand"
	"time"

	"github.com/oklog/ulid/v2"
)

// newID returns a ULID: 26 characters, sortable by creation time, with 80
// bits of crypto randomness.
func newID(now time.Time) string {
	return ulid.MustNew(ulid.Timestamp(now), rand.Reader).String()
}
