package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vidivo/vidivo/api"
	"github.com/vidivo/vidivo/auth"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/calendars"
	"github.com/vidivo/vidivo/calls"
	"github.com/vidivo/vidivo/jobs"
	"github.com/vidivo/vidivo/oauth"
	"github.com/vidivo/vidivo/orgs"
	"github.com/vidivo/vidivo/sandbox"
	"github.com/vidivo/vidivo/sessions"
	"github.com/vidivo/vidivo/signal"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/stripe"
	"github.com/vidivo/vidivo/token"
	"github.com/vidivo/vidivo/turn"
	"github.com/vidivo/vidivo/web"
	"github.com/vidivo/vidivo/webhooks"
)

// errHelp means --help was shown; the command succeeded.
var errHelp = errors.New("help shown")

// errUsage means the flag package already told the user what was wrong
// with the command line (and showed the flags); nothing more to print.
var errUsage = errors.New("usage shown")

// parseFlags parses args into fs, mapping --help to errHelp and a bad
// command line, already reported on fs's output, to errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return errHelp
	}
	return errUsage
}

// accessTokenTTL is the lifetime of access tokens.
const accessTokenTTL = 15 * time.Minute

// shutdownGrace is how long in-flight requests may run after SIGTERM.
const shutdownGrace = 25 * time.Second

// parseConfig parses a command's flags into the shared configuration.
func parseConfig(name string, args []string, e env, only ...string) (*config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("vidivo "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	build := registerConfig(fs, e.getenv, only...)
	if err := parseFlags(fs, args); err != nil {
		return nil, nil, err
	}
	c, err := build()
	if err != nil {
		return nil, nil, err
	}
	return c, fs, nil
}

func newLogger(c *config, e env) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", c.LogLevel)
	}
	h := slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level})
	return slog.New(api.LogHandler{Handler: h}), nil
}

// openStore opens the configured database and brings its schema up to date.
func openStore(ctx context.Context, c *config, opts *sqldb.Opts) (*sqldb.DB, error) {
	db, err := sqldb.Open(ctx, c.DatabaseURL, opts)
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(applied) > 0 {
		slog.InfoContext(ctx, "applied migrations", "engine", db.Engine(), "versions", applied)
	}
	return db, nil
}

// newAuth builds the accounts service on db with the configured keys.
func newAuth(c *config, db *sqldb.DB) (*auth.Service, *token.KeySet, error) {
	keys, err := token.LoadKeySet(c.DataDir, c.JWTPrivateKey)
	if err != nil {
		return nil, nil, fmt.Errorf("signing keys: %w", err)
	}
	issuer := &token.Issuer{Keys: keys, Issuer: c.PublicURL, Audience: "vidivo", TTL: accessTokenTTL}
	return &auth.Service{Users: db, Tokens: issuer}, keys, nil
}

func cmdServe(ctx context.Context, args []string, e env) error {
	c, _, err := parseConfig("serve", args, e)
	if err != nil {
		return err
	}
	logger, err := newLogger(c, e)
	if err != nil {
		return err
	}
	slog.SetDefault(logger)

	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	pool, engine, err := sqldb.OpenJobPool(ctx, c.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	enqueuer, err := jobs.NewEnqueuer(ctx, engine, pool)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, c, &sqldb.Opts{Jobs: enqueuer})
	if err != nil {
		return err
	}
	defer db.Close()
	authSvc, keys, err := newAuth(c, db)
	if err != nil {
		return err
	}
	gateway, err := newGateway(c, db)
	if err != nil {
		return err
	}
	hub, stopNotify, err := startNotify(ctx, c, logger)
	if err != nil {
		return err
	}
	defer stopNotify()
	callSvc := &calls.Service{Store: db, Gateway: gateway, Notifier: api.Ringer{Hub: hub}, PlatformFeePercent: c.PlatformFeePercent,
		RenewLead: c.RenewLead, Logger: logger, Metrics: calls.NewMetrics()}
	hooks := newWebhooks(c, db, logger)
	cals, err := newCalendars(c, db, logger)
	if err != nil {
		return err
	}
	mailOutbox, err := newMailOutbox(ctx, c, db, keys, logger)
	if err != nil {
		return err
	}
	runner, err := startJobs(ctx, engine, pool, callSvc, hooks, cals, &oauth.Service{Store: db}, mailOutbox, logger)
	if err != nil {
		return err
	}
	// Finish whatever a previous process left half done before serving.
	if err := callSvc.Reconcile(ctx); err != nil {
		slog.Warn("reconciliation left work for the job queue", "err", err)
	}

	signalMinter := &token.SignalingMinter{Secret: keys.DeriveSecret("signaling")}
	// Group sessions' rooms: the lobby and presence (the relay admits
	// session sockets through it); its service is set once built.
	rooms := &web.SessionRooms{Logger: logger}
	sigHub, stopSignal, err := startSignaling(c, signalMinter, callSvc, rooms, logger)
	if err != nil {
		return err
	}
	defer stopSignal()
	callSvc.Sockets = sigHub

	turnMinter, stopTURN, err := startTURN(c, logger)
	if err != nil {
		return err
	}
	defer stopTURN()
	srv := &api.Server{
		Auth:        authSvc,
		Users:       db,
		Links:       db,
		PublicURL:   c.PublicURL,
		CursorKey:   keys.DeriveSecret("pagination cursors"),
		Ready:       db.Ready,
		JWKS:        keys.JWKS(),
		Limits:      apiLimits(c, db),
		Logger:      logger,
		Calls:       callSvc,
		CallStore:   db,
		Idempotency: db,
		GuestTokens: &token.Issuer{Keys: keys, Issuer: c.PublicURL, Audience: "vidivo", TTL: guestTokenTTL},
		Signaling:   signalMinter,
		Signal:      sigHub,
		TURN:        turnMinter,
		Notify:      hub,
		Gateway:     gateway,
		Payouts:     db,
		Booking:     &booking.Service{Store: db, Gateway: gateway, PublicURL: c.PublicURL},
		EventTypes:  db,
		Orgs:        &orgs.Service{Store: db, Users: db},
		Events:      &booking.Events{Store: db, Orgs: db, PublicURL: c.PublicURL},
		Webhooks:    hooks,
		OAuth:       &oauth.Service{Store: db},
		Calendars:   cals,
		Sessions: &sessions.Service{Store: db, Gateway: gateway, Signaling: signalMinter, TURN: turnMinter,
			EntryKey: keys.DeriveSecret("session-entry"), PublicURL: c.PublicURL,
			PlatformFeePercent: c.PlatformFeePercent, Logger: logger,
			Rooms: sigHub},
	}
	srv.TrustedProxies = c.TrustedProxies
	// Only the scheduling widget's pages may be framed, and only by the
	// operator's origins.
	srv.Headers = api.SecurityHeaders{EmbedPaths: []string{"/embed/"}, EmbedOrigins: c.EmbedOrigins}
	pages := &web.Server{
		Auth: authSvc, Users: db, Links: db, Calls: callSvc, CallStore: db,
		GuestTokens: srv.GuestTokens, Signaling: signalMinter, TURN: turnMinter, Notify: hub,
		Gateway: gateway, Payouts: db,
		Payments: c.Payments, Limiter: srv, PublicURL: c.PublicURL, Logger: logger,
		StripePublishableKey: c.StripePublishableKey, ICEPolicy: c.ICEPolicy,
		Booking: srv.Booking, EventTypes: db, EmbedOrigins: c.EmbedOrigins,
		SSO:   ssoService(c, db, authSvc),
		OAuth: srv.OAuth,
		// The host's calendar settings pages.
		Calendars: cals,
	}
	rooms.Sessions = srv.Sessions
	runner.SetSessions(srv.Sessions)
	pages.Sessions = srv.Sessions
	pages.Rooms = rooms
	pages.Routes()
	srv.Pages = pages
	srv.Routes()
	srv.Registry().MustRegister(callSvc.Metrics.Collectors()...)
	metricsAddr, stopMetrics, err := startMetrics(c, srv.MetricsHandler())
	if err != nil {
		return err
	}
	defer stopMetrics()

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	hs.RegisterOnShutdown(srv.CloseStreams)
	hs.RegisterOnShutdown(pages.CloseStreams)
	fmt.Fprintf(e.stdout, "vidivo listening on %s (database: %s, public URL: %s, metrics: %s)\n", ln.Addr(), db.Engine(), c.PublicURL, metricsAddr)
	slog.Info("listening", "addr", ln.Addr().String(), "engine", db.Engine(), "public_url", c.PublicURL, "metrics_addr", metricsAddr)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Stop accepting, let in-flight requests finish, then exit cleanly.
	slog.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := runner.Stop(sctx); err != nil {
		slog.Warn("job queue stop", "err", err)
	}
	slog.Info("stopped")
	return nil
}

// guestTokenTTL is how long a guest's call-scoped token lasts: long enough
// for a long call, useless for any other.
const guestTokenTTL = 12 * time.Hour

// startJobs starts working the job queue: the jobs the store enqueues
// through its Enqueuer on the same pool.
func startJobs(ctx context.Context, engine string, pool *sql.DB, svc *calls.Service, hooks *webhooks.Service,
	cals *calendars.Service, oauthSvc *oauth.Service, mailOutbox *jobs.MailOutbox, logger *slog.Logger) (*jobs.Runner, error) {
	runner, err := jobs.New(jobs.Config{Engine: engine, Pool: pool, Calls: svc, Webhooks: hooks, Calendars: cals,
		OAuth: oauthSvc, Mail: mailOutbox, Logger: logger})
	if err != nil {
		return nil, err
	}
	if err := runner.Start(ctx); err != nil {
		return nil, fmt.Errorf("start jobs: %w", err)
	}
	return runner, nil
}

// startSignaling builds the WebSocket relay, on NATS when configured so
// that several instances share rooms.
func startSignaling(c *config, minter *token.SignalingMinter, svc *calls.Service, rooms *web.SessionRooms, logger *slog.Logger) (*signaling.Hub, func(), error) {
	var (
		broker signaling.Broker = signaling.NewLocalBroker()
		nc     *nats.Conn
	)
	if c.NATSURL != "" {
		var err error
		nc, err = nats.Connect(c.NATSURL, nats.Name("vidivo"), nats.MaxReconnects(-1))
		if err != nil {
			return nil, nil, fmt.Errorf("connect to NATS: %w", err)
		}
		broker = signaling.NewNATSBroker(nc)
	}
	hub := signaling.New(signaling.Config{
		Tokens: minter, Broker: broker, Origins: c.AllowedOrigins, Events: rooms.Events(svc), Logger: logger, Grace: c.PeerGrace,
		Admit: func(ctx context.Context, s token.Signaling) error {
			if web.IsSessionToken(s) {
				return rooms.AdmitSignal(ctx, s)
			}
			return svc.AdmitSignal(ctx, s.CallID)
		},
	})
	stop := func() {
		hub.Close()
		if nc != nil {
			nc.Close()
		}
	}
	return hub, stop, nil
}

// startTURN starts the embedded TURN server unless it is off, and returns
// the minter of credentials for it (or for the external TURN URLs).
func startTURN(c *config, logger *slog.Logger) (*turn.Minter, func(), error) {
	secret, err := turn.LoadOrCreateSecret(c.DataDir, c.TURNSecret)
	if err != nil {
		return nil, nil, fmt.Errorf("turn secret: %w", err)
	}
	m := &turn.Minter{Secret: secret, URLs: c.TURNURLs}
	if c.TURNAddr == "off" {
		if len(m.URLs) == 0 {
			logger.Warn("the embedded TURN server is off and no VIDIVO_TURN_URLS are set: peers behind NAT may not connect")
		}
		return m, func() {}, nil
	}
	host := ""
	if pu, err := url.Parse(c.PublicURL); err == nil {
		host = pu.Hostname()
	}
	quota := c.TURNUserQuota
	if quota == 0 {
		quota = -1 // the setting's 0 is no limit; the server's is its default
	}
	srv, err := turn.Listen(turn.ServerConfig{Addr: c.TURNAddr, RelayIP: c.TURNPublicIP, PublicHost: host,
		AllowPeers: c.TURNAllowPeers, UserQuota: quota, Secret: secret, Logger: logger})
	if err != nil {
		return nil, nil, fmt.Errorf("turn server: %w", err)
	}
	if len(m.URLs) == 0 {
		m.URLs = srv.URLs(host)
	}
	logger.Info("TURN server listening", "addr", srv.Addr().String(), "relay_ip", srv.RelayIP().String(), "urls", m.URLs)
	return m, func() { srv.Close() }, nil
}

// newGateway builds the configured payments gateway.
func newGateway(c *config, db *sqldb.DB) (billing.Gateway, error) {
	if c.Payments == "stripe" {
		return stripe.New(stripe.Config{SecretKey: c.StripeSecretKey, APIURL: c.StripeAPIURL})
	}
	return &sandbox.Gateway{Store: db}, nil
}

func cmdMigrate(ctx context.Context, args []string, e env) error {
	c, _, err := parseConfig("migrate", args, e, storeFlags...)
	if err != nil {
		return err
	}
	db, err := sqldb.Open(ctx, c.DatabaseURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(e.stdout, "%s schema is up to date\n", db.Engine())
		return nil
	}
	fmt.Fprintf(e.stdout, "%s: applied migrations %v\n", db.Engine(), applied)
	return nil
}
