package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/oauth"
	"github.com/vidivo/vidivo/webhook"
)

type oauthAppBody struct {
	ID           string   `json:"id"`
	ClientID     string   `json:"client_id"`
	Name         string   `json:"name"`
	ClientType   string   `json:"client_type"`
	ClientSecret string   `json:"client_secret"`
	RedirectURIs []string `json:"redirect_uris"`
	Scopes       []string `json:"scopes"`
}

type oauthTokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

type oauthErrBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

var (
	clientSecretRE = regexp.MustCompile(`^vdv_ocs_[A-Za-z0-9_-]{43}$`)
	accessRE       = regexp.MustCompile(`^vdv_oat_[A-Za-z0-9_-]{43}$`)
)

const appRedirect = "https://crm.example/oauth/callback"

func createApp(t *testing.T, e *apitest.Env, tok string, body map[string]any) oauthAppBody {
	t.Helper()
	resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/oauth_applications", Token: tok, Body: body})
	resp.WantStatus(t, http.StatusCreated)
	var out struct {
		OAuthApplication oauthAppBody `json:"oauth_application"`
	}
	resp.Decode(t, &out)
	return out.OAuthApplication
}

func appBody(scopes ...string) map[string]any {
	return map[string]any{"name": "Acme CRM", "redirect_uris": []string{appRedirect, "http://127.0.0.1:9999/cb"}, "scopes": scopes}
}

// pkce is a verifier and its S256 challenge.
func pkce(seed string) (verifier, challenge string) {
	verifier = strings.Repeat(seed, 64)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// approve gives userID's consent as the consent page does and returns the
// code from the redirect.
func approve(t *testing.T, e *apitest.Env, userID string, app oauthAppBody, scope, challenge string) string {
	t.Helper()
	dest, err := e.Server.OAuth.Approve(context.Background(), userID, oauth.AuthorizeRequest{ResponseType: "code",
		ClientID: app.ClientID, RedirectURI: appRedirect, Scope: scope, State: "st-1", CodeChallenge: challenge, CodeChallengeMethod: "S256"})
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	u, _ := url.Parse(dest)
	if !strings.HasPrefix(dest, appRedirect+"?") || u.Query().Get("state") != "st-1" {
		t.Fatalf("redirect %q", dest)
	}
	return u.Query().Get("code")
}

// tokenReq posts a form to the token endpoint; with basic the client
// authenticates with HTTP Basic, else in the body.
func tokenReq(e *apitest.Env, path string, app oauthAppBody, basic bool, form url.Values) *apitest.Response {
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if basic {
		r, _ := http.NewRequest("POST", "/", nil)
		r.SetBasicAuth(url.QueryEscape(app.ClientID), url.QueryEscape(app.ClientSecret))
		h.Set("Authorization", r.Header.Get("Authorization"))
	} else {
		form.Set("client_id", app.ClientID)
		if app.ClientSecret != "" {
			form.Set("client_secret", app.ClientSecret)
		}
	}
	return e.Do(apitest.Req{Method: "POST", Path: path, Body: form.Encode(), Header: h})
}

func exchange(e *apitest.Env, app oauthAppBody, code, verifier string) *apitest.Response {
	return tokenReq(e, "/oauth/token", app, true, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {appRedirect}, "code_verifier": {verifier}})
}

func mustTokens(t *testing.T, resp *apitest.Response) oauthTokens {
	t.Helper()
	resp.WantStatus(t, http.StatusOK)
	var tok oauthTokens
	resp.Decode(t, &tok)
	if !accessRE.MatchString(tok.AccessToken) || tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 {
		t.Fatalf("tokens %+v", tok)
	}
	return tok
}

func wantOAuthError(t *testing.T, resp *apitest.Response, status int, code string) {
	t.Helper()
	var body oauthErrBody
	resp.Decode(t, &body)
	if resp.Status != status || body.Error != code {
		t.Fatalf("got %d %+v, want %d %s", resp.Status, body, status, code)
	}
}

func TestOAuthApplications(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		owner := mustSignup(t, e, "janecoach", "host")
		other := mustSignup(t, e, "alex", "client")

		conf := createApp(t, e, owner.AccessToken, appBody("users:read", "scheduling:read"))
		if conf.ClientID != conf.ID || conf.ClientType != "confidential" || !clientSecretRE.MatchString(conf.ClientSecret) ||
			strings.Join(conf.Scopes, " ") != "users:read scheduling:read" {
			t.Fatalf("created %+v", conf)
		}
		pub := createApp(t, e, owner.AccessToken, map[string]any{"name": "Acme mobile", "redirect_uris": []string{"http://[::1]:8080/cb"},
			"scopes": []string{"calls:read"}, "client_type": "public"})
		if pub.ClientType != "public" || pub.ClientSecret != "" {
			t.Fatalf("public app %+v", pub)
		}

		resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/oauth_applications", Token: owner.AccessToken})
		resp.WantStatus(t, http.StatusOK)
		var list struct {
			OAuthApplications []oauthAppBody `json:"oauth_applications"`
		}
		resp.Decode(t, &list)
		if len(list.OAuthApplications) != 2 || list.OAuthApplications[0].ClientSecret != "" {
			t.Fatalf("list %+v", list)
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/oauth_applications/" + conf.ID, Token: other.AccessToken}).WantError(t, http.StatusNotFound, "not_found")
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/oauth_applications/" + conf.ID, Token: other.AccessToken}).WantError(t, http.StatusNotFound, "not_found")
		e.Do(apitest.Req{Method: "POST", Path: "/v1/oauth_applications/" + conf.ID + "/rotate_secret", Token: other.AccessToken}).WantError(t, http.StatusNotFound, "not_found")

		resp = e.Do(apitest.Req{Method: "PATCH", Path: "/v1/oauth_applications/" + conf.ID, Token: owner.AccessToken,
			Body: map[string]any{"name": "Acme CRM 2", "scopes": []string{"users:read"}}})
		resp.WantStatus(t, http.StatusOK)

		resp = e.Do(apitest.Req{Method: "POST", Path: "/v1/oauth_applications/" + conf.ID + "/rotate_secret", Token: owner.AccessToken})
		resp.WantStatus(t, http.StatusOK)
		var rotated struct {
			OAuthApplication oauthAppBody `json:"oauth_application"`
		}
		resp.Decode(t, &rotated)
		if !clientSecretRE.MatchString(rotated.OAuthApplication.ClientSecret) || rotated.OAuthApplication.ClientSecret == conf.ClientSecret ||
			rotated.OAuthApplication.Name != "Acme CRM 2" {
			t.Fatalf("rotated %+v", rotated)
		}
		// The old secret stops working at once.
		wantOAuthError(t, tokenReq(e, "/oauth/revoke", conf, true, url.Values{"token": {"x"}}), http.StatusUnauthorized, "invalid_client")
		conf.ClientSecret = rotated.OAuthApplication.ClientSecret
		tokenReq(e, "/oauth/revoke", conf, true, url.Values{"token": {"x"}}).WantStatus(t, http.StatusOK)
		e.Do(apitest.Req{Method: "POST", Path: "/v1/oauth_applications/" + pub.ID + "/rotate_secret", Token: owner.AccessToken}).WantError(t, http.StatusConflict, "conflict")

		bad := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"http to a public host", map[string]any{"name": "A", "redirect_uris": []string{"http://crm.example/cb"}, "scopes": []string{"users:read"}}, "redirect_uris[0]"},
			{"fragment", map[string]any{"name": "A", "redirect_uris": []string{"https://crm.example/cb#x"}, "scopes": []string{"users:read"}}, "redirect_uris[0]"},
			{"no redirect URIs", map[string]any{"name": "A", "redirect_uris": []string{}, "scopes": []string{"users:read"}}, "redirect_uris"},
			{"unknown scope", map[string]any{"name": "A", "redirect_uris": []string{appRedirect}, "scopes": []string{"admin"}}, "scopes"},
			{"no scopes", map[string]any{"name": "A", "redirect_uris": []string{appRedirect}, "scopes": []string{}}, "scopes"},
			{"no name", map[string]any{"name": " ", "redirect_uris": []string{appRedirect}, "scopes": []string{"users:read"}}, "name"},
			{"missing fields", map[string]any{"name": "A"}, "redirect_uris"},
			{"client type", map[string]any{"name": "A", "redirect_uris": []string{appRedirect}, "scopes": []string{"users:read"}, "client_type": "native"}, "client_type"},
		}
		for _, tt := range bad {
			resp := e.Do(apitest.Req{Method: "POST", Path: "/v1/oauth_applications", Token: owner.AccessToken, Body: tt.body})
			eb := resp.WantError(t, http.StatusBadRequest, "validation_error")
			found := false
			for _, d := range eb.Error.Details {
				found = found || d.Field == tt.field
			}
			if !found {
				t.Errorf("%s: details %+v do not name %s", tt.name, eb.Error.Details, tt.field)
			}
		}

		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/oauth_applications/" + pub.ID, Token: owner.AccessToken}).WantStatus(t, http.StatusNoContent)
		e.Do(apitest.Req{Method: "GET", Path: "/v1/oauth_applications/" + pub.ID, Token: owner.AccessToken}).WantError(t, http.StatusNotFound, "not_found")
	})
}

func TestOAuthMetadata(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		resp := e.Do(apitest.Req{Method: "GET", Path: "/.well-known/oauth-authorization-server"})
		resp.WantStatus(t, http.StatusOK)
		var md oauth.Metadata
		resp.Decode(t, &md)
		if md.Issuer != apitest.PublicURL || md.TokenEndpoint != apitest.PublicURL+"/oauth/token" ||
			strings.Join(md.CodeChallengeMethodsSupported, ",") != "S256" || len(md.ScopesSupported) != 7 {
			t.Fatalf("metadata %+v", md)
		}
	})
}

// TestOAuthTokenFlow: a code becomes tokens once; the token works within
// its scopes only; refresh rotates; a replayed refresh token or code
// revokes the grant; revocation and withdrawing consent stop tokens.
func TestOAuthTokenFlow(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		dev := mustSignup(t, e, "devco", "host")
		user := mustSignup(t, e, "janecoach", "host")
		app := createApp(t, e, dev.AccessToken, appBody("users:read", "webhooks:read", "webhooks:write", "scheduling:read"))
		verifier, challenge := pkce("a")

		code := approve(t, e, user.User.ID, app, "users:read webhooks:write", challenge)
		tok := mustTokens(t, exchange(e, app, code, verifier))
		if tok.Scope != "users:read webhooks:write" {
			t.Fatalf("scope %q", tok.Scope)
		}

		// The token acts for the user, within its scopes.
		resp := e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: tok.AccessToken})
		resp.WantStatus(t, http.StatusOK)
		var me session
		resp.Decode(t, &me)
		if me.User.ID != user.User.ID {
			t.Fatalf("acts for %s, want %s", me.User.ID, user.User.ID)
		}
		resp = e.Do(apitest.Req{Method: "GET", Path: "/v1/scheduled_events?user=" + url.QueryEscape(hookUserURI(user.User.ID)), Token: tok.AccessToken})
		resp.WantError(t, http.StatusForbidden, "insufficient_scope")
		if got := resp.Header.Get("WWW-Authenticate"); got != `Bearer realm="vidivo", error="insufficient_scope", scope="scheduling:read"` {
			t.Errorf("WWW-Authenticate %q", got)
		}
		for _, closed := range []apitest.Req{
			{Method: "GET", Path: "/v1/personal_access_tokens"},
			{Method: "GET", Path: "/v1/oauth_applications"},
			{Method: "GET", Path: "/v1/oauth_authorizations"},
			{Method: "PATCH", Path: "/v1/users/me", Body: map[string]any{"display_name": "X"}},
		} {
			closed.Token = tok.AccessToken
			e.Do(closed).WantError(t, http.StatusForbidden, "insufficient_scope")
		}

		// A subscription made by an app gets a generated key, even when
		// it names one.
		rc := newReceiver(t, e)
		own := webhook.NewKey()
		resp = createWebhook(e, tok.AccessToken, map[string]any{"url": rc.url(), "events": []string{"invitee.created"},
			"user": hookUserURI(user.User.ID), "scope": "user", "signing_key": own})
		resp.WantStatus(t, http.StatusCreated)
		var sub struct{ Resource webhookBody }
		resp.Decode(t, &sub)
		if _, err := webhook.KeyBytes(sub.Resource.SigningKey); err != nil || sub.Resource.SigningKey == own {
			t.Errorf("app's subscription key %q (given %q, err %v)", sub.Resource.SigningKey, own, err)
		}
		// ... and another user's data stays closed to it.
		createWebhook(e, tok.AccessToken, map[string]any{"url": rc.url(), "events": []string{"invitee.created"},
			"user": hookUserURI(dev.User.ID), "scope": "user"}).WantError(t, http.StatusForbidden, "forbidden")

		// Refresh rotates; the old refresh token is spent.
		refresh := func(rt string) *apitest.Response {
			return tokenReq(e, "/oauth/token", app, false, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		}
		tok2 := mustTokens(t, refresh(tok.RefreshToken))
		if tok2.RefreshToken == tok.RefreshToken || tok2.Scope != tok.Scope {
			t.Fatalf("refreshed %+v", tok2)
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: tok2.AccessToken}).WantStatus(t, http.StatusOK)
		// Replaying the spent one revokes the whole grant.
		wantOAuthError(t, refresh(tok.RefreshToken), http.StatusBadRequest, "invalid_grant")
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: tok2.AccessToken}).WantError(t, http.StatusUnauthorized, "unauthorized")
		wantOAuthError(t, refresh(tok2.RefreshToken), http.StatusBadRequest, "invalid_grant")

		// RFC 7009: revoking a token ends it and its grant.
		code = approve(t, e, user.User.ID, app, "", challenge)
		tok3 := mustTokens(t, exchange(e, app, code, verifier))
		if tok3.Scope != "users:read scheduling:read webhooks:read webhooks:write" {
			t.Errorf("default scope %q", tok3.Scope)
		}
		tokenReq(e, "/oauth/revoke", app, true, url.Values{"token": {tok3.RefreshToken}}).WantStatus(t, http.StatusOK)
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: tok3.AccessToken}).WantError(t, http.StatusUnauthorized, "unauthorized")

		// The user sees the app and withdraws consent: tokens stop at once.
		tok4 := mustTokens(t, exchange(e, app, approve(t, e, user.User.ID, app, "users:read", challenge), verifier))
		resp = e.Do(apitest.Req{Method: "GET", Path: "/v1/oauth_authorizations", Token: user.AccessToken})
		resp.WantStatus(t, http.StatusOK)
		var auths struct {
			OAuthAuthorizations []struct {
				ID          string
				Application struct {
					ClientID string `json:"client_id"`
					Name     string `json:"name"`
				} `json:"application"`
				Scopes []string
			} `json:"oauth_authorizations"`
		}
		resp.Decode(t, &auths)
		if len(auths.OAuthAuthorizations) != 1 || auths.OAuthAuthorizations[0].Application.ClientID != app.ClientID {
			t.Fatalf("authorizations %+v", auths)
		}
		id := auths.OAuthAuthorizations[0].ID
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/oauth_authorizations/" + id, Token: dev.AccessToken}).WantError(t, http.StatusNotFound, "not_found")
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: tok4.AccessToken}).WantStatus(t, http.StatusOK)
		e.Do(apitest.Req{Method: "DELETE", Path: "/v1/oauth_authorizations/" + id, Token: user.AccessToken}).WantStatus(t, http.StatusNoContent)
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: tok4.AccessToken}).WantError(t, http.StatusUnauthorized, "unauthorized")
		wantOAuthError(t, refresh(tok4.RefreshToken), http.StatusBadRequest, "invalid_grant")
	})
}

// TestOAuthCodeChecks: every way a code exchange can be wrong.
func TestOAuthCodeChecks(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		dev := mustSignup(t, e, "devco", "host")
		user := mustSignup(t, e, "janecoach", "host")
		app := createApp(t, e, dev.AccessToken, appBody("users:read"))
		otherApp := createApp(t, e, dev.AccessToken, appBody("users:read"))
		verifier, challenge := pkce("b")
		wrongVerifier, _ := pkce("c")

		tests := []struct {
			name   string
			client oauthAppBody
			form   url.Values
			status int
			code   string
		}{
			{"wrong redirect URI", app, url.Values{"redirect_uri": {"http://127.0.0.1:9999/cb"}}, 400, "invalid_grant"},
			{"no redirect URI", app, url.Values{"redirect_uri": {""}}, 400, "invalid_grant"},
			{"missing verifier", app, url.Values{"code_verifier": {""}}, 400, "invalid_grant"},
			{"wrong verifier", app, url.Values{"code_verifier": {wrongVerifier}}, 400, "invalid_grant"},
			{"challenge as verifier (plain)", app, url.Values{"code_verifier": {challenge}}, 400, "invalid_grant"},
			{"another client", otherApp, url.Values{}, 400, "invalid_grant"},
			{"wrong secret", oauthAppBody{ClientID: app.ClientID, ClientSecret: otherApp.ClientSecret}, url.Values{}, 401, "invalid_client"},
			{"no secret", oauthAppBody{ClientID: app.ClientID}, url.Values{}, 401, "invalid_client"},
			{"unknown grant type", app, url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type"},
			{"unknown code", app, url.Values{"code": {"vdv_oac_nope"}}, 400, "invalid_grant"},
		}
		for _, tt := range tests {
			code := approve(t, e, user.User.ID, app, "", challenge)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}}
			for k, v := range tt.form {
				form[k] = v
			}
			resp := tokenReq(e, "/oauth/token", tt.client, tt.client.ClientSecret != "", form)
			var body oauthErrBody
			resp.Decode(t, &body)
			if resp.Status != tt.status || body.Error != tt.code {
				t.Errorf("%s: %d %+v, want %d %s", tt.name, resp.Status, body, tt.status, tt.code)
			}
		}

		// Expired: a code lives 2 minutes.
		code := approve(t, e, user.User.ID, app, "", challenge)
		e.Clock.Add(oauth.CodeTTL)
		wantOAuthError(t, exchange(e, app, code, verifier), http.StatusBadRequest, "invalid_grant")
		code = approve(t, e, user.User.ID, app, "", challenge)
		e.Clock.Add(oauth.CodeTTL - time.Second)
		mustTokens(t, exchange(e, app, code, verifier))

		// Reused: the second exchange fails and revokes what the first got.
		code = approve(t, e, user.User.ID, app, "", challenge)
		first := mustTokens(t, exchange(e, app, code, verifier))
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: first.AccessToken}).WantStatus(t, http.StatusOK)
		wantOAuthError(t, exchange(e, app, code, verifier), http.StatusBadRequest, "invalid_grant")
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: first.AccessToken}).WantError(t, http.StatusUnauthorized, "unauthorized")
		wantOAuthError(t, tokenReq(e, "/oauth/token", app, true, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}),
			http.StatusBadRequest, "invalid_grant")

		// Both client authentication methods at once are refused.
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		r, _ := http.NewRequest("POST", "/", nil)
		r.SetBasicAuth(app.ClientID, app.ClientSecret)
		h.Set("Authorization", r.Header.Get("Authorization"))
		resp := e.Do(apitest.Req{Method: "POST", Path: "/oauth/token", Header: h,
			Body: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_secret": {app.ClientSecret}}.Encode()})
		wantOAuthError(t, resp, http.StatusBadRequest, "invalid_request")
		// JSON is not the token endpoint's format.
		resp = e.Do(apitest.Req{Method: "POST", Path: "/oauth/token", Body: `{"grant_type":"refresh_token"}`, Header: http.Header{"Content-Type": {"application/json"}}})
		wantOAuthError(t, resp, http.StatusBadRequest, "invalid_request")
	})
}

// TestOAuthAuthorizeChecks: what the consent page refuses before asking.
func TestOAuthAuthorizeChecks(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		dev := mustSignup(t, e, "devco", "host")
		app := createApp(t, e, dev.AccessToken, appBody("users:read"))
		_, challenge := pkce("d")
		ok := oauth.AuthorizeRequest{ResponseType: "code", ClientID: app.ClientID, RedirectURI: appRedirect, State: "s1",
			CodeChallenge: challenge, CodeChallengeMethod: "S256"}
		tests := []struct {
			name     string
			change   func(*oauth.AuthorizeRequest)
			redirect string // the error sent to the app, or "" for one shown to the user
		}{
			{"valid", func(*oauth.AuthorizeRequest) {}, ""},
			{"redirect URI not registered", func(r *oauth.AuthorizeRequest) { r.RedirectURI = appRedirect + "/x" }, ""},
			{"redirect URI by prefix", func(r *oauth.AuthorizeRequest) { r.RedirectURI = "https://crm.example/oauth" }, ""},
			{"unknown client", func(r *oauth.AuthorizeRequest) { r.ClientID = dev.User.ID }, ""},
			{"plain method", func(r *oauth.AuthorizeRequest) { r.CodeChallengeMethod = "plain" }, "invalid_request"},
			{"no challenge", func(r *oauth.AuthorizeRequest) { r.CodeChallenge, r.CodeChallengeMethod = "", "" }, "invalid_request"},
			{"token response type", func(r *oauth.AuthorizeRequest) { r.ResponseType = "token" }, "unsupported_response_type"},
			{"scope beyond the app's", func(r *oauth.AuthorizeRequest) { r.Scope = "users:read calls:write" }, "invalid_scope"},
			{"unknown scope", func(r *oauth.AuthorizeRequest) { r.Scope = "everything" }, "invalid_scope"},
		}
		for _, tt := range tests {
			req := ok
			tt.change(&req)
			_, err := e.Server.OAuth.CheckAuthorize(context.Background(), req)
			var re *oauth.RedirectError
			switch {
			case tt.name == "valid":
				if err != nil {
					t.Errorf("valid request refused: %v", err)
				}
			case tt.redirect == "":
				if err == nil || asRedirect(err, &re) {
					t.Errorf("%s: %v, want an error shown to the user", tt.name, err)
				}
			default:
				if !asRedirect(err, &re) || re.Err.Code != tt.redirect || !strings.HasPrefix(re.Location(), appRedirect+"?") ||
					!strings.Contains(re.Location(), "state=s1") {
					t.Errorf("%s: %v, want redirect with %s", tt.name, err, tt.redirect)
				}
			}
		}
	})
}

func asRedirect(err error, re **oauth.RedirectError) bool {
	r, ok := err.(*oauth.RedirectError)
	*re = r
	return ok
}

// TestOAuthCodeRedeemedOnce: many exchanges of one code at once — exactly
// one gets tokens (the database's compare-and-set), and as the others are
// reuses, the winner's tokens end up revoked too.
func TestOAuthCodeRedeemedOnce(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		dev := mustSignup(t, e, "devco", "host")
		user := mustSignup(t, e, "janecoach", "host")
		app := createApp(t, e, dev.AccessToken, appBody("users:read"))
		verifier, challenge := pkce("e")
		code := approve(t, e, user.User.ID, app, "", challenge)
		const n = 6
		results := make(chan error, n)
		var winner atomic.Pointer[oauth.TokenResponse]
		for range n {
			go func() {
				resp, err := e.Server.OAuth.Token(context.Background(), oauth.TokenRequest{GrantType: "authorization_code",
					Client: oauth.Client{ID: app.ClientID, Secret: app.ClientSecret}, Code: code, RedirectURI: appRedirect, CodeVerifier: verifier})
				if err == nil {
					winner.Store(resp)
				}
				results <- err
			}()
		}
		ok := 0
		for range n {
			err := <-results
			var pe *oauth.Error
			switch {
			case err == nil:
				ok++
			case !errors.As(err, &pe) || pe.Code != "invalid_grant":
				t.Errorf("a losing exchange: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d exchanges of one code succeeded, want 1", ok)
		}
		e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: winner.Load().AccessToken}).WantError(t, http.StatusUnauthorized, "unauthorized")
	})
}

// TestOAuthRefreshRotatedOnce: many refreshes of one refresh token at
// once — exactly one rotates it (compare-and-set), the others count as
// reuse, so the whole grant ends revoked, the winner's new tokens too.
func TestOAuthRefreshRotatedOnce(t *testing.T) {
	t.Parallel()
	forEngine(t, nil, func(t *testing.T, e *apitest.Env) {
		dev := mustSignup(t, e, "devco", "host")
		user := mustSignup(t, e, "janecoach", "host")
		app := createApp(t, e, dev.AccessToken, appBody("users:read"))
		verifier, challenge := pkce("f")
		tok := mustTokens(t, exchange(e, app, approve(t, e, user.User.ID, app, "", challenge), verifier))
		const n = 6
		results := make(chan error, n)
		var winner atomic.Pointer[oauth.TokenResponse]
		for range n {
			go func() {
				resp, err := e.Server.OAuth.Token(context.Background(), oauth.TokenRequest{GrantType: "refresh_token",
					Client: oauth.Client{ID: app.ClientID, Secret: app.ClientSecret}, RefreshToken: tok.RefreshToken})
				if err == nil {
					winner.Store(resp)
				}
				results <- err
			}()
		}
		ok := 0
		for range n {
			err := <-results
			var pe *oauth.Error
			switch {
			case err == nil:
				ok++
			case !errors.As(err, &pe) || pe.Code != "invalid_grant":
				t.Errorf("a losing refresh: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d refreshes of one token succeeded, want 1", ok)
		}
		for _, access := range []string{tok.AccessToken, winner.Load().AccessToken} {
			e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: access}).WantError(t, http.StatusUnauthorized, "unauthorized")
		}
	})
}

// TestOAuthEndpointsRateLimited: the token and revocation endpoints share
// the per-address log-in limit, so a client secret or code cannot be
// guessed fast; a refusal is 429 in OAuth's format with Retry-After, and
// other addresses are unaffected (both engines).
func TestOAuthEndpointsRateLimited(t *testing.T) {
	t.Parallel()
	const auth = 3
	forEngine(t, &apitest.Opts{AuthRateLimit: auth}, func(t *testing.T, e *apitest.Env) {
		dev := mustSignup(t, e, "devco", "host")
		app := createApp(t, e, dev.AccessToken, appBody("users:read"))
		const guesser, other = "127.0.0.2", "127.0.0.3"
		guess := func(path, from string) *apitest.Response {
			form := url.Values{"client_id": {app.ClientID}, "client_secret": {"vdv_ocs_wrong"}}
			if path == "/oauth/token" {
				form.Set("grant_type", "authorization_code")
				form.Set("code", "guessed")
			} else {
				form.Set("token", "guessed")
			}
			return e.Do(apitest.Req{Method: "POST", Path: path, From: from, Body: form.Encode(),
				Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
		}
		wantLimited := func(resp *apitest.Response) {
			t.Helper()
			wantOAuthError(t, resp, http.StatusTooManyRequests, oauth.ErrRateLimited)
			if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || n < 1 {
				t.Errorf("Retry-After = %q, want whole seconds ≥ 1", resp.Header.Get("Retry-After"))
			}
		}
		for i, path := range []string{"/oauth/token", "/oauth/revoke", "/oauth/token"}[:auth] {
			if resp := guess(path, guesser); resp.Status != http.StatusUnauthorized {
				t.Fatalf("guess %d at %s: %d, want 401 invalid_client", i+1, path, resp.Status)
			}
		}
		wantLimited(guess("/oauth/token", guesser))
		wantLimited(guess("/oauth/revoke", guesser))
		// Another address has its own budget.
		wantOAuthError(t, guess("/oauth/token", other), http.StatusUnauthorized, oauth.ErrInvalidClient)
		// The bucket refills with time.
		e.Clock.Add(time.Minute)
		wantOAuthError(t, guess("/oauth/revoke", guesser), http.StatusUnauthorized, oauth.ErrInvalidClient)
	})
}
