package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/oauth"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/web"
)

// newOAuthSite is newSite with the OAuth pages mounted.
func newOAuthSite(t *testing.T, engine string) *site {
	t.Helper()
	st := newSite(t, engine, nil)
	s := st.Server
	pages := &web.Server{
		Auth: s.Auth, Users: st.DB, Links: st.DB, Calls: st.Calls, CallStore: st.DB,
		GuestTokens: s.GuestTokens, Signaling: s.Signaling, TURN: s.TURN, Notify: st.Hub,
		Gateway: st.Gateway, Payouts: st.DB, Payments: "sandbox", Limiter: s, PublicURL: apitest.PublicURL,
		Now: st.Clock.Now, Logger: s.Logger, Booking: s.Booking, EventTypes: st.DB, OAuth: s.OAuth,
	}
	pages.Routes()
	s.Pages = pages
	st.Pages = pages
	return st
}

var (
	createdIDRE     = regexp.MustCompile(`id="created-client-id">([0-9A-Z]{26})<`)
	createdSecretRE = regexp.MustCompile(`id="created-client-secret">(vdv_ocs_[A-Za-z0-9_-]{43})<`)
	authorizationRE = regexp.MustCompile(`data-authorization="([0-9A-Z]{26})"`)
	hiddenFieldRE   = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
)

// TestOAuthPages: an app registered on the settings page (its secret shown
// once), the consent page (log in first, CSRF, Allow back to the app with
// code and state, a form-action that lets the browser go there), and
// withdrawing consent on the settings page (the code stops working).
func TestOAuthPages(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := newOAuthSite(t, engine)
			dev := s.signedUp(t, "Devco", vidivo.RoleHost)
			if p := dev.get("/dashboard"); !strings.Contains(p.Body, `<a href="/settings/apps">Apps</a>`) {
				t.Fatal("the site's navigation has no link to the Apps page")
			}
			if p := dev.get("/settings/apps"); p.Status != http.StatusOK || !strings.Contains(p.Body, "Register an app") {
				t.Fatalf("settings page = %d:\n%s", p.Status, p.Body)
			}
			bad := dev.post("/settings/apps", url.Values{"name": {"Acme CRM"}, "redirect_uris": {"http://crm.example/cb"},
				"scopes": {"users:read"}, "client_type": {"confidential"}})
			if bad.Status != http.StatusBadRequest || !strings.Contains(bad.Body, "must use https") {
				t.Fatalf("bad redirect URI = %d:\n%s", bad.Status, bad.Body)
			}
			p := dev.post("/settings/apps", url.Values{"name": {"Acme CRM"}, "redirect_uris": {"https://crm.example/cb\nhttp://127.0.0.1:7777/cb"},
				"scopes": {"users:read", "scheduling:read"}, "client_type": {"confidential"}})
			id, secret := createdIDRE.FindStringSubmatch(p.Body), createdSecretRE.FindStringSubmatch(p.Body)
			if p.Status != http.StatusOK || id == nil || secret == nil {
				t.Fatalf("register app = %d:\n%s", p.Status, p.Body)
			}
			if again := dev.get("/settings/apps"); strings.Contains(again.Body, secret[1]) || !strings.Contains(again.Body, id[1]) {
				t.Fatal("the secret is shown again, or the app is not listed")
			}

			sum := sha256.Sum256([]byte(strings.Repeat("v", 50)))
			q := url.Values{"response_type": {"code"}, "client_id": {id[1]}, "redirect_uri": {"https://crm.example/cb"},
				"scope": {"users:read"}, "state": {"s-42"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
				"code_challenge_method": {"S256"}}
			authorize := "/oauth/authorize?" + q.Encode()

			visitor := s.browser(t)
			if p := visitor.get(authorize); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/login?next=") {
				t.Fatalf("visitor = %d to %q", p.Status, p.Header.Get("Location"))
			}

			user := s.signedUp(t, "Jane", vidivo.RoleClient)
			p = user.get(authorize)
			if p.Status != http.StatusOK || !strings.Contains(p.Body, "Allow Acme CRM") || !strings.Contains(p.Body, oauth.Describe("users:read")) ||
				strings.Contains(p.Body, oauth.Describe("scheduling:read")) {
				t.Fatalf("consent page = %d:\n%s", p.Status, p.Body)
			}
			if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://crm.example;") {
				t.Errorf("CSP %q does not let the form go to the app", csp)
			}
			form := url.Values{}
			for _, h := range hiddenFieldRE.FindAllStringSubmatch(p.Body[strings.Index(p.Body, `action="/oauth/authorize"`):], -1) {
				form.Set(h[1], strings.ReplaceAll(h[2], "&#43;", "+"))
			}
			form.Set("decision", "allow")
			forged := url.Values{}
			for k, v := range form {
				forged[k] = v
			}
			forged.Set("csrf", "forged-forged-forged-forged-forged-forged")
			if p := user.do(http.MethodPost, "/oauth/authorize", forged, nil); p.Status != http.StatusForbidden {
				t.Fatalf("consent with a forged CSRF token = %d", p.Status)
			}
			p = user.do(http.MethodPost, "/oauth/authorize", form, nil)
			loc, _ := url.Parse(p.Header.Get("Location"))
			if p.Status != http.StatusSeeOther || loc == nil || loc.Host != "crm.example" || loc.Query().Get("state") != "s-42" || loc.Query().Get("code") == "" {
				t.Fatalf("allow = %d to %q", p.Status, p.Header.Get("Location"))
			}

			// Withdrawn on the settings page: the code is worthless.
			p = user.get("/settings/apps")
			auth := authorizationRE.FindStringSubmatch(p.Body)
			if auth == nil || !strings.Contains(p.Body, "Revoke access for Acme CRM") {
				t.Fatalf("the user's apps page:\n%s", p.Body)
			}
			if p := dev.post("/settings/authorizations/"+auth[1]+"/revoke", nil); p.Status != http.StatusNotFound {
				t.Fatalf("another user revokes = %d", p.Status)
			}
			if p := user.post("/settings/authorizations/"+auth[1]+"/revoke", nil); p.Status != http.StatusSeeOther {
				t.Fatalf("revoke = %d", p.Status)
			}
			_, err := s.Server.OAuth.Token(context.Background(), oauth.TokenRequest{GrantType: "authorization_code",
				Client: oauth.Client{ID: id[1], Secret: secret[1]}, Code: loc.Query().Get("code"),
				RedirectURI: "https://crm.example/cb", CodeVerifier: strings.Repeat("v", 50)})
			var pe *oauth.Error
			if !errors.As(err, &pe) || pe.Code != "invalid_grant" {
				t.Fatalf("the code after revocation: %v", err)
			}
			if p := user.post("/settings/apps/"+id[1]+"/delete", nil); p.Status != http.StatusNotFound {
				t.Fatalf("another user deletes the app = %d", p.Status)
			}
			if p := dev.post("/settings/apps/"+id[1]+"/delete", nil); p.Status != http.StatusSeeOther {
				t.Fatalf("delete = %d", p.Status)
			}
		})
	}
}
