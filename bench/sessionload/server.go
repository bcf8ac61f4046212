package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/vidivo/vidivo/bench/internal/api"
)

// service is the vidivo instance under test: one this command started,
// or a running one (-url, and -pid for its CPU and memory).
type service struct {
	base string
	pid  int // 0: unknown, no CPU or RSS
	cmd  *exec.Cmd
	dir  string
	host string // the bench host's access token
}

// cpuCount counts the CPUs of a taskset list ("0,1", "0-3,6"); 0 if
// empty or malformed.
func cpuCount(list string) int {
	n := 0
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return 0
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0
			}
		}
		n += b - a + 1
	}
	return n
}

// startService runs `vidivo serve` as bench/sessions does: SQLite in a
// temporary directory, sandbox payments, relay-only ICE through the
// embedded TURN server on loopback (loopback peers allowed), and no TURN
// allocation quota, since a participant of a mesh holds one allocation
// per other participant.
func startService(bin, cpus string) (*service, error) {
	dir, err := os.MkdirTemp("", "vidivo-bench-sessionload")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("pick a port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	cmd := exec.Command(bin, "serve", "--turn-addr", "127.0.0.1:0")
	if cpus != "" { // taskset execs the service: the same process id
		cmd = exec.Command("taskset", "-c", cpus, bin, "serve", "--turn-addr", "127.0.0.1:0")
	}
	cmd.Env = append(os.Environ(), "VIDIVO_ADDR="+addr, "VIDIVO_PUBLIC_URL="+base, "VIDIVO_DATA_DIR="+dir,
		"VIDIVO_METRICS_ADDR=off", "VIDIVO_PAYMENTS=sandbox", "VIDIVO_AUTH_RATE_LIMIT=0", "VIDIVO_LOG_LEVEL=warn",
		"VIDIVO_ICE_POLICY=relay", "VIDIVO_TURN_ALLOW_PEERS=127.0.0.0/8", "VIDIVO_TURN_USER_QUOTA=0",
		"VIDIVO_DATABASE_URL=", "VIDIVO_NATS_URL=")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("vidivo stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &service{base: base, pid: cmd.Process.Pid, cmd: cmd, dir: dir}
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		s.stop()
		return nil, fmt.Errorf("vidivo did not start: %w", err)
	}
	go io.Copy(io.Discard, out)
	return s, nil
}

func (s *service) stop() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// signUp makes the bench's host account (a fresh email per run, so a
// running service can be used again) and onboards it for payouts, which
// scheduling sessions requires.
func (s *service) signUp() error {
	suffix := fmt.Sprintf("%d", time.Now().UnixNano())
	var signup struct {
		AccessToken string `json:"access_token"`
	}
	if err := s.call("POST", "/v1/auth/signup", "", map[string]string{"email": "sessionload-" + suffix + "@example.com",
		"password": "correct horse battery", "username": "sl" + suffix[len(suffix)-12:], "display_name": "Load Host",
		"role": "host"}, &signup); err != nil {
		return fmt.Errorf("sign up: %w", err)
	}
	s.host = signup.AccessToken
	if err := s.call("POST", "/v1/users/me/payouts/onboarding", s.host, nil, nil); err != nil {
		return fmt.Errorf("payout onboarding: %w", err)
	}
	return nil
}

// schedule creates a session of people participants, all hosts (nobody
// waits in the lobby), starting in a minute (entry opens 5 minutes
// before); it returns the session id and the entry tokens.
func (s *service) schedule(name string, people int) (string, []string, error) {
	var ps []map[string]any
	for i := range people {
		ps = append(ps, map[string]any{"display_name": fmt.Sprintf("Person %d", i+1), "role": "host"})
	}
	start := time.Now().UTC().Add(time.Minute).Truncate(time.Second)
	var sess struct {
		Resource struct {
			ID           string `json:"id"`
			Participants []struct {
				EntryURL string `json:"entry_url"`
			} `json:"participants"`
		} `json:"resource"`
	}
	if err := s.call("POST", "/v1/sessions", s.host, map[string]any{"session_name": name,
		"start_time": start.Format(time.RFC3339), "end_time": start.Add(time.Hour).Format(time.RFC3339),
		"participants": ps}, &sess); err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	var tokens []string
	for _, p := range sess.Resource.Participants {
		i := strings.LastIndex(p.EntryURL, "/s/")
		if i < 0 {
			return "", nil, fmt.Errorf("entry URL %q has no /s/{token}", p.EntryURL)
		}
		tokens = append(tokens, p.EntryURL[i+3:])
	}
	return sess.Resource.ID, tokens, nil
}

// cancel cancels a session (on a running service the bench leaves no
// scheduled sessions behind).
func (s *service) cancel(id string) error {
	return s.call("DELETE", "/v1/sessions/"+id, s.host, nil, nil)
}

// grant is POST /v1/sessions/entry/{token}/join's answer.
type grant struct {
	SessionID       string `json:"session_id"`
	ParticipantID   string `json:"participant_id"`
	SignalingToken  string `json:"signaling_token"`
	TURNCredentials struct {
		URLs       []string `json:"urls"`
		Username   string   `json:"username"`
		Credential string   `json:"credential"`
	} `json:"turn_credentials"`
}

func (s *service) join(entryToken string) (grant, error) {
	var g grant
	if err := s.call("POST", "/v1/sessions/entry/"+entryToken+"/join", "", nil, &g); err != nil {
		return g, fmt.Errorf("join: %w", err)
	}
	return g, nil
}

// wsURL is the signaling relay's address for a grant.
func (s *service) wsURL(g grant) string {
	return "ws" + strings.TrimPrefix(s.base, "http") + "/signal/ws?call=" + url.QueryEscape(g.SessionID) + "&token=" + url.QueryEscape(g.SignalingToken)
}

func (s *service) call(method, path, tok string, body, out any) error {
	return api.Call(s.base, method, path, tok, body, out)
}
