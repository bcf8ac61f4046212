package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
)

// MustCreateEventType stores an active event type of host.
func MustCreateEventType(tb testing.TB, db vidivo.EventTypeStore, host *vidivo.User, slug string, minutes int) *vidivo.EventType {
	tb.Helper()
	e := &vidivo.EventType{HostID: host.ID, Name: "Call " + slug, Slug: slug, DurationMinutes: minutes, Active: true}
	if err := db.CreateEventType(context.Background(), e); err != nil {
		tb.Fatalf("create event type %s: %v", slug, err)
	}
	return e
}

func testEventTypes(t *testing.T, engine string) {
	t.Parallel()
	t.Run("Cap", func(t *testing.T) { testEventTypeCap(t, engine) })
	ctx := context.Background()
	b := setup(t, engine)
	host := MustCreateUser(t, b.db, "janecoach", vidivo.RoleHost)
	other := MustCreateUser(t, b.db, "otherhost", vidivo.RoleHost)
	created := time.Date(2026, 3, 15, 10, 0, 0, 123456000, time.UTC)

	intro := &vidivo.EventType{HostID: host.ID, Name: "Intro call", Slug: "intro", DurationMinutes: 15, Active: true}
	if err := b.db.CreateEventType(ctx, intro); err != nil {
		t.Fatalf("CreateEventType: %v", err)
	}
	if len(intro.ID) != 26 || !intro.CreatedAt.Equal(created) || !intro.UpdatedAt.Equal(created) {
		t.Errorf("created = %+v", intro)
	}
	want := &vidivo.EventType{ID: intro.ID, HostID: host.ID, Name: "Intro call", Slug: "intro", DurationMinutes: 15,
		Active: true, CreatedAt: created, UpdatedAt: created}
	got, err := b.db.EventType(ctx, intro.ID)
	if err != nil {
		t.Fatalf("EventType: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EventType mismatch (-want +got):\n%s", diff)
	}
	got, err = b.db.EventTypeBySlug(ctx, host.ID, "intro")
	if err != nil {
		t.Fatalf("EventTypeBySlug: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EventTypeBySlug mismatch (-want +got):\n%s", diff)
	}

	for name, tc := range map[string]struct {
		e    *vidivo.EventType
		code string
	}{
		"same slug, same host":    {&vidivo.EventType{HostID: host.ID, Name: "Again", Slug: "intro", DurationMinutes: 30, Active: true}, vidivo.ECONFLICT},
		"same slug, another host": {&vidivo.EventType{HostID: other.ID, Name: "Intro", Slug: "intro", DurationMinutes: 30, Active: true}, ""},
		"unknown host":            {&vidivo.EventType{HostID: "01JN2X4K8M3F7QPZRVWT6YBHCE", Name: "X", Slug: "x", DurationMinutes: 30}, vidivo.ENOTFOUND},
	} {
		err := b.db.CreateEventType(ctx, tc.e)
		if got := vidivo.ErrorCode(err); got != tc.code {
			t.Errorf("%s: code %q (%v), want %q", name, got, err, tc.code)
		}
		if tc.code == vidivo.ECONFLICT {
			if d := vidivo.ErrorDetails(err); len(d) != 1 || d[0].Field != "slug" {
				t.Errorf("%s: details %v, want slug", name, d)
			}
		}
	}

	b.clock.Add(time.Minute)
	session := MustCreateEventType(t, b.db, host, "session", 60)
	off, active := false, true
	name, slug, minutes := "Deep dive", "deep-dive", 90
	upd, err := b.db.UpdateEventType(ctx, session.ID, vidivo.EventTypeUpdate{Name: &name, Slug: &slug, DurationMinutes: &minutes, Active: &off})
	if err != nil {
		t.Fatalf("UpdateEventType: %v", err)
	}
	wantUpd := &vidivo.EventType{ID: session.ID, HostID: host.ID, Name: name, Slug: slug, DurationMinutes: minutes,
		Active: false, CreatedAt: created.Add(time.Minute), UpdatedAt: created.Add(time.Minute)}
	if diff := cmp.Diff(wantUpd, upd); diff != "" {
		t.Errorf("UpdateEventType mismatch (-want +got):\n%s", diff)
	}
	taken := "intro"
	_, err = b.db.UpdateEventType(ctx, session.ID, vidivo.EventTypeUpdate{Slug: &taken})
	wantCode(t, err, vidivo.ECONFLICT)
	_, err = b.db.UpdateEventType(ctx, "01JN2X4K8M3F7QPZRVWT6YBHCE", vidivo.EventTypeUpdate{Active: &off})
	wantCode(t, err, vidivo.ENOTFOUND)
	_, err = b.db.EventType(ctx, "01JN2X4K8M3F7QPZRVWT6YBHCE")
	wantCode(t, err, vidivo.ENOTFOUND)
	_, err = b.db.EventTypeBySlug(ctx, other.ID, "deep-dive")
	wantCode(t, err, vidivo.ENOTFOUND)

	slugs := func(active *bool) []string {
		t.Helper()
		list, err := b.db.EventTypes(ctx, host.ID, active)
		if err != nil {
			t.Fatalf("EventTypes: %v", err)
		}
		out := []string{}
		for _, e := range list {
			out = append(out, e.Slug)
		}
		return out
	}
	for name, tc := range map[string]struct {
		active *bool
		want   []string
	}{
		"all":      {nil, []string{"intro", "deep-dive"}},
		"active":   {&active, []string{"intro"}},
		"inactive": {&off, []string{"deep-dive"}},
	} {
		if diff := cmp.Diff(tc.want, slugs(tc.active)); diff != "" {
			t.Errorf("%s: EventTypes mismatch (-want +got):\n%s", name, diff)
		}
	}
	if list, err := b.db.EventTypes(ctx, MustCreateUser(t, b.db, "newhost", vidivo.RoleHost).ID, nil); err != nil || list == nil || len(list) != 0 {
		t.Errorf("EventTypes of a host with none = %v, %v; want an empty list", list, err)
	}
}

// testEventTypeCap checks that concurrent creations cannot take a host past
// MaxEventTypesPerHost.
func testEventTypeCap(t *testing.T, engine string) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, engine)
	host := MustCreateUser(t, b.db, "janecoach", vidivo.RoleHost)
	for i := range vidivo.MaxEventTypesPerHost - 5 {
		MustCreateEventType(t, b.db, host, fmt.Sprintf("type-%d", i), 30)
	}
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		ok, fulls int
	)
	for i := range 10 {
		wg.Go(func() {
			err := b.db.CreateEventType(ctx, &vidivo.EventType{HostID: host.ID, Name: "More", Slug: fmt.Sprintf("more-%d", i), DurationMinutes: 30})
			mu.Lock()
			defer mu.Unlock()
			switch vidivo.ErrorCode(err) {
			case "":
				ok++
			case vidivo.ECONFLICT:
				fulls++
			default:
				t.Errorf("create: %v", err)
			}
		})
	}
	wg.Wait()
	list, err := b.db.EventTypes(ctx, host.ID, nil)
	if err != nil || ok != 5 || fulls != 5 || len(list) != vidivo.MaxEventTypesPerHost {
		t.Errorf("10 creations with room for 5: %d ok, %d refused, %d stored (%v)", ok, fulls, len(list), err)
	}
}
