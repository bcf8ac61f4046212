package notify

import (
	"context"
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustSubscribe(t *testing.T, h *Hub, user string) *Subscription {
	t.Helper()
	s, err := h.Subscribe(user)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", user, err)
	}
	return s
}

func TestSubscribeCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		max  int
		want int
	}{
		{name: "default", max: 0, want: DefaultMaxPerUser},
		{name: "set", max: 2, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := &Hub{MaxPerUser: tt.max}
			var subs []*Subscription
			for range tt.want {
				subs = append(subs, mustSubscribe(t, h, "jane"))
			}
			if _, err := h.Subscribe("jane"); !errors.Is(err, ErrTooManyStreams) {
				t.Fatalf("stream %d: err = %v, want ErrTooManyStreams", tt.want+1, err)
			}
			if got := h.Subscribers("jane"); got != tt.want {
				t.Errorf("a refused stream was counted: %d open, want %d", got, tt.want)
			}
			// Another user has a cap of their own.
			mustSubscribe(t, h, "sam").Close()
			// Closing one frees its place, once.
			subs[0].Close()
			subs[0].Close()
			mustSubscribe(t, h, "jane")
			if _, err := h.Subscribe("jane"); !errors.Is(err, ErrTooManyStreams) {
				t.Errorf("after one close and one open: err = %v, want ErrTooManyStreams", err)
			}
		})
	}
}

func TestPublish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := &Hub{}
	a, b := mustSubscribe(t, h, "jane"), mustSubscribe(t, h, "jane")
	other := mustSubscribe(t, h, "sam")
	if err := h.Publish(ctx, "jane", Event{Name: "call.incoming", Data: "x"}); err != nil {
		t.Fatal(err)
	}
	want := Event{ID: 1, Name: "call.incoming", Data: json.RawMessage(`"x"`)}
	for i, s := range []*Subscription{a, b} {
		if diff := cmp.Diff(want, <-s.C); diff != "" {
			t.Errorf("stream %d (-want +got):\n%s", i, diff)
		}
	}
	if len(other.C) != 0 {
		t.Error("another user's stream got the event")
	}
	// A stream that does not read is closed, with a reason, instead of
	// blocking the sender or silently losing events; the others go on.
	for range streamBuffer + 1 {
		if err := h.Publish(ctx, "sam", Event{Name: "call.incoming", Data: "y"}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-other.Closed():
	default:
		t.Fatal("a stream that fell behind is still open")
	}
	if other.Reason() != ReasonSlow || h.Subscribers("sam") != 0 {
		t.Errorf("slow stream: reason %q, %d subscribers left; want %q, 0", other.Reason(), h.Subscribers("sam"), ReasonSlow)
	}
	select {
	case <-a.Closed():
		t.Error("a stream that keeps up was closed")
	default:
	}
}

func TestLocalBrokerSince(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	b := &LocalBroker{Keep: 3, MaxAge: time.Minute, Now: func() time.Time { return now }}
	for i := range 5 {
		user := "jane"
		if i == 2 {
			user = "sam"
		}
		if err := b.Publish(ctx, user, "e", json.RawMessage(strconv.Itoa(i+1))); err != nil {
			t.Fatal(err)
		}
		now = now.Add(20 * time.Second)
	}
	ids := func(after uint64) []uint64 {
		evs, err := b.Since(ctx, "jane", after)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, ev := range evs {
			out = append(out, ev.ID)
		}
		return out
	}
	// jane has 1, 2, 4, 5 (3 is sam's); at most 3 are kept, each for a
	// minute: at 12:01:40, 1 is gone for space, 2 (12:00:20) for age.
	tests := []struct {
		after uint64
		want  []uint64
	}{
		{after: 0, want: []uint64{4, 5}},
		{after: 4, want: []uint64{5}},
		{after: 5, want: nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ids(tt.after)); diff != "" {
			t.Errorf("Since(%d) (-want +got):\n%s", tt.after, diff)
		}
	}
}

// TestImportsNoService keeps notify an adapter of its own: it may import
// the standard library and the domain package, never a service such as
// calls (cmd/vidivo wires the two together).
func TestImportsNoService(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(path, ".") && path != "github.com/vidivo/vidivo" {
				t.Errorf("%s imports %s: notify may import only the standard library and the domain", name, path)
			}
		}
	}
}
