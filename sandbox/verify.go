package sandbox

import (
	"context"
	"strings"

	"github.com/vidivo/vidivo/billing"
)

// VerifyPaymentMethod implements billing.Gateway as Stripe's SetupIntent
// does for test cards: the cards that hold are verified, the declined test
// cards are declined with their codes, and unknown ids are refused. The
// customer it names (derived from the request's key, so a retry names the
// same) is one the sandbox's holds accept as given. Tests can make it fail
// with FailNext(n, "verify", kind).
func (g *Gateway) VerifyPaymentMethod(ctx context.Context, req billing.VerifyRequest) (billing.VerifyResult, error) {
	if err := g.injected("verify"); err != nil {
		return billing.VerifyResult{}, err
	}
	if err := checkPaymentMethod(req.PaymentMethodID); err != nil {
		return billing.VerifyResult{}, err
	}
	id := strings.NewReplacer("/", "_").Replace(req.IdempotencyKey)
	return billing.VerifyResult{CustomerID: "cus_sbx_" + id, SetupID: "seti_sbx_" + id}, nil
}
