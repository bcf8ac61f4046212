package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

func forEngine(t *testing.T, fn func(t *testing.T, s *site)) {
	t.Helper()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, newSite(t, engine, nil))
		})
	}
}

func signupForm() url.Values {
	return url.Values{"display_name": {"Jane Smith"}, "email": {"jane@example.com"}, "username": {"janecoach"},
		"password": {"correct horse battery"}, "role": {"host"}}
}

func TestStartPageAndNotFound(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		b := s.browser(t)
		p := b.get("/")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "Paid video calls") || !strings.Contains(p.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET / = %d %q", p.Status, p.Header.Get("Content-Type"))
		}
		csp := p.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(p.Body, "<script>") {
			t.Errorf("inline script allowed or used: CSP %q", csp)
		}
		if p.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("pages lack the API's security headers")
		}

		p = b.get("/no/such/page")
		if p.Status != http.StatusNotFound || !strings.Contains(p.Body, "Page not found") {
			t.Errorf("unknown page = %d, want 404 page:\n%s", p.Status, p.Body)
		}
		// Unknown API routes stay JSON.
		p = b.get("/v1/no-such-route")
		if p.Status != http.StatusNotFound || !strings.Contains(p.Body, `"code":"not_found"`) {
			t.Errorf("unknown API route = %d %s, want the JSON 404", p.Status, p.Body)
		}
		p = b.get("/static/app.css?v=bogus")
		if p.Status != http.StatusOK || !strings.Contains(p.Header.Get("Content-Type"), "text/css") || p.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("stylesheet = %d %q %q", p.Status, p.Header.Get("Content-Type"), p.Header.Get("Cache-Control"))
		}
	})
}

func TestSignupLoginLogout(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		b := s.browser(t)
		p := b.post("/signup", signupForm())
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/dashboard" {
			t.Fatalf("sign up = %d → %q:\n%s", p.Status, p.Header.Get("Location"), p.Body)
		}
		for _, name := range []string{"vidivo_session", "vidivo_access"} {
			c := b.cookies[name]
			if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || !c.Secure {
				t.Errorf("cookie %s = %+v; want HttpOnly, SameSite=Lax and Secure (the public URL is https)", name, c)
			}
		}
		if p := b.get("/"); !strings.Contains(p.Body, "Log out") {
			t.Error("the start page does not show a signed-in user")
		}

		// Log out: the session ends at the server, not only in the browser.
		refresh := b.cookies["vidivo_session"].Value
		p = b.post("/logout", nil)
		if p.Status != http.StatusSeeOther || b.cookies["vidivo_session"] != nil {
			t.Fatalf("log out = %d, cookies %v", p.Status, b.cookies)
		}
		r := s.Do(apitest.Req{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]any{"refresh_token": refresh}})
		if r.Status != http.StatusUnauthorized {
			t.Errorf("the logged-out refresh token still works: %d", r.Status)
		}

		// Log in again, coming back where the person was going.
		p = b.post("/login", url.Values{"email": {"JaneCoach"}, "password": {"correct horse battery"}, "next": {"/dashboard?tab=links"}})
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/dashboard?tab=links" {
			t.Fatalf("log in = %d → %q", p.Status, p.Header.Get("Location"))
		}
		// Never to another site.
		other := s.browser(t)
		p = other.post("/login", url.Values{"email": {"jane@example.com"}, "password": {"correct horse battery"}, "next": {"//evil.example/x"}})
		if p.Header.Get("Location") != "/dashboard" {
			t.Errorf("log in with next=//evil.example → %q, want /dashboard", p.Header.Get("Location"))
		}
	})
}

func TestSessionOutlivesItsAccessToken(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		b := s.browser(t)
		if p := b.post("/signup", signupForm()); p.Status != http.StatusSeeOther {
			t.Fatalf("sign up = %d", p.Status)
		}
		first := b.cookies["vidivo_session"].Value
		s.Clock.Add(16 * time.Minute) // the access token has expired
		if p := b.get("/"); !strings.Contains(p.Body, "Log out") {
			t.Fatal("a session whose access token expired is signed out; want it refreshed")
		}
		if got := b.cookies["vidivo_session"].Value; got == first {
			t.Error("the refresh token was not rotated")
		}
		// A second tab still holding the rotated token, at the same moment,
		// is answered with the same new session instead of ending it.
		tab := s.browser(t)
		tab.cookies["vidivo_session"] = &http.Cookie{Name: "vidivo_session", Value: first}
		if p := tab.get("/"); !strings.Contains(p.Body, "Log out") {
			t.Error("a concurrent request with the just-rotated token was signed out")
		}
		if p := b.get("/"); !strings.Contains(p.Body, "Log out") {
			t.Error("the session ended after two requests raced to refresh it")
		}
	})
}

func TestAccountFormsRefuseBadInput(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		b := s.browser(t)
		bad := signupForm()
		bad.Set("email", "not-an-email")
		bad.Set("password", "short")
		bad.Set("username", "a\x00b")
		p := b.post("/signup", bad)
		if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `id="email-error"`) ||
			!strings.Contains(p.Body, `id="password-error"`) || !strings.Contains(p.Body, `id="username-error"`) {
			t.Fatalf("bad sign-up = %d, want 400 with each field's error:\n%s", p.Status, p.Body)
		}
		if !strings.Contains(p.Body, `value="not-an-email"`) || strings.Contains(p.Body, "short") && strings.Contains(p.Body, `value="short"`) {
			t.Error("the form should keep what was typed, except the password")
		}
		if b.cookies["vidivo_session"] != nil {
			t.Error("a refused sign-up started a session")
		}

		if p := b.post("/signup", signupForm()); p.Status != http.StatusSeeOther {
			t.Fatalf("sign up = %d", p.Status)
		}
		other := s.browser(t)
		p = other.post("/login", url.Values{"email": {"jane@example.com"}, "password": {"wrong horse battery"}})
		if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "invalid email or password") || !strings.Contains(p.Body, `value="jane@example.com"`) {
			t.Errorf("wrong password = %d:\n%s", p.Status, p.Body)
		}
		p = other.post("/login", url.Values{"email": {"jane\x00@example.com"}, "password": {"x"}})
		if p.Status >= 500 {
			t.Errorf("NUL in the log-in email = %d, want a 4xx page", p.Status)
		}
	})
}

func TestFormsNeedTheirCSRFToken(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		b := s.browser(t)
		b.csrf()
		form := signupForm()
		form.Set("csrf", "forged")
		if p := b.do(http.MethodPost, "/signup", form, nil); p.Status != http.StatusForbidden {
			t.Errorf("sign-up with a wrong CSRF token = %d, want 403", p.Status)
		}
		// A request another site's page makes is refused before anything.
		form.Set("csrf", b.csrf())
		p := b.do(http.MethodPost, "/signup", form, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
		if p.Status != http.StatusForbidden {
			t.Errorf("cross-site sign-up = %d, want 403", p.Status)
		}
		if r := s.Do(apitest.Req{Method: "POST", Path: "/v1/auth/login", Body: map[string]any{"email": "jane@example.com", "password": "correct horse battery"}}); r.Status != http.StatusUnauthorized {
			t.Errorf("a refused form created the account: log-in = %d", r.Status)
		}
	})
}

func TestLoginPageSharesTheAPIsLimits(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, engine, &apitest.Opts{AuthRateLimit: 4})
			b := s.browser(t)
			limited := false
			for range 6 {
				p := b.post("/login", url.Values{"email": {"jane@example.com"}, "password": {"wrong horse battery"}})
				if p.Status == http.StatusTooManyRequests {
					limited = p.Header.Get("Retry-After") != "" && strings.Contains(p.Body, "role=\"alert\"")
					break
				}
			}
			if !limited {
				t.Error("six wrong passwords from one address were never limited (with Retry-After and a message)")
			}
		})
	}
}
