package calendar

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/google/go-cmp/cmp"
)

// vcal wraps VEVENTs (and VTIMEZONEs) in a VCALENDAR with CRLF lines.
func vcal(body string) string {
	s := "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n" + strings.TrimSpace(body) + "\nEND:VCALENDAR\n"
	return strings.ReplaceAll(s, "\n", "\r\n")
}

const customEastern = `BEGIN:VTIMEZONE
TZID:Eastern Custom
BEGIN:STANDARD
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
END:VTIMEZONE`

func weekly(tzid string) string {
	return `BEGIN:VEVENT
UID:weekly
DTSTAMP:20261001T000000Z
DTSTART;TZID=` + tzid + `:20261019T090000
DTEND;TZID=` + tzid + `:20261019T100000
RRULE:FREQ=WEEKLY;BYDAY=MO
EXDATE;TZID=` + tzid + `:20261109T090000
SUMMARY:Standup
END:VEVENT`
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func iv(start, end string) Interval { return Interval{Start: at(start), End: at(end)} }

// The weekly standup at 09:00 New York: 13:00Z in summer time, 14:00Z
// after the clocks go back on 1 November, and not on 9 November.
var weeklyWant = []Interval{
	iv("2026-10-19T13:00:00Z", "2026-10-19T14:00:00Z"),
	iv("2026-10-26T13:00:00Z", "2026-10-26T14:00:00Z"),
	iv("2026-11-02T14:00:00Z", "2026-11-02T15:00:00Z"),
	iv("2026-11-16T14:00:00Z", "2026-11-16T15:00:00Z"),
	iv("2026-11-23T14:00:00Z", "2026-11-23T15:00:00Z"),
}

func TestExpand(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		name string
		ics  string
		want []Interval
	}{
		{"weekly with EXDATE across DST, IANA TZID", weekly("America/New_York"), weeklyWant},
		{"weekly, TZID from the feed's VTIMEZONE", customEastern + "\n" + weekly("Eastern Custom"), weeklyWant},
		{"weekly, TZID with an exporter's path", weekly("/mozilla.org/20050126_1/America/New_York"), weeklyWant},
		{"overridden instance moves", weekly("America/New_York") + `
BEGIN:VEVENT
UID:weekly
DTSTAMP:20261001T000000Z
RECURRENCE-ID;TZID=America/New_York:20261116T090000
DTSTART;TZID=America/New_York:20261116T110000
DTEND;TZID=America/New_York:20261116T120000
END:VEVENT`, []Interval{weeklyWant[0], weeklyWant[1], weeklyWant[2],
			iv("2026-11-16T16:00:00Z", "2026-11-16T17:00:00Z"), weeklyWant[4]}},
		{"overridden instance cancelled", weekly("America/New_York") + `
BEGIN:VEVENT
UID:weekly
RECURRENCE-ID:20261116T140000Z
DTSTART;TZID=America/New_York:20261116T090000
DTEND;TZID=America/New_York:20261116T100000
STATUS:CANCELLED
END:VEVENT`, []Interval{weeklyWant[0], weeklyWant[1], weeklyWant[2], weeklyWant[4]}},
		{"all-day event in the host's zone", `BEGIN:VEVENT
UID:a
DTSTART;VALUE=DATE:20261103
DTEND;VALUE=DATE:20261105
END:VEVENT`, []Interval{iv("2026-11-02T23:00:00Z", "2026-11-04T23:00:00Z")}},
		{"all-day without DTEND is one day", `BEGIN:VEVENT
UID:a
DTSTART;VALUE=DATE:20261103
END:VEVENT`, []Interval{iv("2026-11-02T23:00:00Z", "2026-11-03T23:00:00Z")}},
		{"transparent, cancelled and declined are free", `BEGIN:VEVENT
UID:t
DTSTART:20261103T100000Z
DTEND:20261103T110000Z
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:c
DTSTART:20261103T120000Z
DTEND:20261103T130000Z
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:d
DTSTART:20261103T140000Z
DTEND:20261103T150000Z
ATTENDEE;PARTSTAT=DECLINED:mailto:Host@Example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:other@example.com
END:VEVENT
BEGIN:VEVENT
UID:e
DTSTART:20261103T160000Z
DTEND:20261103T170000Z
ATTENDEE;PARTSTAT=DECLINED:mailto:other@example.com
TRANSP:OPAQUE
END:VEVENT`, []Interval{iv("2026-11-03T16:00:00Z", "2026-11-03T17:00:00Z")}},
		{"floating time in the host's zone, DURATION", `BEGIN:VEVENT
UID:f
DTSTART:20261110T090000
DURATION:PT90M
END:VEVENT`, []Interval{iv("2026-11-10T08:00:00Z", "2026-11-10T09:30:00Z")}},
		{"RDATE adds, COUNT ends", `BEGIN:VEVENT
UID:r
DTSTART:20261102T100000Z
DTEND:20261102T103000Z
RRULE:FREQ=DAILY;COUNT=2
RDATE:20261110T100000Z,20261112T100000Z
END:VEVENT`, []Interval{
			iv("2026-11-02T10:00:00Z", "2026-11-02T10:30:00Z"), iv("2026-11-03T10:00:00Z", "2026-11-03T10:30:00Z"),
			iv("2026-11-10T10:00:00Z", "2026-11-10T10:30:00Z"), iv("2026-11-12T10:00:00Z", "2026-11-12T10:30:00Z")}},
		{"UNTIL in UTC includes the last instance east of UTC", `BEGIN:VEVENT
UID:u
DTSTART;TZID=Europe/Berlin:20261102T090000
DTEND;TZID=Europe/Berlin:20261102T100000
RRULE:FREQ=DAILY;UNTIL=20261103T080000Z
END:VEVENT`, []Interval{iv("2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z"), iv("2026-11-03T08:00:00Z", "2026-11-03T09:00:00Z")}},
		{"window bounds: before and after left out, a long one reaching in kept", `BEGIN:VEVENT
UID:old
DTSTART:20261001T100000Z
DTEND:20261001T110000Z
END:VEVENT
BEGIN:VEVENT
UID:late
DTSTART:20261201T100000Z
DTEND:20261201T110000Z
END:VEVENT
BEGIN:VEVENT
UID:long
DTSTART:20261017T000000Z
DTEND:20261020T000000Z
END:VEVENT`, []Interval{iv("2026-10-17T00:00:00Z", "2026-10-20T00:00:00Z")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal, err := Parse(strings.NewReader(vcal(tt.ics)))
			if err != nil {
				t.Fatal(err)
			}
			got, bad := Expand([]*ical.Calendar{cal}, ExpandOptions{From: at("2026-10-18T00:00:00Z"), To: at("2026-11-30T00:00:00Z"),
				Host: berlin, Self: []string{"host@example.com"}})
			if bad != 0 {
				t.Errorf("%d events unreadable", bad)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("busy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpandSkipsBadEvents(t *testing.T) {
	cal, err := Parse(strings.NewReader(vcal(`BEGIN:VEVENT
UID:bad
DTSTART:2026-11-02
END:VEVENT
BEGIN:VEVENT
UID:fast
DTSTART:20261102T100000Z
DTEND:20261102T100001Z
RRULE:FREQ=SECONDLY
END:VEVENT
BEGIN:VEVENT
UID:good
DTSTART:20261102T100000Z
DTEND:20261102T110000Z
END:VEVENT`)))
	if err != nil {
		t.Fatal(err)
	}
	got, bad := Expand([]*ical.Calendar{cal}, ExpandOptions{From: at("2026-11-01T00:00:00Z"), To: at("2026-11-03T00:00:00Z")})
	if bad != 2 || len(got) != 1 || !got[0].Start.Equal(at("2026-11-02T10:00:00Z")) {
		t.Fatalf("got %v with %d bad, want the good event and 2 bad", got, bad)
	}
}
