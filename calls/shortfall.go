package calls

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// Metrics are the money path's counters for operators. A call's total is
// cut to what its holds cover only if it ran past them, which the billing
// chain prevents; a shortfall therefore means something went wrong, and is
// counted here as well as written to the ledger.
type Metrics struct {
	Shortfalls     prometheus.Counter
	ShortfallCents prometheus.Counter
}

// NewMetrics returns unregistered counters; register Collectors.
func NewMetrics() *Metrics {
	return &Metrics{
		Shortfalls: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vidivo_billing_shortfalls_total",
			Help: "Ended calls whose total was cut to what their holds covered.",
		}),
		ShortfallCents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vidivo_billing_shortfall_cents_total",
			Help: "Cents billed by the minute but not charged because no hold covered them.",
		}),
	}
}

// Collectors lists the metrics to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.Shortfalls, m.ShortfallCents}
}

// recordShortfall writes the ledger line of an ended call whose total was
// cut (billed minutes × rate above the total charged) and counts it, once:
// the line is keyed, and counted only by the run that finds it pending.
func (s *Service) recordShortfall(ctx context.Context, c *vidivo.Call) error {
	short := billing.Total(c.Rate, c.BilledMinutes) - c.TotalCharged
	if short <= 0 {
		return nil
	}
	ch := &vidivo.Charge{CallID: c.ID, Kind: vidivo.ChargeShortfall, Amount: short, IdempotencyKey: shortfallKey(c.ID)}
	if err := s.Store.AddCharge(ctx, ch); err != nil {
		return err
	}
	if ch.State != vidivo.ChargePending {
		return nil
	}
	s.log().ErrorContext(ctx, "call ran past its holds; its total was cut to what was held",
		"call_id", c.ID, "shortfall_cents", int64(short))
	if s.Metrics != nil {
		s.Metrics.Shortfalls.Inc()
		s.Metrics.ShortfallCents.Add(float64(short))
	}
	return s.Store.SetChargeState(ctx, ch.ID, vidivo.ChargeSucceeded, "")
}
