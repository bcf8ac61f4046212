package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// TestBrowserOAuthConsent: an app sends a user to /oauth/authorize in
// Chromium; the user logs in, sees the consent page naming the app and
// what each scope lets it do, presses "Allow Acme CRM" and lands on the
// app's redirect URI (a loopback server) with a code and the app's state;
// the code then buys tokens. Both engines; screenshots of the page.
func TestBrowserOAuthConsent(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
			defer cancel()
			s := startPublicInstance(ctx, t, "VIDIVO_DATABASE_URL="+sqldbtest.URL(t, engine))
			cb := newCallback(t)
			devTok := apiAccount(t, s, "devco", "host")
			var created struct {
				App struct {
					ClientID     string `json:"client_id"`
					ClientSecret string `json:"client_secret"`
				} `json:"oauth_application"`
			}
			if code := s.call(t, "POST", "/v1/oauth_applications", devTok, map[string]any{"name": "Acme CRM",
				"redirect_uris": []string{cb.url}, "scopes": []string{"users:read", "scheduling:read"}}, &created); code != 201 {
				t.Fatalf("create app = %d", code)
			}
			apiAccount(t, s, "janecoach", "host")

			verifier := strings.Repeat("v", 50)
			sum := sha256.Sum256([]byte(verifier))
			q := url.Values{"response_type": {"code"}, "client_id": {created.App.ClientID}, "redirect_uri": {cb.url},
				"scope": {"users:read scheduling:read"}, "state": {"st-42"},
				"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
			tab := newTab(t, newBrowser(t))
			allow := "Allow Acme CRM"
			err := chromedp.Do(tab,
				chromedp.Navigate(s.base+"/oauth/authorize?"+q.Encode()),
				fill("Email", "janecoach@example.com"),
				fill("Password", testPassword),
				press("Log in"),
				chromedp.WaitVisible(label("button", allow), named("button", allow)),
			)
			if err != nil {
				t.Fatalf("log in to the consent page: %v", err)
			}
			text, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main")))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"Allow Acme CRM to use your Vidivo account?", "See your profile", "users:read",
				"See your scheduled events", "scheduling:read", "janecoach@example.com"} {
				if !strings.Contains(text, want) {
					t.Errorf("the consent page does not say %q: %s", want, text)
				}
			}
			screenshots(t, tab, "oauth-consent-"+engine)
			if err := chromedp.Do(tab, press(allow)); err != nil {
				t.Fatalf("allow: %v", err)
			}
			got := cb.next(t)
			if got.Get("code") == "" || got.Get("state") != "st-42" || got.Get("error") != "" {
				t.Fatalf("the app got %v, want a code and state st-42", got)
			}
			if loc := location(t, tab, ""); !strings.HasPrefix(loc, cb.url+"?") {
				t.Errorf("the browser is at %s, want the app's redirect URI", loc)
			}

			// The code buys tokens.
			var tokens struct {
				AccessToken string `json:"access_token"`
				Scope       string `json:"scope"`
			}
			form := url.Values{"grant_type": {"authorization_code"}, "code": {got.Get("code")}, "redirect_uri": {cb.url},
				"code_verifier": {verifier}, "client_id": {created.App.ClientID}, "client_secret": {created.App.ClientSecret}}
			resp, err := http.PostForm(s.base+"/oauth/token", form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if err := json.NewDecoder(resp.Body).Decode(&tokens); err != nil || resp.StatusCode != 200 ||
				tokens.AccessToken == "" || tokens.Scope != "users:read scheduling:read" {
				t.Fatalf("exchange = %d %+v %v", resp.StatusCode, tokens, err)
			}
		})
	}
}
