package vidivo_test

import (
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
)

func TestLinkState(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 15, 14, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	n := func(v int) *int { return &v }
	for _, tc := range []struct {
		name string
		link vidivo.Link
		want vidivo.LinkState
	}{
		{"plain", vidivo.Link{Active: true}, vidivo.LinkUsable},
		{"deleted", vidivo.Link{Active: false}, vidivo.LinkDeleted},
		{"expires later", vidivo.Link{Active: true, ExpiresAt: at(time.Second)}, vidivo.LinkUsable},
		{"expires now", vidivo.Link{Active: true, ExpiresAt: at(0)}, vidivo.LinkExpired},
		{"expired", vidivo.Link{Active: true, ExpiresAt: at(-time.Hour)}, vidivo.LinkExpired},
		{"uses left", vidivo.Link{Active: true, MaxUses: n(2), UseCount: 1}, vidivo.LinkUsable},
		{"uses gone", vidivo.Link{Active: true, MaxUses: n(1), UseCount: 1}, vidivo.LinkExhausted},
		{"before window", vidivo.Link{Active: true, ScheduledStart: at(time.Minute), ScheduledEnd: at(time.Hour)}, vidivo.LinkNotOpen},
		{"window opens now", vidivo.Link{Active: true, ScheduledStart: at(0), ScheduledEnd: at(time.Hour)}, vidivo.LinkUsable},
		{"window closed", vidivo.Link{Active: true, ScheduledStart: at(-2 * time.Hour), ScheduledEnd: at(-time.Hour)}, vidivo.LinkExpired},
		{"deleted wins over expired", vidivo.Link{Active: false, ExpiresAt: at(-time.Hour)}, vidivo.LinkDeleted},
		{"expired wins over exhausted", vidivo.Link{Active: true, ExpiresAt: at(-time.Hour), MaxUses: n(1), UseCount: 1}, vidivo.LinkExpired},
	} {
		if got := tc.link.State(now); got != tc.want {
			t.Errorf("%s: State = %v, want %v", tc.name, got, tc.want)
		}
	}
	for state, code := range map[vidivo.LinkState]string{
		vidivo.LinkUsable: "", vidivo.LinkNotOpen: "", vidivo.LinkDeleted: vidivo.ENOTFOUND,
		vidivo.LinkExpired: vidivo.ELINKEXPIRED, vidivo.LinkExhausted: vidivo.ELINKEXHAUSTED,
	} {
		if got := vidivo.ErrorCode(state.ViewError()); got != code {
			t.Errorf("state %v ViewError code = %q, want %q", state, got, code)
		}
	}
}

func TestLinkInputValidate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 15, 14, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	n := func(v int) *int { return &v }
	s := func(v string) *string { return &v }
	valid := func() vidivo.LinkInput { return vidivo.LinkInput{Rate: "2.50", WindowMinutes: 10} }
	for _, tc := range []struct {
		name   string
		edit   func(*vidivo.LinkInput)
		fields string
	}{
		{"valid", func(*vidivo.LinkInput) {}, ""},
		{"everything set", func(in *vidivo.LinkInput) {
			in.ExpiresAt, in.MaxUses, in.Label = at(time.Hour), n(1), s("Session with Alex")
			in.ScheduledStart, in.ScheduledEnd = at(time.Minute), at(time.Hour)
		}, ""},
		{"rate min", func(in *vidivo.LinkInput) { in.Rate = "0.5" }, ""},
		{"rate max", func(in *vidivo.LinkInput) { in.Rate = "999.99" }, ""},
		{"rate low", func(in *vidivo.LinkInput) { in.Rate = "0.49" }, "rate_per_minute"},
		{"rate high", func(in *vidivo.LinkInput) { in.Rate = "1000" }, "rate_per_minute"},
		{"rate bad", func(in *vidivo.LinkInput) { in.Rate = "two" }, "rate_per_minute"},
		{"window 0", func(in *vidivo.LinkInput) { in.WindowMinutes = 0 }, "window_size_minutes"},
		{"window 61", func(in *vidivo.LinkInput) { in.WindowMinutes = 61 }, "window_size_minutes"},
		{"expires now", func(in *vidivo.LinkInput) { in.ExpiresAt = at(0) }, "expires_at"},
		{"max uses 0", func(in *vidivo.LinkInput) { in.MaxUses = n(0) }, "max_uses"},
		{"label 121", func(in *vidivo.LinkInput) { in.Label = s(strings.Repeat("a", 121)) }, "label"},
		{"label 120 multibyte", func(in *vidivo.LinkInput) { in.Label = s(strings.Repeat("ü", 120)) }, ""},
		{"end at start", func(in *vidivo.LinkInput) { in.ScheduledStart, in.ScheduledEnd = at(time.Hour), at(time.Hour) }, "scheduled_end"},
		{"end in the past", func(in *vidivo.LinkInput) { in.ScheduledEnd = at(-time.Hour) }, "scheduled_end"},
		{"several", func(in *vidivo.LinkInput) { in.Rate, in.WindowMinutes = "", 0 }, "rate_per_minute,window_size_minutes"},
	} {
		in := valid()
		tc.edit(&in)
		l, err := in.Validate("host-1", now)
		var fields []string
		for _, d := range vidivo.ErrorDetails(err) {
			fields = append(fields, d.Field)
		}
		if got := strings.Join(fields, ","); got != tc.fields {
			t.Errorf("%s: fields %q, want %q (%v)", tc.name, got, tc.fields, err)
			continue
		}
		if tc.fields == "" && (l.HostID != "host-1" || !l.Active || l.Rate < vidivo.MinRate) {
			t.Errorf("%s: link = %+v", tc.name, l)
		}
	}
}
