package apitest

import (
	"log/slog"

	"github.com/vidivo/vidivo/calendars"
	"github.com/vidivo/vidivo/sqldb"
)

// CalendarKey seals test servers' calendar passwords.
var CalendarKey = []byte("test calendar key for the harness")

// NewCalendars is the connected-calendars service of a test server: it
// reads calendars on loopback (WebhookGuard), at the test's clock.
func NewCalendars(db *sqldb.DB, clock *Clock) *calendars.Service {
	sealer, err := calendars.NewSealer(CalendarKey)
	if err != nil {
		panic(err)
	}
	return &calendars.Service{Store: db, Sealer: sealer, Guard: WebhookGuard, HTTP: calendars.NewHTTPClient(WebhookGuard),
		Now: clock.Now, Logger: slog.New(slog.DiscardHandler), PublicURL: PublicURL}
}
