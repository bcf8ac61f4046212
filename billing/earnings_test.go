package billing_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

func TestHostEarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		total   vidivo.Money
		holds   []vidivo.Money
		percent int
		want    billing.Earnings
	}{
		{"no fee", 2000, []vidivo.Money{2500}, 0, billing.Earnings{Fee: 0, Host: 2000}},
		{"one capture", 2000, []vidivo.Money{2500}, 10, billing.Earnings{Fee: 200, Host: 1800}},
		{"nothing charged", 0, []vidivo.Money{2500}, 10, billing.Earnings{}},
		// 1005 from one hold and 1005 from the next: 101 + 101, not the
		// 201 of a fee on 2010.
		{"fee per capture", 2010, []vidivo.Money{1005, 1005}, 10, billing.Earnings{Fee: 202, Host: 1808}},
		{"no holds", 0, nil, 10, billing.Earnings{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := billing.HostEarnings(tt.total, tt.holds, tt.percent)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("HostEarnings (-want +got):\n%s", diff)
			}
			if got.Fee+got.Host != min(tt.total, sum(tt.holds)) {
				t.Errorf("fee %v + host %v does not add up to the captured total", got.Fee, got.Host)
			}
		})
	}
}

func sum(ms []vidivo.Money) vidivo.Money {
	var t vidivo.Money
	for _, m := range ms {
		t += m
	}
	return t
}
