package calls

import (
	"testing"
	"time"

	"github.com/vidivo/vidivo"
)

func TestMeter(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s := &Service{RenewLead: time.Minute}
	active := func(windows int) *vidivo.Call {
		return &vidivo.Call{Status: vidivo.CallActive, ActiveAt: &start, Rate: 250, WindowMinutes: 10, Windows: windows}
	}
	tests := []struct {
		name    string
		call    *vidivo.Call
		at      time.Duration
		seconds int64
		minutes int64
		cost    vidivo.Money
	}{
		{"just answered", active(1), 0, 0, 0, 0},
		{"a started minute counts", active(1), 61 * time.Second, 61, 2, 500},
		{"never past what is held", active(1), 25 * time.Minute, 600, 10, 2500},
		{"a renewal extends it", active(2), 15*time.Minute + 500*time.Millisecond, 900, 15, 3750},
		{"not active: no meter", &vidivo.Call{Status: vidivo.CallRinging, Rate: 250, WindowMinutes: 10, Windows: 1}, time.Minute, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := s.Meter(tt.call, start.Add(tt.at))
			if m.Seconds != tt.seconds || m.BilledMinutes != tt.minutes || m.Cost != tt.cost {
				t.Errorf("Meter = %d s, %d min, %s; want %d s, %d min, %s", m.Seconds, m.BilledMinutes, m.Cost, tt.seconds, tt.minutes, tt.cost)
			}
			if tt.call.Status == vidivo.CallActive {
				paid := start.Add(time.Duration(tt.call.Windows) * 10 * time.Minute)
				if !m.PaidUntil.Equal(paid) || !m.NextHoldAt.Equal(paid.Add(-time.Minute)) {
					t.Errorf("paid until %v, next hold %v; want %v and a minute before", m.PaidUntil, m.NextHoldAt, paid)
				}
			}
		})
	}
}
