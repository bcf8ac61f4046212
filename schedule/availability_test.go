package schedule_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	vidivo "github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/schedule"
)

// seedWeekStored is the seed's week as GET returns it after PUT: every
// field present, normalized.
const seedWeekStored = `{"timezone":"UTC","weekly":[` +
	`{"day":"monday","intervals":[{"start":"09:00","end":"17:00"}]},` +
	`{"day":"tuesday","intervals":[{"start":"09:00","end":"17:00"}]},` +
	`{"day":"wednesday","intervals":[{"start":"10:00","end":"14:00"}]},` +
	`{"day":"thursday","intervals":[{"start":"09:00","end":"17:00"}]},` +
	`{"day":"friday","intervals":[{"start":"09:00","end":"12:00"}]},` +
	`{"day":"saturday","intervals":[]},` +
	`{"day":"sunday","intervals":[]}],` +
	`"overrides":[],"slot_minutes":60,"buffer_before_minutes":0,"buffer_after_minutes":0,` +
	`"min_notice_minutes":0,"max_days_ahead":60,"rate_per_minute":null,"window_size_minutes":null,"require_payment_method":false,"max_upcoming_bookings_per_guest":3}`

// putGet is what the API does with a PUT body, then a GET: decode,
// validate, normalize, store as JSON.
func putGet(tb testing.TB, doc string) (string, error) {
	tb.Helper()
	var a schedule.Availability
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return "", err
	}
	if err := a.Validate(); err != nil {
		return "", err
	}
	a.Normalize()
	b, err := json.Marshal(a)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b), nil
}

func TestAvailabilityRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		put  string
		want string
	}{
		{"seed week", seedWeek, seedWeekStored},
		{"stored form is a fixed point", seedWeekStored, seedWeekStored},
		{
			"days and intervals sorted, rate canonical",
			`{"timezone": "Europe/Berlin",
			  "weekly": [{"day": "sunday", "intervals": [{"start": "13:00", "end": "17:00"}, {"start": "09:00", "end": "12:00"}]},
			             {"day": "monday"}],
			  "overrides": [{"date": "2026-12-31", "intervals": [{"start": "10:00", "end": "12:00"}]}, {"date": "2026-12-24"}],
			  "slot_minutes": 30, "buffer_before_minutes": 5, "buffer_after_minutes": 10,
			  "min_notice_minutes": 120, "max_days_ahead": 14, "rate_per_minute": "2.5", "window_size_minutes": 10}`,
			`{"timezone":"Europe/Berlin","weekly":[{"day":"monday","intervals":[]},` +
				`{"day":"sunday","intervals":[{"start":"09:00","end":"12:00"},{"start":"13:00","end":"17:00"}]}],` +
				`"overrides":[{"date":"2026-12-24","intervals":[]},{"date":"2026-12-31","intervals":[{"start":"10:00","end":"12:00"}]}],` +
				`"slot_minutes":30,"buffer_before_minutes":5,"buffer_after_minutes":10,"min_notice_minutes":120,` +
				`"max_days_ahead":14,"rate_per_minute":"2.50","window_size_minutes":10,"require_payment_method":false,"max_upcoming_bookings_per_guest":3}`,
		},
		{
			"everything omitted takes the defaults",
			`{}`,
			`{"timezone":"UTC","weekly":[],"overrides":[],"slot_minutes":60,"buffer_before_minutes":0,` +
				`"buffer_after_minutes":0,"min_notice_minutes":0,"max_days_ahead":60,"rate_per_minute":null,"window_size_minutes":null,"require_payment_method":false,"max_upcoming_bookings_per_guest":3}`,
		},
		{
			"null fields take the defaults",
			`{"timezone": null, "weekly": null, "overrides": null, "slot_minutes": null, "max_days_ahead": null,
			  "rate_per_minute": null, "window_size_minutes": null}`,
			`{"timezone":"UTC","weekly":[],"overrides":[],"slot_minutes":60,"buffer_before_minutes":0,` +
				`"buffer_after_minutes":0,"min_notice_minutes":0,"max_days_ahead":60,"rate_per_minute":null,"window_size_minutes":null,"require_payment_method":false,"max_upcoming_bookings_per_guest":3}`,
		},
		{
			"day ending at midnight",
			`{"weekly": [{"day": "friday", "intervals": [{"start": "00:00", "end": "24:00"}]}], "window_size_minutes": 60}`,
			`{"timezone":"UTC","weekly":[{"day":"friday","intervals":[{"start":"00:00","end":"24:00"}]}],"overrides":[],` +
				`"slot_minutes":60,"buffer_before_minutes":0,"buffer_after_minutes":0,"min_notice_minutes":0,` +
				`"max_days_ahead":60,"rate_per_minute":null,"window_size_minutes":60,"require_payment_method":false,"max_upcoming_bookings_per_guest":3}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := putGet(t, tc.put)
			if err != nil {
				t.Fatalf("PUT %s: %v", tc.put, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("GET after PUT (-want +got):\n%s", diff)
			}
			// And GET's answer PUT back is unchanged.
			again, err := putGet(t, got)
			if err != nil || again != got {
				t.Errorf("PUT of GET's answer = %s, %v; want it unchanged", again, err)
			}
		})
	}
}

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		doc  string
		want string // substring of the error
	}{
		{"unknown field", `{"slots": 60}`, `unknown field "slots"`},
		{"unknown nested field", `{"weekly": [{"day": "monday", "hours": []}]}`, `unknown field "hours"`},
		{"unknown interval field", `{"weekly": [{"day": "monday", "intervals": [{"from": "09:00"}]}]}`, `unknown field "from"`},
		{"wrong type", `{"slot_minutes": "60"}`, "cannot unmarshal string"},
		{"fraction", `{"slot_minutes": 60.5}`, "cannot unmarshal number"},
		{"not an object", `[]`, "cannot unmarshal array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var a schedule.Availability
			err := json.Unmarshal([]byte(tc.doc), &a)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Unmarshal(%s) = %v, want an error containing %q", tc.doc, err, tc.want)
			}
		})
	}
	t.Run("type errors name the field", func(t *testing.T) {
		t.Parallel()
		var a schedule.Availability
		var te *json.UnmarshalTypeError
		if err := json.Unmarshal([]byte(`{"max_days_ahead": true}`), &a); !errors.As(err, &te) || te.Field != "max_days_ahead" {
			t.Errorf("error = %#v, want an UnmarshalTypeError for max_days_ahead", err)
		}
	})
}

func TestValidate(t *testing.T) {
	t.Parallel()
	fe := func(field, issue string) vidivo.FieldError { return vidivo.FieldError{Field: field, Issue: issue} }
	const (
		badStart = `must be a time "HH:MM" from 00:00 to 23:59`
		badEnd   = `must be a time "HH:MM" from 00:00 to 24:00`
		badDay   = "must be one of monday, tuesday, wednesday, thursday, friday, saturday, sunday"
	)
	mon := func(intervals string) string {
		return `{"weekly": [{"day": "monday", "intervals": ` + intervals + `}]}`
	}
	many := func(n int, item func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = item(i)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	overrides := func(n int) string {
		return `{"overrides": ` + many(n, func(i int) string {
			return `{"date": "` + MustDate(t, "2026-01-01").AddDays(i).String() + `"}`
		}) + `}`
	}
	for _, tc := range []struct {
		name string
		doc  string
		want []vidivo.FieldError // nil: valid
	}{
		{"seed week", seedWeek, nil},
		{"defaults", `{}`, nil},
		{"every bound at its limit",
			`{"timezone": "America/New_York", "weekly": [{"day": "tuesday", "intervals": [{"start": "00:00", "end": "24:00"}]}],
			  "slot_minutes": 480, "buffer_before_minutes": 240, "buffer_after_minutes": 240, "min_notice_minutes": 43200,
			  "max_days_ahead": 365, "rate_per_minute": "999.99", "window_size_minutes": 60}`, nil},
		{"lower limits",
			`{"slot_minutes": 5, "max_days_ahead": 1, "rate_per_minute": "0.50", "window_size_minutes": 1}`, nil},
		{"12 intervals", mon(many(12, func(i int) string { return fmt.Sprintf(`{"start": "%02d:00", "end": "%02d:30"}`, i, i) })), nil},
		{"366 overrides", overrides(366), nil},
		{"touching intervals", mon(`[{"start": "09:00", "end": "12:00"}, {"start": "12:00", "end": "17:00"}]`), nil},

		{"unknown zone", `{"timezone": "Mars/Olympus"}`,
			[]vidivo.FieldError{fe("timezone", "unknown time zone; use an IANA name such as Europe/Berlin")}},
		{"empty zone", `{"timezone": ""}`,
			[]vidivo.FieldError{fe("timezone", "must be an IANA time zone name such as Europe/Berlin")}},
		{"server's zone", `{"timezone": "Local"}`,
			[]vidivo.FieldError{fe("timezone", "must be an IANA time zone name such as Europe/Berlin")}},
		{"unknown day", `{"weekly": [{"day": "funday"}]}`, []vidivo.FieldError{fe("weekly[0].day", badDay)}},
		{"capitalised day", `{"weekly": [{"day": "Monday"}]}`, []vidivo.FieldError{fe("weekly[0].day", badDay)}},
		{"missing day", `{"weekly": [{"intervals": []}]}`, []vidivo.FieldError{fe("weekly[0].day", "is required")}},
		{"day twice", `{"weekly": [{"day": "monday"}, {"day": "friday"}, {"day": "monday"}]}`,
			[]vidivo.FieldError{fe("weekly[2].day", "lists monday a second time; give each day once with all its intervals")}},
		{"eight days", `{"weekly": ` + many(8, func(int) string { return `{"day": "monday"}` }) + `}`,
			[]vidivo.FieldError{fe("weekly", "must list each day at most once (at most 7 entries)")}},
		{"inverted interval", mon(`[{"start": "17:00", "end": "09:00"}]`),
			[]vidivo.FieldError{fe("weekly[0].intervals[0].end", "must be after start")}},
		{"empty interval", mon(`[{"start": "09:00", "end": "09:00"}]`),
			[]vidivo.FieldError{fe("weekly[0].intervals[0].end", "must be after start")}},
		{"missing times", mon(`[{}]`),
			[]vidivo.FieldError{fe("weekly[0].intervals[0].start", "is required"), fe("weekly[0].intervals[0].end", "is required")}},
		{"unpadded hour", mon(`[{"start": "9:00", "end": "17:00"}]`),
			[]vidivo.FieldError{fe("weekly[0].intervals[0].start", badStart)}},
		{"hour 25", mon(`[{"start": "09:00", "end": "25:00"}]`),
			[]vidivo.FieldError{fe("weekly[0].intervals[0].end", badEnd)}},
		{"minute 60", mon(`[{"start": "09:60", "end": "17:00"}]`),
			[]vidivo.FieldError{fe("weekly[0].intervals[0].start", badStart)}},
		{"24:00 as a start", mon(`[{"start": "24:00", "end": "24:00"}]`),
			[]vidivo.FieldError{fe("weekly[0].intervals[0].start", badStart)}},
		{"past 24:00", mon(`[{"start": "23:00", "end": "24:01"}]`),
			[]vidivo.FieldError{fe("weekly[0].intervals[0].end", badEnd)}},
		{"seconds", mon(`[{"start": "09:00:00", "end": "17:00"}]`),
			[]vidivo.FieldError{fe("weekly[0].intervals[0].start", badStart)}},
		{"12-hour clock", mon(`[{"start": "09:00", "end": "5 PM"}]`),
			[]vidivo.FieldError{fe("weekly[0].intervals[0].end", badEnd)}},
		{"overlap", mon(`[{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]`),
			[]vidivo.FieldError{fe("weekly[0].intervals[1].start", "overlaps weekly[0].intervals[0]")}},
		{"overlap written backwards", mon(`[{"start": "11:00", "end": "13:00"}, {"start": "09:00", "end": "12:00"}]`),
			[]vidivo.FieldError{fe("weekly[0].intervals[0].start", "overlaps weekly[0].intervals[1]")}},
		{"contained", mon(`[{"start": "09:00", "end": "17:00"}, {"start": "13:00", "end": "14:00"}, {"start": "16:00", "end": "18:00"}]`),
			[]vidivo.FieldError{
				fe("weekly[0].intervals[1].start", "overlaps weekly[0].intervals[0]"),
				fe("weekly[0].intervals[2].start", "overlaps weekly[0].intervals[0]"),
			}},
		{"same interval twice", mon(`[{"start": "09:00", "end": "10:00"}, {"start": "09:00", "end": "10:00"}]`),
			[]vidivo.FieldError{fe("weekly[0].intervals[1].start", "overlaps weekly[0].intervals[0]")}},
		{"13 intervals", mon(many(13, func(i int) string { return fmt.Sprintf(`{"start": "%02d:00", "end": "%02d:30"}`, i, i) })),
			[]vidivo.FieldError{fe("weekly[0].intervals", "must have at most 12 intervals")}},
		{"bad date", `{"overrides": [{"date": "2026-12-24"}, {"date": "2026-13-01"}]}`,
			[]vidivo.FieldError{fe("overrides[1].date", "must be a date YYYY-MM-DD")}},
		{"no such day", `{"overrides": [{"date": "2026-02-29"}]}`,
			[]vidivo.FieldError{fe("overrides[0].date", "must be a date YYYY-MM-DD")}},
		{"day-first date", `{"overrides": [{"date": "24-12-2026"}]}`,
			[]vidivo.FieldError{fe("overrides[0].date", "must be a date YYYY-MM-DD")}},
		{"missing date", `{"overrides": [{"intervals": []}]}`,
			[]vidivo.FieldError{fe("overrides[0].date", "is required")}},
		{"date twice", `{"overrides": [{"date": "2026-12-24"}, {"date": "2026-12-25"}, {"date": "2026-12-24"}]}`,
			[]vidivo.FieldError{fe("overrides[2].date", "lists 2026-12-24 a second time; give each date once with all its intervals")}},
		{"bad override interval", `{"overrides": [{"date": "2026-12-24", "intervals": [{"start": "10:00", "end": "09:00"}]}]}`,
			[]vidivo.FieldError{fe("overrides[0].intervals[0].end", "must be after start")}},
		{"367 overrides", overrides(367), []vidivo.FieldError{fe("overrides", "must have at most 366 dates")}},
		{"slot 0", `{"slot_minutes": 0}`, []vidivo.FieldError{fe("slot_minutes", "must be an integer from 5 to 480")}},
		{"slot 4", `{"slot_minutes": 4}`, []vidivo.FieldError{fe("slot_minutes", "must be an integer from 5 to 480")}},
		{"slot 481", `{"slot_minutes": 481}`, []vidivo.FieldError{fe("slot_minutes", "must be an integer from 5 to 480")}},
		{"negative buffer", `{"buffer_before_minutes": -1}`,
			[]vidivo.FieldError{fe("buffer_before_minutes", "must be an integer from 0 to 240")}},
		{"long buffer", `{"buffer_after_minutes": 241}`,
			[]vidivo.FieldError{fe("buffer_after_minutes", "must be an integer from 0 to 240")}},
		{"negative notice", `{"min_notice_minutes": -1}`,
			[]vidivo.FieldError{fe("min_notice_minutes", "must be an integer from 0 to 43200 (30 days)")}},
		{"notice over 30 days", `{"min_notice_minutes": 43201}`,
			[]vidivo.FieldError{fe("min_notice_minutes", "must be an integer from 0 to 43200 (30 days)")}},
		{"0 days ahead", `{"max_days_ahead": 0}`, []vidivo.FieldError{fe("max_days_ahead", "must be an integer from 1 to 365")}},
		{"366 days ahead", `{"max_days_ahead": 366}`, []vidivo.FieldError{fe("max_days_ahead", "must be an integer from 1 to 365")}},
		{"rate with 3 decimals", `{"rate_per_minute": "2.505"}`,
			[]vidivo.FieldError{fe("rate_per_minute", `must be a decimal string with at most two decimals, such as "2.50"`)}},
		{"empty rate", `{"rate_per_minute": ""}`,
			[]vidivo.FieldError{fe("rate_per_minute", `must be a decimal string with at most two decimals, such as "2.50"`)}},
		{"rate too low", `{"rate_per_minute": "0.49"}`, []vidivo.FieldError{fe("rate_per_minute", "must be between 0.50 and 999.99")}},
		{"rate too high", `{"rate_per_minute": "1000"}`, []vidivo.FieldError{fe("rate_per_minute", "must be between 0.50 and 999.99")}},
		{"window 0", `{"window_size_minutes": 0}`, []vidivo.FieldError{fe("window_size_minutes", "must be an integer from 1 to 60")}},
		{"window 61", `{"window_size_minutes": 61}`, []vidivo.FieldError{fe("window_size_minutes", "must be an integer from 1 to 60")}},
		{"every error at once",
			`{"timezone": "Nowhere", "weekly": [{"day": "mon", "intervals": [{"start": "9", "end": "10:00"}]}],
			  "overrides": [{"date": "tomorrow"}], "slot_minutes": 1, "max_days_ahead": 1000}`,
			[]vidivo.FieldError{
				fe("timezone", "unknown time zone; use an IANA name such as Europe/Berlin"),
				fe("weekly[0].day", badDay),
				fe("weekly[0].intervals[0].start", badStart),
				fe("overrides[0].date", "must be a date YYYY-MM-DD"),
				fe("slot_minutes", "must be an integer from 5 to 480"),
				fe("max_days_ahead", "must be an integer from 1 to 365"),
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := MustDecode(t, tc.doc)
			err := a.Validate()
			if code := vidivo.ErrorCode(err); tc.want != nil && code != vidivo.EVALIDATION {
				t.Fatalf("Validate() = %v, want %s", err, vidivo.EVALIDATION)
			}
			if diff := cmp.Diff(tc.want, vidivo.ErrorDetails(err)); diff != "" {
				t.Errorf("Validate() details (-want +got):\n%s", diff)
			}
			// Rules validates too, and compiles whatever validates.
			_, rerr := a.Rules()
			if (rerr == nil) != (err == nil) {
				t.Errorf("Rules() error = %v but Validate() = %v", rerr, err)
			}
		})
	}
}

func TestNormalizeIsIdempotent(t *testing.T) {
	t.Parallel()
	a := schedule.Availability{
		Timezone: "UTC",
		Weekly: []schedule.WeeklyDay{
			{Day: "friday"}, {Day: "monday", Intervals: []schedule.Interval{{"13:00", "14:00"}, {"09:00", "10:00"}}},
		},
		SlotMinutes: 60, MaxDaysAhead: 60,
	}
	a.Normalize()
	want := schedule.Availability{
		Timezone: "UTC",
		Weekly: []schedule.WeeklyDay{
			{Day: "monday", Intervals: []schedule.Interval{{"09:00", "10:00"}, {"13:00", "14:00"}}},
			{Day: "friday", Intervals: []schedule.Interval{}},
		},
		Overrides:   []schedule.Override{},
		SlotMinutes: 60, MaxDaysAhead: 60,
	}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("Normalize (-want +got):\n%s", diff)
	}
	a.Normalize()
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("second Normalize (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(schedule.Defaults(), MustDecode(t, `{}`)); diff != "" {
		t.Errorf("decoded {} (-Defaults +got):\n%s", diff)
	}
}
