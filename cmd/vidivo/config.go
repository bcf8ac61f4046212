package main

import (
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vidivo/vidivo/mail"
	"github.com/vidivo/vidivo/sso"
	"github.com/vidivo/vidivo/turn"
	"github.com/vidivo/vidivo/webhook"
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

	// PublicRateLimit limits anonymous requests per client address.
	PublicRateLimit int
	// MetricsAddr is where /metrics is served ("" when off); MetricsAddrSet
	// tells an address the operator chose from the default.
	MetricsAddr    string
	MetricsAddrSet bool
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix

	Payments           string
	StripeSecretKey    string
	StripeAPIURL       string
	PlatformFeePercent int
	TURNURLs           []string
	TURNSecret         string
	TURNAddr           string
	TURNPublicIP       string
	NATSURL            string
	AllowedOrigins     []string

	// PeerGrace is how long a participant may be gone from a call's
	// signaling before the call ends as timed out.
	PeerGrace time.Duration
	// RenewLead is how long before the held time runs out the next
	// billing window's hold is placed.
	RenewLead time.Duration

	// TURNAllowPeers are internal ranges the TURN relay may reach anyway.
	TURNAllowPeers []netip.Prefix
	// TURNUserQuota is the live TURN allocations per participant; 0 is
	// no limit.
	TURNUserQuota int
	// WebhookAllowNets are internal ranges webhooks may be delivered to
	// anyway.
	WebhookAllowNets []netip.Prefix

	// ICEPolicy is "all" or "relay": the call pages use TURN only, so
	// participants never learn each other's addresses.
	ICEPolicy string
	// StripePublishableKey lets the join page's Stripe.js collect cards
	// in the browser.
	StripePublishableKey string
	// EmbedOrigins are the sites allowed to frame the scheduling widget
	// (the /embed/ pages); none means no page may be framed.
	EmbedOrigins []string
	// SSOPartners are the partner apps that sign users up and in by
	// token (/sso/…); none turns single sign-on off.
	SSOPartners sso.Partners
	// CalendarKey seals connected calendars' passwords; "" means the
	// data dir's calendar.key.
	CalendarKey string
	// SMTPURL and MailFrom send session invites by email; "" sends none.
	SMTPURL, MailFrom string
}

// minRenewLead leaves a renewal room for the queue's scheduling delay
// and a retry before the held time runs out.
const minRenewLead = 10 * time.Second

// defaultMetricsAddr keeps /metrics on loopback. Not 9090: that is the
// Prometheus server's own port, often on the same box.
const defaultMetricsAddr = "127.0.0.1:9464"

// setting describes one configuration value for flags, env and help.
type setting struct {
	env, flag, def, usage string
}

var settings = []setting{
	{"VIDIVO_ADDR", "addr", ":8080", "address to listen on"},
	{"VIDIVO_DATA_DIR", "data-dir", "./data", "directory for the SQLite database and generated keys"},
	{"VIDIVO_DATABASE_URL", "database-url", "", `"sqlite:<path>" or "postgres://…"; default: SQLite file vidivo.db in the data dir`},
	{"VIDIVO_PUBLIC_URL", "public-url", "http://localhost:8080", "URL users reach the service at; builds links and names the token issuer"},
	{"VIDIVO_AUTH_RATE_LIMIT", "auth-rate-limit", "20", "sign-up, log-in and OAuth token and revocation requests per minute per IP (log-in also a quarter of it per account and IP); 0 disables"},
	{"VIDIVO_PUBLIC_RATE_LIMIT", "public-rate-limit", "120", "anonymous requests (link info, slots, event types, joins by link) per minute per IP; 0 disables"},
	{"VIDIVO_METRICS_ADDR", "metrics-addr", defaultMetricsAddr, `address of the /metrics listener, kept off the public one; "off" disables it`},
	{"VIDIVO_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client (rate limits, logs); default: none, the peer is the client"},
	{"VIDIVO_LOG_LEVEL", "log-level", "info", "debug, info, warn or error"},
	{"VIDIVO_JWT_PRIVATE_KEY", "jwt-private-key", "", "PEM RSA private key(s) for access tokens, the first signs and all verify; default: generated into the data dir"},
	{"VIDIVO_PAYMENTS", "payments", "", `payments gateway: "sandbox" or "stripe"; default: stripe when a Stripe key is set, else sandbox`},
	{"VIDIVO_STRIPE_SECRET_KEY", "stripe-secret-key", "", "Stripe secret key (for the stripe gateway)"},
	{"VIDIVO_STRIPE_API_URL", "stripe-api-url", "", "Stripe API base URL; set it to a stripe-mock address in tests"},
	{"VIDIVO_STRIPE_PUBLISHABLE_KEY", "stripe-publishable-key", "", "Stripe publishable key (pk_…) with which the join page collects cards in the browser (stripe gateway)"},
	{"VIDIVO_PLATFORM_FEE_PERCENT", "platform-fee-percent", "0", "platform's share of each capture, in whole percent (0-100)"},
	{"VIDIVO_NATS_URL", "nats-url", "", "NATS server that carries signaling between instances; default: in-process (one instance)"},
	{"VIDIVO_PEER_GRACE", "peer-grace", "60s", "how long a participant may be gone from a call's signaling (dropped, or on an instance that died) before the call ends as timed out"},
	{"VIDIVO_RENEW_LEAD", "renew-lead", "1m", "how long before the held time runs out the next billing window's hold is placed (at least 10s); longer than a window holds more than one window ahead"},
	{"VIDIVO_ALLOWED_ORIGINS", "allowed-origins", "", "comma-separated extra Origins allowed to open signaling WebSockets; the public URL always is"},
	{"VIDIVO_TURN_ADDR", "turn-addr", ":3478", `embedded TURN server address (UDP and TCP); "off" disables it`},
	{"VIDIVO_TURN_PUBLIC_IP", "turn-public-ip", "", "relay address the embedded TURN server gives peers; default: 127.0.0.1 when the TURN address or the public URL is on loopback, else the TURN address or the default route's address"},
	{"VIDIVO_TURN_URLS", "turn-urls", "", "comma-separated TURN URLs handed to peers; default: the embedded server at the public URL's host"},
	{"VIDIVO_TURN_SECRET", "turn-secret", "", "shared secret of the TURN REST credentials (coturn use-auth-secret); default: generated into the data dir"},
	{"VIDIVO_TURN_ALLOW_PEERS", "turn-allow-peers", "", "comma-separated CIDRs the embedded TURN server may relay to although internal (loopback, private, link-local…); default: none, for tests and private networks"},
	{"VIDIVO_WEBHOOK_ALLOW_NETS", "webhook-allow-nets", "", "comma-separated CIDRs webhooks may be delivered to although internal (loopback, private, link-local, CGNAT…); plain http is accepted only for addresses in them; default: none, for tests and private deployments"},
	{"VIDIVO_TURN_USER_QUOTA", "turn-user-quota", strconv.Itoa(turn.DefaultUserQuota), "live allocations one participant may hold on the embedded TURN server; 0 is no limit"},
	{"VIDIVO_ICE_POLICY", "ice-policy", "all", `how the call pages connect media: "all", or "relay" for TURN only (hides participants' addresses from each other)`},
	{"VIDIVO_EMBED_ORIGINS", "embed-origins", "", "comma-separated origins (https://coach.example) allowed to frame the scheduling widget (/embed/ pages); default: none, no page may be framed"},
	{"VIDIVO_CALENDAR_KEY", "calendar-key", "", "secret (16+ characters) that encrypts connected calendars' passwords at rest; default: generated into the data dir"},
	{"VIDIVO_SMTP_URL", "smtp-url", "", "SMTP server that sends session invites: smtp://user:pass@host:587 (STARTTLS required), smtps://user:pass@host:465 (implicit TLS) or smtp://host:25?tls=none (no TLS, never with credentials to a remote host); default: none, no email"},
	{"VIDIVO_MAIL_FROM", "mail-from", "", `sender of the invites, "Vidivo <noreply@example.com>"; required with VIDIVO_SMTP_URL`},
	{"VIDIVO_SSO_PARTNERS", "sso-partners", "", "partner apps whose HS256 tokens sign users up and in (/sso/signup, /sso/login): comma-separated issuer=key pairs (keys of 32+ bytes), or @path to a file of them, one per line; default: none, single sign-on off"},
}

// storeFlags are the settings of the commands that only open the
// database (migrate, user).
var storeFlags = []string{"data-dir", "database-url"}

// registerConfig adds the settings named by only (every setting when none
// is named) to fs as flags, and returns a function that builds the config
// after fs.Parse; settings without a flag still come from the environment.
// Defaults are shown in --help; values from the environment are not, so
// secrets never reach the terminal.
func registerConfig(fs *flag.FlagSet, getenv func(string) string, only ...string) func() (*config, error) {
	flags := make(map[string]*string, len(settings))
	for _, s := range settings {
		if len(only) > 0 && !slices.Contains(only, s.flag) {
			continue
		}
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
		c.CalendarKey = val["calendar-key"]
		n, err := strconv.Atoi(val["auth-rate-limit"])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("auth rate limit must be a whole number ≥ 0, got %q", val["auth-rate-limit"])
		}
		c.AuthRateLimit = n
		if c.PublicRateLimit, err = strconv.Atoi(val["public-rate-limit"]); err != nil || c.PublicRateLimit < 0 {
			return nil, fmt.Errorf("public rate limit must be a whole number ≥ 0, got %q", val["public-rate-limit"])
		}
		c.MetricsAddr, c.MetricsAddrSet = val["metrics-addr"], given["metrics-addr"] || getenv("VIDIVO_METRICS_ADDR") != ""
		if c.MetricsAddr == "off" {
			c.MetricsAddr = ""
		}
		if c.TrustedProxies, err = parsePrefixes(val["trusted-proxies"]); err != nil {
			return nil, fmt.Errorf("trusted proxies: %w", err)
		}
		fee, err := strconv.Atoi(val["platform-fee-percent"])
		if err != nil || fee < 0 || fee > 100 {
			return nil, fmt.Errorf("platform fee must be a whole percent from 0 to 100, got %q", val["platform-fee-percent"])
		}
		c.PlatformFeePercent = fee
		c.StripeSecretKey, c.StripeAPIURL, c.TURNSecret = val["stripe-secret-key"], val["stripe-api-url"], val["turn-secret"]
		c.StripePublishableKey = val["stripe-publishable-key"]
		if c.ICEPolicy = val["ice-policy"]; c.ICEPolicy != "all" && c.ICEPolicy != "relay" {
			return nil, fmt.Errorf(`ICE policy must be "all" or "relay", got %q`, c.ICEPolicy)
		}
		c.TURNAddr, c.TURNPublicIP, c.NATSURL = val["turn-addr"], val["turn-public-ip"], val["nats-url"]
		if c.PeerGrace, err = time.ParseDuration(val["peer-grace"]); err != nil || c.PeerGrace < time.Second {
			return nil, fmt.Errorf("peer grace must be a duration of at least 1s (60s, 2m), got %q", val["peer-grace"])
		}
		if c.RenewLead, err = time.ParseDuration(val["renew-lead"]); err != nil || c.RenewLead < minRenewLead {
			return nil, fmt.Errorf("renew lead must be a duration of at least %v (1m, 90s), got %q", minRenewLead, val["renew-lead"])
		}
		c.AllowedOrigins = []string{c.PublicURL}
		for _, o := range strings.Split(val["allowed-origins"], ",") {
			if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
				c.AllowedOrigins = append(c.AllowedOrigins, o)
			}
		}
		switch c.Payments = val["payments"]; c.Payments {
		case "":
			c.Payments = "sandbox"
			if c.StripeSecretKey != "" {
				c.Payments = "stripe"
			}
		case "sandbox":
		case "stripe":
			if c.StripeSecretKey == "" {
				return nil, fmt.Errorf("payments: stripe needs VIDIVO_STRIPE_SECRET_KEY")
			}
		default:
			return nil, fmt.Errorf(`payments must be "sandbox" or "stripe", got %q`, c.Payments)
		}
		for _, u := range strings.Split(val["turn-urls"], ",") {
			if u = strings.TrimSpace(u); u != "" {
				c.TURNURLs = append(c.TURNURLs, u)
			}
		}
		if c.EmbedOrigins, err = parseOrigins(val["embed-origins"]); err != nil {
			return nil, fmt.Errorf("VIDIVO_EMBED_ORIGINS: %w", err)
		}
		if c.SSOPartners, err = sso.ParsePartners(val["sso-partners"]); err != nil {
			return nil, fmt.Errorf("VIDIVO_SSO_PARTNERS: %w", err)
		}
		if c.TURNAllowPeers, err = turn.ParseAllowPeers(val["turn-allow-peers"]); err != nil {
			return nil, fmt.Errorf("VIDIVO_TURN_ALLOW_PEERS: %w", err)
		}
		if c.WebhookAllowNets, err = webhook.ParseAllow(val["webhook-allow-nets"]); err != nil {
			return nil, fmt.Errorf("VIDIVO_WEBHOOK_ALLOW_NETS: %w", err)
		}
		if c.TURNUserQuota, err = strconv.Atoi(val["turn-user-quota"]); err != nil || c.TURNUserQuota < 0 {
			return nil, fmt.Errorf("TURN user quota must be a whole number ≥ 0, got %q", val["turn-user-quota"])
		}
		if c.SMTPURL, c.MailFrom = val["smtp-url"], val["mail-from"]; c.SMTPURL != "" || c.MailFrom != "" {
			if c.SMTPURL == "" || c.MailFrom == "" {
				return nil, fmt.Errorf("VIDIVO_SMTP_URL and VIDIVO_MAIL_FROM go together: set both to send invites, or neither")
			}
			if _, err := mail.New(c.SMTPURL, c.MailFrom); err != nil {
				return nil, err
			}
		}

		if c.DatabaseURL == "" {
			c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "vidivo.db")
		}
		return c, nil
	}
}

// parseOrigins reads comma-separated web origins (scheme://host[:port]),
// lower-cased and without a trailing slash. A path, query, wildcard or
// scheme other than http(s) is refused: each origin goes into a
// Content-Security-Policy frame-ancestors list and is compared exactly
// with a browser's origin.
func parseOrigins(list string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimRight(strings.TrimSpace(f), "/"); f == "" {
			continue
		}
		u, err := url.Parse(f)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" ||
			u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(u.Host, "*;' ") {
			return nil, fmt.Errorf("%q is not an origin such as https://coach.example", f)
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out, nil
}

// parsePrefixes reads comma-separated CIDRs; a bare address is a prefix of
// its own full length.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
