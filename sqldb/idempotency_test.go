package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// TestIdempotencyKeyLease (issue 17): a request killed mid-way leaves its
// X-Idempotency-Key claimed but never completed. Within the lease a retry
// is told the first is in progress; after it, a retry with the same body
// takes the claim over and runs (as Stripe's keys allow), once — not 24
// hours later.
func TestIdempotencyKeyLease(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := sqldbtest.New(t, engine)
			now := time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC)
			db.Now = func() time.Time { return now }
			claim := func(hash string) (*vidivo.StoredResponse, string) {
				stored, err := db.ClaimIdempotencyKey(ctx, "join/abc123", "k1", hash)
				return stored, vidivo.ErrorCode(err)
			}
			steps := []struct {
				after    time.Duration
				hash     string
				wantCode string
			}{
				{0, "h1", ""}, // the first request claims, then dies
				{30 * time.Second, "h1", vidivo.ECONFLICT},        // in progress, within the lease
				{vidivo.IdempotencyLease, "h2", vidivo.ECONFLICT}, // another body is never let in
				{0, "h1", ""},               // the retry takes the claim over
				{0, "h1", vidivo.ECONFLICT}, // and holds a new lease
			}
			for i, s := range steps {
				now = now.Add(s.after)
				if stored, code := claim(s.hash); code != s.wantCode || stored != nil {
					t.Fatalf("step %d: claim = %v, %q; want nothing stored, %q", i, stored, code, s.wantCode)
				}
			}
			want := vidivo.StoredResponse{Status: 201, Body: []byte(`{"call":{}}`)}
			if err := db.CompleteIdempotencyKey(ctx, "join/abc123", "k1", want); err != nil {
				t.Fatal(err)
			}
			now = now.Add(2 * vidivo.IdempotencyLease) // a completed key is replayed, never taken over
			stored, code := claim("h1")
			if code != "" || stored == nil {
				t.Fatalf("claim of a completed key = %v, %q", stored, code)
			}
			if diff := cmp.Diff(want, *stored); diff != "" {
				t.Errorf("replayed (-want +got):\n%s", diff)
			}
		})
	}
}
