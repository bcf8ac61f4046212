package vidivo_test

import (
	"testing"
	"time"

	"github.com/vidivo/vidivo"
)

func TestCallStateMachine(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		from vidivo.CallStatus
		move func(*vidivo.Call) error
		want vidivo.CallStatus // "" when the move is refused
	}{
		{"ring a waiting call", vidivo.CallWaiting, func(c *vidivo.Call) error { return c.Ring(at) }, vidivo.CallRinging},
		{"ring a ringing call", vidivo.CallRinging, func(c *vidivo.Call) error { return c.Ring(at) }, ""},
		{"ring an active call", vidivo.CallActive, func(c *vidivo.Call) error { return c.Ring(at) }, ""},
		{"activate a waiting call", vidivo.CallWaiting, func(c *vidivo.Call) error { return c.Activate(at) }, vidivo.CallActive},
		{"activate a ringing call", vidivo.CallRinging, func(c *vidivo.Call) error { return c.Activate(at) }, vidivo.CallActive},
		{"activate an active call", vidivo.CallActive, func(c *vidivo.Call) error { return c.Activate(at) }, ""},
		{"activate a missed call", vidivo.CallMissed, func(c *vidivo.Call) error { return c.Activate(at) }, ""},
		{"end an active call", vidivo.CallActive, func(c *vidivo.Call) error { return c.End(vidivo.EndUserEnded, at) }, vidivo.CallCompleted},
		{"end a ringing call", vidivo.CallRinging, func(c *vidivo.Call) error { return c.End(vidivo.EndHostEnded, at) }, vidivo.CallCompleted},
		{"billing error fails it", vidivo.CallActive, func(c *vidivo.Call) error { return c.End(vidivo.EndBillingError, at) }, vidivo.CallFailed},
		{"no-show of a waiting call", vidivo.CallWaiting, func(c *vidivo.Call) error { return c.End(vidivo.EndNoShow, at) }, vidivo.CallMissed},
		{"no-show of an active call", vidivo.CallActive, func(c *vidivo.Call) error { return c.End(vidivo.EndNoShow, at) }, ""},
		{"decline a ringing call", vidivo.CallRinging, func(c *vidivo.Call) error { return c.End(vidivo.EndDeclined, at) }, vidivo.CallMissed},
		{"decline a waiting call", vidivo.CallWaiting, func(c *vidivo.Call) error { return c.End(vidivo.EndDeclined, at) }, vidivo.CallMissed},
		{"decline an active call", vidivo.CallActive, func(c *vidivo.Call) error { return c.End(vidivo.EndDeclined, at) }, ""},
		{"end a completed call", vidivo.CallCompleted, func(c *vidivo.Call) error { return c.End(vidivo.EndUserEnded, at) }, ""},
		{"end a failed call", vidivo.CallFailed, func(c *vidivo.Call) error { return c.End(vidivo.EndUserEnded, at) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &vidivo.Call{Status: tt.from}
			err := tt.move(c)
			if tt.want == "" {
				if vidivo.ErrorCode(err) != vidivo.ECONFLICT {
					t.Fatalf("err = %v, want ECONFLICT", err)
				}
				if c.Status != tt.from {
					t.Errorf("status = %s after a refused move, want %s unchanged", c.Status, tt.from)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if c.Status != tt.want {
				t.Errorf("status = %s, want %s", c.Status, tt.want)
			}
			if !vidivo.CanTransition(tt.from, tt.want) {
				t.Errorf("the move %s → %s is not in the transition table", tt.from, tt.want)
			}
		})
	}
}

func TestCallMovesSetTheirTimes(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	c := &vidivo.Call{Status: vidivo.CallWaiting}
	if err := c.Activate(t0); err != nil {
		t.Fatal(err)
	}
	if c.ActiveAt == nil || !c.ActiveAt.Equal(t0) || c.RingingAt == nil || !c.RingingAt.Equal(t0) {
		t.Errorf("activate straight from waiting: active_at %v, ringing_at %v; want both %v", c.ActiveAt, c.RingingAt, t0)
	}
	t1 := t0.Add(7 * time.Minute)
	if err := c.End(vidivo.EndHostEnded, t1); err != nil {
		t.Fatal(err)
	}
	if c.EndedAt == nil || !c.EndedAt.Equal(t1) || c.EndReason == nil || *c.EndReason != vidivo.EndHostEnded {
		t.Errorf("end: ended_at %v, reason %v; want %v, host_ended", c.EndedAt, c.EndReason, t1)
	}
}

func TestFromListsOnlyOpenStatuses(t *testing.T) {
	t.Parallel()
	for _, to := range vidivo.CallStatuses {
		for _, from := range vidivo.From(to) {
			if from.Ended() {
				t.Errorf("From(%s) includes the final status %s", to, from)
			}
		}
	}
	if got := vidivo.From(vidivo.CallWaiting); len(got) != 0 {
		t.Errorf("From(waiting) = %v, want none: no call goes back to waiting", got)
	}
}
