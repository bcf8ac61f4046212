package ical

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	goical "github.com/emersion/go-ical"
)

var fuzzSeeds = []string{
	"",
	"Career coaching session",
	"\r\nBEGIN:VEVENT\r\nSUMMARY:evil\r\nEND:VEVENT",
	"\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\n",
	`a\b;c,d:"e"` + "\n\r\t",
	`\n\N\;\,\\\`,
	"Jane\";ROLE=CHAIR:mailto:x@y",
	strings.Repeat("日本語😀é", 30),
	"\x00\x1b\x7f\u0085\u2028\xff\xfe",
	strings.Repeat("a", 74) + `\`,
}

// FuzzEscapeText checks that an escaped value holds nothing that could end
// its line or its property, and that go-ical decodes it back to the input
// with line breaks normalised to LF.
func FuzzEscapeText(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := escapeText(s)
		if !utf8.ValidString(v) {
			t.Fatalf("escapeText(%q) = %q is not valid UTF-8", s, v)
		}
		for i, r := range v {
			if r < 0x20 && r != '\t' || r == 0x7f {
				t.Fatalf("escapeText(%q) = %q holds control %U at %d", s, v, r, i)
			}
		}
		for i := 0; i < len(v); i++ {
			switch v[i] {
			case '\\':
				i++
				if i == len(v) || !strings.ContainsRune(`\;,n`, rune(v[i])) {
					t.Fatalf("escapeText(%q) = %q has a bad escape at %d", s, v, i-1)
				}
			case ';', ',':
				t.Fatalf("escapeText(%q) = %q has an unescaped %q at %d", s, v, v[i], i)
			}
		}

		var buf bytes.Buffer
		buf.WriteString("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n")
		fold(&buf, "DESCRIPTION:"+v)
		buf.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
		checkLines(t, buf.Bytes())
		cal, err := goical.NewDecoder(&buf).Decode()
		if err != nil {
			t.Fatalf("go-ical cannot decode escapeText(%q) = %q: %v", s, v, err)
		}
		if len(cal.Children) != 1 || len(cal.Children[0].Props) != 1 {
			t.Fatalf("escapeText(%q) = %q decodes to %d components", s, v, len(cal.Children))
		}
		l, err := cal.Children[0].Props.Get("DESCRIPTION").TextList()
		if err != nil || len(l) != 1 {
			t.Fatalf("escapeText(%q) = %q decodes to %q, %v", s, v, l, err)
		}
		if got, want := l[0], cleanText(s); got != want {
			t.Fatalf("escapeText(%q) = %q decodes to %q, want %q", s, v, got, want)
		}
		// Without controls other than line breaks and tabs, nothing but
		// the line breaks changes.
		if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
			return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
		}) {
			want := strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
			if l[0] != want {
				t.Fatalf("escapeText(%q) decodes to %q, want %q", s, l[0], want)
			}
		}
	})
}

// FuzzMarshal puts arbitrary strings in every free-text field and checks
// that the output is still one well-formed calendar holding exactly one
// VEVENT whose values decode to the (cleaned) inputs.
func FuzzMarshal(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, fuzzSeeds[(i+1)%len(fuzzSeeds)], fuzzSeeds[(i+2)%len(fuzzSeeds)], fuzzSeeds[(i+3)%len(fuzzSeeds)], s)
	}
	f.Fuzz(func(t *testing.T, summary, description, organizer, attendee, email string) {
		e := typicalEvent()
		e.Summary = summary
		e.Description = description
		e.Location = summary + description
		e.UID = description
		e.Organizer.Name = organizer
		e.Attendees = append(e.Attendees, Person{Name: attendee, Email: email})
		e.Organizer.Email = email
		if email == "" {
			e.Organizer.Email = "jane@example.com"
		}
		out := e.Marshal()
		checkLines(t, out)
		got := mustDecode(t, out)
		want := expected(e)
		if got.Summary != want.Summary || got.Description != want.Description ||
			got.Location != want.Location || got.UID != want.UID ||
			got.Organizer != want.Organizer || len(got.Attendees) != len(want.Attendees) {
			t.Fatalf("decoded %+v, want %+v\noutput:\n%s", got, want, out)
		}
		for i := range want.Attendees {
			if got.Attendees[i] != want.Attendees[i] {
				t.Fatalf("attendee %d decoded %+v, want %+v", i, got.Attendees[i], want.Attendees[i])
			}
		}
	})
}
