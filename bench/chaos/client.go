package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// client speaks the public API like a real client would: every request
// that failed without an answer (the server died under it, or answered
// 5xx) is sent again, with the same X-Idempotency-Key and body where the
// API takes one, until it gets an answer or its patience runs out.
type client struct {
	base  string
	hc    *http.Client
	stats *counters
	// patience bounds the retries of one request.
	patience time.Duration
	// hurry, once done, makes a request whose key is still held by a
	// request that died give up at once instead of waiting out the
	// server's lease: the run is ending, and the sweep ends such calls.
	hurry context.Context
}

// reply is an answer of the API.
type reply struct {
	status int
	body   []byte
}

func (r reply) code() string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

func (r reply) message() string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Message
}

func (r reply) decode(out any) error {
	if err := json.Unmarshal(r.body, out); err != nil {
		return fmt.Errorf("decode %d reply: %w (%.200s)", r.status, err, r.body)
	}
	return nil
}

// errGaveUp is a request that never got a usable answer within patience.
var errGaveUp = errors.New("gave up retrying")

// request describes one API request.
type request struct {
	method, path string
	token        func() string // bearer token, read at each attempt (it may be refreshed)
	idemKey      string
	body         any
	// retry409 retries a 409 whose message says the idempotency key is in
	// progress: the first attempt died with the server.
	retry409 bool
}

// send sends r until it gets an answer that is not a transient failure.
func (c *client) send(ctx context.Context, r request) (reply, error) {
	var raw []byte
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return reply{}, err
		}
		raw = b
	}
	deadline := time.Now().Add(c.patience)
	backoff := 200 * time.Millisecond
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			c.stats.add("http.retries", 1)
		}
		rep, err := c.once(ctx, r, raw)
		transient := err != nil || rep.status >= 500 || (r.retry409 && rep.status == http.StatusConflict &&
			strings.Contains(rep.message(), "in progress"))
		if !transient {
			return rep, nil
		}
		if err == nil {
			c.stats.add(fmt.Sprintf("http.transient.%d", rep.status), 1)
		} else {
			c.stats.add("http.transient.no_answer", 1)
		}
		held := err == nil && rep.status == http.StatusConflict
		if ctx.Err() != nil || time.Now().After(deadline) || (held && c.hurry != nil && c.hurry.Err() != nil) {
			if err == nil {
				err = fmt.Errorf("%s %s: last answer %d %s", r.method, r.path, rep.status, rep.message())
			}
			return rep, fmt.Errorf("%w: %w", errGaveUp, err)
		}
		sleep(ctx, backoff+time.Duration(mrand.Int64N(int64(backoff))))
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (c *client) once(ctx context.Context, r request, raw []byte) (reply, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var body io.Reader
	if raw != nil {
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		return reply{}, err
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != nil {
		if t := r.token(); t != "" {
			req.Header.Set("Authorization", "Bearer "+t)
		}
	}
	if r.idemKey != "" {
		req.Header.Set("X-Idempotency-Key", r.idemKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, body: b}, nil
}

func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
