package vidivo_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
)

func TestCheckText(t *testing.T) {
	t.Parallel()
	line := vidivo.TextRule{Max: 5}
	note := vidivo.TextRule{Max: 5, Multiline: true}
	tests := []struct {
		name string
		s    string
		rule vidivo.TextRule
		want *vidivo.FieldError
	}{
		{"empty optional", "", line, nil},
		{"empty required", "", vidivo.TextRule{Required: true}, &vidivo.FieldError{Field: "f", Issue: "is required"}},
		{"spaces alone, required", " \t ", vidivo.TextRule{Required: true}, &vidivo.FieldError{Field: "f", Issue: "is required"}},
		{"spaces alone, optional", "   ", vidivo.TextRule{}, nil},
		{"plain", "hello", line, nil},
		{"five characters of two bytes each", "ééééé", line, nil},
		{"six characters", "héllo!", line, &vidivo.FieldError{Field: "f", Issue: "must be at most 5 characters"}},
		{"no limit", strings.Repeat("a", 10000), vidivo.TextRule{}, nil},
		{"NUL", "a\x00b", line, &vidivo.FieldError{Field: "f", Issue: "must not contain control characters"}},
		{"NUL in a note", "a\x00b", note, &vidivo.FieldError{Field: "f", Issue: "must not contain control characters"}},
		{"invalid UTF-8", "a\xffb", line, &vidivo.FieldError{Field: "f", Issue: "must be valid UTF-8"}},
		{"escape", "a\x1bb", note, &vidivo.FieldError{Field: "f", Issue: "must not contain control characters"}},
		{"DEL", "a\x7fb", line, &vidivo.FieldError{Field: "f", Issue: "must not contain control characters"}},
		{"C1 control", "a\u0085b", note, &vidivo.FieldError{Field: "f", Issue: "must not contain control characters"}},
		{"LF in a line", "a\nb", line, &vidivo.FieldError{Field: "f", Issue: "must be a single line"}},
		{"CR in a line", "a\rb", line, &vidivo.FieldError{Field: "f", Issue: "must be a single line"}},
		{"line separator in a line", "a\u2028b", line, &vidivo.FieldError{Field: "f", Issue: "must be a single line"}},
		{"tab in a line", "a\tb", line, &vidivo.FieldError{Field: "f", Issue: "must not contain control characters"}},
		{"CRLF and tab in a note", "a\r\n\tb", note, nil},
		{"emoji counted as one character", "🙂🙂🙂🙂🙂", line, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := vidivo.CheckText("f", tt.s, tt.rule)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CheckText(%q) (-want +got):\n%s", tt.s, diff)
			}
		})
	}
}

func TestCheckEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		email string
		want  string
	}{
		{"jane@example.com", ""},
		{"", "is required"},
		{"jane", "must be a valid email address"},
		{"jane@localhost", "must be a valid email address"},
		{"Jane <jane@example.com>", "must be a valid email address"},
		{"ja\x00ne@example.com", "must not contain control characters"},
		{"jane@example.com\x00", "must not contain control characters"},
		{"ja\xffne@example.com", "must be valid UTF-8"},
		{"jane@example.com\n", "must be a single line"},
		{strings.Repeat("a", 250) + "@x.io", "must be at most 254 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			t.Parallel()
			if got := vidivo.CheckEmail(tt.email); got != tt.want {
				t.Errorf("CheckEmail(%q) = %q, want %q", tt.email, got, tt.want)
			}
		})
	}
}

func TestIDShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s           string
		id, shortID bool
	}{
		{"01JD3V6Y7Q8R9S0T1V2W3X4Y5Z", true, true},
		{"01jd3v6y7q8r9s0t1v2w3x4y5z", false, true},
		{"81JD3V6Y7Q8R9S0T1V2W3X4Y5Z", false, true}, // overflows 128 bits
		{"01JD3V6Y7Q8R9S0T1V2W3X4Y5U", false, true}, // U is not Crockford
		{"01JD3V6Y7Q8R9S0T1V2W3X4Y5", false, true},
		{"01JD3V6Y7Q8R9S0T1V2W3X4Y\x00Z", false, false},
		{"aB3dE5gH7j", false, true},
		{"aB3dE5g", false, false},
		{"aB3dE5gH7\x00", false, false},
		{"aB3-E5gH7j", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			t.Parallel()
			if got := vidivo.IsID(tt.s); got != tt.id {
				t.Errorf("IsID(%q) = %v, want %v", tt.s, got, tt.id)
			}
			if got := vidivo.IsShortCode(tt.s); got != tt.shortID {
				t.Errorf("IsShortCode(%q) = %v, want %v", tt.s, got, tt.shortID)
			}
		})
	}
}

func TestFieldRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, s string
		check   func(string) string
		want    string
	}{
		{"pm ok", "pm_card_visa", vidivo.CheckPaymentMethodID, ""},
		{"pm empty", "", vidivo.CheckPaymentMethodID, "is required"},
		{"pm blank", "  ", vidivo.CheckPaymentMethodID, "is required"},
		{"pm NUL", "pm_card_visa\x00", vidivo.CheckPaymentMethodID, "must not contain control characters"},
		{"pm newline", "pm\n", vidivo.CheckPaymentMethodID, "must be a single line"},
		{"pm long", strings.Repeat("p", 256), vidivo.CheckPaymentMethodID, "must be at most 255 characters"},
		{"name ok", "Alex Müller", vidivo.CheckGuestName, ""},
		{"name empty", "", vidivo.CheckGuestName, ""},
		{"name NUL", "A\x00", vidivo.CheckGuestName, "must not contain control characters"},
		{"name CRLF", "A\r\nB", vidivo.CheckGuestName, "must be a single line"},
		{"name long", strings.Repeat("é", 101), vidivo.CheckGuestName, "must be at most 100 characters"},
		{"note lines", "Agenda:\r\n\t1. goals", vidivo.CheckNote, ""},
		{"note NUL", "a\x00", vidivo.CheckNote, "must not contain control characters"},
		{"note long", strings.Repeat("n", 1001), vidivo.CheckNote, "must be at most 1000 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.check(tt.s); got != tt.want {
				t.Errorf("check(%q) = %q, want %q", tt.s, got, tt.want)
			}
		})
	}
}
