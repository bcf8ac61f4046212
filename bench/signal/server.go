package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"

	signaling "github.com/vidivo/vidivo/signal"
	"github.com/vidivo/vidivo/token"
)

// serverMain runs a Hub (or, with -bare, the bare relay) on a loopback
// address until SIGINT/SIGTERM. GET /debug/stats reports the runtime's
// view; POST /debug/gc collects garbage and returns freed memory to the OS
// so RSS readings are not noise.
func serverMain(args []string) error {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:9300", "listen address")
	secret := fs.String("secret", "bench signaling secret", "signaling token secret (shared with the client)")
	bare := fs.Bool("bare", false, "run the bare relay instead of the Hub")
	memRate := fs.Int("memprofilerate", 0, "runtime.MemProfileRate for GET /debug/pprof/heap (0: the default)")
	fs.Parse(args)
	if *memRate > 0 {
		runtime.MemProfileRate = *memRate
	}

	mux := http.NewServeMux()
	var hub *signaling.Hub
	if *bare {
		mux.Handle("GET /signal/ws", newBareRelay())
	} else {
		hub = signaling.New(signaling.Config{
			Tokens: &token.SignalingMinter{Secret: []byte(*secret)},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		mux.Handle("GET /signal/ws", hub)
	}
	mux.HandleFunc("GET /debug/stats", func(w http.ResponseWriter, r *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		st := map[string]any{
			"goroutines":  runtime.NumGoroutine(),
			"heap_inuse":  m.HeapInuse,
			"stack_inuse": m.StackInuse,
			"sys":         m.Sys,
		}
		if hub != nil {
			st["hub"] = hub.Stats()
		}
		json.NewEncoder(w).Encode(st)
	})
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("POST /debug/gc", func(w http.ResponseWriter, r *http.Request) {
		// Each GC halves the stacks of goroutines using under a quarter of
		// theirs; a few let idle stacks settle as they would over time.
		for range 4 {
			runtime.GC()
		}
		debug.FreeOSMemory()
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	fmt.Printf("listening %s pid %d bare=%v\n", ln.Addr(), os.Getpid(), *bare)
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// bareRelay pairs sockets by their "call" query parameter and copies each
// message to the other unchanged. It is the floor the Hub is compared
// with: the same library, and nothing else.
type bareRelay struct {
	mu      sync.Mutex
	waiting map[string]*bareConn
}

type bareConn struct {
	ws     *websocket.Conn
	paired chan *websocket.Conn
}

func newBareRelay() *bareRelay { return &bareRelay{waiting: make(map[string]*bareConn)} }

var peerJoined = []byte(`{"type":"peer_joined"}`)

func (b *bareRelay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call := r.URL.Query().Get("call")
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	ws.SetReadLimit(64 << 10)
	me := &bareConn{ws: ws, paired: make(chan *websocket.Conn, 1)}
	b.mu.Lock()
	other := b.waiting[call]
	if other == nil {
		b.waiting[call] = me
	} else {
		delete(b.waiting, call)
	}
	b.mu.Unlock()

	if other != nil {
		ctx := context.Background()
		ws.Write(ctx, websocket.MessageText, peerJoined)
		other.ws.Write(ctx, websocket.MessageText, peerJoined)
		other.paired <- ws
		go bareCopy(ws, other.ws)
		return
	}
	// Like the Hub, return from the handler after the upgrade, so the
	// floor does not carry net/http's request state either.
	go func() { bareCopy(ws, <-me.paired) }()
}

// bareCopy copies messages from ws to peer until either closes; the second
// socket of a pair announces the pairing to both.
func bareCopy(ws, peer *websocket.Conn) {
	ctx := context.Background()
	for {
		typ, data, err := ws.Read(ctx)
		if err != nil {
			peer.CloseNow()
			return
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = peer.Write(wctx, typ, data)
		cancel()
		if err != nil {
			ws.CloseNow()
			return
		}
	}
}
