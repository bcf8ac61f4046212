// Package storetest is the conformance suite every storage engine passes:
// the same tests, run on SQLite always and on PostgreSQL when
// VIDIVO_TEST_DATABASE_URL is set.
package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/testclock"
)

// Run runs the whole suite on engine.
func Run(t *testing.T, engine string) {
	t.Run("Migrate", func(t *testing.T) { testMigrate(t, engine) })
	t.Run("Users", func(t *testing.T) { testUsers(t, engine) })
	t.Run("RefreshTokens", func(t *testing.T) { testRefreshTokens(t, engine) })
	t.Run("Links", func(t *testing.T) { testLinks(t, engine) })
	t.Run("LinkUseRace", func(t *testing.T) { testLinkUseRace(t, engine) })
	t.Run("LinkWithHost", func(t *testing.T) { testLinkWithHost(t, engine) })
	t.Run("Bookings", func(t *testing.T) { testBookings(t, engine) })
	t.Run("BookingRace", func(t *testing.T) { testBookingRace(t, engine) })
	t.Run("EventTypes", func(t *testing.T) { testEventTypes(t, engine) })
	t.Run("CallStart", func(t *testing.T) { testCallStart(t, engine) })
	t.Run("CallStartAtomic", func(t *testing.T) { testCallStartAtomic(t, engine) })
	t.Run("CallTransitions", func(t *testing.T) { testCallTransitions(t, engine) })
	t.Run("CallLedger", func(t *testing.T) { testCallLedger(t, engine) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, engine) })
	t.Run("IdempotencyRace", func(t *testing.T) { testIdempotencyRace(t, engine) })
	t.Run("SSO", func(t *testing.T) { testSSO(t, engine) })
}

type bundle struct {
	db    *sqldb.DB
	clock *testclock.Clock
}

func setup(t *testing.T, engine string) *bundle {
	t.Helper()
	db := sqldbtest.New(t, engine)
	c := testclock.New(time.Date(2026, 3, 15, 10, 0, 0, 123456789, time.UTC))
	db.Now = c.Now
	return &bundle{db: db, clock: c}
}

// MustCreateUser creates a user with the given username and role.
func MustCreateUser(tb testing.TB, db *sqldb.DB, username string, role vidivo.Role) *vidivo.User {
	tb.Helper()
	u := &vidivo.User{Email: username + "@example.com", Username: username, DisplayName: "User " + username, Role: role}
	if err := db.CreateUser(context.Background(), u, "hash-"+username, nil); err != nil {
		tb.Fatalf("create user %s: %v", username, err)
	}
	return u
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := vidivo.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func testMigrate(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	url := sqldbtest.URL(t, engine)

	// Two instances starting at once against one empty database.
	const n = 4
	dbs := make([]*sqldb.DB, n)
	for i := range dbs {
		db, err := sqldb.Open(ctx, url, nil)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
		if err := db.Ready(ctx); err == nil {
			t.Fatal("Ready before migrating = nil, want an error")
		}
	}
	applied := make([][]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() { applied[i], errs[i] = db.Migrate(ctx) })
	}
	wg.Wait()
	total := 0
	for i := range dbs {
		if errs[i] != nil {
			t.Fatalf("concurrent migrate %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	again, err := dbs[0].Migrate(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second migrate applied %v, %v; want nothing", again, err)
	}
	if err := dbs[0].Ready(ctx); err != nil {
		t.Fatalf("Ready after migrate: %v", err)
	}
	// Every migration was applied exactly once across all instances.
	if total == 0 {
		t.Fatal("no migration applied")
	}
	seen := map[int]bool{}
	for _, vs := range applied {
		for _, v := range vs {
			if seen[v] {
				t.Fatalf("migration %d applied twice", v)
			}
			seen[v] = true
		}
	}
}

func testUsers(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	avatar := "https://cdn.example.com/a.jpg"
	u := &vidivo.User{Email: "jane@example.com", Username: "janecoach", DisplayName: "Jane Smith",
		AvatarURL: &avatar, Role: vidivo.RoleHost}
	if err := b.db.CreateUser(ctx, u, "argon-hash", nil); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if len(u.ID) != 26 {
		t.Errorf("ID = %q, want a 26-char ULID", u.ID)
	}
	want := &vidivo.User{ID: u.ID, Email: "jane@example.com", Username: "janecoach", DisplayName: "Jane Smith",
		AvatarURL: &avatar, Role: vidivo.RoleHost, Timezone: "UTC",
		CreatedAt: time.Date(2026, 3, 15, 10, 0, 0, 123456000, time.UTC)}

	got, err := b.db.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UserByID mismatch (-want +got):\n%s", diff)
	}
	for _, login := range []string{"jane@example.com", "JANE@example.com", "janecoach", " JaneCoach "} {
		got, hash, err := b.db.UserByLogin(ctx, login)
		if err != nil || got.ID != u.ID || hash != "argon-hash" {
			t.Errorf("UserByLogin(%q) = %v, %q, %v", login, got, hash, err)
		}
	}
	_, err = b.db.UserByID(ctx, "01JN2X4K8M3F7QPZRVWT6YBHCE")
	wantCode(t, err, vidivo.ENOTFOUND)
	_, _, err = b.db.UserByLogin(ctx, "nobody@example.com")
	wantCode(t, err, vidivo.ENOTFOUND)

	t.Run("Conflicts", func(t *testing.T) {
		for name, dup := range map[string]*vidivo.User{
			"email":    {Email: "jane@example.com", Username: "other", DisplayName: "x", Role: vidivo.RoleClient},
			"username": {Email: "other@example.com", Username: "janecoach", DisplayName: "x", Role: vidivo.RoleClient},
		} {
			err := b.db.CreateUser(ctx, dup, "h", &vidivo.RefreshToken{Hash: "rt-" + name, ExpiresAt: b.clock.Now().Add(time.Hour)})
			wantCode(t, err, vidivo.ECONFLICT)
			if d := vidivo.ErrorDetails(err); len(d) != 1 || d[0].Field != name {
				t.Errorf("%s conflict details = %v", name, d)
			}
			// Nothing half-written: the refresh token was not stored either.
			_, err = b.db.RotateRefreshToken(ctx, "rt-"+name, &vidivo.RefreshToken{Hash: "x-" + name, ExpiresAt: b.clock.Now()})
			wantCode(t, err, vidivo.EUNAUTHORIZED)
		}
	})

	t.Run("Update", func(t *testing.T) {
		name, tz, clear := "Jane S.", "Europe/Berlin", ""
		got, err := b.db.UpdateUser(ctx, u.ID, vidivo.UserUpdate{DisplayName: &name, Timezone: &tz, AvatarURL: &clear})
		if err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		want := *want
		want.DisplayName, want.Timezone, want.AvatarURL = name, tz, nil
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("UpdateUser mismatch (-want +got):\n%s", diff)
		}
		_, err = b.db.UpdateUser(ctx, "01JN2X4K8M3F7QPZRVWT6YBHCE", vidivo.UserUpdate{DisplayName: &name})
		wantCode(t, err, vidivo.ENOTFOUND)
	})

	t.Run("SetRole", func(t *testing.T) {
		got, err := b.db.SetUserRole(ctx, u.ID, vidivo.RoleAdmin)
		if err != nil || got.Role != vidivo.RoleAdmin {
			t.Fatalf("SetUserRole = %v, %v", got, err)
		}
		_, err = b.db.SetUserRole(ctx, u.ID, vidivo.RoleGuest)
		wantCode(t, err, vidivo.EVALIDATION)
		_, err = b.db.SetUserRole(ctx, "01JN2X4K8M3F7QPZRVWT6YBHCE", vidivo.RoleHost)
		wantCode(t, err, vidivo.ENOTFOUND)
	})
}

func testRefreshTokens(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	u := MustCreateUser(t, b.db, "alex", vidivo.RoleClient)
	other := MustCreateUser(t, b.db, "sam", vidivo.RoleClient)
	exp := func() time.Time { return b.clock.Now().Add(24 * time.Hour) }

	first := &vidivo.RefreshToken{Hash: "h1", UserID: u.ID, ExpiresAt: exp()}
	if err := b.db.CreateRefreshToken(ctx, first); err != nil || first.FamilyID == "" {
		t.Fatalf("CreateRefreshToken: %v (family %q)", err, first.FamilyID)
	}

	second := &vidivo.RefreshToken{Hash: "h2", ExpiresAt: exp()}
	owner, err := b.db.RotateRefreshToken(ctx, "h1", second)
	if err != nil || owner != u.ID || second.FamilyID != first.FamilyID || second.UserID != u.ID {
		t.Fatalf("Rotate = %q, %v; next %+v", owner, err, second)
	}

	// Replaying h1 is theft: it fails and takes h2 down with it.
	_, err = b.db.RotateRefreshToken(ctx, "h1", &vidivo.RefreshToken{Hash: "h3", ExpiresAt: exp()})
	wantCode(t, err, vidivo.EUNAUTHORIZED)
	_, err = b.db.RotateRefreshToken(ctx, "h2", &vidivo.RefreshToken{Hash: "h4", ExpiresAt: exp()})
	wantCode(t, err, vidivo.EUNAUTHORIZED)

	t.Run("Unknown", func(t *testing.T) {
		_, err := b.db.RotateRefreshToken(ctx, "nope", &vidivo.RefreshToken{Hash: "n1", ExpiresAt: exp()})
		wantCode(t, err, vidivo.EUNAUTHORIZED)
	})

	t.Run("Expired", func(t *testing.T) {
		tok := &vidivo.RefreshToken{Hash: "e1", UserID: u.ID, ExpiresAt: b.clock.Now().Add(time.Minute)}
		if err := b.db.CreateRefreshToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		b.clock.Add(2 * time.Minute)
		_, err := b.db.RotateRefreshToken(ctx, "e1", &vidivo.RefreshToken{Hash: "e2", ExpiresAt: exp()})
		wantCode(t, err, vidivo.EUNAUTHORIZED)
	})

	t.Run("Revoke", func(t *testing.T) {
		tok := &vidivo.RefreshToken{Hash: "r1", UserID: u.ID, ExpiresAt: exp()}
		if err := b.db.CreateRefreshToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		// Another user cannot revoke it.
		if err := b.db.RevokeRefreshToken(ctx, "r1", other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.db.RotateRefreshToken(ctx, "r1", &vidivo.RefreshToken{Hash: "r2", ExpiresAt: exp()}); err != nil {
			t.Fatalf("rotate after foreign revoke: %v", err)
		}
		for range 2 { // revoking twice is fine
			if err := b.db.RevokeRefreshToken(ctx, "r2", u.ID); err != nil {
				t.Fatal(err)
			}
		}
		_, err := b.db.RotateRefreshToken(ctx, "r2", &vidivo.RefreshToken{Hash: "r3", ExpiresAt: exp()})
		wantCode(t, err, vidivo.EUNAUTHORIZED)
	})

	t.Run("ConcurrentRotate", func(t *testing.T) {
		tok := &vidivo.RefreshToken{Hash: "c0", UserID: u.ID, ExpiresAt: exp()}
		if err := b.db.CreateRefreshToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		const n = 8
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for i := range n {
			wg.Go(func() {
				next := &vidivo.RefreshToken{Hash: "c" + string(rune('a'+i)), ExpiresAt: exp()}
				_, err := b.db.RotateRefreshToken(ctx, "c0", next)
				mu.Lock()
				defer mu.Unlock()
				switch vidivo.ErrorCode(err) {
				case "":
					wins++
				case vidivo.EUNAUTHORIZED:
				default:
					t.Errorf("concurrent rotate: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d rotations of one token succeeded, want exactly 1", wins)
		}
	})
}
