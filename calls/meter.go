package calls

import (
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

// Meter is what an active call has cost so far, by the server's clock: the
// one rule the call's end bills by and the in-call page shows.
type Meter struct {
	// Seconds runs from the host joining to now, never past PaidUntil.
	Seconds       int64
	BilledMinutes int64
	Cost          vidivo.Money
	// PaidUntil is when the held time runs out; NextHoldAt is when the
	// next window's hold is placed.
	PaidUntil  time.Time
	NextHoldAt time.Time
}

// Meter reads an active call's meter at now. A call that is not active has
// none (the zero Meter); an ended call's numbers are its settled ones.
func (s *Service) Meter(c *vidivo.Call, now time.Time) Meter {
	if c.Status != vidivo.CallActive || c.ActiveAt == nil {
		return Meter{}
	}
	m := Meter{PaidUntil: paidUntil(c)}
	m.NextHoldAt = m.PaidUntil.Add(-s.lead())
	m.Seconds = billedSeconds(c, now)
	m.BilledMinutes = billing.BilledMinutes(m.Seconds)
	m.Cost = billing.Total(c.Rate, m.BilledMinutes)
	return m
}

// billedSeconds is the billed time of an active call ending at `at`: from
// the host joining, never past what is held, nothing before it began.
func billedSeconds(c *vidivo.Call, at time.Time) int64 {
	if c.ActiveAt == nil {
		return 0
	}
	if paid := paidUntil(c); at.After(paid) {
		at = paid // a call never runs past what is held
	}
	if !at.After(*c.ActiveAt) {
		return 0
	}
	return billing.DurationSeconds(at.Sub(*c.ActiveAt))
}
