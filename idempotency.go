package vidivo

import (
	"context"
	"time"
)

// IdempotencyTTL is how long a stored response answers replays of its key.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyLease is how long a claimed key whose request has not
// finished stays "in progress". A request killed mid-way never finishes;
// after the lease a retry with the same key and body takes the claim over
// and runs, as Stripe's keys allow. Longer than any request runs.
const IdempotencyLease = time.Minute

// StoredResponse is the first response to a request sent with an
// idempotency key.
type StoredResponse struct {
	Status int
	Body   []byte
}

// IdempotencyStore remembers responses by (scope, key).
type IdempotencyStore interface {
	// ClaimIdempotencyKey reserves key for a request whose body hashes to
	// hash. It returns nil when the caller should do the work, or the stored
	// response to replay. A key used with a different body, or one whose
	// first request is still running (claimed less than IdempotencyLease
	// ago), is ECONFLICT; a claim older than the lease is taken over.
	ClaimIdempotencyKey(ctx context.Context, scope, key, hash string) (*StoredResponse, error)
	// CompleteIdempotencyKey stores the response for replays.
	CompleteIdempotencyKey(ctx context.Context, scope, key string, resp StoredResponse) error
	// ReleaseIdempotencyKey forgets a claim whose request failed before
	// doing anything, so the client may retry with the same key.
	ReleaseIdempotencyKey(ctx context.Context, scope, key string) error
}
