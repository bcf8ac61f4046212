package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vidivo/vidivo/sqldb/sqldbtest"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCmd runs a vidivo command in-process with the given environment.
func runCmd(t *testing.T, vars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut syncBuffer
	e := env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }}
	code = run(context.Background(), args, e)
	return code, out.String(), errOut.String()
}

func TestUserCommands(t *testing.T) {
	t.Parallel()
	for _, engine := range sqldbtest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{"VIDIVO_DATA_DIR": t.TempDir(), "VIDIVO_DATABASE_URL": sqldbtest.URL(t, engine)}

			code, out, errOut := runCmd(t, vars, "", "migrate")
			if code != 0 || !strings.Contains(out, "applied migrations") {
				t.Fatalf("migrate = %d %q %q", code, out, errOut)
			}
			code, out, _ = runCmd(t, vars, "", "migrate")
			if code != 0 || !strings.Contains(out, "up to date") {
				t.Fatalf("second migrate = %d %q", code, out)
			}

			code, out, errOut = runCmd(t, vars, "a long enough password\n", "user", "create",
				"--email", "Ops@Example.com", "--username", "ops", "--role", "admin", "--password-stdin")
			if code != 0 || !strings.Contains(out, "created admin ops (ops@example.com)") || strings.Contains(out, "password:") {
				t.Fatalf("user create = %d %q %q", code, out, errOut)
			}
			// It says where the account went, without credentials.
			wantDB := map[string]string{"sqlite": "in SQLite database " + strings.TrimPrefix(vars["VIDIVO_DATABASE_URL"], "sqlite:"),
				"postgres": "in PostgreSQL database "}[engine]
			if !strings.Contains(out, wantDB) || strings.Contains(out, "postgres://") {
				t.Errorf("user create says %q, want it to name the database (%q)", out, wantDB)
			}
			code, out, _ = runCmd(t, vars, "", "user", "create", "--email", "jane@example.com", "--username", "janecoach")
			if code != 0 || !regexp.MustCompile(`password: \S{20,}`).MatchString(out) {
				t.Fatalf("user create with generated password = %d %q", code, out)
			}
			code, _, errOut = runCmd(t, vars, "", "user", "create", "--email", "JANE@example.com", "--username", "jane2")
			if code != 1 || !strings.Contains(errOut, "already exists") {
				t.Fatalf("duplicate user create = %d %q", code, errOut)
			}
			code, _, errOut = runCmd(t, vars, "short\n", "user", "create", "--email", "x@example.com", "--username", "x_y", "--password-stdin")
			if code != 1 || !strings.Contains(errOut, "password: must be at least 10 characters") {
				t.Fatalf("short password = %d %q", code, errOut)
			}

			code, out, _ = runCmd(t, vars, "", "user", "promote", "janecoach")
			if code != 0 || out != "janecoach is now admin\n" {
				t.Fatalf("promote = %d %q", code, out)
			}
			code, out, _ = runCmd(t, vars, "", "user", "promote", "--role", "host", "JANE@example.com")
			if code != 0 || out != "janecoach is now host\n" {
				t.Fatalf("promote to host = %d %q", code, out)
			}
			code, _, errOut = runCmd(t, vars, "", "user", "promote", "nobody")
			if code != 1 || !strings.Contains(errOut, "not found") {
				t.Fatalf("promote unknown = %d %q", code, errOut)
			}
		})
	}
}

func TestHelpAndUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"serve", "--help"}, {"migrate", "--help"}, {"user", "create", "--help"}, {"user", "promote", "--help"}, {"version", "--help"}, {"help"}} {
		code, out, errOut := runCmd(t, nil, "", args...)
		if code != 0 || out+errOut == "" {
			t.Errorf("%v = %d, %q %q", args, code, out, errOut)
		}
	}
	for _, args := range [][]string{{"user", "--help"}, {"user", "help"}} {
		code, out, _ := runCmd(t, nil, "", args...)
		if code != 0 || !strings.Contains(out, "vidivo user create") || !strings.Contains(out, "vidivo user promote") {
			t.Errorf("%v = %d %q, want the user commands", args, code, out)
		}
	}
	// Commands that only open the database list only its flags.
	for _, args := range [][]string{{"migrate", "--help"}, {"user", "create", "--help"}, {"user", "promote", "--help"}} {
		_, _, help := runCmd(t, nil, "", args...)
		if !strings.Contains(help, "-database-url") || strings.Contains(help, "-turn-addr") || strings.Contains(help, "-stripe-secret-key") {
			t.Errorf("%v lists flags of other commands:\n%s", args, help)
		}
	}
	// A bad command line is reported once, with exit code 2.
	code, out, errOut := runCmd(t, nil, "", "user", "create", "--bogus")
	if code != 2 || strings.Count(errOut, "bogus") != 1 || out != "" {
		t.Errorf("user create --bogus = %d, stdout %q, stderr %q; want 2 and one mention of the flag", code, out, errOut)
	}
	if code, _, errOut = runCmd(t, nil, "", "user", "remove"); code != 2 || strings.Count(errOut, "remove") != 1 {
		t.Errorf("user remove = %d %q, want 2 and one mention", code, errOut)
	}
	for _, flag := range []string{"--version", "-version", "version"} {
		code, out, _ := runCmd(t, nil, "", flag)
		if code != 0 || !strings.HasPrefix(out, "vidivo ") {
			t.Errorf("%s = %d %q, want the version", flag, code, out)
		}
	}

	code, _, errOut = runCmd(t, nil, "", "serve", "--help")
	for _, s := range settings {
		if !strings.Contains(errOut, "-"+s.flag) || !strings.Contains(errOut, s.env) {
			t.Errorf("serve --help lacks %s / %s", s.flag, s.env)
		}
	}
	if code, _, _ = runCmd(t, nil, "", "bogus"); code != 2 {
		t.Errorf("unknown command exit = %d, want 2", code)
	}
	code, _, errOut = runCmd(t, map[string]string{"VIDIVO_AUTH_RATE_LIMIT": "lots"}, "", "migrate")
	if code != 1 || !strings.Contains(errOut, "rate limit") {
		t.Errorf("bad setting = %d %q", code, errOut)
	}
}

// TestReadmeConfigTable keeps README.md's configuration table and the code
// in step: every setting documented, nothing documented that is not real.
func TestReadmeConfigTable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(VIDIVO_[A-Z_]+)` \\| `--([a-z-]+)` \\|").FindAllStringSubmatch(string(readme), -1) {
		documented[m[1]+" --"+m[2]] = true
	}
	for _, s := range settings {
		key := s.env + " --" + s.flag
		if !documented[key] {
			t.Errorf("README configuration table lacks %s", key)
		}
		delete(documented, key)
	}
	for k := range documented {
		t.Errorf("README documents %s, which the code does not have", k)
	}
}

// TestServeFirstRunAndSIGTERM runs the real binary (this test binary
// re-executed as vidivo) with no configuration but a fresh working
// directory, as a newcomer would: it must create the data dir, migrate,
// generate keys, say where it listens, serve, and exit 0 on SIGTERM.
func TestServeFirstRunAndSIGTERM(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--turn-addr", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "VIDIVO_RUN_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })

	lines := bufio.NewReader(stdout)
	first, err := lines.ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line: %v; stderr %s", err, stderr.String())
	}
	m := regexp.MustCompile(`listening on (\S+) \(database: sqlite`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("first line %q does not say where it listens", first)
	}
	go io.Copy(io.Discard, lines)
	base := "http://" + m[1]

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s = %d", path, resp.StatusCode)
		}
	}
	for _, f := range []string{"data/vidivo.db", "data/jwt-signing-key.pem"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("first run did not create %s: %v", f, err)
		}
	}
	if !strings.Contains(stderr.String(), `"request_id"`) {
		t.Errorf("access log lines carry no request_id:\n%s", stderr.String())
	}

	// An open notification stream does not hold the shutdown up.
	signup := `{"email":"jane@example.com","password":"correct horse battery","username":"janecoach","display_name":"Jane","role":"host"}`
	resp, err := http.Post(base+"/v1/auth/signup", "application/json", strings.NewReader(signup))
	if err != nil {
		t.Fatal(err)
	}
	var sess struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&sess)
	resp.Body.Close()
	req, _ := http.NewRequest("GET", base+"/v1/notifications/stream", nil)
	req.Header.Set("Authorization", "Bearer "+sess.AccessToken)
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("stream: %v %v", stream, err)
	}
	defer stream.Body.Close()
	if line, err := bufio.NewReader(stream.Body).ReadString('\n'); err != nil || !strings.HasPrefix(line, ": connected") {
		t.Fatalf("stream did not start: %q %v", line, err)
	}

	// A request in flight when SIGTERM arrives still gets its answer: send
	// the headers and half the body, signal, then finish the body.
	conn, err := net.Dial("tcp", m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"email":"nobody@example.com","password":"not the password"}`
	fmt.Fprintf(conn, "POST /v1/auth/login HTTP/1.1\r\nHost: vidivo\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
	time.Sleep(200 * time.Millisecond) // let the server start the handler
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	fmt.Fprint(conn, body[10:])
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 401") {
		t.Errorf("in-flight request during shutdown: %q, %v", status, err)
	}

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr %s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit within 30s of SIGTERM")
	}
	if !strings.Contains(stderr.String(), `"msg":"stopped"`) {
		t.Errorf("no clean stop logged:\n%s", stderr.String())
	}
}

func TestMain(m *testing.M) {
	if os.Getenv("VIDIVO_RUN_MAIN") == "1" {
		main()
		return
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, "cmd/vidivo tests failed")
	}
	os.Exit(code)
}
