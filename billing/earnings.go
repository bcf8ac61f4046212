package billing

import "github.com/vidivo/vidivo"

// Earnings is how an ended call's total divides between the platform and
// the host.
type Earnings struct {
	Fee  vidivo.Money // the platform's share
	Host vidivo.Money // what the host is paid
}

// HostEarnings divides total, captured from holds in the order they were
// placed (SplitTotal), as settlement does: the platform's fee is taken on
// each capture and rounded there, so the host's share is exactly what
// their payouts receive, which can differ by a cent a window from the fee
// on the whole total.
func HostEarnings(total vidivo.Money, holds []vidivo.Money, percent int) Earnings {
	split := SplitTotal(total, holds)
	var e Earnings
	for _, c := range split.Capture {
		fee := PlatformFee(c, percent)
		e.Fee += fee
		e.Host += c - fee
	}
	return e
}
