package sandbox_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/sandbox"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// TestLookup: the sandbox reports what became of a hold from its books —
// held, captured (and how much), canceled — and refuses an unknown one,
// as Stripe does.
func TestLookup(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			g := &sandbox.Gateway{Store: sqldbtest.New(t, engine)}
			hold := func(key string) string {
				t.Helper()
				h, err := g.Hold(ctx, billing.HoldRequest{IdempotencyKey: key, Amount: 1000, PaymentMethodID: "pm_card_visa"})
				if err != nil {
					t.Fatal(err)
				}
				return h.HoldID
			}
			held, captured, canceled := hold("h1"), hold("h2"), hold("h3")
			if err := g.Capture(ctx, billing.CaptureRequest{IdempotencyKey: "c2", HoldID: captured, Amount: 400}); err != nil {
				t.Fatal(err)
			}
			if err := g.Release(ctx, billing.ReleaseRequest{IdempotencyKey: "r3", HoldID: canceled}); err != nil {
				t.Fatal(err)
			}
			for id, want := range map[string]billing.HoldState{
				held:     {HoldID: held, Status: billing.HoldHeld, Amount: 1000},
				captured: {HoldID: captured, Status: billing.HoldCaptured, Amount: 1000, Captured: 400},
				canceled: {HoldID: canceled, Status: billing.HoldCanceled, Amount: 1000},
			} {
				got, err := g.Lookup(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Lookup (-want +got):\n%s", diff)
				}
			}
			var be *billing.Error
			if _, err := g.Lookup(ctx, "pi_sbx_unknown"); !asBilling(err, &be) || be.Kind != billing.KindInvalid || be.Reason() != "resource_missing" {
				t.Errorf("Lookup of an unknown hold = %v, want resource_missing", err)
			}
			if _, err := g.Hold(ctx, billing.HoldRequest{IdempotencyKey: "b", Amount: 100, PaymentMethodID: "pm_bogus"}); !asBilling(err, &be) || be.Reason() != "resource_missing" {
				t.Errorf("hold on pm_bogus = %v, want resource_missing", err)
			}
		})
	}
}
