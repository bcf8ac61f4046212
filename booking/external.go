package booking

import (
	"context"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/schedule"
)

// External tells when a host is busy elsewhere: the connected calendars
// that check for conflicts (package calendars).
type External interface {
	// ExternalBusy returns the host's busy times overlapping [from, to),
	// cached, or read afresh with fresh. withhold is true while a
	// calendar cannot be read and the host chose to offer nothing then.
	ExternalBusy(ctx context.Context, hostID string, from, to time.Time, fresh bool) (busy []schedule.Busy, withhold bool, err error)
}

// external returns the host's busy times elsewhere in [from, to); while
// slots are withheld, the whole range is busy.
func (s *Service) external(ctx context.Context, hostID string, from, to time.Time, fresh bool) ([]schedule.Busy, bool, error) {
	if s.External == nil {
		return nil, false, nil
	}
	busy, withhold, err := s.External.ExternalBusy(ctx, hostID, from, to, fresh)
	if err != nil {
		return nil, false, err
	}
	if withhold {
		return []schedule.Busy{{Start: from, End: to}}, true, nil
	}
	return busy, false, nil
}

// checkExternal refuses a call [start, start+d) that comes within the
// host's buffers of a busy time in the host's calendars, read afresh so a
// time that became busy a minute ago cannot be booked (ECONFLICT).
func (s *Service) checkExternal(ctx context.Context, hostID string, rules schedule.Rules, start time.Time, d time.Duration) error {
	pad := 24 * time.Hour // wider than any buffer
	busy, withhold, err := s.external(ctx, hostID, start.Add(-pad), start.Add(d+pad), true)
	if err != nil {
		return err
	}
	if withhold {
		return vidivo.Errorf(vidivo.ECONFLICT, "the host's calendar could not be checked right now, so no time can be booked; try again later")
	}
	if rules.Conflicts(start, d, busy) {
		return vidivo.Errorf(vidivo.ECONFLICT, "the host is busy at this time")
	}
	return nil
}
