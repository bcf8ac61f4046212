package main

import (
	"bufio"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// get fetches url and returns its status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsListener runs vidivo serve: /metrics answers on the metrics
// listener only, and counts the public listener's requests.
func TestMetricsListener(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--turn-addr", "off", "--metrics-addr", "127.0.0.1:0")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "VIDIVO_RUN_MAIN=1", "VIDIVO_LOG_LEVEL=warn")
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
	m := regexp.MustCompile(`listening on (\S+) .*metrics: (127\.0\.0\.1:\d+)\)`).FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("first line %q (%v) does not name both listeners", line, err)
	}
	go io.Copy(io.Discard, out)
	public, metrics := "http://"+m[1], "http://"+m[2]

	if status, _ := get(t, public+"/healthz"); status != http.StatusOK {
		t.Fatalf("public /healthz = %d", status)
	}
	if status, body := get(t, public+"/metrics"); status != http.StatusNotFound {
		t.Errorf("public /metrics = %d %.80q, want 404", status, body)
	}
	status, body := get(t, metrics+"/metrics")
	want := `vidivo_http_requests_total{method="GET",route="GET /healthz",status="200"} 1`
	if status != http.StatusOK || !strings.Contains(body, want) {
		t.Errorf("metrics listener /metrics = %d, lacks %s", status, want)
	}
	if status, _ := get(t, metrics+"/healthz"); status != http.StatusNotFound {
		t.Errorf("the metrics listener serves the API: /healthz = %d", status)
	}
}

func TestMetricsAddrSetting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantAddr string
		wantSet  bool
	}{
		{name: "default: loopback", wantAddr: "127.0.0.1:9464"},
		{name: "env", env: map[string]string{"VIDIVO_METRICS_ADDR": "10.0.0.5:9100"}, wantAddr: "10.0.0.5:9100", wantSet: true},
		{name: "flag wins", env: map[string]string{"VIDIVO_METRICS_ADDR": "off"}, args: []string{"--metrics-addr", ":9100"}, wantAddr: ":9100", wantSet: true},
		{name: "off", env: map[string]string{"VIDIVO_METRICS_ADDR": "off"}, wantAddr: "", wantSet: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			build := registerConfig(fs, func(k string) string { return tt.env[k] })
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := build()
			if err != nil {
				t.Fatal(err)
			}
			type got struct {
				Addr string
				Set  bool
			}
			if diff := cmp.Diff(got{tt.wantAddr, tt.wantSet}, got{c.MetricsAddr, c.MetricsAddrSet}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestStartMetricsAddressTaken: an address the operator chose must be had;
// the default may be taken (another instance on the box) at the cost of a
// warning.
func TestStartMetricsAddressTaken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().String()
	h := http.NotFoundHandler()

	if _, _, err := startMetrics(&config{MetricsAddr: taken, MetricsAddrSet: true}, h); err == nil {
		t.Error("a chosen address that is taken: no error")
	}
	addr, stop, err := startMetrics(&config{MetricsAddr: taken}, h)
	if err != nil || addr != "off" {
		t.Errorf("the default address taken = %q, %v; want off, no error", addr, err)
	}
	stop()
	addr, stop, err = startMetrics(&config{}, h)
	if err != nil || addr != "off" {
		t.Errorf("disabled = %q, %v; want off", addr, err)
	}
	stop()
}
