package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"
)

// server is the real vidivo binary, run as `vidivo serve` in a process of
// its own on its own data (a data dir, and a database of its own on
// PostgreSQL), killed with SIGKILL and started again on the same data.
type server struct {
	name    string // "vidivo" alone; "a", "b", "c" in a fleet
	bin     string
	addr    string // 127.0.0.1:port, the same on every start
	env     []string
	logPath string

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the current process ends
	killing  bool          // the current process is being killed on purpose
	upSince  time.Time     // zero while down
	starts   int
	kills    int
	crashes  int // exits nobody asked for
	downtime time.Duration
	maxDown  time.Duration
	downAt   time.Time
	ups      []span      // when the server answered, process by process
	execs    []time.Time // when each process was started
}

// span is a time the server was up; end is zero while it still is.
type span struct{ start, end time.Time }

// newServer prepares a server on addr (a free loopback port when empty)
// with the data dir workDir/data (and dbURL when not SQLite), logging to
// workDir/<name>.log. publicURL is where clients reach it (its own address
// when empty: alone); extra settings come last.
func newServer(name, bin, workDir, addr, dbURL, publicURL string, extra ...string) (*server, error) {
	if addr == "" {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr = fmt.Sprintf("127.0.0.1:%d", port)
	}
	if publicURL == "" {
		publicURL = "http://" + addr
	}
	dataDir := filepath.Join(workDir, "data")
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"VIDIVO_ADDR=" + addr,
		"VIDIVO_PUBLIC_URL=" + publicURL,
		"VIDIVO_DATA_DIR=" + dataDir,
		"VIDIVO_TURN_ADDR=off",
		"VIDIVO_METRICS_ADDR=off",
		"VIDIVO_PAYMENTS=sandbox",
		"VIDIVO_AUTH_RATE_LIMIT=0",
		"VIDIVO_PUBLIC_RATE_LIMIT=0",
		"VIDIVO_LOG_LEVEL=warn",
	}
	if dbURL != "" {
		env = append(env, "VIDIVO_DATABASE_URL="+dbURL)
	}
	env = append(env, extra...)
	return &server{name: name, bin: bin, addr: addr, env: env, logPath: filepath.Join(workDir, name+".log")}, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs the binary and waits until /healthz answers.
func (s *server) start(ctx context.Context) error {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "=== start %d at %s\n", s.starts+1, time.Now().UTC().Format(time.RFC3339Nano))
	cmd := exec.Command(s.bin, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = s.env, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start vidivo: %w", err)
	}
	exited := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.exited, s.killing = cmd, exited, false
	s.starts++
	s.execs = append(s.execs, time.Now())
	s.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		logf.Close()
		s.mu.Lock()
		if !s.killing {
			s.crashes++
		}
		if !s.upSince.IsZero() {
			s.upSince, s.downAt = time.Time{}, time.Now()
			s.ups[len(s.ups)-1].end = s.downAt
		}
		s.mu.Unlock()
		close(exited)
	}()
	deadline := time.Now().Add(90 * time.Second)
	for {
		if s.healthy(ctx) {
			s.mu.Lock()
			if !s.downAt.IsZero() {
				d := time.Since(s.downAt)
				s.downtime += d
				s.maxDown = max(s.maxDown, d)
			}
			s.upSince, s.downAt = time.Now(), time.Time{}
			s.ups = append(s.ups, span{start: s.upSince})
			s.mu.Unlock()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("vidivo exited during start-up (see %s)", s.logPath)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("vidivo did not answer /healthz within 90s")
		}
	}
}

func (s *server) healthy(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.addr+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// kill sends SIGKILL (no shutdown of any kind) and waits for the process
// to be gone.
func (s *server) kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.killing = true
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-exited
	s.mu.Lock()
	s.kills++
	s.mu.Unlock()
}

// stop ends the server with SIGTERM, as an operator would, or SIGKILL
// after 30 s.
func (s *server) stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.killing = true
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}

// exitedOnItsOwn reports whether the current process has died without
// being killed (a crash), so the caller can start it again.
func (s *server) exitedOnItsOwn() bool {
	s.mu.Lock()
	exited, killing := s.exited, s.killing
	s.mu.Unlock()
	if exited == nil || killing {
		return false
	}
	select {
	case <-exited:
		return true
	default:
		return false
	}
}

// upSinceTime is when the current process started answering; zero while
// down.
func (s *server) upSinceTime() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.upSince
}

// upThrough reports whether one process of the server answered all the
// way from a to b.
func (s *server) upThrough(a, b time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.ups {
		if !u.start.After(a) && (u.end.IsZero() || !u.end.Before(b)) {
			return true
		}
	}
	return false
}

type serverStats struct {
	starts, kills, crashes int
	downtime, maxDown      time.Duration
}

func (s *server) stats() serverStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return serverStats{s.starts, s.kills, s.crashes, s.downtime, s.maxDown}
}

// spans returns the times the server answered, process by process.
func (s *server) spans() []span {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ups)
}

// execStarts returns when each process was started.
func (s *server) execStarts() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.execs)
}
