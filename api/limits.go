package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/oauth"
	"github.com/vidivo/vidivo/ratelimit"
)

// Limits are a Server's abuse limits, in requests per minute per client
// address; 0 disables a limit. The zero value limits nothing. Each instance
// counts on its own unless Shared is set.
type Limits struct {
	// Auth limits sign-up and log-in per client address. Log-in is also
	// limited per account and address, to a quarter of Auth (at least 1):
	// an address guessing one account's password runs out long before its
	// own budget, and never touches the budget of the owner, who logs in
	// from another address. There is deliberately no per-account limit
	// across addresses: it would let anyone lock any account out.
	Auth int
	// Public limits anonymous requests per client address: link info,
	// scheduling slots, event types, availability and busy times, and
	// joining a call by its link.
	Public int
	// Shared, when set, keeps the counts in a store every instance of a
	// fleet uses, so a client's budget is the same however its requests
	// are balanced. A failing store allows requests (and logs): an outage
	// never locks anyone out.
	Shared ratelimit.Store
}

// limiters are the token buckets built from Limits.
type limiters struct {
	address *ratelimit.Limiter // sign-up and log-in, per address
	login   *ratelimit.Limiter // log-in, per account and address
	public  *ratelimit.Limiter // anonymous requests, per address
}

func newLimiters(l Limits, now func() time.Time, logger *slog.Logger) limiters {
	perAccount := 0
	if l.Auth > 0 {
		perAccount = max(1, (l.Auth+3)/4)
	}
	limiter := func(perMinute int, name string) *ratelimit.Limiter {
		if l.Shared == nil {
			return ratelimit.New(perMinute, now)
		}
		return ratelimit.NewShared(perMinute, now, ratelimit.Shared{Store: l.Shared, Name: name, Logger: logger})
	}
	return limiters{
		address: limiter(l.Auth, "auth"),
		login:   limiter(perAccount, "login"),
		public:  limiter(l.Public, "public"),
	}
}

// allow takes a token for key from lim; a refusal is rate_limited with a
// Retry-After header.
func allow(w http.ResponseWriter, lim *ratelimit.Limiter, key, what string) error {
	ok, retry := lim.Allow(key)
	if ok {
		return nil
	}
	secs := int(retry / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return vidivo.Errorf(vidivo.ERATELIMITED, "too many %s from your address; retry in %d seconds", what, secs)
}

// limitSignup applies the per-address sign-up and log-in limit.
func (s *Server) limitSignup(w http.ResponseWriter, r *http.Request) error {
	return allow(w, s.limits.address, limitKey(s.clientAddr(r)), "attempts")
}

// limitOAuth applies the per-address sign-up and log-in limit to the
// token and revocation endpoints, so a client secret, code or refresh
// token cannot be guessed fast. The refusal is in OAuth's format, as every
// other answer of these endpoints.
func (s *Server) limitOAuth(w http.ResponseWriter, r *http.Request) error {
	if err := s.limitSignup(w, r); err != nil {
		return &oauth.Error{Code: oauth.ErrRateLimited, Description: vidivo.ErrorMessage(err)}
	}
	return nil
}

// limitLogin applies the per-address limit, then the one per account and
// address. login is an email or a username: both name the same account, so
// they share its bucket; an identifier that names no account gets a bucket
// of its own text.
func (s *Server) limitLogin(w http.ResponseWriter, r *http.Request, login string) error {
	addr := limitKey(s.clientAddr(r))
	// The cheap check first: an address over its budget costs no lookup.
	if err := allow(w, s.limits.address, addr, "attempts"); err != nil {
		return err
	}
	if s.Limits.Auth <= 0 {
		return nil // no limit: spare the lookup
	}
	return allow(w, s.limits.login, s.accountKey(r, login)+"|"+addr, "log-in attempts for this account")
}

// accountKey names the account login refers to. Lookup errors (an
// identifier the database refuses, an outage) fall back to the text, and
// the log-in itself reports them.
func (s *Server) accountKey(r *http.Request, login string) string {
	norm := strings.ToLower(strings.TrimSpace(login))
	if s.Users == nil {
		return "login:" + norm
	}
	u, _, err := s.Users.UserByLogin(r.Context(), norm)
	if err != nil || u == nil {
		return "login:" + norm
	}
	return "account:" + u.ID
}

// public limits anonymous requests per client address.
func (s *Server) public(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := allow(w, s.limits.public, limitKey(s.clientAddr(r)), "requests"); err != nil {
			s.writeError(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}
