package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"

	"github.com/vidivo/vidivo/turn"
)

// serverMain runs turn.Listen configured as `vidivo serve` configures it
// (startTURN: quota off here, peers allowed by -allow-peers), plus a pprof
// listener, until SIGINT/SIGTERM: the embedded relay without the rest of
// the service, for profiling.
func serverMain(args []string) error {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:3478", "TURN listen address (UDP and TCP)")
	secret := fs.String("secret", "", "REST-API shared secret")
	allow := fs.String("allow-peers", "127.0.0.1", "CIDRs peers may be in although internal")
	pp := fs.String("pprof", "127.0.0.1:6060", "pprof HTTP listener")
	sockets := fs.Int("udp-sockets", 0, "UDP sockets on the port (0: one per CPU, as vidivo serve)")
	fs.Parse(args)
	peers, err := turn.ParseAllowPeers(*allow)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := turn.Listen(turn.ServerConfig{Addr: *addr, AllowPeers: peers, UserQuota: -1,
		Secret: []byte(*secret), Logger: logger, UDPSockets: *sockets})
	if err != nil {
		return err
	}
	defer srv.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	go func() { _ = http.ListenAndServe(*pp, mux) }()
	fmt.Println("listening", srv.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	return nil
}
