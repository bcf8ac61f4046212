package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vidivo/vidivo/schedule"
)

func TestAppendSlotsMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	start := time.Date(2026, 3, 29, 1, 0, 0, 0, berlin).UTC()
	d, _ := schedule.ParseDate("2026-03-29")
	for _, slots := range [][]schedule.Slot{
		{},
		{{Date: d, StartTime: "01:00", EndTime: "03:00", Available: true, Start: start, End: start.Add(time.Hour)}},
		{
			{Date: d, StartTime: "23:30", EndTime: "24:00", Start: start.Add(90 * time.Second), End: start.Add(30 * time.Minute)},
			{Date: d, StartTime: "09:00", EndTime: "10:00", Available: true, Start: start.Add(time.Nanosecond), End: start},
		},
	} {
		want, err := json.Marshal(slots)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendSlots(nil, slots); string(got) != string(want) {
			t.Errorf("appendSlots\n got %s\nwant %s", got, want)
		}
	}
}
