package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/oauth"
)

// routeScopes is the scope an OAuth access token needs for each
// authenticated route, by its pattern in Routes. A route not listed is
// closed to apps (account settings, personal access tokens, OAuth apps and
// authorizations, payouts, organization administration, the notification
// stream): an app acts for a user only on the data the scopes name.
var routeScopes = map[string]oauth.Scope{
	"GET /v1/users/me":                      oauth.ScopeUsersRead,
	"GET /v1/organizations/{id}":            oauth.ScopeUsersRead,
	"GET /v1/organization_memberships":      oauth.ScopeUsersRead,
	"GET /v1/organization_memberships/{id}": oauth.ScopeUsersRead,

	"GET /v1/scheduled_events":                                oauth.ScopeSchedulingRead,
	"GET /v1/scheduled_events/{uuid}":                         oauth.ScopeSchedulingRead,
	"GET /v1/scheduled_events/{uuid}/invitees":                oauth.ScopeSchedulingRead,
	"GET /v1/scheduled_events/{uuid}/invitees/{invitee_uuid}": oauth.ScopeSchedulingRead,
	"GET /v1/users/me/availability":                           oauth.ScopeSchedulingRead,
	"GET /v1/schedule/mine":                                   oauth.ScopeSchedulingRead,
	"GET /v1/schedule/{id}/calendar":                          oauth.ScopeSchedulingRead,
	"PUT /v1/users/me/availability":                           oauth.ScopeSchedulingWrite,
	"POST /v1/schedule/book":                                  oauth.ScopeSchedulingWrite,
	"POST /v1/schedule/{id}/reschedule":                       oauth.ScopeSchedulingWrite,
	"PUT /v1/schedule/{id}/cancel":                            oauth.ScopeSchedulingWrite,
	"POST /v1/event_types":                                    oauth.ScopeSchedulingWrite,
	"PATCH /v1/event_types/{id}":                              oauth.ScopeSchedulingWrite,

	"GET /v1/calls/{id}":          oauth.ScopeCallsRead,
	"GET /v1/calls/history":       oauth.ScopeCallsRead,
	"GET /v1/links":               oauth.ScopeCallsRead,
	"GET /v1/calls/links":         oauth.ScopeCallsRead,
	"POST /v1/links":              oauth.ScopeCallsWrite,
	"DELETE /v1/links/{id}":       oauth.ScopeCallsWrite,
	"POST /v1/calls/links":        oauth.ScopeCallsWrite,
	"DELETE /v1/calls/links/{id}": oauth.ScopeCallsWrite,
	// Joining, host-joining and ending calls, and signaling tokens.
	"POST /v1/calls/{a}/{b}": oauth.ScopeCallsWrite,

	"GET /v1/webhook_subscriptions":                                          oauth.ScopeWebhooksRead,
	"GET /v1/webhook_subscriptions/{id}":                                     oauth.ScopeWebhooksRead,
	"GET /v1/webhook_subscriptions/{id}/deliveries":                          oauth.ScopeWebhooksRead,
	"POST /v1/webhook_subscriptions":                                         oauth.ScopeWebhooksWrite,
	"DELETE /v1/webhook_subscriptions/{id}":                                  oauth.ScopeWebhooksWrite,
	"POST /v1/webhook_subscriptions/{id}/deliveries/{delivery_id}/redeliver": oauth.ScopeWebhooksWrite,
}

type oauthAccessKey struct{}

// oauthCaller authenticates an OAuth access token and checks it has the
// scope the route needs: 403 insufficient_scope with the scope named in
// WWW-Authenticate (RFC 6750 §3.1) if not. The returned request carries
// the token's grant (OAuthAccessFrom).
func (s *Server) oauthCaller(w http.ResponseWriter, r *http.Request, tok string) (vidivo.Caller, *http.Request, error) {
	a, err := s.OAuth.Authenticate(r.Context(), tok)
	if err != nil {
		return vidivo.Caller{}, r, err
	}
	need, open := routeScopes[r.Pattern]
	if !open {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vidivo", error="insufficient_scope"`)
		return vidivo.Caller{}, r, vidivo.Errorf(vidivo.EINSUFFICIENTSCOPE, "OAuth apps cannot use this route; it needs a personal access token or a session")
	}
	if !a.Scopes.Has(need) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vidivo", error="insufficient_scope", scope="`+need+`"`)
		return vidivo.Caller{}, r, vidivo.Errorf(vidivo.EINSUFFICIENTSCOPE, "this token was not granted the %s scope (it has: %s)", need, strings.Join(a.Scopes, " "))
	}
	return a.Caller, r.WithContext(context.WithValue(r.Context(), oauthAccessKey{}, a)), nil
}

// OAuthAccessFrom returns the grant of a request an OAuth app made, or nil
// for a request with any other credential.
func OAuthAccessFrom(ctx context.Context) *oauth.Access {
	a, _ := ctx.Value(oauthAccessKey{}).(*oauth.Access)
	return a
}
