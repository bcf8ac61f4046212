package ical

import (
	"bytes"
	"strings"
	"testing"
)

func TestEscapeText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Career coaching session", "Career coaching session"},
		{"empty", "", ""},
		{"backslash", `a\b\\c`, `a\\b\\\\c`},
		{"semicolon and comma", "a;b,c", `a\;b\,c`},
		{"colon and quote stay", `a:"b"`, `a:"b"`},
		{"LF", "a\nb", `a\nb`},
		{"CRLF is one line break", "a\r\nb", `a\nb`},
		{"lone CR is a line break", "a\rb", `a\nb`},
		{"LF CR is two", "a\n\rb", `a\n\nb`},
		{"tab stays", "a\tb", "a\tb"},
		{"C0, DEL and C1 controls go", "a\x00\x01\x1b\x7f\u0080\u009fb", "ab"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"non-ASCII stays", "Zoë 日本 🎉", "Zoë 日本 🎉"},
		{"injection", "x\r\nBEGIN:VEVENT\r\nSUMMARY:evil\r\nEND:VEVENT", `x\nBEGIN:VEVENT\nSUMMARY:evil\nEND:VEVENT`},
		{"escaped-looking input", `\n\;`, `\\n\\\;`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := escapeText(tt.in); got != tt.want {
				t.Errorf("escapeText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParamValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Jane Smith", "Jane Smith"},
		{"empty", "", ""},
		{"only space", " \r\n\t", ""},
		{"colon is quoted", "Dr: Jane", `"Dr: Jane"`},
		{"semicolon is quoted", "Jane;ROLE=CHAIR", `"Jane;ROLE=CHAIR"`},
		{"comma is quoted", "Smith, Jane", `"Smith, Jane"`},
		{"DQUOTE becomes apostrophe", `Sam "the man" Lee`, `Sam 'the man' Lee`},
		{"DQUOTE cannot close the quotes", `a";b`, `"a';b"`},
		{"line breaks become spaces", "Jane\r\nSmith\nX\rY", "Jane Smith X Y"},
		{"controls go", "Ja\x00ne\x7f\u0085", "Jane"},
		{"backslash and caret stay", `J\a^ne`, `J\a^ne`},
		{"non-ASCII stays", "Zoë Ångström", "Zoë Ångström"},
		{"invalid UTF-8", "J\xffane", "J\uFFFDane"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := paramValue(tt.in); got != tt.want {
				t.Errorf("paramValue(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEscapeURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"valid URI unchanged", "https://vidivo.example/join/01J?x=1&y=a,b;c#frag", "https://vidivo.example/join/01J?x=1&y=a,b;c#frag"},
		{"escapes kept", "https://x.example/a%20b%2F", "https://x.example/a%20b%2F"},
		{"stray percent encoded", "https://x.example/100%?p=%z1%4", "https://x.example/100%25?p=%25z1%254"},
		{"space and CRLF", "https://x.example/a b\r\nBEGIN:VEVENT", "https://x.example/a%20b%0D%0ABEGIN:VEVENT"},
		{"non-ASCII", "https://x.example/ü", "https://x.example/%C3%BC"},
		{"unsafe ASCII", "https://x.example/\"<>\\^`{|}", "https://x.example/%22%3C%3E%5C%5E%60%7B%7C%7D"},
		{"invalid UTF-8", "https://x.example/\xff", "https://x.example/%FF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := escapeURI(tt.in); got != tt.want {
				t.Errorf("escapeURI(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMailto(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "jane@example.com", "mailto:jane@example.com"},
		{"plus and dots", "jane.smith+vidivo@example.co.uk", "mailto:jane.smith+vidivo@example.co.uk"},
		{"header", "jane@example.com?subject=x&body=y", "mailto:jane@example.com%3Fsubject%3Dx%26body%3Dy"},
		{"second recipient", "a@x.example,b@y.example", "mailto:a@x.example%2Cb@y.example"},
		{"CRLF and space", "a b@x\r\nEND:VEVENT", "mailto:a%20b@x%0D%0AEND%3AVEVENT"},
		{"percent", "a%41@x", "mailto:a%2541@x"},
		{"non-ASCII", "zoë@example.com", "mailto:zo%C3%AB@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := mailto(tt.in); got != tt.want {
				t.Errorf("mailto(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string // physical lines, without CRLF
	}{
		{"short", "SUMMARY:hi", []string{"SUMMARY:hi"}},
		{"exactly 75", strings.Repeat("a", 75), []string{strings.Repeat("a", 75)}},
		{"76", strings.Repeat("a", 76), []string{strings.Repeat("a", 75), " a"}},
		{
			"continuations hold 74 more",
			strings.Repeat("a", 75+74+1),
			[]string{strings.Repeat("a", 75), " " + strings.Repeat("a", 74), " a"},
		},
		{
			"multi-byte sequence is not cut",
			strings.Repeat("a", 73) + "€b", // € is 3 octets: 73+3 > 75
			[]string{strings.Repeat("a", 73), " €b"},
		},
		{
			"four-octet sequence is not cut",
			strings.Repeat("a", 72) + "😀", // 72+4 > 75
			[]string{strings.Repeat("a", 72), " 😀"},
		},
		{
			"escape is not cut",
			strings.Repeat("a", 74) + `\n`,
			[]string{strings.Repeat("a", 74), ` \n`},
		},
		{
			"escaped backslash is not cut",
			strings.Repeat("a", 74) + `\\\,`,
			[]string{strings.Repeat("a", 74), ` \\\,`},
		},
		{"empty", "", []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			fold(&buf, tt.in)
			want := strings.Join(tt.want, "\r\n") + "\r\n"
			if got := buf.String(); got != want {
				t.Errorf("fold(%q) = %q, want %q", tt.in, got, want)
			}
			if got := unfold(buf.Bytes()); got != tt.in+"\r\n" {
				t.Errorf("unfold(fold(%q)) = %q", tt.in, got)
			}
		})
	}
}
