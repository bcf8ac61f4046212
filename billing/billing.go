package billing

import (
	"time"

	"github.com/vidivo/vidivo"
)

// Currency is the one currency Vidivo charges in.
const Currency = "usd"

// DurationSeconds is a call's reported duration: whole seconds, the
// fraction dropped in the guest's favour.
func DurationSeconds(d time.Duration) int64 { return int64(d / time.Second) }

// BilledMinutes is ceil(seconds / 60): every started minute counts, so
// 450 s is 8 minutes and 0 s is nothing.
func BilledMinutes(seconds int64) int64 { return (seconds + 59) / 60 }

// Total is the price of minutes at rate.
func Total(rate vidivo.Money, minutes int64) vidivo.Money { return rate.Mul(minutes) }

// WindowAmount is what one billing window holds: rate × window minutes.
func WindowAmount(rate vidivo.Money, windowMinutes int) vidivo.Money {
	return rate.Mul(int64(windowMinutes))
}

// WindowEnd is when window n (0-based) of a call that became active at
// start ends.
func WindowEnd(start time.Time, windowMinutes, n int) time.Time {
	return start.Add(time.Duration(n+1) * time.Duration(windowMinutes) * time.Minute)
}

// Split is how a total is taken from a call's holds: Capture[i] from hold
// i, in order, each at most what it holds; holds with nothing to capture
// are released. Shortfall is what the holds could not cover (zero unless a
// renewal came too late).
type Split struct {
	Capture   []vidivo.Money
	Shortfall vidivo.Money
}

// SplitTotal captures total from holds in the order they were placed.
func SplitTotal(total vidivo.Money, holds []vidivo.Money) Split {
	s := Split{Capture: make([]vidivo.Money, len(holds))}
	left := total
	for i, h := range holds {
		take := min(left, h)
		s.Capture[i] = take
		left -= take
	}
	s.Shortfall = left
	return s
}

// PlatformFee is the platform's share of amount at percent, rounded to the
// nearest cent (half up).
func PlatformFee(amount vidivo.Money, percent int) vidivo.Money {
	return (amount*vidivo.Money(percent) + 50) / 100
}
