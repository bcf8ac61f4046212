package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
)

type slotJSON struct {
	Date      string    `json:"date"`
	StartTime string    `json:"start_time"`
	EndTime   string    `json:"end_time"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Available bool      `json:"available"`
}

func getSlots(t *testing.T, e *apitest.Env, username, from, to string) []slotJSON {
	t.Helper()
	var out struct {
		Slots []slotJSON `json:"slots"`
	}
	resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/schedule/" + username + "?start_date=" + from + "&end_date=" + to})
	resp.WantStatus(t, http.StatusOK)
	resp.Decode(t, &out)
	return out.Slots
}

// TestSlotsAcrossDST asks for the weeks of a daylight-saving switch in two
// zones through the API: the slots keep the host's wall-clock times and
// their instants move with the offset.
func TestSlotsAcrossDST(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	// The clock stands before the switches; max_days_ahead covers them.
	e.Clock.Add(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Sub(e.Clock.Now()))
	for _, tc := range []struct {
		zone, user, before, after, switched string
		offBefore, offAfter                 time.Duration
	}{
		// Berlin springs forward on 2026-03-29 at 02:00: +01:00 → +02:00.
		{"Europe/Berlin", "berlinhost", "2026-03-27", "2026-03-30", "2026-03-29", time.Hour, 2 * time.Hour},
		// New York springs forward on 2026-03-08 at 02:00: −05:00 → −04:00.
		{"America/New_York", "nyhost", "2026-03-06", "2026-03-09", "2026-03-08", -5 * time.Hour, -4 * time.Hour},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			host := mustHost(t, e, tc.user)
			var weekly []map[string]any
			for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
				weekly = append(weekly, map[string]any{"day": d, "intervals": []map[string]string{{"start": "09:00", "end": "11:00"}}})
			}
			putAvailability(t, e, host.AccessToken, map[string]any{"timezone": tc.zone, "weekly": weekly, "rate_per_minute": "2.00",
				"max_days_ahead": 60}).WantStatus(t, http.StatusOK)
			slots := getSlots(t, e, tc.user, tc.before, tc.after)
			if len(slots) != 8 { // two slots a day, four days
				t.Fatalf("%d slots, want 8: %+v", len(slots), slots)
			}
			for _, s := range slots {
				if s.StartTime != "09:00" && s.StartTime != "10:00" {
					t.Errorf("slot at %s local", s.StartTime)
				}
				off := tc.offBefore
				if s.Date >= tc.switched { // 09:00 is after the 02:00 switch
					off = tc.offAfter
				}
				day, _ := time.Parse("2006-01-02", s.Date)
				local := day.Add(9 * time.Hour)
				if s.StartTime == "10:00" {
					local = local.Add(time.Hour)
				}
				if want := local.Add(-off); !s.Start.Equal(want) {
					t.Errorf("%s %s starts at %v, want %v", s.Date, s.StartTime, s.Start, want)
				}
			}
		})
	}
}

// TestSlotRules covers overrides, buffers and minimum notice through the
// API, and that bookings follow the same rules.
func TestSlotRules(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		monday := nextWeekday(e, time.Monday)
		tuesday, wednesday := monday.AddDate(0, 0, 1), monday.AddDate(0, 0, 2)
		day := func(d time.Time) string { return d.Format("2006-01-02") }
		var weekly []map[string]any
		for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
			weekly = append(weekly, map[string]any{"day": d, "intervals": []map[string]string{{"start": "09:00", "end": "13:00"}}})
		}
		putAvailability(t, e, host.AccessToken, map[string]any{
			"timezone": "UTC", "weekly": weekly, "rate_per_minute": "2.00", "slot_minutes": 60,
			"buffer_before_minutes": 0, "buffer_after_minutes": 30,
			"overrides": []map[string]any{
				{"date": day(tuesday), "intervals": []any{}}, // day off
				{"date": day(wednesday), "intervals": []map[string]string{{"start": "14:00", "end": "16:00"}}},
			},
		}).WantStatus(t, http.StatusOK)

		if s := getSlots(t, e, "janecoach", day(tuesday), day(tuesday)); len(s) != 0 {
			t.Errorf("a day off has slots: %+v", s)
		}
		if s := getSlots(t, e, "janecoach", day(wednesday), day(wednesday)); len(s) != 2 || s[0].StartTime != "14:00" {
			t.Errorf("override hours: %+v", s)
		}
		book(e, guest.AccessToken, "janecoach", tuesday.Add(10*time.Hour), 30).WantError(t, http.StatusBadRequest, "validation_error")
		book(e, guest.AccessToken, "janecoach", wednesday.Add(10*time.Hour), 30).WantError(t, http.StatusBadRequest, "validation_error")
		book(e, guest.AccessToken, "janecoach", wednesday.Add(14*time.Hour), 30).WantStatus(t, http.StatusCreated)

		// Every call keeps 30 minutes after it free — the booked one and the
		// one being offered: around a 10:00–11:00 booking the 09:00 slot
		// (its buffer would run into 10:00) and the 11:00 slot are taken,
		// and so is a booking at 11:15; 11:30 is fine.
		book(e, guest.AccessToken, "janecoach", monday.Add(10*time.Hour), 60).WantStatus(t, http.StatusCreated)
		s := getSlots(t, e, "janecoach", day(monday), day(monday))
		avail := map[string]bool{}
		for _, x := range s {
			avail[x.StartTime] = x.Available
		}
		if avail["09:00"] || avail["10:00"] || avail["11:00"] || !avail["12:00"] {
			t.Errorf("buffered slots: %v", avail)
		}
		book(e, guest.AccessToken, "janecoach", monday.Add(11*time.Hour+15*time.Minute), 30).WantError(t, http.StatusConflict, "conflict")
		book(e, guest.AccessToken, "janecoach", monday.Add(11*time.Hour+30*time.Minute), 30).WantStatus(t, http.StatusCreated)

		// Minimum notice: with 48 hours' notice, tomorrow is too soon.
		putAvailability(t, e, host.AccessToken, map[string]any{"timezone": "UTC", "weekly": weekly, "rate_per_minute": "2.00",
			"min_notice_minutes": 48 * 60}).WantStatus(t, http.StatusOK)
		tomorrow := e.Clock.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
		for _, x := range getSlots(t, e, "janecoach", day(tomorrow), day(tomorrow)) {
			if x.Available {
				t.Errorf("slot %s %s is available inside the notice period", x.Date, x.StartTime)
			}
		}
		eb := book(e, guest.AccessToken, "janecoach", tomorrow.Add(12*time.Hour), 30).WantError(t, http.StatusBadRequest, "validation_error")
		if eb.Error.Details[0].Issue != "too soon" {
			t.Errorf("notice refusal = %+v", eb.Error.Details)
		}
	})
}
