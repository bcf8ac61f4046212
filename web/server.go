// Package web serves Vidivo's pages: server-rendered html/template pages,
// hand-written CSS and small vanilla JavaScript modules, all embedded in
// the binary. Pages call the same services as the API (auth, calls), never
// the API over HTTP. Browsers hold a cookie session backed by a refresh
// token; every state-changing request carries a CSRF token; a strict
// Content-Security-Policy allows only our own scripts (and Stripe.js with
// the Stripe gateway).
package web

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/auth"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/calendars"
	"github.com/vidivo/vidivo/calls"
	"github.com/vidivo/vidivo/hosts"
	"github.com/vidivo/vidivo/notify"
	"github.com/vidivo/vidivo/oauth"
	"github.com/vidivo/vidivo/sessions"
	"github.com/vidivo/vidivo/sso"
	"github.com/vidivo/vidivo/token"
	"github.com/vidivo/vidivo/turn"
)

// Limiter applies the API's abuse limits to the pages' forms, so a page is
// no way around them. It answers an error (rate_limited) when a request is
// over its budget, having set Retry-After on w.
type Limiter interface {
	LimitSignup(w http.ResponseWriter, r *http.Request) error
	LimitLogin(w http.ResponseWriter, r *http.Request, login string) error
}

// Server serves the pages. Fill the fields, then call Routes once.
type Server struct {
	Auth  *auth.Service
	Users vidivo.UserStore
	Links vidivo.LinkStore
	// Calls runs paid calls; CallStore reads them.
	Calls     *calls.Service
	CallStore vidivo.CallStore
	// Booking runs scheduled calls: availability, slots, bookings,
	// rescheduling and canceling; EventTypes keeps hosts' event types.
	Booking    *booking.Service
	EventTypes vidivo.EventTypeStore
	// GuestTokens issues the call-scoped token a guest's browser keeps in
	// a cookie; Signaling and TURN mint what the in-call page connects with.
	GuestTokens *token.Issuer
	Signaling   *token.SignalingMinter
	TURN        *turn.Minter
	// Notify carries the host's ringer to the dashboard.
	Notify *notify.Hub
	// Payouts records hosts' payout accounts (onboarding from the pages).
	Payouts hosts.PayoutStore
	// Gateway places holds; Payments names it ("sandbox" or "stripe") and
	// StripePublishableKey lets Stripe.js collect cards in the browser.
	Gateway              billing.Gateway
	Payments             string
	StripePublishableKey string
	// ICEPolicy is "all" or "relay" (TURN only: participants never learn
	// each other's addresses).
	ICEPolicy string
	// Limiter applies the API's limits to log-in and sign-up; nil limits
	// nothing.
	Limiter Limiter
	// PublicURL is where users reach the service (no trailing slash).
	PublicURL string
	// EmbedOrigins are the origins (https://coach.example) whose pages may
	// frame the scheduling widget under /embed/ (VIDIVO_EMBED_ORIGINS);
	// with none, no page may be framed.
	EmbedOrigins []string
	// SSO signs partner apps' users up and in (/sso/…); nil means no
	// partners.
	SSO *sso.Service
	// OAuth serves third-party apps' consent page and the apps settings
	// page; nil serves neither.
	OAuth *oauth.Service
	// Rooms serves group sessions' entry pages and rooms (/s/{token});
	// nil serves none.
	Rooms *SessionRooms
	// Sessions serves the host's group-session pages (/sessions) and the
	// session fees under their call history; nil serves neither.
	Sessions *sessions.Service
	// Calendars serves the host's connected-calendars settings
	// (/settings/calendars); nil serves none.
	Calendars *calendars.Service
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger

	mux      *http.ServeMux
	handler  http.Handler
	pages    pages
	static   staticFiles
	secure   bool // cookies are Secure: the public URL is https
	sessions *refresher
	// streamsDone is closed by CloseStreams: dashboards' event streams end
	// so a graceful shutdown need not wait for them.
	streamsDone chan struct{}
	closeOnce   sync.Once
}

// Routes parses the templates and registers every page. It must be called
// before serving; it panics if an embedded template does not parse, which
// a test catches before any release.
func (s *Server) Routes() {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	s.secure = strings.HasPrefix(strings.ToLower(s.PublicURL), "https://")
	s.pages = mustParsePages()
	s.static = mustLoadStatic()
	s.sessions = newRefresher()
	s.mux = http.NewServeMux()
	m := s.mux

	m.HandleFunc("GET /static/{file}", s.serveStatic)
	m.Handle("GET /{$}", s.page(s.handleHome))
	m.Handle("GET /login", s.page(s.handleLoginForm))
	m.Handle("POST /login", s.page(s.handleLogin))
	m.Handle("GET /signup", s.page(s.handleSignupForm))
	m.Handle("POST /signup", s.page(s.handleSignup))
	m.Handle("POST /logout", s.page(s.handleLogout))
	s.callRoutes(m)
	s.dashboardRoutes(m)
	s.scheduleRoutes(m)
	s.embedRoutes(m)
	s.bookingRoutes(m)
	s.ssoRoutes(m)
	s.oauthRoutes(m)
	s.sessionRoutes(m)
	s.calendarRoutes(m)
	s.hostSessionRoutes(m)
	m.Handle("/", s.page(func(w http.ResponseWriter, r *http.Request) error {
		return vidivo.Errorf(vidivo.ENOTFOUND, "there is no page at this address")
	}))

	// Go's cross-origin protection refuses state-changing requests that a
	// browser says came from another site; the CSRF token covers browsers
	// that send neither Sec-Fetch-Site nor Origin.
	s.handler = http.NewCrossOriginProtection().Handler(m)
}

// ServeHTTP serves a page.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// page adapts a handler that returns an error: the error is rendered as a
// page with its status, and internal errors are logged, never shown.
func (s *Server) page(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	})
}
