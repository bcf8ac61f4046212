package schedule_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo/schedule"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
		want schedule.Date
		ok   bool
	}{
		{"ordinary", "2026-03-16", schedule.Date{Year: 2026, Month: time.March, Day: 16}, true},
		{"leap day", "2028-02-29", schedule.Date{Year: 2028, Month: time.February, Day: 29}, true},
		{"leap day 2000", "2000-02-29", schedule.Date{Year: 2000, Month: time.February, Day: 29}, true},
		{"first year", "0001-01-01", schedule.Date{Year: 1, Month: time.January, Day: 1}, true},
		{"last day", "9999-12-31", schedule.Date{Year: 9999, Month: time.December, Day: 31}, true},
		{"no leap day", "2026-02-29", schedule.Date{}, false},
		{"no leap day 2100", "2100-02-29", schedule.Date{}, false},
		{"april 31", "2026-04-31", schedule.Date{}, false},
		{"month 13", "2026-13-01", schedule.Date{}, false},
		{"month 0", "2026-00-10", schedule.Date{}, false},
		{"day 0", "2026-01-00", schedule.Date{}, false},
		{"year 0", "0000-01-01", schedule.Date{}, false},
		{"unpadded", "2026-3-16", schedule.Date{}, false},
		{"day first", "16-03-2026", schedule.Date{}, false},
		{"slashes", "2026/03/16", schedule.Date{}, false},
		{"with time", "2026-03-16T00:00:00Z", schedule.Date{}, false},
		{"spaces", " 2026-03-16", schedule.Date{}, false},
		{"signs", "+026-03-16", schedule.Date{}, false},
		{"empty", "", schedule.Date{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := schedule.ParseDate(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseDate(%q) error = %v, want ok %v", tc.in, err, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseDate(%q) (-want +got):\n%s", tc.in, diff)
			}
			if tc.ok && got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

// TestDateArithmetic checks AddDays, Weekday, DaysUntil and Compare against
// the time package, day by day over four centuries around now.
func TestDateArithmetic(t *testing.T) {
	t.Parallel()
	start := schedule.Date{Year: 1900, Month: time.January, Day: 1}
	ref := time.Date(1900, time.January, 1, 12, 0, 0, 0, time.UTC)
	for n := 0; n < 400*366; n += 7 {
		want := ref.AddDate(0, 0, n)
		got := start.AddDays(n)
		if got != schedule.DateOf(want) {
			t.Fatalf("%v.AddDays(%d) = %v, want %v", start, n, got, want.Format(time.DateOnly))
		}
		if got.Weekday() != want.Weekday() {
			t.Fatalf("%v.Weekday() = %v, want %v", got, got.Weekday(), want.Weekday())
		}
		if back := got.AddDays(-n); back != start {
			t.Fatalf("%v.AddDays(%d) = %v, want %v", got, -n, back, start)
		}
		if d := start.DaysUntil(got); d != n {
			t.Fatalf("DaysUntil = %d, want %d", d, n)
		}
		if n > 0 && (!start.Before(got) || !got.After(start) || got.Compare(start) != 1) {
			t.Fatalf("%v not after %v", got, start)
		}
	}
}

func TestDateJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(struct{ D schedule.Date }{schedule.Date{Year: 2026, Month: time.December, Day: 24}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"D":"2026-12-24"}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	var v struct{ D schedule.Date }
	if err := json.Unmarshal(b, &v); err != nil || v.D.String() != "2026-12-24" {
		t.Errorf("Unmarshal = %v, %v", v.D, err)
	}
	if err := json.Unmarshal([]byte(`{"D":"2026-12-32"}`), &v); err == nil {
		t.Error("Unmarshal of 2026-12-32 succeeded")
	}
}
