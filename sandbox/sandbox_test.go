package sandbox_test

import (
	"context"
	"testing"

	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/sandbox"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

func TestSandboxGateway(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := sqldbtest.New(t, engine)
			g := &sandbox.Gateway{Store: db}

			req := billing.HoldRequest{IdempotencyKey: "call/1/hold/0", Amount: 2500, Currency: "usd", PaymentMethodID: "pm_card_visa"}
			h, err := g.Hold(ctx, req)
			if err != nil || h.HoldID == "" || h.CustomerID == "" {
				t.Fatalf("hold = %+v, %v", h, err)
			}
			// The same key is the same hold.
			again, err := g.Hold(ctx, req)
			if err != nil || again != h {
				t.Fatalf("replayed hold = %+v, %v; want %+v", again, err, h)
			}
			// A renewal reuses the customer.
			h2, err := g.Hold(ctx, billing.HoldRequest{IdempotencyKey: "call/1/hold/1", Amount: 2500, PaymentMethodID: "pm_card_visa", CustomerID: h.CustomerID, OffSession: true})
			if err != nil || h2.CustomerID != h.CustomerID || h2.HoldID == h.HoldID {
				t.Fatalf("renewal = %+v, %v", h2, err)
			}

			for pm, code := range map[string]string{"pm_card_chargeDeclined": "generic_decline", "pm_card_insufficientFunds": "insufficient_funds"} {
				_, err := g.Hold(ctx, billing.HoldRequest{IdempotencyKey: "d/" + pm, Amount: 100, PaymentMethodID: pm})
				var be *billing.Error
				if !asBilling(err, &be) || be.Kind != billing.KindDeclined || be.DeclineCode != code {
					t.Errorf("%s: %v", pm, err)
				}
			}
			if _, err := g.Hold(ctx, billing.HoldRequest{IdempotencyKey: "x", Amount: 100, PaymentMethodID: "card"}); billing.ErrorKind(err) != billing.KindInvalid {
				t.Errorf("bad payment method: %v", err)
			}

			// Partial capture, replay-safe; over-capture refused.
			if err := g.Capture(ctx, billing.CaptureRequest{IdempotencyKey: "c1", HoldID: h.HoldID, Amount: 3000}); billing.ErrorKind(err) != billing.KindInvalid {
				t.Errorf("over-capture: %v", err)
			}
			for range 2 {
				if err := g.Capture(ctx, billing.CaptureRequest{IdempotencyKey: "c1", HoldID: h.HoldID, Amount: 1600}); err != nil {
					t.Fatalf("capture: %v", err)
				}
			}
			amount, captured, status, _ := db.SandboxHold(ctx, h.HoldID)
			if amount != 2500 || captured != 1600 || status != "captured" {
				t.Errorf("after capture: %v %v %s", amount, captured, status)
			}
			// A captured hold cannot be captured again under another key.
			if err := g.Capture(ctx, billing.CaptureRequest{IdempotencyKey: "c2", HoldID: h.HoldID, Amount: 100}); billing.ErrorKind(err) != billing.KindInvalid {
				t.Errorf("second capture: %v", err)
			}
			if err := g.Release(ctx, billing.ReleaseRequest{IdempotencyKey: "r1", HoldID: h2.HoldID}); err != nil {
				t.Fatal(err)
			}
			if _, _, status, _ := db.SandboxHold(ctx, h2.HoldID); status != "canceled" {
				t.Errorf("released hold is %s", status)
			}

			// Injected faults hit the next matching calls only.
			g.FailNext(1, "hold", billing.KindTemporary)
			if _, err := g.Hold(ctx, billing.HoldRequest{IdempotencyKey: "f1", Amount: 100, PaymentMethodID: "pm_card_visa"}); billing.ErrorKind(err) != billing.KindTemporary {
				t.Errorf("injected: %v", err)
			}
			if _, err := g.Hold(ctx, billing.HoldRequest{IdempotencyKey: "f1", Amount: 100, PaymentMethodID: "pm_card_visa"}); err != nil {
				t.Errorf("after the injected failure: %v", err)
			}

			ob, err := g.OnboardHost(ctx, billing.OnboardRequest{UserID: "u1", ReturnURL: "https://vidivo.test/done"})
			if err != nil || !ob.Connected || ob.AccountID == "" {
				t.Errorf("onboard = %+v, %v", ob, err)
			}
			if st, _ := g.PayoutStatus(ctx, ob.AccountID); !st.Connected {
				t.Errorf("payout status = %+v", st)
			}
		})
	}
}

func asBilling(err error, target **billing.Error) bool {
	e, ok := err.(*billing.Error)
	if ok {
		*target = e
	}
	return ok
}
