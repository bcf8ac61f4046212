package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vidivo/vidivo/api/apitest"
	"github.com/vidivo/vidivo/web"
)

// site is a running API server with the pages mounted, on a real store,
// and a browser-like client for it.
type site struct {
	*apitest.Env
	Pages *web.Server
}

func newSite(t *testing.T, engine string, opts *apitest.Opts) *site {
	t.Helper()
	env := apitest.New(t, engine, opts)
	s := env.Server
	pages := &web.Server{
		Auth: s.Auth, Users: env.DB, Links: env.DB, Calls: env.Calls, CallStore: env.DB,
		GuestTokens: s.GuestTokens, Signaling: s.Signaling, TURN: s.TURN, Notify: env.Hub,
		Gateway: env.Gateway, Payouts: env.DB, Payments: "sandbox", Limiter: s, PublicURL: apitest.PublicURL,
		Now: env.Clock.Now, Logger: s.Logger, Booking: s.Booking, EventTypes: env.DB, Sessions: s.Sessions,
	}
	pages.Routes()
	s.Pages = pages
	return &site{Env: env, Pages: pages}
}

// browser keeps cookies the way a browser on the public https URL would
// (the test server itself speaks plain http, so a cookie jar would drop
// the Secure ones) and never follows redirects, so tests see them.
type browser struct {
	t       *testing.T
	base    string
	cookies map[string]*http.Cookie
	client  *http.Client
}

func (s *site) browser(t *testing.T) *browser {
	return &browser{t: t, base: s.URL, cookies: map[string]*http.Cookie{},
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(method, path string, form url.Values, header map[string]string) *page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
			continue
		}
		b.cookies[c.Name] = c
	}
	return &page{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
}

func (b *browser) get(path string) *page { b.t.Helper(); return b.do(http.MethodGet, path, nil, nil) }

// post submits a form as the page would: with the CSRF token it was given.
func (b *browser) post(path string, form url.Values) *page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf())
	}
	return b.do(http.MethodPost, path, form, nil)
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// csrf loads the start page, as a person would before a form, and returns
// the token the page carries.
func (b *browser) csrf() string {
	b.t.Helper()
	p := b.get("/")
	m := csrfMeta.FindStringSubmatch(p.Body)
	if m == nil {
		b.t.Fatalf("no csrf-token meta on the start page:\n%s", p.Body)
	}
	return m[1]
}
