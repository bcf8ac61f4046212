package ical

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	goical "github.com/emersion/go-ical"
	"github.com/google/go-cmp/cmp"
)

// typicalEvent is a booking like the seed data's: Jane Smith hosts a
// 30-minute career coaching session.
func typicalEvent() Event {
	start := time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC)
	return Event{
		UID:         "01JPB8Q7X3ZK5V9M2N4R6T8W0Y@vidivo",
		Sequence:    0,
		Stamp:       time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC),
		Start:       start,
		End:         start.Add(30 * time.Minute),
		Summary:     "Vidivo call with Jane Smith",
		Description: "Career coaching session\n\nJoin: https://vidivo.example/join/01JPB8Q7X3ZK5V9M2N4R6T8W0Y",
		URL:         "https://vidivo.example/join/01JPB8Q7X3ZK5V9M2N4R6T8W0Y",
		Organizer:   Person{Name: "Jane Smith", Email: "jane@example.com"},
		Attendees:   []Person{{Name: "Sam Lee", Email: "sam@example.com"}},
	}
}

func TestMarshalGolden(t *testing.T) {
	t.Parallel()
	want := strings.Join([]string{
		"BEGIN:VCALENDAR",
		"PRODID:-//Vidivo//Vidivo Calls//EN",
		"VERSION:2.0",
		"CALSCALE:GREGORIAN",
		"METHOD:REQUEST",
		"BEGIN:VEVENT",
		"UID:01JPB8Q7X3ZK5V9M2N4R6T8W0Y@vidivo",
		"SEQUENCE:0",
		"DTSTAMP:20260310T093000Z",
		"DTSTART:20260316T140000Z",
		"DTEND:20260316T143000Z",
		"SUMMARY:Vidivo call with Jane Smith",
		`DESCRIPTION:Career coaching session\n\nJoin: https://vidivo.example/join/01`,
		" JPB8Q7X3ZK5V9M2N4R6T8W0Y",
		"URL:https://vidivo.example/join/01JPB8Q7X3ZK5V9M2N4R6T8W0Y",
		"ORGANIZER;CN=Jane Smith:mailto:jane@example.com",
		"ATTENDEE;CN=Sam Lee:mailto:sam@example.com",
		"STATUS:CONFIRMED",
		"END:VEVENT",
		"END:VCALENDAR",
		"",
	}, "\r\n")
	if diff := cmp.Diff(want, string(typicalEvent().Marshal())); diff != "" {
		t.Errorf("Marshal() mismatch (-want +got):\n%s", diff)
	}
}

func TestMarshalCanceledGolden(t *testing.T) {
	t.Parallel()
	e := typicalEvent()
	e.Canceled = true
	e.Sequence = 2
	e.Stamp = time.Date(2026, 3, 12, 8, 0, 0, 0, time.FixedZone("CET", 3600))
	got := string(e.Marshal())
	for _, line := range []string{"METHOD:CANCEL", "SEQUENCE:2", "DTSTAMP:20260312T070000Z", "STATUS:CANCELLED"} {
		if !strings.Contains(got, "\r\n"+line+"\r\n") {
			t.Errorf("Marshal() of a canceled event lacks line %q:\n%s", line, got)
		}
	}
	for _, line := range []string{"METHOD:REQUEST", "STATUS:CONFIRMED"} {
		if strings.Contains(got, line) {
			t.Errorf("Marshal() of a canceled event has %q:\n%s", line, got)
		}
	}
}

// TestMarshalRoundTrip parses Marshal's output with an independent parser
// and checks that every property decodes to what went in.
func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	const injection = "\r\nBEGIN:VEVENT\r\nSUMMARY:evil\r\nEND:VEVENT"
	tests := []struct {
		name string
		edit func(e *Event)
		// want edits the expected decoding where the output is
		// deliberately not verbatim.
		want func(d *decoded)
	}{
		{name: "typical"},
		{name: "canceled", edit: func(e *Event) {
			e.Canceled = true
			e.Sequence = 3
		}},
		{name: "local times come back as the same instants", edit: func(e *Event) {
			ny, err := time.LoadLocation("America/New_York")
			if err != nil {
				ny = time.FixedZone("EDT", -4*3600)
			}
			e.Start = e.Start.In(ny)
			e.End = e.End.In(ny)
			e.Stamp = e.Stamp.In(ny)
		}},
		{name: "sub-second times are truncated", edit: func(e *Event) {
			e.Start = e.Start.Add(999 * time.Millisecond)
		}, want: func(d *decoded) {
			d.Start = d.Start.Truncate(time.Second)
		}},
		{name: "special characters", edit: func(e *Event) {
			e.Summary = `Call; with, "Jane" \ Smith: 100% 🎉`
			e.Description = "Line one\nLine two; a, b\\c\n\ttabbed: \"quoted\"\n"
			e.Location = "Room 1, Floor 2; Building \\A\\"
			e.UID = `uid,with;odd\chars`
		}},
		{name: "CRLF and lone CR become LF", edit: func(e *Event) {
			e.Description = "one\r\ntwo\rthree\n\rfour"
		}, want: func(d *decoded) {
			d.Description = "one\ntwo\nthree\n\nfour"
		}},
		{name: "control characters are dropped", edit: func(e *Event) {
			e.Summary = "a\x00b\x1bc\x7fd\u0085e"
		}, want: func(d *decoded) {
			d.Summary = "abcde"
		}},
		{name: "invalid UTF-8 becomes U+FFFD", edit: func(e *Event) {
			e.Summary = "caf\xe9 \xff\xfe"
		}, want: func(d *decoded) {
			d.Summary = "caf\uFFFD \uFFFD"
		}},
		{name: "injection in summary, description and location", edit: func(e *Event) {
			e.Summary = "Hi" + injection
			e.Description = "Note" + injection + "\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR"
			e.Location = injection
		}, want: func(d *decoded) {
			d.Summary = "Hi\nBEGIN:VEVENT\nSUMMARY:evil\nEND:VEVENT"
			d.Description = "Note\nBEGIN:VEVENT\nSUMMARY:evil\nEND:VEVENT\nEND:VCALENDAR\nBEGIN:VCALENDAR"
			d.Location = "\nBEGIN:VEVENT\nSUMMARY:evil\nEND:VEVENT"
		}},
		{name: "injection in names and emails", edit: func(e *Event) {
			e.Organizer.Name = "Jane" + injection
			e.Attendees[0].Name = `Sam";ROLE=CHAIR:mailto:x@y` + injection
			e.Organizer.Email = "jane@example.com" + injection
			e.Attendees[0].Email = "sam@example.com?subject=x,other@example.com"
		}, want: func(d *decoded) {
			d.Organizer.Name = "Jane BEGIN:VEVENT SUMMARY:evil END:VEVENT"
			d.Attendees[0].Name = `Sam';ROLE=CHAIR:mailto:x@y BEGIN:VEVENT SUMMARY:evil END:VEVENT`
		}},
		{name: "injection in URL and UID", edit: func(e *Event) {
			e.URL = "https://vidivo.example/join/x" + injection
			e.UID = "u" + injection
		}, want: func(d *decoded) {
			d.URL = "https://vidivo.example/join/x%0D%0ABEGIN:VEVENT%0D%0ASUMMARY:evil%0D%0AEND:VEVENT"
			d.UID = "u\nBEGIN:VEVENT\nSUMMARY:evil\nEND:VEVENT"
		}},
		{name: "names that need quoting", edit: func(e *Event) {
			e.Organizer.Name = "Smith, Jane: PhD; MD"
			e.Attendees[0].Name = `Sam "the man" Lee`
		}, want: func(d *decoded) {
			d.Attendees[0].Name = "Sam 'the man' Lee"
		}},
		{name: "URL with spaces and non-ASCII", edit: func(e *Event) {
			e.URL = "https://vidivo.example/join/ü x?a=1&b=%zz#f"
		}, want: func(d *decoded) {
			d.URL = "https://vidivo.example/join/%C3%BC%20x?a=1&b=%25zz#f"
		}},
		{name: "long multi-byte texts", edit: func(e *Event) {
			e.Summary = strings.Repeat("Звонок с Джейн 📞, ", 12)
			e.Description = strings.Repeat("日本語のメモ；改行\n", 20) + strings.Repeat("é", 200)
			e.Organizer.Name = strings.Repeat("Jäne Smïth ", 10)
		}},
		{name: "several attendees", edit: func(e *Event) {
			e.Attendees = append(e.Attendees, Person{Name: "Ana", Email: "ana@example.com"}, Person{Email: "noname@example.com"})
		}},
		{name: "optional fields empty", edit: func(e *Event) {
			e.Description = ""
			e.URL = ""
			e.Location = ""
			e.Summary = ""
			e.Organizer = Person{Name: "No Email"}
			e.Attendees = nil
		}, want: func(d *decoded) {
			d.Organizer = Person{}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := typicalEvent()
			if tt.edit != nil {
				tt.edit(&e)
			}
			want := expected(e)
			if tt.want != nil {
				tt.want(&want)
			}
			out := e.Marshal()
			checkLines(t, out)
			got := mustDecode(t, out)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decoded event mismatch (-want +got):\n%s\noutput:\n%s", diff, out)
			}
		})
	}
}

func TestMarshalFolding(t *testing.T) {
	t.Parallel()
	e := typicalEvent()
	// Texts whose natural cut points fall inside four- and two-octet
	// sequences and between a backslash and what it escapes.
	e.Summary = strings.Repeat("a😀é,", 40)
	e.Description = strings.Repeat("x", 73) + `\\` + strings.Repeat("日", 50)
	e.Location = "a" + strings.Repeat(";", 100)
	out := e.Marshal()
	checkLines(t, out)

	var folded int
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n") {
		if !utf8.ValidString(l) {
			t.Errorf("physical line is cut inside a UTF-8 sequence: %q", l)
		}
		if strings.HasPrefix(l, " ") {
			folded++
		}
	}
	if folded == 0 {
		t.Fatalf("no line was folded:\n%s", out)
	}
	if got := unfold(out); !strings.Contains(got, "SUMMARY:"+escapeText(e.Summary)+"\r\n") {
		t.Errorf("unfolded output lacks the whole SUMMARY line:\n%s", got)
	}
	// No physical line ends in the backslash of an escape.
	for _, l := range strings.Split(string(out), "\r\n") {
		if n := len(l) - len(strings.TrimRight(l, `\`)); n%2 == 1 {
			t.Errorf("physical line ends inside an escape: %q", l)
		}
	}
	want := expected(e)
	if diff := cmp.Diff(want, mustDecode(t, out)); diff != "" {
		t.Errorf("decoded event mismatch (-want +got):\n%s", diff)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(e *Event)
		ok   bool
	}{
		{name: "typical", ok: true},
		{name: "no UID", edit: func(e *Event) { e.UID = "" }},
		{name: "negative sequence", edit: func(e *Event) { e.Sequence = -1 }},
		{name: "no stamp", edit: func(e *Event) { e.Stamp = time.Time{} }},
		{name: "no start", edit: func(e *Event) { e.Start = time.Time{} }},
		{name: "no end", edit: func(e *Event) { e.End = time.Time{} }},
		{name: "ends when it starts", edit: func(e *Event) { e.End = e.Start }},
		{name: "ends before it starts", edit: func(e *Event) { e.End = e.Start.Add(-time.Minute) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := typicalEvent()
			if tt.edit != nil {
				tt.edit(&e)
			}
			if err := e.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// decoded is an event as read back by go-ical.
type decoded struct {
	Method, Status                 string
	UID                            string
	Sequence                       int
	Stamp, Start, End              time.Time
	Summary, Description, Location string
	URL                            string
	Organizer                      Person
	Attendees                      []Person
}

// expected is what decoding Marshal's output should give for e when no
// value needs cleaning.
func expected(e Event) decoded {
	d := decoded{
		Method: "REQUEST", Status: "CONFIRMED",
		UID: cleanText(e.UID), Sequence: e.Sequence,
		Stamp: e.Stamp.UTC(), Start: e.Start.UTC(), End: e.End.UTC(),
		Summary: cleanText(e.Summary), Description: cleanText(e.Description), Location: cleanText(e.Location),
		URL: e.URL,
	}
	if e.Canceled {
		d.Method, d.Status = "CANCEL", "CANCELLED"
	}
	if e.Organizer.Email != "" {
		d.Organizer = Person{Name: cleanParam(e.Organizer.Name), Email: e.Organizer.Email}
	}
	for _, a := range e.Attendees {
		if a.Email != "" {
			d.Attendees = append(d.Attendees, Person{Name: cleanParam(a.Name), Email: a.Email})
		}
	}
	return d
}

// mustDecode parses out with go-ical, requires a single VCALENDAR holding
// exactly one VEVENT with each property at most once (ATTENDEE aside), and
// returns the decoded values.
func mustDecode(tb testing.TB, out []byte) decoded {
	tb.Helper()
	dec := goical.NewDecoder(bytes.NewReader(out))
	cal, err := dec.Decode()
	if err != nil {
		tb.Fatalf("go-ical Decode: %v\noutput:\n%s", err, out)
	}
	if _, err := dec.Decode(); !errors.Is(err, io.EOF) {
		tb.Fatalf("second go-ical Decode = %v, want EOF: the output holds more than one calendar\n%s", err, out)
	}
	if n := len(cal.Children); n != 1 || cal.Children[0].Name != goical.CompEvent {
		tb.Fatalf("calendar has %d children, want one VEVENT\n%s", n, out)
	}
	ev := cal.Children[0]
	if len(ev.Children) != 0 {
		tb.Fatalf("VEVENT has %d child components, want none\n%s", len(ev.Children), out)
	}

	calProps := map[string]string{"PRODID": ProdID, "VERSION": "2.0", "CALSCALE": "GREGORIAN", "METHOD": ""}
	for name, props := range cal.Props {
		want, ok := calProps[name]
		if !ok || len(props) != 1 {
			tb.Fatalf("VCALENDAR has %d unexpected %s properties\n%s", len(props), name, out)
		}
		if want != "" && props[0].Value != want {
			tb.Errorf("VCALENDAR %s = %q, want %q", name, props[0].Value, want)
		}
	}
	allowed := map[string]bool{
		"UID": true, "SEQUENCE": true, "DTSTAMP": true, "DTSTART": true, "DTEND": true,
		"SUMMARY": true, "DESCRIPTION": true, "LOCATION": true, "URL": true,
		"ORGANIZER": true, "ATTENDEE": true, "STATUS": true,
	}
	for name, props := range ev.Props {
		if !allowed[name] || name != "ATTENDEE" && len(props) != 1 {
			tb.Fatalf("VEVENT has %d unexpected %s properties\n%s", len(props), name, out)
		}
	}

	d := decoded{Method: cal.Props.Get("METHOD").Value}
	text := func(name string) string {
		p := ev.Props.Get(name)
		if p == nil {
			return ""
		}
		// Text returns the first item of a list, so an unescaped comma
		// would show as a truncated value.
		l, err := p.TextList()
		if err != nil || len(l) != 1 {
			tb.Fatalf("%s: TextList() = %q, %v; want one item\n%s", name, l, err, out)
		}
		return l[0]
	}
	dateTime := func(name string) time.Time {
		p := ev.Props.Get(name)
		if p == nil {
			tb.Fatalf("VEVENT has no %s\n%s", name, out)
		}
		if !strings.HasSuffix(p.Value, "Z") {
			tb.Errorf("%s = %q, want a UTC time", name, p.Value)
		}
		v, err := p.DateTime(nil)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		return v
	}
	person := func(p goical.Prop) Person {
		u, err := url.Parse(p.Value)
		if err != nil || u.Scheme != "mailto" {
			tb.Fatalf("%s value %q is not a mailto URI (%v)", p.Name, p.Value, err)
		}
		email, err := url.PathUnescape(u.Opaque)
		if err != nil {
			tb.Fatalf("%s value %q: %v", p.Name, p.Value, err)
		}
		return Person{Name: p.Params.Get("CN"), Email: email}
	}

	d.Status = text("STATUS")
	d.UID = text("UID")
	if p := ev.Props.Get("SEQUENCE"); p != nil {
		if d.Sequence, err = p.Int(); err != nil {
			tb.Fatalf("SEQUENCE: %v", err)
		}
	}
	d.Stamp, d.Start, d.End = dateTime("DTSTAMP"), dateTime("DTSTART"), dateTime("DTEND")
	d.Summary, d.Description, d.Location = text("SUMMARY"), text("DESCRIPTION"), text("LOCATION")
	if p := ev.Props.Get("URL"); p != nil {
		u, err := p.URI()
		if err != nil {
			tb.Fatalf("URL %q does not parse: %v", p.Value, err)
		}
		if u.String() != p.Value {
			tb.Errorf("URL %q is not in canonical form %q", p.Value, u.String())
		}
		d.URL = p.Value
	}
	if p := ev.Props.Get("ORGANIZER"); p != nil {
		d.Organizer = person(*p)
	}
	for _, p := range ev.Props.Values("ATTENDEE") {
		d.Attendees = append(d.Attendees, person(p))
	}
	return d
}

// checkLines fails unless every line of out ends in CRLF, holds no other
// CR or LF, is valid UTF-8 and is at most 75 octets long.
func checkLines(tb testing.TB, out []byte) {
	tb.Helper()
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		tb.Errorf("output does not end in CRLF")
	}
	for i, l := range bytes.SplitAfter(out, []byte("\r\n")) {
		if len(l) == 0 {
			continue
		}
		body, ok := bytes.CutSuffix(l, []byte("\r\n"))
		switch {
		case !ok:
			tb.Errorf("line %d does not end in CRLF: %q", i+1, l)
		case bytes.ContainsAny(body, "\r\n"):
			tb.Errorf("line %d holds a bare CR or LF: %q", i+1, l)
		case len(body) > maxLine:
			tb.Errorf("line %d is %d octets long: %q", i+1, len(body), l)
		case !utf8.Valid(body):
			tb.Errorf("line %d is not valid UTF-8: %q", i+1, l)
		case len(body) == 0:
			tb.Errorf("line %d is empty", i+1)
		}
	}
}

// unfold undoes folding as RFC 5545 3.1 describes it.
func unfold(out []byte) string {
	return strings.ReplaceAll(string(out), "\r\n ", "")
}
