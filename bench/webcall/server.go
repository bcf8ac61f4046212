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
	"syscall"
	"time"
)

// server is the real vidivo binary, `vidivo serve` in a process of its
// own, on a fresh data dir (SQLite), with the embedded TURN server on
// loopback and the pages' ICE policy of the run.
type server struct {
	base    string // http://127.0.0.1:port, also the public URL
	cmd     *exec.Cmd
	exited  chan struct{}
	logPath string
}

// startServer runs bin on free loopback ports in workDir and waits until
// /healthz answers.
func startServer(ctx context.Context, bin, workDir, icePolicy string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	turnAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &server{base: "http://" + addr, exited: make(chan struct{}), logPath: filepath.Join(workDir, "server-"+icePolicy+".log")}
	logf, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"VIDIVO_ADDR=" + addr,
		"VIDIVO_PUBLIC_URL=" + s.base,
		"VIDIVO_DATA_DIR=" + filepath.Join(workDir, "data-"+icePolicy),
		"VIDIVO_TURN_ADDR=" + turnAddr,
		// Both relay addresses are 127.0.0.1: loopback must be a peer.
		"VIDIVO_TURN_ALLOW_PEERS=127.0.0.0/8",
		"VIDIVO_ICE_POLICY=" + icePolicy,
		"VIDIVO_METRICS_ADDR=off",
		"VIDIVO_PAYMENTS=sandbox",
		"VIDIVO_AUTH_RATE_LIMIT=0",
		"VIDIVO_PUBLIC_RATE_LIMIT=0",
		"VIDIVO_LOG_LEVEL=warn",
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start vidivo: %w", err)
	}
	s.cmd = cmd
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for !s.healthy(ctx) {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("vidivo exited during start-up (see %s)", s.logPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("vidivo did not answer /healthz within 60s")
		}
	}
	return s, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (s *server) healthy(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.base+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop ends the server with SIGTERM, or SIGKILL after 10 s.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
}
