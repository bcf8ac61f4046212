package web

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vidivo/vidivo/schedule"
)

// The availability editor is a plain form: each day's intervals are
// repeated fields weekly.<day>.start and weekly.<day>.end, paired in
// order; each date override k has override.<k>.date and repeated
// override.<k>.start and override.<k>.end. A row left empty is no
// interval; an override without a date or hours is no override. Without
// JavaScript a few empty rows stand ready; availability.js adds and
// removes rows.

// weekDays are the days of the editor, in the order the API sorts them.
var weekDays = []struct{ Name, Label string }{
	{"monday", "Monday"}, {"tuesday", "Tuesday"}, {"wednesday", "Wednesday"}, {"thursday", "Thursday"},
	{"friday", "Friday"}, {"saturday", "Saturday"}, {"sunday", "Sunday"},
}

// availForm is the editor's fields as text, as posted or as stored, with
// the message of each bad one.
type availForm struct {
	Timezone  string
	Zones     []string
	Days      []dayRows
	Overrides []overrideRows
	// NextOverride is the index of the next override a script adds.
	NextOverride                                      int
	SlotMinutes, BufferBefore, BufferAfter, MinNotice string
	MaxDaysAhead, Rate, Window, MaxPerGuest           string
	RequirePaymentMethod                              bool
	Error                                             string
	// Fields are the messages of the form's single fields, by name.
	Fields map[string]string
}

// dayRows is one weekday's intervals.
type dayRows struct {
	Name, Label string
	Rows        []intervalRow
	Error       string
}

// intervalRow is one interval's two fields. Spare rows are the empty ones
// offered for new intervals.
type intervalRow struct {
	// Name is the fields' name prefix (weekly.monday), ID the prefix of
	// their ids and Label of their accessible names ("Monday, hours 1").
	Name, ID, Label      string
	Start, End           string
	StartError, EndError string
	Spare                bool
}

// overrideRows is one date override: k indexes its field names.
type overrideRows struct {
	K               int
	Label           string
	Date, DateError string
	Error           string
	Rows            []intervalRow
	Spare           bool
}

// formOf shows a stored availability in the form.
func formOf(a schedule.Availability) *availForm {
	f := &availForm{
		Timezone: a.Timezone, SlotMinutes: strconv.Itoa(a.SlotMinutes),
		BufferBefore: strconv.Itoa(a.BufferBeforeMinutes), BufferAfter: strconv.Itoa(a.BufferAfterMinutes),
		MinNotice: strconv.Itoa(a.MinNoticeMinutes), MaxDaysAhead: strconv.Itoa(a.MaxDaysAhead),
		MaxPerGuest: strconv.Itoa(a.MaxUpcomingBookingsPerGuest), RequirePaymentMethod: a.RequirePaymentMethod,
	}
	if a.RatePerMinute != nil {
		f.Rate = *a.RatePerMinute
	}
	if a.WindowSizeMinutes != nil {
		f.Window = strconv.Itoa(*a.WindowSizeMinutes)
	}
	for _, d := range weekDays {
		day := dayRows{Name: d.Name, Label: d.Label}
		for _, wd := range a.Weekly {
			if wd.Day == d.Name {
				day.Rows = rowsOf(wd.Intervals)
			}
		}
		f.Days = append(f.Days, day)
	}
	for k, o := range a.Overrides {
		f.Overrides = append(f.Overrides, overrideRows{K: k, Date: o.Date, Rows: rowsOf(o.Intervals)})
	}
	return f
}

func rowsOf(ivs []schedule.Interval) []intervalRow {
	rows := make([]intervalRow, 0, len(ivs))
	for _, iv := range ivs {
		rows = append(rows, intervalRow{Start: iv.Start, End: iv.End})
	}
	return rows
}

// maxOverrideFields bounds the override indexes read from a form, so a
// crafted form cannot make the parser loop over millions of keys.
const maxOverrideFields = schedule.MaxOverrides + 64

var overrideKey = regexp.MustCompile(`^override\.([0-9]{1,4})\.(date|start|end)$`)

// parseAvailForm reads a posted editor. Empty rows and empty overrides are
// dropped; everything else is kept as typed, for the domain to judge.
func parseAvailForm(r *http.Request) *availForm {
	pf := r.PostForm
	v := func(name string) string { return strings.TrimSpace(pf.Get(name)) }
	f := &availForm{
		Timezone: v("timezone"), SlotMinutes: v("slot_minutes"), BufferBefore: v("buffer_before_minutes"),
		BufferAfter: v("buffer_after_minutes"), MinNotice: v("min_notice_minutes"), MaxDaysAhead: v("max_days_ahead"),
		Rate: v("rate_per_minute"), Window: v("window_size_minutes"), MaxPerGuest: v("max_upcoming_bookings_per_guest"),
		RequirePaymentMethod: pf.Get("require_payment_method") == "true",
	}
	for _, d := range weekDays {
		f.Days = append(f.Days, dayRows{Name: d.Name, Label: d.Label, Rows: parseRows(pf["weekly."+d.Name+".start"], pf["weekly."+d.Name+".end"])})
	}
	var ks []int
	for key := range pf {
		if m := overrideKey.FindStringSubmatch(key); m != nil && len(ks) < maxOverrideFields {
			k, _ := strconv.Atoi(m[1])
			if !slices.Contains(ks, k) {
				ks = append(ks, k)
			}
		}
	}
	slices.Sort(ks)
	for _, k := range ks {
		p := "override." + strconv.Itoa(k) + "."
		o := overrideRows{K: k, Date: v(p + "date"), Rows: parseRows(pf[p+"start"], pf[p+"end"])}
		if o.Date != "" || len(o.Rows) > 0 {
			f.Overrides = append(f.Overrides, o)
		}
	}
	return f
}

// parseRows pairs a day's start and end fields in order, dropping rows
// left empty.
func parseRows(starts, ends []string) []intervalRow {
	var rows []intervalRow
	for i := range max(len(starts), len(ends)) {
		row := intervalRow{Start: at(starts, i), End: at(ends, i)}
		if row.Start != "" || row.End != "" {
			rows = append(rows, row)
		}
	}
	return rows
}

func at(list []string, i int) string {
	if i < len(list) {
		return strings.TrimSpace(list[i])
	}
	return ""
}

// formPaths remember where each entry of the document came from in the
// form: weekly[i] is Days[weekly[i]], overrides[i] is Overrides[i].
type formPaths struct{ weekly []int }

// availability is the document the form says. A number that is missing
// or not a number becomes -1, outside every range, so the domain's
// message ("must be an integer from 5 to 480") explains it.
func (f *availForm) availability() (schedule.Availability, formPaths) {
	a := schedule.Availability{
		Timezone: f.Timezone, Weekly: []schedule.WeeklyDay{}, Overrides: []schedule.Override{},
		SlotMinutes: number(f.SlotMinutes, -1), BufferBeforeMinutes: number(f.BufferBefore, 0),
		BufferAfterMinutes: number(f.BufferAfter, 0), MinNoticeMinutes: number(f.MinNotice, 0),
		MaxDaysAhead: number(f.MaxDaysAhead, -1), MaxUpcomingBookingsPerGuest: number(f.MaxPerGuest, -1),
		RequirePaymentMethod: f.RequirePaymentMethod,
	}
	if f.Rate != "" {
		rate := f.Rate
		a.RatePerMinute = &rate
	}
	if f.Window != "" {
		w := number(f.Window, -1)
		a.WindowSizeMinutes = &w
	}
	var p formPaths
	for i, d := range f.Days {
		if len(d.Rows) > 0 {
			a.Weekly = append(a.Weekly, schedule.WeeklyDay{Day: d.Name, Intervals: intervals(d.Rows)})
			p.weekly = append(p.weekly, i)
		}
	}
	for _, o := range f.Overrides {
		a.Overrides = append(a.Overrides, schedule.Override{Date: o.Date, Intervals: intervals(o.Rows)})
	}
	return a, p
}

func intervals(rows []intervalRow) []schedule.Interval {
	out := make([]schedule.Interval, 0, len(rows))
	for _, r := range rows {
		out = append(out, schedule.Interval{Start: r.Start, End: r.End})
	}
	return out
}

// number parses a whole number; empty is def, anything else -1.
func number(s string, def int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

var docPath = regexp.MustCompile(`^(weekly|overrides)\[([0-9]+)\](?:\.(day|date|intervals)(?:\[([0-9]+)\]\.(start|end))?)?$`)

// explain puts the domain's refusal next to the fields it names: a path
// such as weekly[0].intervals[1].start is the second row of the first
// day the form listed.
func (f *availForm) explain(err error, p formPaths) {
	// The domain's message names fields by their paths in the document;
	// people get the messages next to the fields instead.
	_, fields := formError(err)
	f.Error = "Your availability was not saved. Please correct the fields marked below."
	f.Fields = map[string]string{}
	for path, issue := range fields {
		if strings.HasPrefix(issue, "overlaps ") {
			issue = "overlaps another interval of the same day"
		}
		m := docPath.FindStringSubmatch(path)
		if m == nil {
			f.Fields[path] = issue
			continue
		}
		i, _ := strconv.Atoi(m[2])
		var rows []intervalRow
		var whole *string
		switch {
		case m[1] == "weekly" && i < len(p.weekly):
			d := &f.Days[p.weekly[i]]
			rows, whole = d.Rows, &d.Error
		case m[1] == "overrides" && i < len(f.Overrides):
			o := &f.Overrides[i]
			rows, whole = o.Rows, &o.Error
			if m[3] == "date" {
				o.DateError = issue
				continue
			}
		default:
			f.Fields[m[1]] = issue
			continue
		}
		j, _ := strconv.Atoi(m[4])
		switch {
		case m[4] == "" || j >= len(rows):
			*whole = issue
		case m[5] == "start":
			rows[j].StartError = issue
		default:
			rows[j].EndError = issue
		}
	}
}

// pad adds the empty rows a browser without JavaScript fills in: each day
// has at least two rows and one empty, each override one empty row, and
// two empty overrides follow.
func (f *availForm) pad() {
	for i := range f.Days {
		d := &f.Days[i]
		for n := 0; n < 1 || len(d.Rows) < 2; n++ {
			d.Rows = append(d.Rows, intervalRow{Spare: true})
		}
	}
	next := 0
	for i := range f.Overrides {
		o := &f.Overrides[i]
		o.Rows = append(o.Rows, intervalRow{Spare: true})
		next = max(next, o.K+1)
	}
	for range 2 {
		f.Overrides = append(f.Overrides, overrideRows{K: next, Spare: true,
			Rows: []intervalRow{{Spare: true}, {Spare: true}}})
		next++
	}
	f.NextOverride = next
	for i := range f.Days {
		d := &f.Days[i]
		labelRows(d.Rows, "weekly."+d.Name, "weekly-"+d.Name, d.Label)
	}
	for i := range f.Overrides {
		o := &f.Overrides[i]
		o.Label = "Date override " + strconv.Itoa(i+1)
		k := strconv.Itoa(o.K)
		labelRows(o.Rows, "override."+k, "override-"+k, o.Label)
	}
	if f.Fields == nil {
		f.Fields = map[string]string{}
	}
}

// label names a form's rows once they are all there.
func labelRows(rows []intervalRow, name, id, label string) {
	for j := range rows {
		n := strconv.Itoa(j)
		rows[j].Name, rows[j].ID, rows[j].Label = name, id+"-"+n, label+", hours "+strconv.Itoa(j+1)
	}
}

// numberField is one numeric field of the editor, for its template.
type numberField struct{ Name, Label, Value, Hint, Error string }

// Num describes a numeric field for the template "number".
func (f *availForm) Num(name, label, value, hint string) numberField {
	return numberField{Name: name, Label: label, Value: value, Hint: hint, Error: f.Fields[name]}
}

// BlankRow and BlankOverride are what availability.js clones; it names
// their fields.
func (f *availForm) BlankRow() intervalRow { return intervalRow{Name: "new", ID: "new", Label: "New"} }

// BlankOverride is an empty date override with one empty row.
func (f *availForm) BlankOverride() overrideRows {
	return overrideRows{K: -1, Label: "Date override", Rows: []intervalRow{f.BlankRow()}}
}
