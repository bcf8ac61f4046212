package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"

	"github.com/vidivo/vidivo/notify"
	"github.com/vidivo/vidivo/notify/natsbroker"
)

// startNotify builds the notification hub: in-process when alone, on a
// JetStream stream when VIDIVO_NATS_URL is set, so a guest who joins on
// one instance rings the host's streams on every instance, a stream that
// reconnects to any instance gets what it missed, and a user's streams
// count against one cap on all instances together (leases in a JetStream
// key-value bucket).
func startNotify(ctx context.Context, c *config, logger *slog.Logger) (*notify.Hub, func(), error) {
	hub := &notify.Hub{}
	var nc *nats.Conn
	if c.NATSURL != "" {
		var err error
		nc, err = nats.Connect(c.NATSURL, nats.Name("vidivo-notify"), nats.MaxReconnects(-1))
		if err != nil {
			return nil, nil, fmt.Errorf("connect to NATS: %w", err)
		}
		b, err := natsbroker.New(ctx, nc, natsbroker.Config{})
		if err != nil {
			nc.Close()
			return nil, nil, err
		}
		hub.Broker = b
		// The cap on a user's open streams counts the whole fleet's.
		if hub.Leases, err = natsbroker.NewLeases(ctx, nc, natsbroker.LeaseConfig{}); err != nil {
			nc.Close()
			return nil, nil, err
		}
		logger.Info("notifications on NATS", "stream", natsbroker.DefaultStream, "stream_leases", natsbroker.DefaultLeaseBucket)
	}
	if err := hub.Start(); err != nil {
		if nc != nil {
			nc.Close()
		}
		return nil, nil, err
	}
	stop := func() {
		hub.Close()
		if nc != nil {
			nc.Close()
		}
	}
	return hub, stop, nil
}
