package nginxtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestRenderShippedSite: the shipped file renders into a plain-HTTP site
// on the given address with exactly the given upstreams; TLS and the
// redirect are gone, and the proxying is the file's.
func TestRenderShippedSite(t *testing.T) {
	t.Parallel()
	path, err := ShippedSite()
	if err != nil {
		t.Fatal(err)
	}
	site, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Render(string(site), "127.0.0.1:18080", []string{"127.0.0.1:1", "127.0.0.1:2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"    server 127.0.0.1:1 max_fails=3 fail_timeout=10s;\n    server 127.0.0.1:2 max_fails=3 fail_timeout=10s;\n",
		"    listen 127.0.0.1:18080;\n",
		"location = /signal/ws {", "proxy_set_header Upgrade $http_upgrade;",
		"location = /v1/notifications/stream {", "proxy_buffering off;",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered site lacks %q:\n%s", want, got)
		}
	}
	for _, gone := range []string{"10.0.0.11", "10.0.0.12", "listen 443", "listen 80", "ssl_", "return 301", "nginxtest:", "/var/log"} {
		if strings.Contains(stripComments(got), gone) || strings.Contains(got, "# nginxtest:begin") {
			t.Errorf("rendered site still has %q:\n%s", gone, got)
		}
	}
}

// TestRenderRefuses: a site whose markers are missing, doubled, nested or
// unclosed, or that sets add_header, is an error, not a half-swapped run.
func TestRenderRefuses(t *testing.T) {
	t.Parallel()
	const (
		up    = "upstream u {\n# nginxtest:begin upstreams\n server 10.0.0.1:80;\n# nginxtest:end\n}\n"
		redir = "# nginxtest:begin redirect\nserver { listen 80; }\n# nginxtest:end\n"
		tls   = "log_format vidivo '$uri';\nserver {\n # nginxtest:begin tls\n listen 443 ssl;\n # nginxtest:end\n # nginxtest:begin logs\n access_log /var/log/v.log vidivo;\n # nginxtest:end\n location / { proxy_pass http://u; }\n}\n"
		notls = "log_format vidivo '$uri';\nserver {\n # nginxtest:begin logs\n access_log /var/log/v.log vidivo;\n # nginxtest:end\n}\n"
	)
	if _, err := Render(up+redir+tls, "127.0.0.1:1", []string{"127.0.0.1:2"}); err != nil {
		t.Fatalf("the minimal site: %v", err)
	}
	for name, site := range map[string]string{
		"no upstreams":      redir + tls,
		"no tls":            up + redir + notls,
		"no logs":           up + redir + strings.Replace(tls, "logs", "other", 1),
		"no redirect":       up + tls,
		"two tls":           up + redir + tls + tls,
		"unclosed":          up + redir + tls + "# nginxtest:begin tls\n",
		"nested":            up + redir + "# nginxtest:begin tls\n# nginxtest:begin redirect\n# nginxtest:end\n# nginxtest:end\n",
		"end without begin": up + redir + tls + "# nginxtest:end\n",
		"unknown region":    up + redir + tls + "# nginxtest:begin other\n# nginxtest:end\n",
		"no server line":    "upstream u {\n# nginxtest:begin upstreams\n# nginxtest:end\n}\n" + redir + tls,
		"add_header":        up + redir + strings.Replace(tls, "location /", "add_header X-A b;\n location /", 1),
	} {
		if got, err := Render(site, "127.0.0.1:1", []string{"127.0.0.1:2"}); err == nil {
			t.Errorf("%s: rendered without an error:\n%s", name, got)
		}
	}
}

// TestProxyShippedSite runs nginx with the shipped site in front of two
// real HTTP servers: requests go round-robin to both, each response names
// its upstream, an event stream is passed on unbuffered (an event arrives
// while its handler still holds the stream open), a WebSocket is upgraded
// and echoes, and X-Forwarded-For names the client.
func TestProxyShippedSite(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	backend := func(name string) *httptest.Server {
		mux := http.NewServeMux()
		mux.HandleFunc("/v1/hello", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s %s", name, r.Header.Get("X-Forwarded-For"))
		})
		mux.HandleFunc("/v1/notifications/stream", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, ": connected\n\n")
			w.(http.Flusher).Flush()
			select { // the stream stays open until the test ends
			case <-release:
			case <-r.Context().Done():
			}
		})
		mux.HandleFunc("/signal/ws", func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			_ = c.Write(r.Context(), typ, append([]byte(name+" "), msg...))
		})
		s := httptest.NewServer(mux)
		t.Cleanup(s.Close)
		return s
	}
	a, b := backend("a"), backend("b")
	addrA, addrB := strings.TrimPrefix(a.URL, "http://"), strings.TrimPrefix(b.URL, "http://")
	p, err := Start(Config{Upstreams: []string{addrA, addrB}, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("nginx error log:\n%s\naccess log:\n%s", p.ErrorLog(), p.AccessLog())
		}
	})
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q", p.URL)
	}

	seen := map[string]string{} // body's instance → upstream header
	for range 4 {
		resp, err := http.Get(p.URL + "/v1/hello")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		name, xff, _ := strings.Cut(string(body), " ")
		if resp.StatusCode != 200 || xff != "127.0.0.1" {
			t.Fatalf("GET = %d %q, want 200 with X-Forwarded-For 127.0.0.1", resp.StatusCode, body)
		}
		seen[name] = resp.Header.Get(UpstreamHeader)
	}
	if seen["a"] != addrA || seen["b"] != addrB {
		t.Errorf("instances and their %s: %v, want a at %s and b at %s", UpstreamHeader, seen, addrA, addrB)
	}

	// The access log keeps no secrets: no query strings, and the token of
	// a URL that is itself the key redacted.
	for _, path := range []string{"/v1/hello?token=query-secret", "/s/path-secret", "/v1/sessions/entry/path-secret/pay"} {
		resp, err := http.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if log := p.AccessLog(); strings.Contains(log, "secret") || !strings.Contains(log, "GET /s/REDACTED HTTP") ||
		!strings.Contains(log, "GET /v1/sessions/entry/REDACTED/pay HTTP") || !strings.Contains(log, "GET /v1/hello HTTP") {
		t.Errorf("access log:\n%s", log)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/v1/notifications/stream", nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if up := stream.Header.Get(UpstreamHeader); up != addrA && up != addrB {
		t.Errorf("stream's %s = %q", UpstreamHeader, up)
	}
	if line, err := bufio.NewReader(stream.Body).ReadString('\n'); err != nil || line != ": connected\n" {
		t.Fatalf("stream through nginx: %q %v (buffered?)", line, err)
	}

	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(p.URL, "http")+"/signal/ws", nil)
	if err != nil {
		t.Fatalf("WebSocket through nginx: %v", err)
	}
	defer ws.CloseNow()
	up := resp.Header.Get(UpstreamHeader)
	if err := ws.Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	_, msg, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{addrA: "a ping", addrB: "b ping"}[up]; string(msg) != want || want == "" {
		t.Errorf("echo %q from upstream %q", msg, up)
	}

	p.Stop()
	if _, err := http.Get(p.URL + "/v1/hello"); err == nil {
		t.Error("nginx still answers after Stop")
	}
	p.Stop() // again: no effect
}

// TestStartErrors: no upstreams, or no such nginx, is an error at once.
func TestStartErrors(t *testing.T) {
	t.Parallel()
	if _, err := Start(Config{Dir: t.TempDir()}); err == nil {
		t.Error("Start without upstreams succeeded")
	}
	if _, err := Start(Config{Upstreams: []string{"127.0.0.1:1"}, Dir: t.TempDir(), Nginx: "/nonexistent/nginx"}); err == nil {
		t.Error("Start with a missing nginx succeeded")
	}
	bad := t.TempDir() + "/site.conf"
	if err := os.WriteFile(bad, []byte("server {\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(Config{Upstreams: []string{"127.0.0.1:1"}, Dir: t.TempDir(), Site: bad}); err == nil {
		t.Error("Start with a site without markers succeeded")
	}
}
