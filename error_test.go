package vidivo_test

import (
	"fmt"
	"testing"

	"github.com/vidivo/vidivo"
)

// errorsJoin wraps err the way storage code does, or makes a plain error.
func errorsJoin(err error) error {
	if err == nil {
		return fmt.Errorf("sqldb: connection refused")
	}
	return fmt.Errorf("sqldb: create user: %w", err)
}

func TestHTTPStatus(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]int{
		vidivo.EVALIDATION: 400, vidivo.EUNAUTHORIZED: 401, vidivo.ESTRIPE: 402, vidivo.EFORBIDDEN: 403,
		vidivo.ENOTFOUND: 404, vidivo.ECONFLICT: 409, vidivo.ELINKEXPIRED: 410, vidivo.ERATELIMITED: 429,
		vidivo.EINTERNAL: 500, "": 500, "something_else": 500,
	} {
		if got := vidivo.HTTPStatus(code); got != want {
			t.Errorf("HTTPStatus(%q) = %d, want %d", code, got, want)
		}
	}
}
