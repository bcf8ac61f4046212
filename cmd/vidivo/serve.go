package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/vidivo/vidivo/api"
	"github.com/vidivo/vidivo/auth"
	"github.com/vidivo/vidivo/ratelimit"
	"github.com/vidivo/vidivo/sqldb"
	"github.com/vidivo/vidivo/token"
)

// errHelp means --help was shown; the command succeeded.
var errHelp = errors.New("help shown")

// accessTokenTTL is the lifetime of access tokens.
const accessTokenTTL = 15 * time.Minute

// shutdownGrace is how long in-flight requests may run after SIGTERM.
const shutdownGrace = 25 * time.Second

// parseConfig parses a command's flags into the shared configuration.
func parseConfig(name string, args []string, e env) (*config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("vidivo "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	build := registerConfig(fs, e.getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, errHelp
		}
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
func openStore(ctx context.Context, c *config) (*sqldb.DB, error) {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	db, err := sqldb.Open(ctx, c.DatabaseURL)
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

	db, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	authSvc, keys, err := newAuth(c, db)
	if err != nil {
		return err
	}
	srv := &api.Server{
		Auth:      authSvc,
		Users:     db,
		Links:     db,
		PublicURL: c.PublicURL,
		CursorKey: keys.DeriveSecret("pagination cursors"),
		Ready:     db.Ready,
		JWKS:      keys.JWKS(),
		Limiter:   ratelimit.New(c.AuthRateLimit, nil),
	}
	srv.Routes()

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
	fmt.Fprintf(e.stdout, "vidivo listening on %s (database: %s, public URL: %s)\n", ln.Addr(), db.Engine(), c.PublicURL)
	slog.Info("listening", "addr", ln.Addr().String(), "engine", db.Engine(), "public_url", c.PublicURL)

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
	slog.Info("stopped")
	return nil
}

func cmdMigrate(ctx context.Context, args []string, e env) error {
	c, _, err := parseConfig("migrate", args, e)
	if err != nil {
		return err
	}
	db, err := sqldb.Open(ctx, c.DatabaseURL)
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
