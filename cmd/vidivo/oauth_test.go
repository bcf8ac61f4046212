package main

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// callback is an app's redirect URI on loopback: it records what each
// authorization answer brought back.
type callback struct {
	url string
	got chan url.Values
}

func newCallback(t *testing.T) *callback {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cb := &callback{url: "http://" + ln.Addr().String() + "/cb", got: make(chan url.Values, 4)}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cb.got <- r.URL.Query()
		w.Write([]byte("ok"))
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return cb
}

func (cb *callback) next(t *testing.T) url.Values {
	t.Helper()
	select {
	case q := <-cb.got:
		return q
	case <-time.After(10 * time.Second):
		t.Fatal("the app's redirect URI was not reached")
	}
	return nil
}

// formBrowser is a user's browser without scripts: cookies, redirects, forms.
type formBrowser struct {
	t      *testing.T
	client *http.Client
}

func newFormBrowser(t *testing.T) *formBrowser {
	jar, _ := cookiejar.New(nil)
	return &formBrowser{t: t, client: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

var (
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
)

// get loads a page and returns its final URL and body.
func (b *formBrowser) get(u string) (*url.URL, string) {
	b.t.Helper()
	resp, err := b.client.Get(u)
	if err != nil {
		b.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if resp.StatusCode != 200 {
		b.t.Fatalf("GET %s = %d: %s", u, resp.StatusCode, sb.String())
	}
	return resp.Request.URL, sb.String()
}

// submit posts the page's form to action with its hidden fields and extra
// fields, as a browser does, and follows the redirects.
func (b *formBrowser) submit(page *url.URL, body, action string, extra url.Values) *http.Response {
	b.t.Helper()
	start := strings.Index(body, `<form method="post" action="`+action+`"`)
	if start < 0 {
		b.t.Fatalf("no form to %s on %s: %s", action, page, body)
	}
	body = body[start:]
	body = body[:strings.Index(body, "</form>")]
	form := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(body, -1) {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	for k, v := range extra {
		form[k] = v
	}
	target, _ := page.Parse(action)
	resp, err := b.client.PostForm(target.String(), form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", target, err)
	}
	resp.Body.Close()
	return resp
}

// TestOAuthWithStandardClient: golang.org/x/oauth2, configured from the
// discovery document, runs the authorization code flow with PKCE against
// the binary; the user logs in and allows on the consent page as a
// browser posts it; the app calls the API with the token, refreshes it,
// and is refused after revoking it. Negative cases: a wrong verifier, a
// reused code (which revokes its tokens), plain PKCE, a redirect URI not
// registered, Deny, a token beyond its scopes.
func TestOAuthWithStandardClient(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
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
			userTok := apiAccount(t, s, "janecoach", "host")
			var me struct {
				User struct {
					ID string `json:"id"`
				} `json:"user"`
			}
			s.call(t, "GET", "/v1/users/me", userTok, nil, &me)

			// The client library is configured from the discovery document.
			var md struct {
				Issuer, AuthorizationEndpoint, TokenEndpoint, RevocationEndpoint string
				CodeChallengeMethodsSupported                                    []string
			}
			resp, err := http.Get(s.base + "/.well-known/oauth-authorization-server")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.NewDecoder(resp.Body).Decode(&struct {
				Issuer                        *string   `json:"issuer"`
				AuthorizationEndpoint         *string   `json:"authorization_endpoint"`
				TokenEndpoint                 *string   `json:"token_endpoint"`
				RevocationEndpoint            *string   `json:"revocation_endpoint"`
				CodeChallengeMethodsSupported *[]string `json:"code_challenge_methods_supported"`
			}{&md.Issuer, &md.AuthorizationEndpoint, &md.TokenEndpoint, &md.RevocationEndpoint, &md.CodeChallengeMethodsSupported}); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if md.Issuer != s.base || strings.Join(md.CodeChallengeMethodsSupported, " ") != "S256" {
				t.Fatalf("metadata %+v", md)
			}
			cfg := &oauth2.Config{ClientID: created.App.ClientID, ClientSecret: created.App.ClientSecret, RedirectURL: cb.url,
				Scopes: []string{"users:read"}, Endpoint: oauth2.Endpoint{AuthURL: md.AuthorizationEndpoint, TokenURL: md.TokenEndpoint}}

			// The user: logs in when the app sends them, then allows.
			br := newFormBrowser(t)
			authorize := func(cfg *oauth2.Config, state, verifier string, decision string) url.Values {
				t.Helper()
				page, body := br.get(cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)))
				if !strings.Contains(body, "Allow Acme CRM") || !strings.Contains(body, "See your profile") {
					t.Fatalf("consent page: %s", body)
				}
				br.submit(page, body, "/oauth/authorize", url.Values{"decision": {decision}})
				return cb.next(t)
			}
			verifier := oauth2.GenerateVerifier()
			// First visit: not logged in. Log in, then land on the consent page.
			page, body := br.get(cfg.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)))
			if page.Path != "/login" {
				t.Fatalf("a visitor is sent to %s, want /login", page)
			}
			lresp := br.submit(page, body, "/login", url.Values{"email": {"janecoach@example.com"}, "password": {testPassword}})
			if lresp.Request.URL.Path != "/oauth/authorize" {
				t.Fatalf("after log-in the browser is at %s", lresp.Request.URL)
			}
			page, body = br.get(lresp.Request.URL.String())
			if !strings.Contains(body, "Allow Acme CRM") {
				t.Fatalf("consent page: %s", body)
			}
			// Without the CSRF token the consent is refused.
			if r, err := br.client.PostForm(s.base+"/oauth/authorize", url.Values{"decision": {"allow"}, "client_id": {cfg.ClientID}}); err != nil || r.StatusCode != 403 {
				t.Fatalf("consent without CSRF token: %v %v", r.StatusCode, err)
			}
			br.submit(page, body, "/oauth/authorize", url.Values{"decision": {"allow"}})
			q := cb.next(t)
			if q.Get("state") != "state-1" || q.Get("code") == "" {
				t.Fatalf("callback %v", q)
			}

			// A wrong verifier is refused; the right one gets tokens once.
			var re *oauth2.RetrieveError
			if _, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier())); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Fatalf("wrong verifier: %v", err)
			}
			if _, err := cfg.Exchange(ctx, q.Get("code")); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Fatalf("missing verifier: %v", err)
			}
			tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			// The API with the token acts for the user, within its scopes.
			client := cfg.Client(ctx, tok)
			apiGet := func(c *http.Client, path string) (int, string) {
				resp, err := c.Get(s.base + path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
			}
			var got struct {
				User struct {
					ID string `json:"id"`
				} `json:"user"`
			}
			r2, err := client.Get(s.base + "/v1/users/me")
			if err != nil || r2.StatusCode != 200 {
				t.Fatalf("GET /v1/users/me with the app's token: %v %v", r2.StatusCode, err)
			}
			json.NewDecoder(r2.Body).Decode(&got)
			r2.Body.Close()
			if got.User.ID != me.User.ID {
				t.Fatalf("the token acts for %s, want %s", got.User.ID, me.User.ID)
			}
			if code, h := apiGet(client, "/v1/scheduled_events?user="+url.QueryEscape(s.base+"/v1/users/"+me.User.ID)); code != 403 ||
				!strings.Contains(h, `scope="scheduling:read"`) {
				t.Fatalf("beyond its scopes: %d %q", code, h)
			}

			// Reusing the code fails and revokes what it gave.
			if _, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Fatalf("reused code: %v", err)
			}
			if code, _ := apiGet(client, "/v1/users/me"); code != 401 {
				t.Fatalf("a reused code's token answers %d, want 401", code)
			}

			// Again, logged in now: straight to consent; then refresh.
			verifier = oauth2.GenerateVerifier()
			q = authorize(cfg, "state-2", verifier, "allow")
			if q.Get("state") != "state-2" {
				t.Fatalf("callback %v", q)
			}
			tok, err = cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			old := *tok
			tok.Expiry = time.Now().Add(-time.Minute) // make the library refresh
			fresh, err := cfg.TokenSource(ctx, tok).Token()
			if err != nil || fresh.AccessToken == old.AccessToken || fresh.RefreshToken == old.RefreshToken {
				t.Fatalf("refresh: %v", err)
			}
			if code, _ := apiGet(cfg.Client(ctx, fresh), "/v1/users/me"); code != 200 {
				t.Fatalf("refreshed token answers %d", code)
			}
			// A replayed refresh token revokes the grant.
			if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: old.RefreshToken}).Token(); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Fatalf("refresh reuse: %v", err)
			}
			if code, _ := apiGet(cfg.Client(ctx, fresh), "/v1/users/me"); code != 401 {
				t.Fatalf("after refresh reuse the token answers %d, want 401", code)
			}

			// Revocation (RFC 7009) at the discovered endpoint.
			verifier = oauth2.GenerateVerifier()
			q = authorize(cfg, "state-3", verifier, "allow")
			tok, err = cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			rreq, _ := http.NewRequest("POST", md.RevocationEndpoint, strings.NewReader(url.Values{"token": {tok.AccessToken}}.Encode()))
			rreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rreq.SetBasicAuth(cfg.ClientID, cfg.ClientSecret)
			if r, err := http.DefaultClient.Do(rreq); err != nil || r.StatusCode != 200 {
				t.Fatalf("revoke: %v %v", r.StatusCode, err)
			}
			if code, _ := apiGet(cfg.Client(ctx, tok), "/v1/users/me"); code != 401 {
				t.Fatalf("a revoked token answers %d", code)
			}

			// Deny sends access_denied back with the state.
			q = authorize(cfg, "state-4", oauth2.GenerateVerifier(), "deny")
			if q.Get("error") != "access_denied" || q.Get("state") != "state-4" || q.Get("code") != "" {
				t.Fatalf("deny: %v", q)
			}
			// plain PKCE is refused back to the app.
			u := cfg.AuthCodeURL("state-5", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)),
				oauth2.SetAuthURLParam("code_challenge_method", "plain"))
			resp, err = br.client.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if q = cb.next(t); q.Get("error") != "invalid_request" || q.Get("state") != "state-5" {
				t.Fatalf("plain PKCE: %v", q)
			}
			// A redirect URI not registered is shown to the user, not followed.
			bad := *cfg
			bad.RedirectURL = cb.url + "/elsewhere"
			resp, err = br.client.Get(bad.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 400 || resp.Request.URL.Host != strings.TrimPrefix(s.base, "http://") {
				t.Fatalf("unregistered redirect URI: %d at %s", resp.StatusCode, resp.Request.URL)
			}
		})
	}
}
