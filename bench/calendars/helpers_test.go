package calendars_test

import (
	"encoding/json"
	"io"
	"net/http"

	goical "github.com/emersion/go-ical"

	"github.com/vidivo/vidivo/calendars"
)

type icalCalendar = goical.Calendar

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func drain(resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	return io.Copy(io.Discard, resp.Body)
}

func newICS(u string) calendars.NewConnection { return calendars.NewConnection{Kind: "ics", URL: u} }
