// Package ical writes a booked call as an RFC 5545 iCalendar object: one
// VCALENDAR holding one VEVENT, as an invitation (METHOD:REQUEST) or, once
// the call is canceled, as a cancellation (METHOD:CANCEL).
//
// Marshal never lets a value break out of its property: text is escaped,
// parameter values are quoted and stripped of what they cannot hold, URIs
// are percent-encoded, control characters are dropped, and lines are folded
// at 75 octets on UTF-8 boundaries, every one ending in CRLF.
package ical

import (
	"bytes"
	"errors"
	"strconv"
	"time"
)

// ContentType is the media type of what Marshal returns.
const ContentType = "text/calendar; charset=utf-8"

// ProdID identifies Vidivo as the product that wrote a calendar.
const ProdID = "-//Vidivo//Vidivo Calls//EN"

// Person is an organizer or attendee of an event. It is written as
// ORGANIZER;CN=Jane Smith:mailto:jane@example.com; a Person without an
// Email is left out, since a calendar address needs one.
type Person struct {
	Name  string
	Email string
}

// Event is one calendar event, a booked call.
type Event struct {
	// UID identifies the event for good: an update or a cancellation must
	// carry the same UID as the invitation it replaces.
	UID string
	// Sequence is the revision; calendar clients apply an update only if
	// its Sequence is higher than the one they have.
	Sequence int
	// Stamp is when this revision was written (DTSTAMP).
	Stamp time.Time
	// Start and End bound the event; they are written in UTC.
	Start, End time.Time
	// Summary, Description and Location are free text, written verbatim
	// after escaping. Description is written as given: callers who want
	// the join link in it put it there.
	Summary, Description, Location string
	// URL is the join link; empty leaves the property out.
	URL       string
	Organizer Person
	Attendees []Person
	// Canceled writes METHOD:CANCEL and STATUS:CANCELLED instead of
	// METHOD:REQUEST and STATUS:CONFIRMED.
	Canceled bool
}

// Validate reports whether e makes a usable event: a UID, a Stamp, a
// Start before its End, and a Sequence that is not negative. Marshal does
// not call it; an invalid Event still marshals to well-formed iCalendar.
func (e Event) Validate() error {
	switch {
	case e.UID == "":
		return errors.New("ical: event has no UID")
	case e.Sequence < 0:
		return errors.New("ical: event has a negative sequence")
	case e.Stamp.IsZero():
		return errors.New("ical: event has no stamp")
	case e.Start.IsZero() || e.End.IsZero():
		return errors.New("ical: event has no start or end")
	case !e.Start.Before(e.End):
		return errors.New("ical: event does not end after it starts")
	}
	return nil
}

// Marshal returns e as a complete iCalendar object: a VCALENDAR with
// PRODID, VERSION:2.0, CALSCALE:GREGORIAN and METHOD, holding one VEVENT.
// Lines end in CRLF and are folded at 75 octets. Whatever the strings in e
// hold, the output has exactly one VEVENT and each value stays inside its
// own property.
func (e Event) Marshal() []byte {
	method, status := "REQUEST", "CONFIRMED"
	if e.Canceled {
		method, status = "CANCEL", "CANCELLED"
	}

	var w writer
	w.line("BEGIN:VCALENDAR")
	w.line("PRODID:" + escapeText(ProdID))
	w.line("VERSION:2.0")
	w.line("CALSCALE:GREGORIAN")
	w.line("METHOD:" + method)
	w.line("BEGIN:VEVENT")
	w.line("UID:" + escapeText(e.UID))
	w.line("SEQUENCE:" + strconv.Itoa(e.Sequence))
	w.line("DTSTAMP:" + formatTime(e.Stamp))
	w.line("DTSTART:" + formatTime(e.Start))
	w.line("DTEND:" + formatTime(e.End))
	w.line("SUMMARY:" + escapeText(e.Summary))
	if e.Description != "" {
		w.line("DESCRIPTION:" + escapeText(e.Description))
	}
	if e.Location != "" {
		w.line("LOCATION:" + escapeText(e.Location))
	}
	if e.URL != "" {
		w.line("URL:" + escapeURI(e.URL))
	}
	w.person("ORGANIZER", e.Organizer)
	for _, a := range e.Attendees {
		w.person("ATTENDEE", a)
	}
	w.line("STATUS:" + status)
	w.line("END:VEVENT")
	w.line("END:VCALENDAR")
	return w.buf.Bytes()
}

// formatTime writes t as a UTC DATE-TIME, 20260316T140000Z.
func formatTime(t time.Time) string {
	return t.UTC().Format("20060102T150405Z")
}

// writer accumulates folded content lines.
type writer struct {
	buf bytes.Buffer
}

// line writes one content line, folded, with its CRLF.
func (w *writer) line(s string) {
	fold(&w.buf, s)
}

// person writes an ORGANIZER or ATTENDEE line, or nothing if p has no
// email.
func (w *writer) person(name string, p Person) {
	if p.Email == "" {
		return
	}
	if cn := paramValue(p.Name); cn != "" {
		name += ";CN=" + cn
	}
	w.line(name + ":" + mailto(p.Email))
}
