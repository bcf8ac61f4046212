package vidivo_test

import "fmt"

// errorsJoin wraps err the way storage code does, or makes a plain error.
func errorsJoin(err error) error {
	if err == nil {
		return fmt.Errorf("sqldb: connection refused")
	}
	return fmt.Errorf("sqldb: create user: %w", err)
}
