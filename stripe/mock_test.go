package stripe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// defaultStripeMockURL is where .ci/stripe-mock.sh starts stripe-mock.
const defaultStripeMockURL = "http://127.0.0.1:12111"

// installHint says how to get stripe-mock when the tests cannot find it.
const installHint = "install it with `go install github.com/stripe/stripe-mock@v0.203.0` " +
	"(the tests then start it themselves), or start it with `bash .ci/stripe-mock.sh`"

// mock is the stripe-mock the tests share: found running, or started by
// the first test that needs it and stopped by TestMain.
var mock struct {
	once   sync.Once
	url    string
	err    error
	proc   *os.Process // the stripe-mock the tests started, if any
	exited chan error  // receives its exit
}

func TestMain(m *testing.M) {
	code := m.Run()
	if mock.proc != nil {
		_ = mock.proc.Kill()
		<-mock.exited
	}
	os.Exit(code)
}

// stripeMockURL returns the URL of a running stripe-mock, starting one if
// none listens at VIDIVO_STRIPE_MOCK_URL (default 127.0.0.1:12111). With
// no stripe-mock to be had the test fails: these tests are how the
// gateway's requests are checked against Stripe's API.
func stripeMockURL(t *testing.T) string {
	t.Helper()
	mock.once.Do(func() { mock.url, mock.err = findOrStartStripeMock() })
	if mock.err != nil {
		t.Fatalf("stripe-mock: %v", mock.err)
	}
	return mock.url
}

func findOrStartStripeMock() (string, error) {
	u := os.Getenv("VIDIVO_STRIPE_MOCK_URL")
	if u == "" {
		u = defaultStripeMockURL
	}
	if isStripeMock(u) {
		return u, nil
	}
	bin, err := stripeMockBinary()
	if err != nil {
		return "", fmt.Errorf("none is listening at %s and %v; %s", u, err, installHint)
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return "", err
	}
	httpsAddr, err := freeAddr()
	if err != nil {
		return "", err
	}
	// Both addresses: without -https-addr stripe-mock also listens for
	// HTTPS on every interface.
	cmd := exec.Command(bin, "-http-addr", httpAddr, "-https-addr", httpsAddr)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	u = "http://" + httpAddr
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return "", fmt.Errorf("%s exited before listening (%v): %s", bin, err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if isStripeMock(u) {
			mock.proc, mock.exited = cmd.Process, exited // TestMain stops it
			return u, nil
		}
	}
	_ = cmd.Process.Kill()
	<-exited
	return "", fmt.Errorf("%s did not listen at %s within 20s: %s", bin, u, out.String())
}

// stripeMockBinary finds stripe-mock on PATH or where go install puts it.
func stripeMockBinary() (string, error) {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p, nil
	}
	var dirs []string
	for _, v := range []string{"GOBIN", "GOPATH"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			continue
		}
		for _, d := range filepath.SplitList(strings.TrimSpace(string(out))) {
			if v == "GOPATH" {
				d = filepath.Join(d, "bin")
			}
			if d != "" {
				dirs = append(dirs, d)
			}
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, "stripe-mock")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	// Not installed: build it from the Go module proxy into the user's
	// cache, so `go test ./...` works on a fresh machine.
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	bindir := filepath.Join(cache, "vidivo", "stripe-mock-"+stripeMockVersion)
	p := filepath.Join(bindir, "stripe-mock")
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		return p, nil
	}
	cmd := exec.Command("go", "install", "github.com/stripe/stripe-mock@"+stripeMockVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+bindir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("no stripe-mock binary on PATH or in %s, and go install failed: %v: %s",
			strings.Join(dirs, ", "), err, out)
	}
	return p, nil
}

// stripeMockVersion is the stripe-mock the tests install when none is found.
const stripeMockVersion = "v0.203.0"

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// isStripeMock reports whether a stripe-mock answers at u.
func isStripeMock(u string) bool {
	req, err := http.NewRequest(http.MethodGet, u+"/v1/accounts/acct_1032D82eZvKYlo2C", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer sk_test_123")
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK && resp.Header.Get("Stripe-Mock-Version") != ""
}

// recorded is one HTTP attempt the gateway made.
type recorded struct {
	Method string
	Path   string
	Key    string // Idempotency-Key header
	Auth   string // Authorization header
	Form   url.Values
}

// recorder wraps the real transport to stripe-mock: it records every
// attempt and can inject network failures. stripe-mock keeps no state, so
// a confirmed intent always comes back requires_payment_method; with
// approve set, a created PaymentIntent's status is set to
// requires_capture, what Stripe answers for a manual-capture intent
// confirmed with pm_card_visa.
type recorder struct {
	base    http.RoundTripper
	approve bool
	// failFirst attempts fail with a network error before reaching
	// stripe-mock; failAll makes every attempt fail.
	failFirst int
	failAll   bool

	mu   sync.Mutex
	reqs []recorded
}

var errInjected = errors.New("injected: connection reset by peer")

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("recorder: form body: %w", err)
	}
	if req.Method == http.MethodGet {
		form = req.URL.Query()
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{
		Method: req.Method,
		Path:   req.URL.Path,
		Key:    req.Header.Get("Idempotency-Key"),
		Auth:   req.Header.Get("Authorization"),
		Form:   form,
	})
	fail := r.failAll || len(r.reqs) <= r.failFirst
	r.mu.Unlock()
	if fail {
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: errInjected}
	}

	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	resp, err := r.base.RoundTrip(out)
	if err != nil || !r.approve || req.Method != http.MethodPost ||
		req.URL.Path != "/v1/payment_intents" || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	return setStatus(resp, "requires_capture")
}

// setStatus rewrites the status of the object in resp.
func setStatus(resp *http.Response, status string) (*http.Response, error) {
	defer resp.Body.Close()
	var obj map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&obj); err != nil {
		return nil, fmt.Errorf("recorder: decoding response: %w", err)
	}
	obj["status"] = status
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	return resp, nil
}

// requests returns a copy of the attempts recorded so far.
func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}
