package notify

import (
	"errors"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
	h := &Hub{}
	a, b := mustSubscribe(t, h, "jane"), mustSubscribe(t, h, "jane")
	other := mustSubscribe(t, h, "sam")
	ev := Event{Name: "call.incoming", Data: "x"}
	if n := h.Publish("jane", ev); n != 2 {
		t.Errorf("Publish reached %d streams, want 2", n)
	}
	for i, s := range []*Subscription{a, b} {
		if diff := cmp.Diff(ev, <-s.C); diff != "" {
			t.Errorf("stream %d (-want +got):\n%s", i, diff)
		}
	}
	if len(other.C) != 0 {
		t.Error("another user's stream got the event")
	}
	// A stream that does not read loses events instead of blocking.
	for range streamBuffer + 3 {
		h.Publish("sam", ev)
	}
	if len(other.C) != streamBuffer {
		t.Errorf("slow stream holds %d events, want %d", len(other.C), streamBuffer)
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
