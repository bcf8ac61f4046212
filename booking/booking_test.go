package booking_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/sandbox"
	"github.com/vidivo/vidivo/schedule"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sqldb/storetest"
)

// countingStore counts the store calls a booking makes.
type countingStore struct {
	booking.Store
	mu    sync.Mutex
	calls []string
}

func (c *countingStore) count(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, name)
}

func (c *countingStore) UserByLogin(ctx context.Context, login string) (*vidivo.User, string, error) {
	c.count("UserByLogin")
	return c.Store.UserByLogin(ctx, login)
}

func (c *countingStore) UserByID(ctx context.Context, id string) (*vidivo.User, error) {
	c.count("UserByID")
	return c.Store.UserByID(ctx, id)
}

func (c *countingStore) Availability(ctx context.Context, userID string) ([]byte, error) {
	c.count("Availability")
	return c.Store.Availability(ctx, userID)
}

func (c *countingStore) ActiveLink(ctx context.Context, hostID string, now time.Time) (*vidivo.Link, error) {
	c.count("ActiveLink")
	return c.Store.ActiveLink(ctx, hostID, now)
}

func (c *countingStore) BusyTimes(ctx context.Context, hostID string, from, to time.Time) ([]*vidivo.ScheduledCall, error) {
	c.count("BusyTimes")
	return c.Store.BusyTimes(ctx, hostID, from, to)
}

func (c *countingStore) Book(ctx context.Context, b *vidivo.ScheduledCall, lim vidivo.BookingLimits) error {
	c.count("Book")
	return c.Store.Book(ctx, b, lim)
}

type bundle struct {
	svc         *booking.Service
	store       *countingStore
	host, guest *vidivo.User
	now         time.Time
}

func setup(t *testing.T, engine string, a schedule.Availability) *bundle {
	t.Helper()
	db := sqldbtest.New(t, engine)
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	b := &bundle{store: &countingStore{Store: db}, now: now,
		host: storetest.MustCreateUser(t, db, "janecoach", vidivo.RoleHost), guest: storetest.MustCreateUser(t, db, "alex", vidivo.RoleClient)}
	b.svc = &booking.Service{Store: b.store, Gateway: &sandbox.Gateway{Store: db}, PublicURL: "https://vidivo.test",
		Now: func() time.Time { return now }}
	if _, err := b.svc.SetAvailability(context.Background(), b.host.ID, a); err != nil {
		t.Fatal(err)
	}
	b.store.calls = nil
	return b
}

func allDay(rate *string) schedule.Availability {
	a := schedule.Defaults()
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		a.Weekly = append(a.Weekly, schedule.WeeklyDay{Day: d, Intervals: []schedule.Interval{{Start: "00:00", End: "24:00"}}})
	}
	a.RatePerMinute = rate
	if rate != nil {
		a.WindowSizeMinutes = ptr(10)
	}
	return a
}

func ptr[T any](v T) *T { return &v }

// TestBookStoreRoundTrips: booking reads the host, the availability and
// the guest, then books in one transaction — no busy-times read (the store
// checks the buffers as it books), and the link only when the price needs
// it. The handler it replaced made seven round trips.
func TestBookStoreRoundTrips(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			b := setup(t, engine, allDay(ptr("2.00")))
			got, err := b.svc.Book(context.Background(), booking.BookRequest{
				Caller: vidivo.Caller{Subject: b.guest.ID, Role: vidivo.RoleClient}, HostUsername: "janecoach",
				ScheduledAt: "2026-03-16T14:00:00Z", DurationMinutes: ptr(30), PaymentMethodID: ptr("pm_card_visa")})
			if err != nil {
				t.Fatal(err)
			}
			if got.Host.ID != b.host.ID || got.Guest.ID != b.guest.ID || got.Rate != 200 || got.CustomerID == nil {
				t.Errorf("booking = %+v", got)
			}
			want := []string{"UserByLogin", "Availability", "UserByID", "Book"}
			if diff := cmp.Diff(want, b.store.calls); diff != "" {
				t.Errorf("store calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBookRefusals names the error of each refusal the service makes
// before the store is asked to book.
func TestBookRefusals(t *testing.T) {
	t.Parallel()
	priced := allDay(ptr("2.00"))
	required := allDay(ptr("2.00"))
	required.RequirePaymentMethod = true
	tests := []struct {
		name  string
		a     schedule.Availability
		req   func(*bundle) booking.BookRequest
		code  string
		field string
	}{
		{"no price", allDay(nil), func(b *bundle) booking.BookRequest { return bookReq(b, nil) }, vidivo.EVALIDATION, "host_username"},
		{"payment method required", required, func(b *bundle) booking.BookRequest { return bookReq(b, nil) }, vidivo.EVALIDATION, "payment_method_id"},
		{"declined card", priced, func(b *bundle) booking.BookRequest { return bookReq(b, ptr("pm_card_chargeDeclined")) }, vidivo.ESTRIPE, "payment_method_id"},
		{"unknown card", priced, func(b *bundle) booking.BookRequest { return bookReq(b, ptr("pm_bogus")) }, vidivo.ESTRIPE, "payment_method_id"},
		{"booking yourself", priced, func(b *bundle) booking.BookRequest {
			r := bookReq(b, nil)
			r.Caller.Subject = b.host.ID
			return r
		}, vidivo.EVALIDATION, "host_username"},
		{"bad time", priced, func(b *bundle) booking.BookRequest {
			r := bookReq(b, nil)
			r.ScheduledAt = "monday 2pm"
			return r
		}, vidivo.EVALIDATION, "scheduled_at"},
		{"unknown host", priced, func(b *bundle) booking.BookRequest {
			r := bookReq(b, nil)
			r.HostUsername = "nobody"
			return r
		}, vidivo.ENOTFOUND, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, "sqlite", tt.a)
			_, err := b.svc.Book(context.Background(), tt.req(b))
			if got := vidivo.ErrorCode(err); got != tt.code {
				t.Fatalf("error %v: code %q, want %q", err, got, tt.code)
			}
			if tt.field != "" {
				if d := vidivo.ErrorDetails(err); len(d) != 1 || d[0].Field != tt.field {
					t.Errorf("details %+v, want %s", d, tt.field)
				}
			}
			for _, c := range b.store.calls {
				if c == "Book" {
					t.Error("the store was asked to book")
				}
			}
		})
	}
}

func bookReq(b *bundle, pm *string) booking.BookRequest {
	return booking.BookRequest{Caller: vidivo.Caller{Subject: b.guest.ID, Role: vidivo.RoleClient}, HostUsername: "janecoach",
		ScheduledAt: "2026-03-16T14:00:00Z", DurationMinutes: ptr(30), PaymentMethodID: pm}
}
