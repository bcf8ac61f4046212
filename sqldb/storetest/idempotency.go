package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
)

// testIdempotency: a key is claimed once; its stored response replays;
// another body with the same key conflicts; a released claim can be
// claimed again; keys are scoped; and they expire after IdempotencyTTL.
func testIdempotency(t *testing.T, engine string) {
	t.Parallel()
	b := setup(t, engine)
	ctx := context.Background()
	db := b.db

	stored, err := db.ClaimIdempotencyKey(ctx, "join:abc", "k1", "hash-a")
	if err != nil || stored != nil {
		t.Fatalf("first claim = %v, %v; want nil, nil (do the work)", stored, err)
	}
	_, err = db.ClaimIdempotencyKey(ctx, "join:abc", "k1", "hash-a")
	wantCode(t, err, vidivo.ECONFLICT) // the first request is still running
	_, err = db.ClaimIdempotencyKey(ctx, "join:abc", "k1", "hash-b")
	wantCode(t, err, vidivo.ECONFLICT)

	// The same key in another scope is another key.
	if stored, err := db.ClaimIdempotencyKey(ctx, "join:xyz", "k1", "hash-b"); err != nil || stored != nil {
		t.Fatalf("claim in another scope = %v, %v; want nil, nil", stored, err)
	}

	resp := vidivo.StoredResponse{Status: 201, Body: []byte(`{"call":{"id":"01"}}`)}
	if err := db.CompleteIdempotencyKey(ctx, "join:abc", "k1", resp); err != nil {
		t.Fatal(err)
	}
	stored, err = db.ClaimIdempotencyKey(ctx, "join:abc", "k1", "hash-a")
	if err != nil || stored == nil || stored.Status != 201 || string(stored.Body) != string(resp.Body) {
		t.Fatalf("replay = %+v, %v; want the stored 201", stored, err)
	}
	_, err = db.ClaimIdempotencyKey(ctx, "join:abc", "k1", "hash-b")
	wantCode(t, err, vidivo.ECONFLICT) // a completed key with another body

	// A completed key is not released: the replay stays.
	if err := db.ReleaseIdempotencyKey(ctx, "join:abc", "k1"); err != nil {
		t.Fatal(err)
	}
	if stored, err := db.ClaimIdempotencyKey(ctx, "join:abc", "k1", "hash-a"); err != nil || stored == nil {
		t.Fatalf("claim after releasing a completed key = %v, %v; want the replay", stored, err)
	}

	// A released claim (the request failed before doing anything) may be
	// claimed again at once.
	if err := db.ReleaseIdempotencyKey(ctx, "join:xyz", "k1"); err != nil {
		t.Fatal(err)
	}
	if stored, err := db.ClaimIdempotencyKey(ctx, "join:xyz", "k1", "hash-c"); err != nil || stored != nil {
		t.Fatalf("claim after release = %v, %v; want nil, nil", stored, err)
	}

	// After the TTL the key is forgotten: a new body is new work.
	b.clock.Add(vidivo.IdempotencyTTL + time.Second)
	if stored, err := db.ClaimIdempotencyKey(ctx, "join:abc", "k1", "hash-b"); err != nil || stored != nil {
		t.Fatalf("claim after the TTL = %v, %v; want nil, nil", stored, err)
	}
}

// testIdempotencyRace: of concurrent first requests with one key, exactly
// one does the work.
func testIdempotencyRace(t *testing.T, engine string) {
	t.Parallel()
	b := setup(t, engine)
	ctx := context.Background()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = b.db.ClaimIdempotencyKey(ctx, "end:call", "same", "hash") })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch vidivo.ErrorCode(err) {
		case "":
			won++
		case vidivo.ECONFLICT:
		default:
			t.Errorf("racing claim: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d racing claims won, want exactly 1", won)
	}
}
