package calls

import (
	"context"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// Earnings is how an ended call's total divides between the platform and
// its host, as settlement captures it: the fee taken on each capture from
// the call's holds, in order. Pages and reports show this, so what they
// say a host earned is what the host's payouts receive.
func (s *Service) Earnings(ctx context.Context, c *vidivo.Call) (billing.Earnings, error) {
	if c.TotalCharged == 0 {
		return billing.Earnings{}, nil
	}
	holds, err := s.heldAmounts(ctx, c.ID)
	if err != nil {
		return billing.Earnings{}, err
	}
	return billing.HostEarnings(c.TotalCharged, holds, s.PlatformFeePercent), nil
}
