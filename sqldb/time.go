package sqldb

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// timeLayout is fixed-width UTC with microseconds, PostgreSQL's precision.
// SQLite keeps times as this text, so comparing and ordering the strings
// compares and orders the instants.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// ts is a time argument. Both engines accept its text form: SQLite stores
// it as is, PostgreSQL parses it into timestamptz.
type ts time.Time

func (t ts) Value() (driver.Value, error) {
	return time.Time(t).UTC().Format(timeLayout), nil
}

// nullTS is a nullable time argument.
func nullTS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

// scanTime scans a timestamp column: time.Time from PostgreSQL, text from
// SQLite. A NULL leaves Valid false.
type scanTime struct {
	Time  time.Time
	Valid bool
}

func (s *scanTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		s.Time, s.Valid = time.Time{}, false
		return nil
	case time.Time:
		s.Time, s.Valid = v.UTC(), true
		return nil
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	}
	return fmt.Errorf("sqldb: cannot scan %T into a time", src)
}

func (s *scanTime) parse(v string) error {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("sqldb: bad stored time %q: %w", v, err)
	}
	s.Time, s.Valid = t.UTC(), true
	return nil
}

// ptr returns the time or nil when NULL.
func (s scanTime) ptr() *time.Time {
	if !s.Valid {
		return nil
	}
	t := s.Time
	return &t
}
