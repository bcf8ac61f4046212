// Package nginxtest runs Debian's nginx, unprivileged and in the
// foreground, with the fleet's shipped configuration (docs/nginx-fleet.conf)
// in front of instances a test or the chaos tool started: the proxy the
// operations guide describes is the proxy the fleet's tests go through.
//
// The shipped file marks what a test must change with
// "# nginxtest:begin NAME" … "# nginxtest:end" lines (see Render); all the
// rest — round-robin, WebSocket upgrade, unbuffered event streams,
// X-Forwarded-For, retries — is used as it is.
package nginxtest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// UpstreamHeader is a response header the test proxy adds to every proxied
// response: the instance (host:port) that served it, so a test can tell
// where a stream or a socket landed. After a failed try nginx lists every
// instance it tried, the one that answered last.
const UpstreamHeader = "X-Nginxtest-Upstream"

// Config is what Start needs.
type Config struct {
	// Upstreams are the instances' host:port addresses, in round-robin
	// order.
	Upstreams []string
	// Dir is where the configuration, pid, logs and temporary files go;
	// it must exist.
	Dir string

	// Site is the nginx configuration to run; default: this module's
	// docs/nginx-fleet.conf.
	Site string
	// Nginx is the nginx binary; default: nginx on PATH, else
	// /usr/sbin/nginx (Debian's).
	Nginx string
}

// Proxy is a running nginx.
type Proxy struct {
	// URL is where it listens: http://127.0.0.1:port, no trailing slash.
	URL string
	// Addr is the host:port of URL.
	Addr string

	cmd  *exec.Cmd
	dir  string
	done chan struct{} // closed when nginx exited
	err  error         // how it exited, once done is closed
}

// startTimeout bounds how long nginx may take to answer after it started.
const startTimeout = 10 * time.Second

// Start renders the site for cfg's upstreams on a free loopback port, runs
// nginx in the foreground, and returns once it accepts connections.
func Start(cfg Config) (*Proxy, error) {
	if len(cfg.Upstreams) == 0 {
		return nil, errors.New("nginxtest: no upstreams")
	}
	bin, err := nginxBinary(cfg.Nginx)
	if err != nil {
		return nil, err
	}
	sitePath := cfg.Site
	if sitePath == "" {
		if sitePath, err = ShippedSite(); err != nil {
			return nil, err
		}
	}
	site, err := os.ReadFile(sitePath)
	if err != nil {
		return nil, fmt.Errorf("nginxtest: %w", err)
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("nginxtest: %w", err)
	}
	// A port picked and let go may be taken before nginx binds it: try
	// another a few times.
	for range 3 {
		p, err := start(bin, dir, string(site), cfg.Upstreams)
		if err == nil || !errors.Is(err, errAddrInUse) {
			return p, err
		}
	}
	return nil, errors.New("nginxtest: no free port after 3 tries")
}

var errAddrInUse = errors.New("address in use")

func start(bin, dir, site string, upstreams []string) (*Proxy, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	rendered, err := Render(site, addr, upstreams)
	if err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "nginx.conf")
	sitePath := filepath.Join(dir, "vidivo.conf")
	if err := os.WriteFile(sitePath, []byte(rendered), 0o600); err != nil {
		return nil, fmt.Errorf("nginxtest: %w", err)
	}
	if err := os.WriteFile(confPath, []byte(mainConf(dir, sitePath)), 0o600); err != nil {
		return nil, fmt.Errorf("nginxtest: %w", err)
	}
	errorLog := filepath.Join(dir, "error.log")
	// -e: nginx opens its compiled-in error log before it reads any
	// configuration; -g: the directives a foreground run needs.
	global := fmt.Sprintf("daemon off; pid %s; error_log %s info;", filepath.Join(dir, "nginx.pid"), errorLog)
	cmd := exec.Command(bin, "-p", dir, "-e", errorLog, "-c", confPath, "-g", global)
	cmd.Dir = dir
	// Its own process group: a test's Ctrl-C reaches the test, which
	// stops nginx with the workers.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("nginxtest: start %s: %w", bin, err)
	}
	p := &Proxy{URL: "http://" + addr, Addr: addr, cmd: cmd, dir: dir, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := p.waitReady(); err != nil {
		p.Stop()
		log := p.ErrorLog()
		if strings.Contains(log, "Address already in use") {
			return nil, errAddrInUse
		}
		return nil, fmt.Errorf("nginxtest: %w; error log:\n%s", err, log)
	}
	return p, nil
}

// waitReady waits until nginx accepts connections on its port, or exits.
func (p *Proxy) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("nginx exited: %v", p.err)
		default:
		}
		c, err := net.DialTimeout("tcp", p.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nginx did not listen on %s within %v", p.Addr, startTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop ends nginx (fast shutdown: open streams and sockets are cut) and
// waits for it; a nginx that does not stop in 5 s is killed with its
// workers. Stop may be called more than once.
func (p *Proxy) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// ErrorLog returns nginx's error log so far (which also names each
// upstream it gave up on), for a failing test to show.
func (p *Proxy) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "error.log"))
	return string(b)
}

// AccessLog returns the access log so far: one line per finished request,
// "METHOD URI STATUS UPSTREAM(S)". A stream's or socket's line is written
// when it ends.
func (p *Proxy) AccessLog() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "access.log"))
	return string(b)
}

// mainConf is the nginx.conf around the site, as Debian's includes its
// sites inside http {}, with every path in dir so that nothing needs
// root or touches /var/lib/nginx.
func mainConf(dir, sitePath string) string {
	var b strings.Builder
	b.WriteString("worker_processes 1;\n")
	if os.Geteuid() == 0 {
		// nginx started by root would run its workers as nobody, who
		// cannot enter a test's private temporary directory.
		b.WriteString("user root;\n")
	}
	b.WriteString("events {\n    worker_connections 1024;\n}\nhttp {\n")
	for _, temp := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&b, "    %s_temp_path %s;\n", temp, filepath.Join(dir, temp))
	}
	// Inherited by the site's locations as long as they set no
	// add_header of their own (Render refuses a site that does).
	fmt.Fprintf(&b, "    add_header %s $upstream_addr always;\n", UpstreamHeader)
	fmt.Fprintf(&b, "    include %s;\n}\n", sitePath)
	return b.String()
}

// Render makes the shipped site configuration runnable by a test: the
// region between "# nginxtest:begin upstreams" and "# nginxtest:end"
// becomes one server line per upstream, with the parameters of the
// region's first server line (max_fails …); the "tls" region becomes
// "listen listen;" (plain HTTP on that address); the "redirect" region
// (the :80 server that sends clients to HTTPS) is dropped; the "logs"
// region becomes an access log in the site's "vidivo" format in the
// test's directory (AccessLog reads it). Each region
// must appear exactly once. Everything else is kept byte for byte.
func Render(site, listen string, upstreams []string) (string, error) {
	regions, err := splitRegions(site)
	if err != nil {
		return "", err
	}
	for _, name := range []string{"upstreams", "tls", "redirect", "logs"} {
		if n := countRegion(regions, name); n != 1 {
			return "", fmt.Errorf("nginxtest: the site has %d %q regions, want 1", n, name)
		}
	}
	var b strings.Builder
	for _, r := range regions {
		switch r.name {
		case "":
			b.WriteString(r.text)
		case "upstreams":
			params, indent, err := serverParams(r.text)
			if err != nil {
				return "", err
			}
			for _, u := range upstreams {
				fmt.Fprintf(&b, "%sserver %s%s;\n", indent, u, params)
			}
		case "tls":
			fmt.Fprintf(&b, "%slisten %s;\n", r.indent, listen)
		case "redirect":
		case "logs":
			// Relative to nginx's prefix, the test's directory; the
			// site's own format, so a test reads what operators log.
			fmt.Fprintf(&b, "%saccess_log access.log vidivo;\n", r.indent)
		default:
			return "", fmt.Errorf("nginxtest: unknown region %q", r.name)
		}
	}
	out := b.String()
	if strings.Contains(stripComments(out), "add_header") {
		return "", fmt.Errorf("nginxtest: the site sets add_header, which would hide the test's %s: add it there too", UpstreamHeader)
	}
	return out, nil
}

// region is a run of the site's lines: outside any marker (name ""), or
// between a begin marker and its end (markers not included).
type region struct {
	name, text, indent string
}

const beginMarker, endMarker = "# nginxtest:begin ", "# nginxtest:end"

func splitRegions(site string) ([]region, error) {
	var (
		out []region
		cur = region{}
	)
	sc := bufio.NewScanner(strings.NewReader(site))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, beginMarker):
			if cur.name != "" {
				return nil, fmt.Errorf("nginxtest: line %d: region %q begins inside %q", n, trimmed, cur.name)
			}
			out = append(out, cur)
			name := strings.TrimSpace(strings.TrimPrefix(trimmed, beginMarker))
			cur = region{name: name, indent: line[:len(line)-len(strings.TrimLeft(line, " \t"))]}
		case trimmed == endMarker:
			if cur.name == "" {
				return nil, fmt.Errorf("nginxtest: line %d: an end without a begin", n)
			}
			out = append(out, cur)
			cur = region{}
		default:
			cur.text += line + "\n"
		}
	}
	if cur.name != "" {
		return nil, fmt.Errorf("nginxtest: region %q has no end", cur.name)
	}
	return append(out, cur), sc.Err()
}

func countRegion(rs []region, name string) int {
	n := 0
	for _, r := range rs {
		if r.name == name {
			n++
		}
	}
	return n
}

// serverParams returns what follows the address on the region's first
// "server" line ("max_fails=3 fail_timeout=10s" with its leading space),
// and its indentation.
func serverParams(text string) (params, indent string, err error) {
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(strings.TrimSuffix(strings.TrimSpace(line), ";"))
		if len(f) >= 2 && f[0] == "server" {
			indent = line[:len(line)-len(strings.TrimLeft(line, " \t"))]
			if len(f) > 2 {
				params = " " + strings.Join(f[2:], " ")
			}
			return params, indent, nil
		}
	}
	return "", "", errors.New("nginxtest: the upstreams region has no server line")
}

// stripComments drops the comment part of each line.
func stripComments(conf string) string {
	var b strings.Builder
	for _, line := range strings.Split(conf, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// ShippedSite is the path of this module's docs/nginx-fleet.conf, found
// from this source file (tests and tools run from a checkout), else by
// looking up from the working directory for the module's go.mod.
func ShippedSite() (string, error) {
	const rel = "docs/nginx-fleet.conf"
	if _, file, _, ok := runtime.Caller(0); ok {
		p := filepath.Join(filepath.Dir(file), "..", rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("nginxtest: %w", err)
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("nginxtest: %s not found above the working directory; set Config.Site", rel)
		}
		dir = parent
	}
}

// nginxBinary finds nginx: the one given, the one on PATH, or Debian's.
func nginxBinary(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	const debian = "/usr/sbin/nginx"
	if _, err := os.Stat(debian); err != nil {
		return "", errors.New("nginxtest: nginx is not installed (apt-get install nginx; .ci/run does)")
	}
	return debian, nil
}

// freePort returns a loopback address with a port free at the moment.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("nginxtest: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
