package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// retype replaces the text of the text box named name.
func retype(name, text string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Clear(label("textbox", name), named("textbox", name)),
		chromedp.SendKeys(label("textbox", name), text, named("textbox", name)),
	}
}

// steps joins actions and lists of actions into one list for do.
func steps(parts ...any) []chromedp.Action[chromedp.Void] {
	var out []chromedp.Action[chromedp.Void]
	for _, p := range parts {
		switch p := p.(type) {
		case chromedp.Action[chromedp.Void]:
			out = append(out, p)
		case []chromedp.Action[chromedp.Void]:
			out = append(out, p...)
		}
	}
	return out
}

// editorFields are the availability form's non-empty fields as the
// browser would post them (the CSRF token left out).
func editorFields(t *testing.T, tab context.Context) url.Values {
	t.Helper()
	raw, err := chromedp.Run(tab, chromedp.Evaluate[string](`JSON.stringify([...new FormData(document.getElementById("availability-form"))]
		.filter(([k, v]) => k !== "csrf" && v !== ""))`))
	if err != nil {
		t.Fatal(err)
	}
	var pairs [][2]string
	if err := json.Unmarshal([]byte(raw), &pairs); err != nil {
		t.Fatal(err)
	}
	out := url.Values{}
	for _, p := range pairs {
		out.Add(p[0], p[1])
	}
	return out
}

func storedAvailability(t *testing.T, s *server, token string) map[string]any {
	t.Helper()
	var out map[string]any
	if code := s.call(t, "GET", "/v1/users/me/availability", token, nil, &out); code != 200 {
		t.Fatalf("GET availability = %d", code)
	}
	return out
}

// TestBrowserAvailabilityEditor: a host in Berlin takes the browser's
// time zone and builds a week with several
// intervals a day, a day off and special hours on two dates, buffers and a
// price in the editor (its script adding rows); what the API stores is
// what was entered, and the reloaded editor shows exactly that. A bad
// interval is explained next to its field and saves nothing; removing rows
// saves the shorter week.
func TestBrowserAvailabilityEditor(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	s := startPublicInstance(ctx, t)
	tab := newTab(t, newBrowser(t))

	do(t, tab, "sign up", inZone("Europe/Berlin"), chromedp.Navigate(s.base+"/signup"),
		fill("Your name", "Avery Host"), fill("Email", "avery@example.com"), fill("Username", "avery"), fill("Password", testPassword),
		chromedp.Click(label("radio", "sell my time (host)"), named("radio", "sell my time (host)")),
		press("Sign up"), chromedp.WaitVisible(label("button", "Log out"), named("button", "Log out")))
	do(t, tab, "open the editor", chromedp.Navigate(s.base+"/dashboard"),
		chromedp.Click(label("link", "Availability"), named("link", "Availability")),
		chromedp.WaitVisible(label("button", "Add hours on Monday"), named("button", "Add hours on Monday")))
	if loc := location(t, tab, s.base); loc != "/settings/availability" {
		t.Fatalf("the menu's Availability link goes to %s", loc)
	}

	do(t, tab, "fill the week", steps(
		press("Use my time zone, Europe/Berlin"),
		press("Add hours on Monday"), fill("Monday, hours 1, from", "09:00"), fill("Monday, hours 1, to", "12:00"),
		press("Add hours on Monday"), fill("Monday, hours 2, from", "13:00"), fill("Monday, hours 2, to", "17:00"),
		press("Add hours on Wednesday"), fill("Wednesday, hours 1, from", "10:00"), fill("Wednesday, hours 1, to", "14:00"),
		press("Add a date override"), chromedp.SetValue(chromedp.CSS("#overrides > .override:nth-child(1) input[type=date]"), "2030-01-01"),
		press("Add a date override"), chromedp.SetValue(chromedp.CSS("#overrides > .override:nth-child(2) input[type=date]"), "2030-01-02"),
		fill("Date override 2, hours 1, from", "10:00"), fill("Date override 2, hours 1, to", "12:00"),
		retype("Slot length (minutes)", "30"),
		retype("Buffer before a call (minutes)", "10"),
		retype("Buffer after a call (minutes)", "15"),
		fill("Rate per minute (USD)", "2.5"),
		chromedp.Click(label("checkbox", "Require a card when booking"), named("checkbox", "Require a card when booking")),
	)...)
	screenshots(t, tab, "availability-filled")
	do(t, tab, "save", press("Save availability"), chromedp.WaitVisible(chromedp.CSS(`p.notice[role=status]`)))

	token := apiLogin(t, s, "avery@example.com")
	want := map[string]any{}
	if err := json.Unmarshal([]byte(`{"timezone":"Europe/Berlin",
		"weekly":[{"day":"monday","intervals":[{"start":"09:00","end":"12:00"},{"start":"13:00","end":"17:00"}]},
		  {"day":"wednesday","intervals":[{"start":"10:00","end":"14:00"}]}],
		"overrides":[{"date":"2030-01-01","intervals":[]},{"date":"2030-01-02","intervals":[{"start":"10:00","end":"12:00"}]}],
		"slot_minutes":30,"buffer_before_minutes":10,"buffer_after_minutes":15,"min_notice_minutes":0,"max_days_ahead":60,
		"rate_per_minute":"2.50","window_size_minutes":null,"require_payment_method":true,"max_upcoming_bookings_per_guest":3}`), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, storedAvailability(t, s, token)); diff != "" {
		t.Fatalf("stored availability (-want +got):\n%s", diff)
	}
	shown := url.Values{
		"timezone":            {"Europe/Berlin"},
		"weekly.monday.start": {"09:00", "13:00"}, "weekly.monday.end": {"12:00", "17:00"},
		"weekly.wednesday.start": {"10:00"}, "weekly.wednesday.end": {"14:00"},
		"override.0.date": {"2030-01-01"},
		"override.1.date": {"2030-01-02"}, "override.1.start": {"10:00"}, "override.1.end": {"12:00"},
		"slot_minutes": {"30"}, "buffer_before_minutes": {"10"}, "buffer_after_minutes": {"15"}, "min_notice_minutes": {"0"},
		"max_days_ahead": {"60"}, "max_upcoming_bookings_per_guest": {"3"}, "rate_per_minute": {"2.50"},
		"require_payment_method": {"true"},
	}
	do(t, tab, "reload", chromedp.Reload(), chromedp.WaitVisible(label("button", "Add hours on Monday"), named("button", "Add hours on Monday")))
	if diff := cmp.Diff(shown, editorFields(t, tab)); diff != "" {
		t.Errorf("the reloaded editor (-want +got):\n%s", diff)
	}
	screenshots(t, tab, "availability-saved")

	// A Sunday ending before it starts is refused next to its field.
	do(t, tab, "a bad interval", press("Add hours on Sunday"), fill("Sunday, hours 1, from", "10:00"), fill("Sunday, hours 1, to", "09:00"),
		press("Save availability"), chromedp.WaitVisible(chromedp.CSS("#weekly-sunday-0-end-error")))
	msg, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#weekly-sunday-0-end-error")))
	if err != nil || !strings.Contains(msg, "must be after start") {
		t.Errorf("the bad interval's message = %q, %v", msg, err)
	}
	screenshots(t, tab, "availability-invalid")
	if diff := cmp.Diff(want, storedAvailability(t, s, token)); diff != "" {
		t.Errorf("a refused save changed the availability (-want +got):\n%s", diff)
	}

	// Removing rows (the script's buttons) saves the shorter week.
	do(t, tab, "remove rows", press("Remove Sunday, hours 1"), press("Remove Monday, hours 2"),
		press("Save availability"), chromedp.WaitVisible(chromedp.CSS(`p.notice[role=status]`)))
	want["weekly"] = []any{
		map[string]any{"day": "monday", "intervals": []any{map[string]any{"start": "09:00", "end": "12:00"}}},
		map[string]any{"day": "wednesday", "intervals": []any{map[string]any{"start": "10:00", "end": "14:00"}}},
	}
	if diff := cmp.Diff(want, storedAvailability(t, s, token)); diff != "" {
		t.Errorf("after removing rows (-want +got):\n%s", diff)
	}
}

// apiAccount signs an account up through the API and returns its token.
func apiAccount(t *testing.T, s *server, username, role string) string {
	t.Helper()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if code := s.call(t, "POST", "/v1/auth/signup", "", map[string]string{"email": username + "@example.com", "password": testPassword,
		"username": username, "display_name": strings.ToUpper(username[:1]) + username[1:], "role": role}, &out); code != 201 {
		t.Fatalf("signup %s = %d", username, code)
	}
	return out.AccessToken
}

// TestBrowserBookingsAndEventTypes: a client reschedules a booking by
// picking a new slot and then cancels it with a reason, on /bookings; the
// host adds an event type and sees its scheduling URL.
func TestBrowserBookingsAndEventTypes(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	s := startPublicInstance(ctx, t)
	browser := newBrowser(t)

	hostTok := apiAccount(t, s, "hollis", "host")
	week := map[string]any{"timezone": "UTC", "rate_per_minute": "1.00", "weekly": []any{}}
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		week["weekly"] = append(week["weekly"].([]any), map[string]any{"day": d, "intervals": []any{map[string]string{"start": "08:00", "end": "18:00"}}})
	}
	if code := s.call(t, "PUT", "/v1/users/me/availability", hostTok, week, nil); code != 200 {
		t.Fatalf("PUT availability = %d", code)
	}
	clientTok := apiAccount(t, s, "casey", "client")
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 2).Add(10 * time.Hour)
	if code := s.call(t, "POST", "/v1/schedule/book", clientTok, map[string]any{"host_username": "hollis",
		"scheduled_at": start.Format(time.RFC3339), "duration_minutes": 60, "note": "Career questions"}, nil); code != 201 {
		t.Fatalf("book = %d", code)
	}

	tab := newTab(t, browser)
	do(t, tab, "log in", chromedp.Navigate(s.base+"/login"), fill("Email", "casey@example.com"), fill("Password", testPassword),
		press("Log in"), chromedp.WaitVisible(label("button", "Log out"), named("button", "Log out")),
		chromedp.Click(label("link", "Bookings"), named("link", "Bookings")),
		chromedp.WaitVisible(chromedp.CSS(`.booking-item[data-status="confirmed"]`)))
	screenshots(t, tab, "bookings")
	newTime := start.Add(3 * time.Hour).Format(time.RFC3339)
	do(t, tab, "reschedule", chromedp.Click(chromedp.CSS(`a[href$="/reschedule"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=scheduled_at]`)))
	screenshots(t, tab, "reschedule")
	do(t, tab, "pick a slot", chromedp.Click(chromedp.CSS(`input[value="`+newTime+`"]`)), press("Reschedule"),
		chromedp.WaitVisible(chromedp.CSS(`p.notice[role=status]`)))
	var mine struct {
		ScheduledCalls []struct {
			Status      string `json:"status"`
			ScheduledAt string `json:"scheduled_at"`
		} `json:"scheduled_calls"`
	}
	if code := s.call(t, "GET", "/v1/schedule/mine", clientTok, nil, &mine); code != 200 {
		t.Fatalf("mine = %d", code)
	}
	confirmed := 0
	for _, c := range mine.ScheduledCalls {
		if c.Status == "confirmed" {
			confirmed++
			if c.ScheduledAt != newTime {
				t.Errorf("confirmed booking at %s, want %s", c.ScheduledAt, newTime)
			}
		}
	}
	if len(mine.ScheduledCalls) != 2 || confirmed != 1 {
		t.Errorf("after rescheduling: %+v, want the old one canceled and one confirmed", mine.ScheduledCalls)
	}

	do(t, tab, "cancel", chromedp.Click(chromedp.CSS(`.booking-item[data-status="confirmed"] details.cancel summary`)),
		fill("Reason (optional)", "Something came up"), press("Cancel booking"),
		chromedp.WaitNotPresent(chromedp.CSS(`.booking-item[data-status="confirmed"]`)))
	screenshots(t, tab, "bookings-canceled")
	body, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main")))
	if err != nil || !strings.Contains(body, "Reason: Something came up") {
		t.Errorf("the canceled booking's reason is not shown: %q %v", body, err)
	}

	host := newTab(t, browser)
	do(t, host, "host logs in", chromedp.Navigate(s.base+"/login"), fill("Email", "hollis@example.com"), fill("Password", testPassword),
		press("Log in"), chromedp.WaitVisible(label("button", "Log out"), named("button", "Log out")))
	do(t, host, "host adds an event type", steps(chromedp.Navigate(s.base+"/settings/event-types"),
		fill("Name", "Intro call"), fill("Slug", "intro"), retype("Duration (minutes)", "15"),
		press("Create event type"), chromedp.WaitVisible(label("textbox", "Scheduling page of Intro call"), named("textbox", "Scheduling page of Intro call")))...)
	screenshots(t, host, "event-types")
	url, err := chromedp.Run(host, chromedp.Value(label("textbox", "Scheduling page of Intro call"), named("textbox", "Scheduling page of Intro call")))
	if err != nil || url != s.base+"/schedule/hollis/intro" {
		t.Errorf("scheduling URL = %q, %v; want %s/schedule/hollis/intro", url, err, s.base)
	}
}
