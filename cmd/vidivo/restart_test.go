package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// server is a vidivo serve process (this test binary re-executed).
type server struct {
	cmd  *exec.Cmd
	base string
}

func startServer(t *testing.T, dir string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--turn-addr", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "VIDIVO_RUN_MAIN=1", "VIDIVO_AUTH_RATE_LIMIT=0", "VIDIVO_LOG_LEVEL=warn")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	m := regexp.MustCompile(`listening on (\S+) `).FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("server did not start: %q %v", line, err)
	}
	go io.Copy(io.Discard, out)
	return &server{cmd: cmd, base: "http://" + m[1]}
}

func (s *server) call(t *testing.T, method, path, tok string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// TestKilledMidCall kills the process (SIGKILL: no shutdown) while a paid
// call is active, starts it again on the same data, and ends the call:
// the session, tokens, holds and jobs all survive; the call settles once
// and no hold stays open.
func TestKilledMidCall(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)

	var host struct {
		AccessToken string `json:"access_token"`
	}
	s.call(t, "POST", "/v1/auth/signup", "", map[string]string{"email": "jane@example.com", "password": "correct horse battery",
		"username": "janecoach", "display_name": "Jane Smith", "role": "host"}, &host)
	s.call(t, "POST", "/v1/users/me/payouts/onboarding", host.AccessToken, nil, nil)
	var link struct {
		Link struct {
			ShortCode string `json:"short_code"`
		} `json:"link"`
	}
	if code := s.call(t, "POST", "/v1/links", host.AccessToken, map[string]any{"rate_per_minute": "2.50", "window_size_minutes": 10}, &link); code != 201 {
		t.Fatalf("create link = %d", code)
	}
	var joined struct {
		Call struct {
			ID string `json:"id"`
		} `json:"call"`
		GuestToken string `json:"guest_token"`
	}
	if code := s.call(t, "POST", "/v1/calls/join/"+link.Link.ShortCode, "", map[string]string{"payment_method_id": "pm_card_visa"}, &joined); code != 201 {
		t.Fatalf("join = %d", code)
	}
	id := joined.Call.ID
	if code := s.call(t, "POST", "/v1/calls/"+id+"/host-join", host.AccessToken, nil, nil); code != 201 {
		t.Fatalf("host-join = %d", code)
	}

	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait()
	s = startServer(t, dir)

	var end struct {
		Call struct {
			Status       string `json:"status"`
			TotalCharged string `json:"total_charged"`
		} `json:"call"`
	}
	if code := s.call(t, "POST", "/v1/calls/"+id+"/end", joined.GuestToken, map[string]string{"reason": "user_ended"}, &end); code != 200 {
		t.Fatalf("end after restart = %d", code)
	}
	if end.Call.Status != "completed" {
		t.Errorf("end = %+v", end)
	}
	var got struct {
		Call struct {
			Charges []struct {
				Kind, State string
				Window      int
			} `json:"charges"`
		} `json:"call"`
	}
	s.call(t, "GET", "/v1/calls/"+id, host.AccessToken, nil, &got)
	var ledger []string
	for _, ch := range got.Call.Charges {
		ledger = append(ledger, ch.Kind+"/"+ch.State)
	}
	// One hold, settled exactly once (captured, or released if the call
	// lasted under a second), nothing pending.
	if l := strings.Join(ledger, " "); l != "hold/succeeded capture/succeeded" && l != "hold/succeeded release/succeeded" {
		t.Errorf("ledger after restart = %s", l)
	}
}
