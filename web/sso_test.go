package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/vidivo/vidivo/api"
	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
	"github.com/vidivo/vidivo/sso"
)

const (
	ssoKeyA = "partner-a-key-0123456789abcdef0123456789"
	ssoKeyB = "partner-b-key-0123456789abcdef0123456789"
)

// ssoSite is a site whose pages accept two partners' tokens.
func ssoSite(t *testing.T, engine string) *site {
	t.Helper()
	s := newSite(t, engine, nil)
	s.Pages.SSO = &sso.Service{Store: s.DB, Auth: s.Server.Auth, Now: s.Clock.Now,
		Partners: sso.Partners{"abcd": []byte(ssoKeyA), "other": []byte(ssoKeyB)}}
	return s
}

// ssoToken mints a partner token as the partner guide's snippet does, at
// the site's time, with edit applied.
func (s *site) ssoToken(t *testing.T, key string, edit func(jwt.MapClaims)) string {
	t.Helper()
	// Tokens minted in one second would be one token: move on first.
	s.Clock.Add(time.Second)
	at := s.Clock.Now()
	c := jwt.MapClaims{"iss": "abcd", "exp": at.Add(15 * time.Minute).Unix(), "iat": at.Unix(),
		"email": "jane@example.com", "name": "Jane Smith", "business_name": "Jane's Studio",
		"time_zone": "Eastern Time (US & Canada)"}
	if edit != nil {
		edit(c)
	}
	raw, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// loginClaims turns sign-up claims into the guide's login claims.
func loginClaims(c jwt.MapClaims) {
	delete(c, "name")
	delete(c, "business_name")
	delete(c, "time_zone")
	c["logout_redirect_url"] = "https://xyz.com/signed-out"
}

type ssoError struct {
	Status string `json:"status"`
	Error  string `json:"error"`
}

func (s *site) ssoGet(t *testing.T, route, tok string, status int) ssoError {
	t.Helper()
	r := s.Do(apitest.Req{Method: http.MethodGet, Path: route + "?token=" + url.QueryEscape(tok)})
	var e ssoError
	if r.Status != status {
		t.Fatalf("GET %s = %d, want %d: %s", route, r.Status, status, r.Body)
	}
	if status >= 400 {
		r.Decode(t, &e)
	}
	return e
}

func TestSSOSignup(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := ssoSite(t, engine)
			tok := s.ssoToken(t, ssoKeyA, nil)
			r := s.Do(apitest.Req{Method: http.MethodGet, Path: "/sso/signup?token=" + tok})
			r.WantStatus(t, http.StatusCreated)
			var got struct {
				User struct {
					Email, Username, DisplayName, Role, Timezone string
				} `json:"user"`
				BusinessName string `json:"business_name"`
			}
			r.Decode(t, &got)
			u := got.User
			if u.Email != "jane@example.com" || u.Role != "host" || u.Timezone != "America/New_York" ||
				got.BusinessName != "Jane's Studio" || r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("sign-up = %s", r.Body)
			}

			for _, tc := range []struct {
				name, tok   string
				status      int
				code, words string
			}{
				{"replayed", tok, 401, "unauthorized", "already used"},
				{"email taken", s.ssoToken(t, ssoKeyA, nil), 403, "forbidden", "Validation failed: User email has already been taken"},
				{"email taken, other partner", s.ssoToken(t, ssoKeyB, func(c jwt.MapClaims) { c["iss"] = "other" }), 403, "forbidden", "already been taken"},
				{"unknown time zone", s.ssoToken(t, ssoKeyA, func(c jwt.MapClaims) { c["email"], c["time_zone"] = "x@example.com", "Atlantis" }), 400, "validation_error", "time_zone"},
				{"bad signature", s.ssoToken(t, ssoKeyB, func(c jwt.MapClaims) { c["email"] = "y@example.com" }), 401, "unauthorized", "signature"},
				{"unknown issuer", s.ssoToken(t, ssoKeyA, func(c jwt.MapClaims) { c["iss"], c["email"] = "mallory", "z@example.com" }), 401, "unauthorized", "issuer"},
				{"exp 20 minutes ahead", s.ssoToken(t, ssoKeyA, func(c jwt.MapClaims) {
					c["email"], c["exp"] = "w@example.com", s.Clock.Now().Add(20*time.Minute).Unix()
				}), 401, "unauthorized", "15 minutes"},
				{"expired", s.ssoToken(t, ssoKeyA, func(c jwt.MapClaims) {
					c["email"], c["exp"] = "v@example.com", s.Clock.Now().Add(-time.Minute).Unix()
				}), 401, "unauthorized", "expired"},
				{"no token", "", 401, "unauthorized", "required"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					e := s.ssoGet(t, "/sso/signup", tc.tok, tc.status)
					if e.Status != tc.code || !strings.Contains(e.Error, tc.words) {
						t.Errorf("error = %+v; want %s mentioning %q", e, tc.code, tc.words)
					}
				})
			}
		})
	}
}

func TestSSOWithoutPartners(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, engine, nil)
			for _, route := range []string{"/sso/signup", "/sso/login"} {
				if e := s.ssoGet(t, route, "x", http.StatusNotFound); e.Status != "not_found" {
					t.Errorf("%s without partners = %+v", route, e)
				}
			}
		})
	}
}

func TestSSOLoginAndLogout(t *testing.T) {
	t.Parallel()
	contract, err := apitest.NewContract(api.OpenAPISpec)
	if err != nil {
		t.Fatal(err)
	}
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := ssoSite(t, engine)
			s.ssoGet(t, "/sso/signup", s.ssoToken(t, ssoKeyA, nil), http.StatusCreated)

			tok := s.ssoToken(t, ssoKeyA, loginClaims)
			b := s.browser(t)
			p := b.get("/sso/login?token=" + tok)
			if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/dashboard" {
				t.Fatalf("login = %d → %q: %s", p.Status, p.Header.Get("Location"), p.Body)
			}
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/sso/login?token="+tok, nil)
			if err := contract.Check(req, nil, p.Status, p.Header, []byte(p.Body)); err != nil {
				t.Errorf("login breaks the OpenAPI contract: %v", err)
			}
			for _, name := range []string{"vidivo_session", "vidivo_access"} {
				if c := b.cookies[name]; c == nil || !c.HttpOnly {
					t.Errorf("cookie %s = %+v", name, c)
				}
			}
			// The session works on a page: a signed-in host's dashboard.
			if d := b.get("/dashboard"); d.Status != http.StatusOK || !strings.Contains(d.Body, `href="/settings/availability"`) {
				t.Fatalf("dashboard = %d:\n%.400s", d.Status, d.Body)
			}

			// The same token again, in another browser: refused.
			if e := s.ssoGet(t, "/sso/login", tok, http.StatusUnauthorized); !strings.Contains(e.Error, "already used") {
				t.Errorf("replayed login = %+v", e)
			}
			for name, tok := range map[string]string{
				"unknown user": s.ssoToken(t, ssoKeyA, func(c jwt.MapClaims) { loginClaims(c); c["email"] = "nobody@example.com" }),
				"other issuer": s.ssoToken(t, ssoKeyB, func(c jwt.MapClaims) { loginClaims(c); c["iss"] = "other" }),
			} {
				if e := s.ssoGet(t, "/sso/login", tok, http.StatusNotFound); e.Status != "not_found" {
					t.Errorf("%s: %+v", name, e)
				}
			}
			if e := s.ssoGet(t, "/sso/login", s.ssoToken(t, ssoKeyA, func(c jwt.MapClaims) {
				loginClaims(c)
				c["logout_redirect_url"] = "javascript:alert(1)"
			}), http.StatusBadRequest); e.Status != "validation_error" || !strings.Contains(e.Error, "logout_redirect_url") {
				t.Errorf("bad logout URL = %+v", e)
			}

			// Logging out goes back to the partner, and ends the session.
			out := b.post("/logout", nil)
			if out.Status != http.StatusSeeOther || out.Header.Get("Location") != "https://xyz.com/signed-out" {
				t.Errorf("logout = %d → %q", out.Status, out.Header.Get("Location"))
			}
			if d := b.get("/dashboard"); d.Status != http.StatusSeeOther || !strings.HasPrefix(d.Header.Get("Location"), "/login") {
				t.Errorf("dashboard after logout = %d → %q", d.Status, d.Header.Get("Location"))
			}

			// A login token without logout_redirect_url, and a password
			// session: logging out goes to the start page.
			b2 := s.browser(t)
			b2.get("/sso/login?token=" + s.ssoToken(t, ssoKeyA, func(c jwt.MapClaims) {
				loginClaims(c)
				delete(c, "logout_redirect_url")
			}))
			if out := b2.post("/logout", nil); out.Header.Get("Location") != "/" {
				t.Errorf("logout without a partner URL → %q", out.Header.Get("Location"))
			}
			b3 := s.signedUp(t, "Pat", "host")
			if out := b3.post("/logout", nil); out.Header.Get("Location") != "/" {
				t.Errorf("password session logout → %q", out.Header.Get("Location"))
			}
		})
	}
}
