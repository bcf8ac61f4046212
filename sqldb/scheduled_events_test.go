package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sqldb/storetest"
	"github.com/vidivo/vidivo/testclock"
)

// eventsStore is a store with two hosts' bookings by two guests: jane at
// 9, 10 and 11 (the 10 o'clock one canceled), bob at 9 and 10 (tying
// with jane's), all on one day; ids returns them by name.
func eventsStore(t *testing.T, engine string) (*sqldb.DB, map[string]*vidivo.User, map[string]string) {
	t.Helper()
	ctx := context.Background()
	db := sqldbtest.New(t, engine)
	db.Now = testclock.New(time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)).Now
	users := map[string]*vidivo.User{}
	for _, u := range []struct {
		name string
		role vidivo.Role
	}{{"jane", vidivo.RoleHost}, {"bob", vidivo.RoleHost}, {"alex", vidivo.RoleClient}, {"sam", vidivo.RoleClient}} {
		users[u.name] = storetest.MustCreateUser(t, db, u.name+"coach", u.role)
	}
	day := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	ids := map[string]string{}
	for _, b := range []struct {
		name, host, guest string
		hour              int
	}{{"jane9", "jane", "alex", 9}, {"jane10", "jane", "sam", 10}, {"jane11", "jane", "alex", 11},
		{"bob9", "bob", "sam", 9}, {"bob10", "bob", "alex", 10}} {
		at := day.Add(time.Duration(b.hour) * time.Hour)
		sc := &vidivo.ScheduledCall{HostID: users[b.host].ID, GuestID: users[b.guest].ID, StartsAt: at,
			EndsAt: at.Add(30 * time.Minute), DurationMinutes: 30, Rate: 250, WindowMinutes: 10}
		if err := db.Book(ctx, sc, vidivo.BookingLimits{}); err != nil {
			t.Fatal(err)
		}
		ids[b.name] = sc.ID
	}
	if _, err := db.CancelBooking(ctx, ids["jane10"], users["sam"].ID, nil); err != nil {
		t.Fatal(err)
	}
	return db, users, ids
}

func TestScheduledEvents(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testScheduledEvents(t, engine)
		})
	}
}

func testScheduledEvents(t *testing.T, engine string) {
	ctx := context.Background()
	db, users, ids := eventsStore(t, engine)
	jane, bob, alex := users["jane"].ID, users["bob"].ID, users["alex"].ID
	day := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	// Rows tying on start are ordered by id.
	tie := func(a, b string) []string {
		if ids[a] < ids[b] {
			return []string{a, b}
		}
		return []string{b, a}
	}
	all := append(append(tie("jane9", "bob9"), tie("jane10", "bob10")...), "jane11")
	reversed := []string{all[4], all[3], all[2], all[1], all[0]}

	list := func(f vidivo.EventFilter) ([]string, bool) {
		t.Helper()
		if f.Limit == 0 {
			f.Limit = 10
		}
		page, err := db.ScheduledEvents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]string{}
		for name, id := range ids {
			byID[id] = name
		}
		out := []string{}
		for _, c := range page.Calls {
			out = append(out, byID[c.ID])
		}
		return out, page.More
	}
	for _, tc := range []struct {
		name string
		f    vidivo.EventFilter
		want []string
	}{
		{"both hosts", vidivo.EventFilter{HostIDs: []string{jane, bob}}, all},
		{"latest first", vidivo.EventFilter{HostIDs: []string{jane, bob}, Desc: true}, reversed},
		{"one host", vidivo.EventFilter{HostIDs: []string{jane}}, []string{"jane9", "jane10", "jane11"}},
		{"a guest's", vidivo.EventFilter{GuestID: alex}, []string{"jane9", "bob10", "jane11"}},
		{"a host's or a guest's", vidivo.EventFilter{HostIDs: []string{bob}, GuestID: alex},
			append(tie("jane9", "bob9"), "bob10", "jane11")},
		{"confirmed", vidivo.EventFilter{HostIDs: []string{jane}, Status: vidivo.BookingConfirmed}, []string{"jane9", "jane11"}},
		{"canceled", vidivo.EventFilter{HostIDs: []string{jane}, Status: vidivo.BookingCanceled}, []string{"jane10"}},
		{"min inclusive, max exclusive", vidivo.EventFilter{HostIDs: []string{jane},
			MinStart: day.Add(10 * time.Hour), MaxStart: day.Add(11 * time.Hour)}, []string{"jane10"}},
		{"nobody", vidivo.EventFilter{}, []string{}},
		{"an unknown host", vidivo.EventFilter{HostIDs: []string{"01JN2X6M0P5H9SRBTXY8ZDKEFG"}}, []string{}},
	} {
		got, more := list(tc.f)
		if diff := cmp.Diff(tc.want, got); diff != "" || more {
			t.Errorf("%s: more %v (-want +got):\n%s", tc.name, more, diff)
		}
	}

	// Keyset pages, forward and backward, through the tie, both sorts.
	key := func(name string) *vidivo.EventKey {
		c, err := db.Booking(ctx, ids[name])
		if err != nil {
			t.Fatal(err)
		}
		return &vidivo.EventKey{StartsAt: c.StartsAt, ID: c.ID}
	}
	for _, order := range []struct {
		desc bool
		rows []string
	}{{false, all}, {true, reversed}} {
		f := vidivo.EventFilter{HostIDs: []string{jane, bob}, Desc: order.desc, Limit: 2}
		var got []string
		for page := 0; page < 5; page++ {
			rows, more := list(f)
			got = append(got, rows...)
			if !more {
				break
			}
			f.After = key(rows[len(rows)-1])
		}
		if diff := cmp.Diff(order.rows, got); diff != "" {
			t.Errorf("desc %v: forward pages (-want +got):\n%s", order.desc, diff)
		}
		// Backward from the fourth row: the two before it, and more
		// before those; from the third: the first two, and no more.
		for _, tc := range []struct {
			from int
			want []string
			more bool
		}{{3, order.rows[1:3], true}, {2, order.rows[0:2], false}} {
			rows, more := list(vidivo.EventFilter{HostIDs: []string{jane, bob}, Desc: order.desc, Limit: 2,
				After: key(order.rows[tc.from]), Backward: true})
			if diff := cmp.Diff(tc.want, rows); diff != "" || more != tc.more {
				t.Errorf("desc %v: back from row %d: more %v, want %v (-want +got):\n%s", order.desc, tc.from, more, tc.more, diff)
			}
		}
	}
}

// TestRescheduleLinks: a reschedule links the old booking and the new one
// in its transaction; one that fails links nothing.
func TestRescheduleLinks(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, users, ids := eventsStore(t, engine)
			jane, alex := users["jane"], users["alex"]
			links := func(id string) [2]string {
				t.Helper()
				from, to, err := db.RescheduleLinks(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return [2]string{from, to}
			}
			move := func(id string, hour int) (*vidivo.ScheduledCall, error) {
				at := time.Date(2026, 3, 16, hour, 0, 0, 0, time.UTC)
				next := &vidivo.ScheduledCall{HostID: jane.ID, GuestID: alex.ID, StartsAt: at, EndsAt: at.Add(30 * time.Minute),
					DurationMinutes: 30, Rate: 250, WindowMinutes: 10}
				return next, db.Reschedule(ctx, id, jane.ID, next, vidivo.BookingLimits{})
			}
			if l := links(ids["jane9"]); l != [2]string{} {
				t.Errorf("links of a booking never moved = %v", l)
			}
			// Onto jane's 11 o'clock: refused, nothing linked or canceled.
			if _, err := move(ids["jane9"], 11); vidivo.ErrorCode(err) != vidivo.ECONFLICT {
				t.Fatalf("reschedule onto a taken time: %v", err)
			}
			if l := links(ids["jane9"]); l != [2]string{} {
				t.Errorf("links after a refused reschedule = %v", l)
			}
			next, err := move(ids["jane9"], 14)
			if err != nil {
				t.Fatal(err)
			}
			again, err := move(next.ID, 15)
			if err != nil {
				t.Fatal(err)
			}
			for id, want := range map[string][2]string{
				ids["jane9"]: {"", next.ID}, next.ID: {ids["jane9"], again.ID}, again.ID: {next.ID, ""},
			} {
				if got := links(id); got != want {
					t.Errorf("links of %s = %v, want %v", id, got, want)
				}
			}
			if _, _, err := db.RescheduleLinks(ctx, "01JN2X6M0P5H9SRBTXY8ZDKEFG"); vidivo.ErrorCode(err) != vidivo.ENOTFOUND {
				t.Errorf("links of an unknown booking: %v", err)
			}
		})
	}
}
