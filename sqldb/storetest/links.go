package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sqldb"
)

// MustCreateLink stores a link for host with the given max uses.
func MustCreateLink(tb testing.TB, db *sqldb.DB, hostID string, maxUses *int) *vidivo.Link {
	tb.Helper()
	l := &vidivo.Link{HostID: hostID, Rate: 250, WindowMinutes: 10, MaxUses: maxUses}
	if err := db.CreateLink(context.Background(), l); err != nil {
		tb.Fatalf("create link: %v", err)
	}
	return l
}

func ptr[T any](v T) *T { return &v }

func testLinks(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	host := MustCreateUser(t, b.db, "janecoach", vidivo.RoleHost)
	now := b.clock.Now()

	in := &vidivo.Link{HostID: host.ID, Rate: 250, WindowMinutes: 10, MaxUses: ptr(1), Label: ptr("Session with Alex"),
		ExpiresAt: ptr(now.Add(7 * 24 * time.Hour).Truncate(time.Microsecond)), ScheduledStart: ptr(now.Add(time.Hour).Truncate(time.Microsecond)),
		ScheduledEnd: ptr(now.Add(2 * time.Hour).Truncate(time.Microsecond))}
	if err := b.db.CreateLink(ctx, in); err != nil {
		t.Fatalf("CreateLink: %v", err)
	}
	if len(in.ShortCode) != 10 || len(in.ID) != 26 || !in.Active {
		t.Errorf("created link = %+v", in)
	}
	byCode, err := b.db.LinkByShortCode(ctx, in.ShortCode)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, byCode); diff != "" {
		t.Errorf("LinkByShortCode mismatch (-want +got):\n%s", diff)
	}
	byID, err := b.db.LinkByID(ctx, in.ID)
	if err != nil || byID.ShortCode != in.ShortCode {
		t.Errorf("LinkByID = %+v, %v", byID, err)
	}
	_, err = b.db.LinkByShortCode(ctx, "nope")
	wantCode(t, err, vidivo.ENOTFOUND)
	_, err = b.db.LinkByID(ctx, "01JN2X7N1Q6I0TSCUYZ9AELGHI")
	wantCode(t, err, vidivo.ENOTFOUND)

	t.Run("ListAndPaginate", func(t *testing.T) {
		other := MustCreateUser(t, b.db, "otherhost", vidivo.RoleHost)
		MustCreateLink(t, b.db, other.ID, nil)
		var want []string
		for range 5 {
			b.clock.Add(time.Millisecond)
			want = append([]string{MustCreateLink(t, b.db, host.ID, nil).ID}, want...)
		}
		want = append(want, in.ID)
		var got []string
		f := vidivo.LinkFilter{HostID: host.ID, Limit: 2}
		for {
			page, err := b.db.Links(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range page.Links {
				got = append(got, l.ID)
			}
			if !page.More {
				break
			}
			f.Before = page.Links[len(page.Links)-1].ID
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("paged ids, newest first (-want +got):\n%s", diff)
		}

		if err := b.db.DeactivateLink(ctx, want[0]); err != nil {
			t.Fatal(err)
		}
		if err := b.db.DeactivateLink(ctx, want[0]); err != nil {
			t.Fatalf("deactivate twice: %v", err)
		}
		wantCode(t, b.db.DeactivateLink(ctx, "01JN2X7N1Q6I0TSCUYZ9AELGHI"), vidivo.ENOTFOUND)
		active, _ := b.db.Links(ctx, vidivo.LinkFilter{HostID: host.ID, Active: ptr(true), Limit: 100})
		inactive, _ := b.db.Links(ctx, vidivo.LinkFilter{HostID: host.ID, Active: ptr(false), Limit: 100})
		if len(active.Links) != 5 || len(inactive.Links) != 1 || inactive.Links[0].Active {
			t.Errorf("active %d, inactive %d", len(active.Links), len(inactive.Links))
		}
	})

	t.Run("ClaimStates", func(t *testing.T) {
		l := MustCreateLink(t, b.db, host.ID, ptr(1))
		at := b.clock.Now()
		got, state, err := b.db.ClaimLinkUse(ctx, l.ID, at)
		if err != nil || state != vidivo.LinkUsable || got.UseCount != 1 {
			t.Fatalf("claim = %+v, %v, %v", got, state, err)
		}
		if _, state, _ = b.db.ClaimLinkUse(ctx, l.ID, at); state != vidivo.LinkExhausted {
			t.Errorf("second claim state = %v, want exhausted", state)
		}
		// The scheduled link is not open yet, then open, then over.
		if _, state, _ = b.db.ClaimLinkUse(ctx, in.ID, at); state != vidivo.LinkNotOpen {
			t.Errorf("before scheduled start = %v", state)
		}
		if _, state, _ = b.db.ClaimLinkUse(ctx, in.ID, in.ScheduledEnd.Add(time.Second)); state != vidivo.LinkExpired {
			t.Errorf("after scheduled end = %v", state)
		}
		if _, state, _ = b.db.ClaimLinkUse(ctx, in.ID, in.ScheduledStart.Add(time.Second)); state != vidivo.LinkUsable {
			t.Errorf("inside the window = %v", state)
		}
		d := MustCreateLink(t, b.db, host.ID, nil)
		b.db.DeactivateLink(ctx, d.ID)
		if _, state, _ = b.db.ClaimLinkUse(ctx, d.ID, at); state != vidivo.LinkDeleted {
			t.Errorf("deleted = %v", state)
		}
		_, _, err = b.db.ClaimLinkUse(ctx, "01JN2X7N1Q6I0TSCUYZ9AELGHI", at)
		wantCode(t, err, vidivo.ENOTFOUND)
	})

	t.Run("ActiveLinkForHost", func(t *testing.T) {
		h := MustCreateUser(t, b.db, "activehost", vidivo.RoleHost)
		_, _, err := b.db.ActiveLinkForHost(ctx, "activehost", b.clock.Now())
		wantCode(t, err, vidivo.ENOTFOUND)
		older := MustCreateLink(t, b.db, h.ID, nil)
		b.clock.Add(time.Millisecond)
		newer := MustCreateLink(t, b.db, h.ID, ptr(1))
		l, u, err := b.db.ActiveLinkForHost(ctx, "ActiveHost", b.clock.Now())
		if err != nil || l.ID != newer.ID || u.ID != h.ID {
			t.Fatalf("active = %v, %v", l, err)
		}
		b.db.ClaimLinkUse(ctx, newer.ID, b.clock.Now()) // now exhausted
		if l, _, _ = b.db.ActiveLinkForHost(ctx, "activehost", b.clock.Now()); l == nil || l.ID != older.ID {
			t.Errorf("after exhausting the newest, active = %+v, want the older link", l)
		}
		_, _, err = b.db.ActiveLinkForHost(ctx, "nobody", b.clock.Now())
		wantCode(t, err, vidivo.ENOTFOUND)
	})

	t.Run("Payouts", func(t *testing.T) {
		if err := b.db.SetPayoutsConnected(ctx, host.ID, true); err != nil {
			t.Fatal(err)
		}
		if u, _ := b.db.UserByID(ctx, host.ID); !u.PayoutsConnected {
			t.Error("payouts not connected after SetPayoutsConnected(true)")
		}
		wantCode(t, b.db.SetPayoutsConnected(ctx, "01JN2X4K8M3F7QPZRVWT6YBHCE", true), vidivo.ENOTFOUND)
	})
}

// testLinkUseRace has 50 guests race for the uses of a link: exactly
// max_uses of them win, whatever the engine.
func testLinkUseRace(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	host := MustCreateUser(t, b.db, "racehost", vidivo.RoleHost)
	for _, maxUses := range []int{1, 3} {
		l := MustCreateLink(t, b.db, host.ID, ptr(maxUses))
		var (
			wg              sync.WaitGroup
			wins, exhausted atomic.Int32
			start           = make(chan struct{})
		)
		for range 50 {
			wg.Go(func() {
				<-start
				_, state, err := b.db.ClaimLinkUse(ctx, l.ID, b.clock.Now())
				switch {
				case err != nil:
					t.Errorf("claim: %v", err)
				case state == vidivo.LinkUsable:
					wins.Add(1)
				case state == vidivo.LinkExhausted:
					exhausted.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if wins.Load() != int32(maxUses) || exhausted.Load() != int32(50-maxUses) {
			t.Errorf("max_uses %d: %d won, %d exhausted; want %d and %d", maxUses, wins.Load(), exhausted.Load(), maxUses, 50-maxUses)
		}
		got, _ := b.db.LinkByID(ctx, l.ID)
		if got.UseCount != maxUses {
			t.Errorf("use_count = %d, want %d", got.UseCount, maxUses)
		}
	}
}

func testLinkWithHost(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	host := MustCreateUser(t, b.db, "janecoach", vidivo.RoleHost)
	l := MustCreateLink(t, b.db, host.ID, nil)
	gotLink, gotHost, err := b.db.LinkWithHost(ctx, l.ShortCode)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l, gotLink); diff != "" {
		t.Errorf("link mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(host, gotHost); diff != "" {
		t.Errorf("host mismatch (-want +got):\n%s", diff)
	}
	_, _, err = b.db.LinkWithHost(ctx, "missing")
	wantCode(t, err, vidivo.ENOTFOUND)
}
