package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	ics "github.com/emersion/go-ical"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
)

// seedWeek is the example week of the scheduling doc (UTC).
var seedWeek = map[string]any{
	"timezone": "UTC",
	"weekly": []map[string]any{
		{"day": "monday", "intervals": []map[string]string{{"start": "09:00", "end": "17:00"}}},
		{"day": "tuesday", "intervals": []map[string]string{{"start": "09:00", "end": "17:00"}}},
		{"day": "wednesday", "intervals": []map[string]string{{"start": "10:00", "end": "14:00"}}},
		{"day": "thursday", "intervals": []map[string]string{{"start": "09:00", "end": "17:00"}}},
		{"day": "friday", "intervals": []map[string]string{{"start": "09:00", "end": "12:00"}}},
	},
	"rate_per_minute": "2.50", "window_size_minutes": 10,
}

// allDay is availability around the clock, every day, in UTC.
func allDay() map[string]any {
	var weekly []map[string]any
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		weekly = append(weekly, map[string]any{"day": d, "intervals": []map[string]string{{"start": "00:00", "end": "24:00"}}})
	}
	return map[string]any{"timezone": "UTC", "weekly": weekly, "rate_per_minute": "2.00", "window_size_minutes": 10}
}

// nextWeekday returns the date of the next wd at least two days ahead.
func nextWeekday(e *apitest.Env, wd time.Weekday) time.Time {
	d := e.Clock.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 2)
	for d.Weekday() != wd {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// login signs an existing test user in again (tokens last 15 minutes and
// tests move the clock).
func login(t *testing.T, e *apitest.Env, username string) session {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/login",
		Body: map[string]string{"email": username + "@example.com", "password": "correct horse battery"}})
	resp.WantStatus(t, http.StatusOK)
	var s session
	resp.Decode(t, &s)
	return s
}

func putAvailability(t *testing.T, e *apitest.Env, tok string, body any) *apitest.Response {
	t.Helper()
	return e.Do(apitest.Req{Method: "PUT", Path: "/v1/users/me/availability", Token: tok, Body: body})
}

type bookingResp struct {
	ScheduledCall struct {
		ID   string `json:"id"`
		Host struct {
			ID, Username, DisplayName string
		} `json:"host"`
		Guest struct {
			ID, Username string
		} `json:"guest"`
		ScheduledAt     string  `json:"scheduled_at"`
		DurationMinutes int     `json:"duration_minutes"`
		EndsAt          string  `json:"ends_at"`
		Note            *string `json:"note"`
		Status          string  `json:"status"`
		JoinURL         string  `json:"join_url"`
		CalendarURL     string  `json:"calendar_url"`
		Rescheduled     bool    `json:"rescheduled"`
	} `json:"scheduled_call"`
}

func book(e *apitest.Env, tok, host string, at time.Time, minutes int) *apitest.Response {
	return e.Do(apitest.Req{Method: "POST", Path: "/v1/schedule/book", Token: tok, Body: map[string]any{
		"host_username": host, "scheduled_at": at.UTC().Format(time.RFC3339), "duration_minutes": minutes,
		"note": "Career coaching session", "payment_method_id": "pm_card_visa",
	}})
}

func TestAvailabilityRoundTrip(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		var empty map[string]any
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me/availability", Token: host.AccessToken}).Decode(t, &empty)
		if empty["timezone"] != "UTC" || empty["slot_minutes"] != float64(60) {
			t.Errorf("defaults = %v", empty)
		}
		putAvailability(t, e, host.AccessToken, seedWeek).WantStatus(t, http.StatusOK)
		resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me/availability", Token: host.AccessToken})
		body := string(resp.Body)
		for _, want := range []string{`"day":"monday","intervals":[{"start":"09:00","end":"17:00"}]`,
			`"day":"wednesday","intervals":[{"start":"10:00","end":"14:00"}]`, `"day":"friday","intervals":[{"start":"09:00","end":"12:00"}]`,
			`"rate_per_minute":"2.50"`, `"slot_minutes":60`} {
			if !strings.Contains(body, want) {
				t.Errorf("GET availability lacks %s: %s", want, body)
			}
		}
		client := mustSignup(t, e, "alex", "client")
		putAvailability(t, e, client.AccessToken, seedWeek).WantError(t, http.StatusForbidden, "forbidden")

		for name, tc := range map[string]struct {
			body  map[string]any
			field string
		}{
			"unknown day":  {map[string]any{"weekly": []map[string]any{{"day": "funday", "intervals": []any{}}}}, "weekly[0].day"},
			"bad time":     {map[string]any{"weekly": []map[string]any{{"day": "monday", "intervals": []map[string]string{{"start": "9am", "end": "17:00"}}}}}, "weekly[0].intervals[0].start"},
			"inverted":     {map[string]any{"weekly": []map[string]any{{"day": "monday", "intervals": []map[string]string{{"start": "17:00", "end": "09:00"}}}}}, "weekly[0].intervals[0].end"},
			"unknown zone": {map[string]any{"timezone": "Mars/Olympus"}, "timezone"},
			"zero slot":    {map[string]any{"slot_minutes": 0}, "slot_minutes"},
			"bad override": {map[string]any{"overrides": []map[string]any{{"date": "2026-02-30", "intervals": []any{}}}}, "overrides[0].date"},
			"bad rate":     {map[string]any{"rate_per_minute": "2.505"}, "rate_per_minute"},
			"overlapping": {map[string]any{"weekly": []map[string]any{{"day": "monday", "intervals": []map[string]string{
				{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}}}}}, "weekly[0].intervals[1]"},
		} {
			eb := putAvailability(t, e, host.AccessToken, tc.body).WantError(t, http.StatusBadRequest, "validation_error")
			found := false
			for _, d := range eb.Error.Details {
				found = found || strings.HasPrefix(d.Field, tc.field)
			}
			if !found {
				t.Errorf("%s: details %+v do not name %s", name, eb.Error.Details, tc.field)
			}
		}
		putAvailability(t, e, host.AccessToken, map[string]any{"timezone": "UTC", "holidays": true}).WantError(t, http.StatusBadRequest, "validation_error")
	})
}

func TestSlotsAndBooking(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		putAvailability(t, e, host.AccessToken, seedWeek).WantStatus(t, http.StatusOK)
		monday := nextWeekday(e, time.Monday)
		day := monday.Format("2006-01-02")

		type slotsResp struct {
			Host struct {
				DisplayName       string  `json:"display_name"`
				Username          string  `json:"username"`
				RatePerMinute     *string `json:"rate_per_minute"`
				WindowSizeMinutes int     `json:"window_size_minutes"`
			} `json:"host"`
			Slots []struct {
				Date      string    `json:"date"`
				StartTime string    `json:"start_time"`
				EndTime   string    `json:"end_time"`
				Start     time.Time `json:"start"`
				End       time.Time `json:"end"`
				Available bool      `json:"available"`
			} `json:"slots"`
		}
		slots := func() slotsResp {
			var s slotsResp
			e.Do(apitest.Req{Method: "GET", Path: "/v1/schedule/janecoach?start_date=" + day + "&end_date=" + day}).Decode(t, &s)
			return s
		}
		s := slots()
		if s.Host.DisplayName != "Jane Smith" || s.Host.RatePerMinute == nil || *s.Host.RatePerMinute != "2.50" || s.Host.WindowSizeMinutes != 10 {
			t.Errorf("host = %+v", s.Host)
		}
		if len(s.Slots) != 8 || s.Slots[0].StartTime != "09:00" || s.Slots[7].EndTime != "17:00" || !s.Slots[0].Available {
			t.Fatalf("Monday slots = %+v", s.Slots)
		}

		resp := book(e, guest.AccessToken, "janecoach", monday.Add(14*time.Hour), 30)
		resp.WantStatus(t, http.StatusCreated)
		var b bookingResp
		resp.Decode(t, &b)
		sc := b.ScheduledCall
		if sc.Status != "confirmed" || sc.Host.Username != "janecoach" || sc.Guest.Username != "alex" || sc.DurationMinutes != 30 ||
			sc.Note == nil || *sc.Note != "Career coaching session" || !strings.HasSuffix(sc.CalendarURL, "/v1/schedule/"+sc.ID+"/calendar") ||
			sc.JoinURL == "" || sc.ScheduledAt != monday.Add(14*time.Hour).Format(time.RFC3339) {
			t.Errorf("booking = %+v", sc)
		}
		s = slots()
		if s.Slots[5].StartTime != "14:00" || s.Slots[5].Available || !s.Slots[4].Available {
			t.Errorf("after booking 14:00: %+v", s.Slots)
		}

		book(e, guest.AccessToken, "janecoach", monday.Add(14*time.Hour+15*time.Minute), 30).WantError(t, http.StatusConflict, "conflict")
		book(e, guest.AccessToken, "nobody", monday.Add(14*time.Hour), 30).WantError(t, http.StatusNotFound, "not_found")
		book(e, guest.AccessToken, "alex", monday.Add(14*time.Hour), 30).WantError(t, http.StatusNotFound, "not_found")
		for name, tc := range map[string]struct {
			at      time.Time
			minutes int
			field   string
		}{
			"outside hours": {monday.Add(18 * time.Hour), 30, "scheduled_at"},
			"past the end":  {monday.Add(16*time.Hour + 45*time.Minute), 30, "scheduled_at"},
			"in the past":   {e.Clock.Now().Add(-time.Hour), 30, "scheduled_at"},
			"sunday":        {monday.Add(-24*time.Hour + 10*time.Hour), 30, "scheduled_at"},
			"too short":     {monday.Add(10 * time.Hour), 4, "duration_minutes"},
			"too long":      {monday.Add(10 * time.Hour), 481, "duration_minutes"},
			"too far ahead": {monday.AddDate(0, 0, 70).Add(10 * time.Hour), 30, "scheduled_at"},
		} {
			eb := book(e, guest.AccessToken, "janecoach", tc.at, tc.minutes).WantError(t, http.StatusBadRequest, "validation_error")
			if len(eb.Error.Details) == 0 || eb.Error.Details[0].Field != tc.field {
				t.Errorf("%s: details %+v", name, eb.Error.Details)
			}
		}
		e.Do(apitest.Req{Method: "POST", Path: "/v1/schedule/book", Token: guest.AccessToken, Body: map[string]any{
			"host_username": "janecoach", "scheduled_at": "monday 2pm", "duration_minutes": 30}}).WantError(t, http.StatusBadRequest, "validation_error")
		e.Do(apitest.Req{Method: "POST", Path: "/v1/schedule/book", Body: map[string]any{}}).WantError(t, http.StatusUnauthorized, "unauthorized")

		for _, q := range []string{"", "?start_date=" + day, "?start_date=x&end_date=" + day,
			"?start_date=" + day + "&end_date=" + monday.AddDate(0, 0, -1).Format("2006-01-02"),
			"?start_date=" + day + "&end_date=" + monday.AddDate(0, 0, 62).Format("2006-01-02")} {
			e.Do(apitest.Req{Method: "GET", Path: "/v1/schedule/janecoach" + q}).WantError(t, http.StatusBadRequest, "validation_error")
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/schedule/nobody?start_date=" + day + "&end_date=" + day}).WantError(t, http.StatusNotFound, "not_found")
	})
}

func TestBookingRaceThroughAPI(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "racehost")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		var guests []string
		for i := range 50 {
			guests = append(guests, mustSignup(t, e, fmt.Sprintf("guest%02d", i), "client").AccessToken)
		}
		at := nextWeekday(e, time.Wednesday).Add(15 * time.Hour)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			statuses = map[int]int{}
		)
		for _, tok := range guests {
			wg.Go(func() {
				resp := book(e, tok, "racehost", at, 30)
				mu.Lock()
				statuses[resp.Status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if statuses[201] != 1 || statuses[409] != 49 {
			t.Errorf("50 bookings of one slot answered %v, want one 201 and 49 409", statuses)
		}
		busy, _ := e.DB.BusyTimes(context.Background(), host.User.ID, at.Add(-time.Hour), at.Add(time.Hour))
		if len(busy) != 1 {
			t.Errorf("%d rows for one slot", len(busy))
		}
	})
}

func TestCancelRescheduleAndMine(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		stranger := mustSignup(t, e, "sam", "client")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		at := nextWeekday(e, time.Thursday).Add(10 * time.Hour)

		var first, second bookingResp
		book(e, guest.AccessToken, "janecoach", at, 60).Decode(t, &first)
		book(e, guest.AccessToken, "janecoach", at.Add(2*time.Hour), 60).Decode(t, &second)

		// Rescheduling onto a taken time changes nothing.
		res := func(id string, to time.Time, tok string) *apitest.Response {
			return e.Do(apitest.Req{Method: "POST", Path: "/v1/schedule/" + id + "/reschedule", Token: tok,
				Body: map[string]any{"scheduled_at": to.Format(time.RFC3339), "duration_minutes": 60}})
		}
		res(first.ScheduledCall.ID, at.Add(2*time.Hour), guest.AccessToken).WantError(t, http.StatusConflict, "conflict")
		res(first.ScheduledCall.ID, at.Add(4*time.Hour), stranger.AccessToken).WantError(t, http.StatusForbidden, "forbidden")
		resp := res(first.ScheduledCall.ID, at.Add(4*time.Hour), host.AccessToken)
		resp.WantStatus(t, http.StatusCreated)
		var moved bookingResp
		resp.Decode(t, &moved)
		if moved.ScheduledCall.ID == first.ScheduledCall.ID || moved.ScheduledCall.Status != "confirmed" {
			t.Errorf("rescheduled = %+v", moved)
		}
		// The old slot is free again.
		book(e, stranger.AccessToken, "janecoach", at, 60).WantStatus(t, http.StatusCreated)

		cancel := func(id, tok string) *apitest.Response {
			return e.Do(apitest.Req{Method: "PUT", Path: "/v1/schedule/" + id + "/cancel", Token: tok, Body: map[string]string{"reason": "Schedule conflict"}})
		}
		cancel(second.ScheduledCall.ID, stranger.AccessToken).WantError(t, http.StatusForbidden, "forbidden")
		cancel(second.ScheduledCall.ID, guest.AccessToken).WantStatus(t, http.StatusNoContent)
		cancel(second.ScheduledCall.ID, host.AccessToken).WantError(t, http.StatusConflict, "conflict")
		cancel(first.ScheduledCall.ID, guest.AccessToken).WantError(t, http.StatusConflict, "conflict") // already moved
		cancel("01JN2X6M0P5H9SRBTXY8ZDKEFG", guest.AccessToken).WantError(t, http.StatusNotFound, "not_found")
		book(e, stranger.AccessToken, "janecoach", at.Add(2*time.Hour), 60).WantStatus(t, http.StatusCreated)

		var mine struct {
			ScheduledCalls []struct {
				ID, Status   string
				CancelReason *string `json:"cancel_reason"`
				Rescheduled  bool    `json:"rescheduled"`
			} `json:"scheduled_calls"`
			Pagination struct{ Page, PerPage, Total int } `json:"pagination"`
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/schedule/mine?page=1&per_page=20", Token: guest.AccessToken}).Decode(t, &mine)
		if mine.Pagination.Total != 3 || len(mine.ScheduledCalls) != 3 {
			t.Fatalf("mine = %+v", mine)
		}
		byID := map[string]int{}
		for i, c := range mine.ScheduledCalls {
			byID[c.ID] = i
		}
		if c := mine.ScheduledCalls[byID[first.ScheduledCall.ID]]; c.Status != "canceled" || !c.Rescheduled {
			t.Errorf("the moved booking = %+v", c)
		}
		if c := mine.ScheduledCalls[byID[second.ScheduledCall.ID]]; c.Status != "canceled" || c.CancelReason == nil || *c.CancelReason != "Schedule conflict" {
			t.Errorf("the canceled booking = %+v", c)
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/schedule/mine?per_page=0", Token: guest.AccessToken}).WantError(t, http.StatusBadRequest, "validation_error")
	})
}

func TestCalendarInvite(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	host := paidHost(t, e, "janecoach")
	guest := mustSignup(t, e, "alex", "client")
	putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
	at := nextWeekday(e, time.Tuesday).Add(14 * time.Hour)
	var b bookingResp
	e.Do(apitest.Req{Method: "POST", Path: "/v1/schedule/book", Token: guest.AccessToken, Body: map[string]any{
		"host_username": "janecoach", "scheduled_at": at.Format(time.RFC3339), "duration_minutes": 30,
		"note": "Bring notes\r\nBEGIN:VEVENT\r\nSUMMARY:injected\r\nEND:VEVENT; and, commas"}}).Decode(t, &b)
	path := "/v1/schedule/" + b.ScheduledCall.ID + "/calendar"

	parse := func(tok string) (*ics.Calendar, *apitest.Response) {
		resp := e.Do(apitest.Req{Method: "GET", Path: path, Token: tok})
		resp.WantStatus(t, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		if cd := resp.Header.Get("Content-Disposition"); cd != "attachment; filename=vidivo-call.ics" {
			t.Errorf("Content-Disposition = %q", cd)
		}
		cal, err := ics.NewDecoder(bytes.NewReader(resp.Body)).Decode()
		if err != nil {
			t.Fatalf("invite does not parse: %v\n%s", err, resp.Body)
		}
		return cal, resp
	}
	cal, resp := parse(guest.AccessToken)
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("%d events, want 1:\n%s", len(events), resp.Body)
	}
	ev := events[0]
	start, _ := ev.DateTimeStart(time.UTC)
	end, _ := ev.DateTimeEnd(time.UTC)
	summary, _ := ev.Props.Text(ics.PropSummary)
	desc, _ := ev.Props.Text(ics.PropDescription)
	method, _ := cal.Props.Text(ics.PropMethod)
	if !start.Equal(at) || !end.Equal(at.Add(30*time.Minute)) || !strings.Contains(summary, "Jane Smith") ||
		!strings.Contains(desc, "BEGIN:VEVENT") || !strings.Contains(desc, b.ScheduledCall.JoinURL) || method != "REQUEST" {
		t.Errorf("event: start %v end %v summary %q method %q desc %q", start, end, summary, method, desc)
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(resp.Body), "\r\n"), "\r\n") {
		if len(line) > 75 || strings.ContainsAny(line, "\r\n") {
			t.Errorf("bad line %q", line)
		}
	}
	stranger := mustSignup(t, e, "sam", "client")
	e.Do(apitest.Req{Method: "GET", Path: path, Token: stranger.AccessToken}).WantError(t, http.StatusForbidden, "forbidden")

	uid, _ := ev.Props.Text(ics.PropUID)
	e.Do(apitest.Req{Method: "PUT", Path: "/v1/schedule/" + b.ScheduledCall.ID + "/cancel", Token: host.AccessToken}).WantStatus(t, http.StatusNoContent)
	cal, _ = parse(host.AccessToken)
	method, _ = cal.Props.Text(ics.PropMethod)
	ev = cal.Events()[0]
	status, _ := ev.Props.Text(ics.PropStatus)
	uid2, _ := ev.Props.Text(ics.PropUID)
	seq := ev.Props.Get(ics.PropSequence).Value
	if method != "CANCEL" || status != "CANCELLED" || uid2 != uid || seq != "1" {
		t.Errorf("canceled invite: method %s status %s uid %s→%s sequence %s", method, status, uid, uid2, seq)
	}
}

func TestJoinScheduledCall(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		ctx := context.Background()
		host := paidHost(t, e, "janecoach")
		guest := mustSignup(t, e, "alex", "client")
		putAvailability(t, e, host.AccessToken, allDay()).WantStatus(t, http.StatusOK)
		at := e.Clock.Now().Truncate(time.Hour).Add(3 * time.Hour)
		var b bookingResp
		book(e, guest.AccessToken, "janecoach", at, 30).Decode(t, &b)
		id := b.ScheduledCall.ID
		join := func(tok string) *apitest.Response {
			return e.Do(apitest.Req{Method: "POST", Path: "/v1/calls/" + id + "/join", Token: tok})
		}
		eb := join(guest.AccessToken).WantError(t, http.StatusConflict, "conflict")
		if !strings.Contains(eb.Error.Message, at.Add(-5*time.Minute).Format(time.RFC3339)) {
			t.Errorf("early join message %q does not say when it opens", eb.Error.Message)
		}
		mustSignup(t, e, "sam", "client")
		e.Clock.Add(at.Sub(e.Clock.Now()) - 5*time.Minute)
		// Access tokens last 15 minutes: sign in again after the wait.
		host, guest, stranger := login(t, e, "janecoach"), login(t, e, "alex"), login(t, e, "sam")
		join(stranger.AccessToken).WantError(t, http.StatusForbidden, "forbidden")

		// The host comes first and waits; the guest's arrival starts the
		// session and, the host being there, the timer.
		var hj joined
		resp := join(host.AccessToken)
		resp.WantStatus(t, http.StatusCreated)
		resp.Decode(t, &hj)
		if hj.Call.ID != id || hj.Call.Status != "waiting" || !strings.HasPrefix(hj.SignalingToken, "st_") {
			t.Errorf("host join = %+v", hj)
		}
		var gj joined
		join(guest.AccessToken).Decode(t, &gj)
		if gj.Call.Status != "active" {
			t.Errorf("guest join = %+v", gj)
		}
		// Twenty minutes, the holds renewed as the windows run out.
		e.Clock.Add(9 * time.Minute)
		if err := e.Calls.RenewHold(ctx, id, 1); err != nil {
			t.Fatal(err)
		}
		e.Clock.Add(10 * time.Minute)
		if err := e.Calls.RenewHold(ctx, id, 2); err != nil {
			t.Fatal(err)
		}
		e.Clock.Add(time.Minute)
		host, guest = login(t, e, "janecoach"), login(t, e, "alex")
		var end ended
		endCall(e, host.AccessToken, id, "host_ended", "").Decode(t, &end)
		// 20 minutes at the booked $2.00.
		if end.Call.Status != "completed" || end.Call.TotalCharged != "40.00" {
			t.Errorf("end = %+v", end)
		}
		money(t, e, id)

		// A host who never comes: the call is missed 5 minutes after the
		// booked start, nothing charged.
		at2 := at.Add(2 * time.Hour)
		var b2 bookingResp
		book(e, guest.AccessToken, "janecoach", at2, 30).Decode(t, &b2)
		e.Clock.Add(at2.Sub(e.Clock.Now()) - 2*time.Minute)
		guest = login(t, e, "alex")
		id = b2.ScheduledCall.ID
		join(guest.AccessToken).WantStatus(t, http.StatusCreated)
		e.Clock.Add(5 * time.Minute) // 3 minutes after the start: not yet
		if err := e.Calls.NoShow(ctx, id); err == nil {
			t.Error("no-show fired before 5 minutes after the start")
		}
		e.Clock.Add(2 * time.Minute)
		if err := e.Calls.NoShow(ctx, id); err != nil {
			t.Fatal(err)
		}
		c, _ := e.DB.CallByID(ctx, id)
		if c.Status != vidivo.CallMissed || money(t, e, id) != 0 {
			t.Errorf("no-show: %s", c.Status)
		}
	})
}
