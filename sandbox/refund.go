package sandbox

import (
	"context"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// refundStore is the part of the books refunds need (sqldb implements
// it).
type refundStore interface {
	SandboxRefundHold(ctx context.Context, key, holdID string, amount vidivo.Money) error
	SandboxRefunded(ctx context.Context, holdID string) (vidivo.Money, error)
}

// Refund gives back amount of a captured hold, once per key, as Stripe
// refunds a captured PaymentIntent (application fee and transfer
// included). Tests can make it fail with FailNext(n, "refund", kind).
func (g *Gateway) Refund(ctx context.Context, key, holdID string, amount vidivo.Money) error {
	if err := g.injected("refund"); err != nil {
		return err
	}
	rs, ok := g.Store.(refundStore)
	if !ok {
		return &billing.Error{Kind: billing.KindInvalid, Message: "sandbox: this store cannot refund"}
	}
	err := rs.SandboxRefundHold(ctx, key, holdID, amount)
	if vidivo.ErrorCode(err) == vidivo.EVALIDATION {
		return &billing.Error{Kind: billing.KindInvalid, Message: vidivo.ErrorMessage(err), Err: err}
	}
	if err != nil {
		return &billing.Error{Kind: billing.KindTemporary, Message: "sandbox store", Err: err}
	}
	return nil
}

// Refunded is how much of a hold was refunded.
func (g *Gateway) Refunded(ctx context.Context, holdID string) (vidivo.Money, error) {
	rs, ok := g.Store.(refundStore)
	if !ok {
		return 0, &billing.Error{Kind: billing.KindInvalid, Message: "sandbox: this store cannot refund"}
	}
	return rs.SandboxRefunded(ctx, holdID)
}
