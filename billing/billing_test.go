package billing_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
)

func TestBilledMinutes(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]int64{
		0: 0, time.Millisecond: 0, time.Second: 1, 59 * time.Second: 1, 60 * time.Second: 1,
		60*time.Second + 999*time.Millisecond: 1, 61 * time.Second: 2, 450 * time.Second: 8, 10 * time.Minute: 10,
	} {
		if got := billing.BilledMinutes(billing.DurationSeconds(d)); got != want {
			t.Errorf("BilledMinutes(%v) = %d, want %d", d, got, want)
		}
	}
	// The seed's example: 450 s at $2.00/min is 8 minutes, $16.00.
	if got := billing.Total(200, billing.BilledMinutes(450)); got != 1600 {
		t.Errorf("seed total = %v, want 16.00", got)
	}
}

func TestSplitTotal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		total vidivo.Money
		holds []vidivo.Money
		want  billing.Split
	}{
		{"nothing", 0, []vidivo.Money{2500}, billing.Split{Capture: []vidivo.Money{0}}},
		{"inside first", 1600, []vidivo.Money{2500}, billing.Split{Capture: []vidivo.Money{1600}}},
		{"exactly first", 2500, []vidivo.Money{2500, 2500}, billing.Split{Capture: []vidivo.Money{2500, 0}}},
		{"into second", 3000, []vidivo.Money{2500, 2500}, billing.Split{Capture: []vidivo.Money{2500, 500}}},
		{"all three", 7500, []vidivo.Money{2500, 2500, 2500}, billing.Split{Capture: []vidivo.Money{2500, 2500, 2500}}},
		{"short", 6000, []vidivo.Money{2500, 2500}, billing.Split{Capture: []vidivo.Money{2500, 2500}, Shortfall: 1000}},
		{"no holds", 100, nil, billing.Split{Capture: []vidivo.Money{}, Shortfall: 100}},
	} {
		if diff := cmp.Diff(tc.want, billing.SplitTotal(tc.total, tc.holds)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestWindows(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 15, 14, 0, 0, 0, time.UTC)
	if got := billing.WindowEnd(start, 10, 0); !got.Equal(start.Add(10 * time.Minute)) {
		t.Errorf("window 0 ends %v", got)
	}
	if got := billing.WindowEnd(start, 10, 2); !got.Equal(start.Add(30 * time.Minute)) {
		t.Errorf("window 2 ends %v", got)
	}
	if got := billing.WindowAmount(250, 10); got != 2500 {
		t.Errorf("WindowAmount = %v", got)
	}
}

func TestPlatformFee(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		amount  vidivo.Money
		percent int
		want    vidivo.Money
	}{
		{1600, 0, 0}, {1600, 10, 160}, {1005, 10, 101}, {1004, 10, 100}, {99999, 100, 99999}, {1, 49, 0}, {1, 50, 1},
	} {
		if got := billing.PlatformFee(tc.amount, tc.percent); got != tc.want {
			t.Errorf("PlatformFee(%v, %d%%) = %v, want %v", tc.amount, tc.percent, got, tc.want)
		}
	}
}

func TestErrorReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  billing.Error
		want string
	}{
		{billing.Error{Kind: billing.KindDeclined, DeclineCode: "insufficient_funds"}, "insufficient_funds"},
		{billing.Error{Kind: billing.KindDeclined, DeclineCode: "generic_decline"}, "card_declined"},
		{billing.Error{Kind: billing.KindDeclined}, "card_declined"},
		{billing.Error{Kind: billing.KindInvalid, Code: "resource_missing"}, "resource_missing"},
		{billing.Error{Kind: billing.KindInvalid}, "invalid_request"},
		{billing.Error{Kind: billing.KindTemporary, Code: "rate_limit"}, "gateway_unavailable"},
	} {
		if got := tc.err.Reason(); got != tc.want {
			t.Errorf("%+v.Reason() = %q, want %q", tc.err, got, tc.want)
		}
	}
}
