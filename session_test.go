package vidivo

import (
	"testing"
	"time"
)

func TestValidateSessionTimes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 16, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		start, end time.Time
		field      string
	}{
		{"an hour from now", now.Add(time.Hour), now.Add(2 * time.Hour), ""},
		{"starting now", now, now.Add(time.Minute), ""},
		{"exactly 8 hours", now, now.Add(8 * time.Hour), ""},
		{"8 hours and a second", now, now.Add(8*time.Hour + time.Second), "end_time"},
		{"a second in the past", now.Add(-time.Second), now.Add(time.Hour), "start_time"},
		{"ends at its start", now.Add(time.Hour), now.Add(time.Hour), "end_time"},
		{"ends before it starts", now.Add(time.Hour), now.Add(time.Minute), "end_time"},
		{"no start", time.Time{}, now, "start_time"},
		{"no end", now, time.Time{}, "end_time"},
	} {
		errs := ValidateSessionTimes(tc.start, tc.end, now)
		switch {
		case tc.field == "" && len(errs) > 0:
			t.Errorf("%s: %v", tc.name, errs)
		case tc.field != "" && (len(errs) != 1 || errs[0].Field != tc.field):
			t.Errorf("%s: %v, want an issue with %s", tc.name, errs, tc.field)
		}
	}
}

func TestSessionEntryOpen(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC)
	s := func(state SessionState) *Session {
		return &Session{State: state, StartTime: start, EndTime: start.Add(time.Hour)}
	}
	for _, tc := range []struct {
		name  string
		state SessionState
		at    time.Time
		code  string
	}{
		{"5 min and 1 s early", SessionScheduled, start.Add(-5*time.Minute - time.Second), ECONFLICT},
		{"5 min early", SessionScheduled, start.Add(-5 * time.Minute), ""},
		{"last second", SessionScheduled, start.Add(time.Hour - time.Second), ""},
		{"at the end", SessionScheduled, start.Add(time.Hour), ELINKEXPIRED},
		{"running over", SessionInProgress, start.Add(5 * time.Hour), ""},
		{"ended", SessionEnded, start.Add(30 * time.Minute), ELINKEXPIRED},
		{"canceled", SessionCanceled, start.Add(30 * time.Minute), ELINKEXPIRED},
	} {
		if got := ErrorCode(s(tc.state).EntryOpen(tc.at)); got != tc.code {
			t.Errorf("%s: code %q, want %q", tc.name, got, tc.code)
		}
	}
}

func TestSessionInputValidate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 16, 12, 0, 0, 0, time.UTC)
	host := ParticipantInput{DisplayName: "H", Role: ParticipantHost}
	guest := ParticipantInput{DisplayName: "G", Role: ParticipantGuest}
	base := func(ps ...ParticipantInput) *SessionInput {
		return &SessionInput{Name: "S", StartTime: now.Add(time.Hour), EndTime: now.Add(2 * time.Hour), Participants: ps}
	}
	for _, tc := range []struct {
		name  string
		in    *SessionInput
		field string
	}{
		{"six", base(host, guest, guest, guest, guest, guest), ""},
		{"seven", base(host, guest, guest, guest, guest, guest, guest), "participants"},
		{"no host", base(guest), "participants"},
		{"host fee", base(ParticipantInput{DisplayName: "H", Role: ParticipantHost, Fee: 100}), "participants[0].fee"},
		{"fee too high", base(host, ParticipantInput{DisplayName: "G", Role: ParticipantGuest, Fee: MaxSessionFee + 1}), "participants[1].fee.amount"},
		{"bad role", base(host, ParticipantInput{DisplayName: "G", Role: "owner"}), "participants[1].role"},
		{"no name", &SessionInput{StartTime: now.Add(time.Hour), EndTime: now.Add(2 * time.Hour), Participants: []ParticipantInput{host}}, "session_name"},
		{"http picture", &SessionInput{Name: "S", Picture: "http://x/p.png", StartTime: now.Add(time.Hour), EndTime: now.Add(2 * time.Hour),
			Participants: []ParticipantInput{host}}, "picture"},
	} {
		err := tc.in.Validate(now)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		found := false
		for _, d := range ErrorDetails(err) {
			found = found || d.Field == tc.field
		}
		if !found {
			t.Errorf("%s: %v, want an issue with %s", tc.name, err, tc.field)
		}
	}
}

func TestSessionUpdateApply(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 16, 12, 0, 0, 0, time.UTC)
	s := &Session{Name: "S", State: SessionScheduled, StartTime: now.Add(time.Hour), EndTime: now.Add(2 * time.Hour)}
	later := now.Add(3 * time.Hour)
	if err := (SessionUpdate{EndTime: &later}).Apply(s, now); err != nil || !s.EndTime.Equal(later) {
		t.Fatalf("apply end = %v, %v", s.EndTime, err)
	}
	past := now.Add(-time.Minute)
	if err := (SessionUpdate{StartTime: &past}).Apply(s, now); ErrorCode(err) != EVALIDATION || !s.StartTime.Equal(now.Add(time.Hour)) {
		t.Fatalf("a past start: %v, and the session changed to %v", err, s.StartTime)
	}
	name := "New"
	s.State = SessionCanceled
	if err := (SessionUpdate{Name: &name}).Apply(s, now); ErrorCode(err) != ECONFLICT {
		t.Fatalf("changing a canceled session: %v", err)
	}
}
