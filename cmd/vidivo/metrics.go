package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// startMetrics serves h at /metrics on a listener of its own, so the
// public listener never exposes it. It returns the address it listens on
// ("off" when disabled) and a function that stops it. A default address
// that is taken (say, a second instance on one box) costs only a warning,
// so the embedded default keeps working; an address the operator chose must
// be had.
func startMetrics(c *config, h http.Handler) (string, func(), error) {
	if c.MetricsAddr == "" {
		return "off", func() {}, nil
	}
	ln, err := net.Listen("tcp", c.MetricsAddr)
	if err != nil {
		if c.MetricsAddrSet {
			return "", nil, fmt.Errorf("metrics listener: %w", err)
		}
		slog.Warn("metrics listener not started: its default address is taken; set VIDIVO_METRICS_ADDR",
			"addr", c.MetricsAddr, "err", err)
		return "off", func() {}, nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("metrics listener stopped", "err", err)
		}
	}()
	slog.Info("metrics listening", "addr", ln.Addr().String())
	return ln.Addr().String(), func() { hs.Close() }, nil
}
