package vidivo

import (
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TextRule says what a free-text field may hold. The zero value is an
// optional single line of any length; set Max for a limit.
type TextRule struct {
	// Required refuses the empty string.
	Required bool
	// Max is the most characters (runes, not bytes) allowed; 0 means no limit
	// beyond the request size.
	Max int
	// Multiline allows line feeds, carriage returns and tabs, for notes and
	// descriptions. Without it (labels, names, ids) they are refused.
	Multiline bool
}

// CheckText is the one rule for free text that reaches storage: it must be
// valid UTF-8 without NUL or other control characters (a newline, carriage
// return and tab only where r.Multiline allows them; Unicode line and
// paragraph separators likewise), and at most r.Max characters long. It
// returns nil if s is acceptable, or a FieldError naming field. PostgreSQL
// refuses NUL and invalid UTF-8 in text columns, so every string field must
// pass this (or a stricter check) before it is stored or used in a query.
func CheckText(field, s string, r TextRule) *FieldError {
	if issue := TextIssue(s, r); issue != "" {
		return &FieldError{Field: field, Issue: issue}
	}
	return nil
}

// TextIssue returns what is wrong with s under r, or "". It is CheckText for
// callers that collect issues as strings.
func TextIssue(s string, r TextRule) string {
	if s == "" {
		if r.Required {
			return "is required"
		}
		return ""
	}
	// Spaces alone are no name, no label, no anything a person can read.
	if r.Required && strings.TrimSpace(s) == "" {
		return "is required"
	}
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	if r.Max > 0 && utf8.RuneCountInString(s) > r.Max {
		return "must be at most " + strconv.Itoa(r.Max) + " characters"
	}
	if i := strings.IndexFunc(s, r.refuses); i >= 0 {
		if c, _ := utf8.DecodeRuneInString(s[i:]); r.Multiline || !isLineBreak(c) {
			return "must not contain control characters"
		}
		return "must be a single line"
	}
	return ""
}

// refuses reports whether c may not appear under r.
func (r TextRule) refuses(c rune) bool {
	if isLineBreak(c) || c == '\t' {
		return !r.Multiline
	}
	return unicode.IsControl(c)
}

func isLineBreak(c rune) bool { return c == '\n' || c == '\r' || c == '\u2028' || c == '\u2029' }

// CheckEmail is the one email rule: an address such as jane@example.com,
// alone (no display name or angle brackets), at most MaxEmailLen bytes,
// with a dot in its domain, and text CheckText accepts. It returns what is
// wrong, or "". Callers normalize first (NormalizeEmail) so comparisons and
// uniqueness are case-insensitive.
func CheckEmail(email string) string {
	if email == "" {
		return "is required"
	}
	if len(email) > MaxEmailLen {
		return "must be at most 254 characters"
	}
	if issue := TextIssue(email, TextRule{}); issue != "" {
		return issue
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@'):], ".") {
		return "must be a valid email address"
	}
	return ""
}

// NormalizeEmail trims spaces and lower-cases an email address, so
// "Jane@Example.com" and "jane@example.com" are one account.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// IsID reports whether s has the shape of a stored id: a ULID as ids are
// minted, 26 upper-case characters of Crockford base32. Paths whose id
// fails this can name no record, so handlers answer 404 without asking the
// store.
func IsID(s string) bool {
	if len(s) != 26 || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(crockford, s[i]) < 0 {
			return false
		}
	}
	return true
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// IsShortCode reports whether s has the shape of a link's short code: 8 to
// 64 base62 characters. Anything else names no link.
func IsShortCode(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// MaxPaymentMethodIDLen bounds a payment method id (Stripe's are ~30).
const MaxPaymentMethodIDLen = 255

// CheckPaymentMethodID is the one rule for a payment method id from a
// client: required, one line of at most 255 characters, no control
// characters. It returns what is wrong, or "". Check it before any ledger
// row or gateway request is made: an id that fails here can never succeed.
func CheckPaymentMethodID(id string) string {
	if strings.TrimSpace(id) == "" {
		return "is required"
	}
	return TextIssue(id, TextRule{Max: MaxPaymentMethodIDLen})
}

// CheckGuestName is the one rule for a guest's name (link and scheduled
// joins alike): optional, one line of at most MaxDisplayNameLen
// characters. Callers trim spaces first. It returns what is wrong, or "".
func CheckGuestName(name string) string {
	return TextIssue(name, TextRule{Max: MaxDisplayNameLen})
}

// CheckNote is the one rule for a booking's note and a cancellation's
// reason: optional, at most MaxNoteLen characters, several lines allowed,
// no other control characters. It returns what is wrong, or "".
func CheckNote(note string) string {
	return TextIssue(note, TextRule{Max: MaxNoteLen, Multiline: true})
}
