package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// config is every setting of `vidivo serve`. Each has an environment
// variable and a flag; a flag given on the command line wins over the
// environment, which wins over the default. README.md's configuration table
// lists the same settings (TestReadmeConfigTable keeps them in step).
type config struct {
	Addr          string
	DataDir       string
	DatabaseURL   string
	PublicURL     string
	AuthRateLimit int
	LogLevel      string
	JWTPrivateKey string
}

// setting describes one configuration value for flags, env and help.
type setting struct {
	env, flag, def, usage string
}

var settings = []setting{
	{"VIDIVO_ADDR", "addr", ":8080", "address to listen on"},
	{"VIDIVO_DATA_DIR", "data-dir", "./data", "directory for the SQLite database and generated keys"},
	{"VIDIVO_DATABASE_URL", "database-url", "", `"sqlite:<path>" or "postgres://…"; default: SQLite file vidivo.db in the data dir`},
	{"VIDIVO_PUBLIC_URL", "public-url", "http://localhost:8080", "URL users reach the service at; builds links and names the token issuer"},
	{"VIDIVO_AUTH_RATE_LIMIT", "auth-rate-limit", "20", "sign-up and log-in requests per minute per IP and per account; 0 disables"},
	{"VIDIVO_LOG_LEVEL", "log-level", "info", "debug, info, warn or error"},
	{"VIDIVO_JWT_PRIVATE_KEY", "jwt-private-key", "", "PEM RSA private key(s) for access tokens, the first signs and all verify; default: generated into the data dir"},
}

// registerConfig adds every setting to fs and returns a function that
// builds the config after fs.Parse. Defaults are shown in --help; values
// from the environment are not, so secrets never reach the terminal.
func registerConfig(fs *flag.FlagSet, getenv func(string) string) func() (*config, error) {
	flags := make(map[string]*string, len(settings))
	for _, s := range settings {
		usage := fmt.Sprintf("%s (env %s", s.usage, s.env)
		if s.def != "" {
			usage += fmt.Sprintf(", default %q", s.def)
		}
		flags[s.flag] = fs.String(s.flag, "", usage+")")
	}
	return func() (*config, error) {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		val := map[string]string{}
		for _, s := range settings {
			v := s.def
			if e := getenv(s.env); e != "" {
				v = e
			}
			if given[s.flag] {
				v = *flags[s.flag]
			}
			val[s.flag] = strings.TrimSpace(v)
		}
		c := &config{
			Addr:          val["addr"],
			DataDir:       val["data-dir"],
			DatabaseURL:   val["database-url"],
			PublicURL:     strings.TrimRight(val["public-url"], "/"),
			LogLevel:      val["log-level"],
			JWTPrivateKey: val["jwt-private-key"],
		}
		n, err := strconv.Atoi(val["auth-rate-limit"])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("auth rate limit must be a whole number ≥ 0, got %q", val["auth-rate-limit"])
		}
		c.AuthRateLimit = n
		if c.DatabaseURL == "" {
			c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "vidivo.db")
		}
		return c, nil
	}
}
