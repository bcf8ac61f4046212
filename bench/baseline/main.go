// Command baseline serves the bare benchmark baselines (see package
// bench/internal/bare) on a database Vidivo created: GET /v1/users/me,
// verifying tokens with Vidivo's signing key, and GET
// /v1/calls/links/{code}/info, the public link info (one JOIN query through
// a statement prepared once, and its JSON):
//
//	baseline -addr 127.0.0.1:8090 -database-url sqlite:data/vidivo.db \
//	    -key data/jwt-signing-key.pem
//
// It also answers GET /healthz. It prints "baseline listening on ADDR" on
// stdout once it accepts connections, and exits cleanly on SIGINT/SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vidivo/vidivo/bench/internal/bare"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		addr     = flag.String("addr", "127.0.0.1:8090", "address to listen on")
		dbURL    = flag.String("database-url", "", `"sqlite:<path>" or "postgres://…" of a database vidivo created; required`)
		keyPath  = flag.String("key", "", "PEM file of the RSA key tokens are verified with (vidivo's jwt-signing-key.pem); required")
		issuer   = flag.String("issuer", "http://localhost:8080", "required iss claim (vidivo's public URL)")
		audience = flag.String("audience", "vidivo", "required aud claim")
	)
	flag.Parse()
	if *dbURL == "" || *keyPath == "" {
		return errors.New("-database-url and -key are required")
	}
	key, err := bare.LoadPublicKey(*keyPath)
	if err != nil {
		return err
	}
	db, engine, err := bare.Open(*dbURL)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()

	linkInfo, err := bare.NewLinkInfoHandler(db, engine)
	if err != nil {
		return fmt.Errorf("prepare link info query: %w", err)
	}
	defer linkInfo.Close()

	mux := http.NewServeMux()
	mux.Handle("GET /v1/users/me", bare.NewHandler(db, engine, key, *issuer, *audience))
	mux.Handle("GET /v1/calls/links/{code}/info", linkInfo)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	fmt.Printf("baseline listening on %s (database: %s)\n", ln.Addr(), engine)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}
