// Package api serves Vidivo's HTTP API: JSON over REST under /v1, plus the
// operational endpoints. Handlers decode, call a service, encode; errors are
// rendered in one place in the documented format.
package api

import (
	"context"
	_ "embed"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/auth"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/calendars"
	"github.com/vidivo/vidivo/calls"
	"github.com/vidivo/vidivo/notify"
	"github.com/vidivo/vidivo/oauth"
	"github.com/vidivo/vidivo/orgs"
	"github.com/vidivo/vidivo/sessions"
	"github.com/vidivo/vidivo/token"
	"github.com/vidivo/vidivo/turn"
	"github.com/vidivo/vidivo/webhooks"
)

// OpenAPISpec is the API's OpenAPI 3.1 document.
//
//go:embed openapi.yaml
var OpenAPISpec []byte

// Server is the HTTP API. Fill the fields, then call Routes once.
type Server struct {
	Auth  *auth.Service
	Users vidivo.UserStore
	Links vidivo.LinkStore
	// Calls runs paid calls; CallStore reads them.
	Calls     *calls.Service
	CallStore vidivo.CallStore
	// Idempotency stores responses of requests with X-Idempotency-Key.
	Idempotency vidivo.IdempotencyStore
	// GuestTokens issues call-scoped guest access tokens.
	GuestTokens *token.Issuer
	// Signaling mints signaling tokens; TURN mints TURN credentials.
	Signaling *token.SignalingMinter
	TURN      *turn.Minter
	// Signal is the WebSocket signaling relay served at /signal/ws.
	Signal http.Handler
	// Notify carries events to users' notification streams.
	Notify *notify.Hub
	// Booking runs availability, slots and bookings; EventTypes keeps the
	// durations hosts offer.
	Booking    *booking.Service
	EventTypes vidivo.EventTypeStore
	// Gateway and Payouts serve host payout onboarding.
	Gateway billing.Gateway
	Payouts PayoutStore
	// PublicURL is where users reach the service (no trailing slash); it
	// builds link URLs.
	PublicURL string
	// CursorKey signs pagination cursors; every instance needs the same.
	CursorKey []byte
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Ready reports whether the service can take traffic (database up,
	// schema current).
	Ready func(ctx context.Context) error
	// JWKS is the public key set document served at /.well-known/jwks.json.
	JWKS []byte
	// Limits are the abuse limits per client address; the zero value
	// limits nothing.
	Limits Limits
	// Headers are the security headers sent on every response.
	Headers SecurityHeaders
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client; with none, the peer address is the client's.
	TrustedProxies []netip.Prefix
	// Pages serves what no API route does outside /v1 (the web pages),
	// behind the same request ids, logs, metrics and security headers;
	// nil leaves those paths 404 in the JSON error format.
	Pages http.Handler
	// Logger receives the access log and internal errors; nil means
	// slog.Default(). Wrap its handler in LogHandler to get request ids.
	Logger *slog.Logger
	// Orgs runs organizations, their memberships and invitations.
	Orgs *orgs.Service
	// Events serves bookings as scheduled events and invitees.
	Events *booking.Events
	// Webhooks runs webhook subscriptions and their deliveries.
	Webhooks *webhooks.Service
	// OAuth runs third-party apps, consent and the token endpoint.
	OAuth *oauth.Service
	// Calendars runs hosts' connected calendars; nil serves none.
	Calendars *calendars.Service
	// Sessions runs scheduled group sessions and their entry URLs.
	Sessions *sessions.Service

	mux     *http.ServeMux
	metrics *metrics
	limits  limiters
	hsts    bool // send Strict-Transport-Security: PublicURL is https
	// streamsDone is closed by CloseStreams: long-lived notification
	// streams end so a graceful shutdown need not wait for them.
	streamsDone chan struct{}
	closeOnce   sync.Once
}

// CloseStreams ends every open notification stream (clients reconnect to
// another instance). Call it when shutting down, e.g. from
// http.Server.RegisterOnShutdown.
func (s *Server) CloseStreams() {
	s.closeOnce.Do(func() { close(s.streamsDone) })
}

// Routes registers every route. It must be called before serving.
func (s *Server) Routes() {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	s.streamsDone = make(chan struct{})
	s.mux = http.NewServeMux()
	s.metrics = newMetrics()
	s.limits = newLimiters(s.Limits, s.now, s.Logger)
	s.hsts = httpsOnly(s.PublicURL)
	m := s.mux

	m.HandleFunc("GET /healthz", s.handleHealthz)
	m.Handle("GET /readyz", s.handle(s.handleReadyz))
	m.HandleFunc("GET /.well-known/jwks.json", s.handleJWKS)
	m.HandleFunc("GET /v1/openapi.yaml", s.handleOpenAPI)

	m.Handle("POST /v1/auth/signup", s.handle(s.handleSignup))
	m.Handle("POST /v1/auth/login", s.handle(s.handleLogin))
	m.Handle("POST /v1/auth/refresh", s.handle(s.handleRefresh))
	m.Handle("POST /v1/auth/logout", s.authed(s.handleLogout, accountRoles...))

	m.Handle("GET /v1/users/me", s.authed(s.handleMe, accountRoles...))
	m.Handle("PATCH /v1/users/me", s.authed(s.handleMeUpdate, accountRoles...))

	m.Handle("POST /v1/links", s.authed(s.handleLinkCreate, vidivo.RoleHost))
	m.Handle("GET /v1/links", s.authed(s.handleLinkList, vidivo.RoleHost))
	m.Handle("GET /v1/links/{short_code}", s.public(s.handle(s.handleLinkGet)))
	m.Handle("DELETE /v1/links/{id}", s.authed(s.handleLinkDelete, vidivo.RoleHost))
	m.Handle("POST /v1/calls/links", s.authed(s.handleCallLinkCreate, vidivo.RoleHost))
	m.Handle("GET /v1/calls/links", s.authed(s.handleCallLinkList, vidivo.RoleHost))
	m.Handle("DELETE /v1/calls/links/{id}", s.authed(s.handleLinkDelete, vidivo.RoleHost))
	m.Handle("GET /v1/calls/links/{a}/{b}", s.public(s.handle(s.handleCallLinkPublic)))

	// POST /v1/calls/join/{short_code}, /v1/calls/{id}/host-join and
	// /v1/calls/{id}/end overlap as patterns (/v1/calls/join/end), so one
	// pattern dispatches them; call ids are ULIDs, never "join".
	joinLink := s.public(s.handle(s.handleCallJoin))
	hostJoin := s.authed(s.handleCallHostJoin, accountRoles...)
	end := s.authed(s.handleCallEnd)
	sigToken := s.authed(s.handleSignalingToken)
	scheduledJoin := s.authed(s.handleScheduledJoin, accountRoles...)
	m.Handle("POST /v1/calls/{a}/{b}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, b := r.PathValue("a"), r.PathValue("b")
		switch {
		case a == "join":
			r.SetPathValue("short_code", b)
			joinLink.ServeHTTP(w, r)
		case b == "host-join":
			r.SetPathValue("id", a)
			hostJoin.ServeHTTP(w, r)
		case b == "end":
			r.SetPathValue("id", a)
			end.ServeHTTP(w, r)
		case b == "join":
			r.SetPathValue("id", a)
			scheduledJoin.ServeHTTP(w, r)
		case b == "signaling-token":
			r.SetPathValue("id", a)
			sigToken.ServeHTTP(w, r)
		default:
			s.writeError(w, r, vidivo.Errorf(vidivo.ENOTFOUND, "no such route: %s %s", r.Method, r.URL.Path))
		}
	}))
	m.Handle("GET /v1/calls/{id}", s.authed(s.handleCallGet))
	m.Handle("GET /v1/calls/history", s.authed(s.handleCallHistory, accountRoles...))
	m.Handle("POST /v1/users/me/payouts/onboarding", s.authed(s.handlePayoutOnboarding, vidivo.RoleHost))
	m.Handle("GET /v1/users/me/payouts", s.authed(s.handlePayoutStatus, vidivo.RoleHost))
	m.Handle("GET /v1/users/me/availability", s.authed(s.handleAvailabilityGet, vidivo.RoleHost))
	m.Handle("PUT /v1/users/me/availability", s.authed(s.handleAvailabilityPut, vidivo.RoleHost))
	m.Handle("GET /v1/schedule/{username}", s.public(s.handle(s.handleScheduleSlots)))
	m.Handle("POST /v1/schedule/book", s.authed(s.handleScheduleBook, accountRoles...))
	m.Handle("POST /v1/schedule/{id}/reschedule", s.authed(s.handleScheduleReschedule, accountRoles...))
	m.Handle("GET /v1/schedule/{id}/calendar", s.authed(s.handleScheduleCalendar, accountRoles...))
	m.Handle("GET /v1/schedule/mine", s.authed(s.handleScheduleMine, accountRoles...))
	m.Handle("PUT /v1/schedule/{id}/cancel", s.authed(s.handleScheduleCancel, accountRoles...))
	m.Handle("POST /v1/event_types", s.authed(s.handleEventTypeCreate, vidivo.RoleHost))
	m.Handle("GET /v1/event_types", s.public(s.handle(s.handleEventTypeList)))
	m.Handle("GET /v1/event_types/{id}", s.public(s.handle(s.handleEventTypeGet)))
	m.Handle("PATCH /v1/event_types/{id}", s.authed(s.handleEventTypeUpdate, vidivo.RoleHost))
	m.Handle("GET /v1/event_type_available_times", s.public(s.handle(s.handleEventTypeAvailableTimes)))
	m.Handle("GET /v1/user_availability_schedules", s.public(s.handle(s.handleUserAvailabilitySchedules)))
	m.Handle("GET /v1/user_availability_schedules/{id}", s.public(s.handle(s.handleUserAvailabilityScheduleGet)))
	m.Handle("GET /v1/user_busy_times", s.public(s.handle(s.handleUserBusyTimes)))
	m.Handle("POST /v1/personal_access_tokens", s.authed(s.handlePATCreate, accountRoles...))
	m.Handle("GET /v1/personal_access_tokens", s.authed(s.handlePATList, accountRoles...))
	m.Handle("DELETE /v1/personal_access_tokens/{id}", s.authed(s.handlePATDelete, accountRoles...))
	m.Handle("POST /v1/organizations", s.authed(s.handleOrganizationCreate, accountRoles...))
	m.Handle("GET /v1/organizations/{id}", s.authed(s.handleOrganizationGet, accountRoles...))
	m.Handle("POST /v1/organizations/{id}/invitations", s.authed(s.handleInvitationCreate, accountRoles...))
	m.Handle("GET /v1/organizations/{id}/invitations", s.authed(s.handleInvitationList, accountRoles...))
	m.Handle("DELETE /v1/organizations/{id}/invitations/{invitation_id}", s.authed(s.handleInvitationRevoke, accountRoles...))
	m.Handle("GET /v1/organization_invitations/{token}", s.public(s.handle(s.handleInvitationPreview)))
	m.Handle("POST /v1/organization_invitations/{token}/accept", s.authed(s.handleInvitationAccept, accountRoles...))
	m.Handle("GET /v1/organization_memberships", s.authed(s.handleMembershipList, accountRoles...))
	m.Handle("GET /v1/organization_memberships/{id}", s.authed(s.handleMembershipGet, accountRoles...))
	m.Handle("DELETE /v1/organization_memberships/{id}", s.authed(s.handleMembershipDelete, accountRoles...))
	m.Handle("GET /v1/scheduled_events", s.authed(s.handleScheduledEventList, accountRoles...))
	m.Handle("GET /v1/scheduled_events/{uuid}", s.authed(s.handleScheduledEventGet, accountRoles...))
	m.Handle("GET /v1/scheduled_events/{uuid}/invitees", s.authed(s.handleInviteeList, accountRoles...))
	m.Handle("GET /v1/scheduled_events/{uuid}/invitees/{invitee_uuid}", s.authed(s.handleInviteeGet, accountRoles...))
	m.Handle("POST /v1/webhook_subscriptions", s.authed(s.handleWebhookCreate, accountRoles...))
	m.Handle("GET /v1/webhook_subscriptions", s.authed(s.handleWebhookList, accountRoles...))
	m.Handle("GET /v1/webhook_subscriptions/{id}", s.authed(s.handleWebhookGet, accountRoles...))
	m.Handle("DELETE /v1/webhook_subscriptions/{id}", s.authed(s.handleWebhookDelete, accountRoles...))
	m.Handle("GET /v1/webhook_subscriptions/{id}/deliveries", s.authed(s.handleWebhookDeliveries, accountRoles...))
	m.Handle("POST /v1/webhook_subscriptions/{id}/deliveries/{delivery_id}/redeliver",
		s.authed(s.handleWebhookRedeliver, accountRoles...))
	if s.OAuth != nil {
		m.Handle("POST /v1/oauth_applications", s.authed(s.handleOAuthAppCreate, accountRoles...))
		m.Handle("GET /v1/oauth_applications", s.authed(s.handleOAuthAppList, accountRoles...))
		m.Handle("GET /v1/oauth_applications/{id}", s.authed(s.handleOAuthAppGet, accountRoles...))
		m.Handle("PATCH /v1/oauth_applications/{id}", s.authed(s.handleOAuthAppUpdate, accountRoles...))
		m.Handle("DELETE /v1/oauth_applications/{id}", s.authed(s.handleOAuthAppDelete, accountRoles...))
		m.Handle("POST /v1/oauth_applications/{id}/rotate_secret", s.authed(s.handleOAuthAppRotate, accountRoles...))
		m.Handle("GET /v1/oauth_authorizations", s.authed(s.handleOAuthAuthorizationList, accountRoles...))
		m.Handle("DELETE /v1/oauth_authorizations/{id}", s.authed(s.handleOAuthAuthorizationDelete, accountRoles...))
		m.HandleFunc("GET /.well-known/oauth-authorization-server", s.handleOAuthMetadata)
		m.HandleFunc("POST /oauth/token", s.handleOAuthToken)
		m.HandleFunc("POST /oauth/revoke", s.handleOAuthRevoke)
	}
	s.calendarRoutes(m)
	if s.Sessions != nil {
		s.sessionRoutes(m)
	}
	if s.Signal != nil {
		m.Handle("GET /signal/ws", s.Signal)
	}
	m.Handle("GET /v1/notifications/stream", s.authed(s.handleNotificationStream, accountRoles...))
}
