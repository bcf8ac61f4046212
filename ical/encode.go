package ical

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxLine is the longest a physical line may be, in octets, not counting
// its CRLF (RFC 5545 3.1).
const maxLine = 75

// fold writes line to buf split into physical lines of at most maxLine
// octets, each continuation starting with one space, and ends it with
// CRLF. It cuts only between whole UTF-8 sequences, and never between a
// backslash and the character it escapes: unfolding would rejoin either,
// but not every client unfolds before decoding.
func fold(buf *bytes.Buffer, line string) {
	n := 0 // octets on the current physical line
	for i := 0; i < len(line); {
		size := unitLen(line[i:])
		if n+size > maxLine {
			buf.WriteString("\r\n ")
			n = 1
		}
		buf.WriteString(line[i : i+size])
		n += size
		i += size
	}
	buf.WriteString("\r\n")
}

// unitLen returns the length of the unit fold must not cut at the start of
// s: one UTF-8 sequence, or a backslash and the sequence after it.
func unitLen(s string) int {
	_, size := utf8.DecodeRuneInString(s)
	if s[0] == '\\' && len(s) > 1 {
		_, next := utf8.DecodeRuneInString(s[1:])
		size += next
	}
	return size
}

// cleanText is what escapeText keeps of s: valid UTF-8 (invalid bytes
// become U+FFFD), every line break (CRLF, lone CR, LF) as one LF, and no
// control characters other than tab and LF.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\t' || r == '\n':
			return r
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

// escapeText returns s as an RFC 5545 TEXT value (3.3.11): cleaned by
// cleanText, then backslash, semicolon and comma escaped with a backslash
// and LF written as \n. The result holds no CR, LF or other control
// character, so it cannot end its line or start another property.
func escapeText(s string) string {
	s = cleanText(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch r {
		case '\\', ';', ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cleanParam is what paramValue keeps of s: valid UTF-8, each line break
// and tab as one space, no other control character, DQUOTE (which a
// parameter value cannot hold) as an apostrophe, and no leading or
// trailing space.
func cleanParam(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", " ")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			return ' '
		case r == '"':
			return '\''
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// paramValue returns s as a parameter value (RFC 5545 3.2), cleaned by
// cleanParam and put in double quotes if it holds a colon, semicolon or
// comma. It returns "" if nothing is left, and the caller then leaves the
// parameter out.
func paramValue(s string) string {
	s = cleanParam(s)
	if strings.ContainsAny(s, ":;,") {
		return `"` + s + `"`
	}
	return s
}

// escapeURI returns s with every octet that may not appear in a URI
// (RFC 3986) percent-encoded: spaces, control characters, non-ASCII
// octets, "<>\^`{|}", DQUOTE, and a % that does not start an escape.
// Reserved characters are kept, so a valid URI comes back unchanged.
func escapeURI(s string) string {
	return percentEncode(s, func(s string, i int) bool {
		c := s[i]
		switch {
		case isUnreserved(c) || strings.IndexByte(":/?#[]@!$&'()*+,;=", c) >= 0:
			return true
		case c == '%':
			return i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])
		}
		return false
	})
}

// mailto returns email as a mailto URI (RFC 6068), percent-encoding every
// octet other than the unreserved ones, "!$'()*+" and "@", so that an
// odd address cannot add a header, a second recipient or a line break.
func mailto(email string) string {
	return "mailto:" + percentEncode(email, func(s string, i int) bool {
		c := s[i]
		return isUnreserved(c) || strings.IndexByte("!$'()*+@", c) >= 0
	})
}

// percentEncode writes s with each octet for which keep is false as %XX.
func percentEncode(s string, keep func(s string, i int) bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if keep(s, i) {
			b.WriteByte(s[i])
			continue
		}
		c := s[i]
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xF])
	}
	return b.String()
}

// isUnreserved reports whether c is an RFC 3986 unreserved character.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
