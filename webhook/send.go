package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Timeouts of one attempt.
const (
	ConnectTimeout = 10 * time.Second
	ReadTimeout    = 15 * time.Second
)

// maxResponse is how much of an answer is read (and discarded).
const maxResponse = 64 << 10

// Client sends attempts through the guard.
type Client struct {
	http *http.Client
	// UserAgent names the sender.
	UserAgent string
}

// NewClient builds a client that dials only what g allows, gives up
// connecting after ConnectTimeout and waiting for an answer after
// ReadTimeout, uses no proxy (a proxy would dial for it, unguarded), and
// follows no redirect: a 3xx is the answer, and a failure.
func NewClient(g Guard) *Client {
	d := &net.Dialer{Timeout: ConnectTimeout, Control: g.Control}
	tr := &http.Transport{
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   ConnectTimeout,
		ResponseHeaderTimeout: ReadTimeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Client{UserAgent: "Vidivo-Webhooks/1", http: &http.Client{
		Transport:     tr,
		Timeout:       ConnectTimeout + ReadTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Result is one attempt's outcome.
type Result struct {
	// Code is the answer's status, 0 when none came.
	Code     int
	Duration time.Duration
	// Err says why the attempt failed; nil on a 2xx.
	Err error
}

// OK reports a 2xx answer.
func (r Result) OK() bool { return r.Err == nil }

// Gone reports a 410: the receiver asks to be sent nothing more.
func (r Result) Gone() bool { return r.Code == http.StatusGone }

// Send makes one attempt: POST body to url, signed with key (decoded) as
// delivery id at time at.
func (c *Client) Send(ctx context.Context, url string, key []byte, id string, at time.Time, body []byte) Result {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Result{Err: fmt.Errorf("webhook: request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.UserAgent)
	Sign(req.Header, key, id, at, body)
	resp, err := c.http.Do(req)
	if err != nil {
		return Result{Duration: time.Since(start), Err: unwrapURLError(err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	resp.Body.Close()
	res := Result{Code: resp.StatusCode, Duration: time.Since(start)}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Err = fmt.Errorf("webhook: redirected (%d); redirects are not followed", resp.StatusCode)
	default:
		res.Err = fmt.Errorf("webhook: answered %d", resp.StatusCode)
	}
	return res
}

// unwrapURLError drops the *url.Error wrapping, whose text repeats the
// URL (it may carry a receiver's secret path).
func unwrapURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}
