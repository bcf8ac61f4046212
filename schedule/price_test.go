package schedule_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	vidivo "github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/schedule"
)

func TestPrice(t *testing.T) {
	t.Parallel()
	rate, window := "2.50", 15
	link := &vidivo.Link{Rate: 300, WindowMinutes: 5}
	tests := []struct {
		name      string
		rate      *string
		window    *int
		link      *vidivo.Link
		want      schedule.Price
		wantOK    bool
		wantsLink bool
	}{
		{"nothing set: no price, no window", nil, nil, nil, schedule.Price{}, false, true},
		{"a window alone is no price", nil, &window, nil, schedule.Price{}, false, true},
		{"the link prices everything", nil, nil, link, schedule.Price{Rate: 300, WindowMinutes: 5}, true, true},
		{"own rate, the link's window", &rate, nil, link, schedule.Price{Rate: 250, WindowMinutes: 5}, true, true},
		{"own rate, no link: the default window", &rate, nil, nil, schedule.Price{Rate: 250, WindowMinutes: schedule.DefaultWindowMinutes}, true, true},
		{"own window, the link's rate", nil, &window, link, schedule.Price{Rate: 300, WindowMinutes: 15}, true, true},
		{"both own: the link is not needed", &rate, &window, link, schedule.Price{Rate: 250, WindowMinutes: 15}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := schedule.Defaults()
			a.RatePerMinute, a.WindowSizeMinutes = tt.rate, tt.window
			got, ok := a.Price(tt.link)
			if diff := cmp.Diff(tt.want, got); diff != "" || ok != tt.wantOK {
				t.Errorf("Price ok = %v, want %v; (-want +got):\n%s", ok, tt.wantOK, diff)
			}
			if a.NeedsLink() != tt.wantsLink {
				t.Errorf("NeedsLink = %v, want %v", a.NeedsLink(), tt.wantsLink)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	a := schedule.Defaults()
	a.BufferBeforeMinutes, a.BufferAfterMinutes = 10, 25
	want := vidivo.BookingLimits{Margin: 25 * time.Minute, MaxUpcomingPerGuest: schedule.DefaultMaxUpcomingPerGuest}
	if diff := cmp.Diff(want, a.Limits()); diff != "" {
		t.Errorf("Limits (-want +got):\n%s", diff)
	}
}
