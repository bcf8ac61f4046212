package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// account is a user of the API: a host or a client.
type account struct {
	email, username, password string

	mu    sync.Mutex
	token string
}

func (a *account) tok() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.token
}

// link is a host's call link.
type link struct {
	code   string
	rate   int64 // cents a minute
	window int
}

// host is a host account with its links; bookable hosts also publish
// availability, and book one call at a time (nextFree) so bookings of the
// load never collide with each other.
type host struct {
	account
	links    []link
	bookable bool

	bookMu   sync.Mutex
	nextFree time.Time
}

// counters are the run's tallies by name.
type counters struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *counters) add(name string, n int64) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int64{}
	}
	c.m[name] += n
	c.mu.Unlock()
}

func (c *counters) get(name string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[name]
}

// lines lists the tallies whose names start with prefix, sorted.
func (c *counters) lines(prefix string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k, v := range c.m {
		if strings.HasPrefix(k, prefix) {
			out = append(out, fmt.Sprintf("%s=%d", strings.TrimPrefix(k, prefix), v))
		}
	}
	sort.Strings(out)
	return out
}

// as sends r as account a, logging in again once if the access token
// expired (they last 15 minutes; the run lasts longer).
func (r *run) as(ctx context.Context, a *account, req request) (reply, error) {
	req.token = a.tok
	rep, err := r.api.send(ctx, req)
	if err != nil || rep.status != http.StatusUnauthorized {
		return rep, err
	}
	if err := r.login(ctx, a); err != nil {
		return rep, err
	}
	return r.api.send(ctx, req)
}

// signup creates a, or logs in if an earlier attempt's answer was lost.
func (r *run) signup(ctx context.Context, a *account, role string) error {
	body := map[string]string{"email": a.email, "password": a.password, "username": a.username,
		"display_name": "Chaos " + a.username, "role": role}
	rep, err := r.api.send(ctx, request{method: "POST", path: "/v1/auth/signup", body: body})
	if err != nil {
		return err
	}
	switch rep.status {
	case http.StatusCreated:
		return a.take(rep)
	case http.StatusConflict:
		return r.login(ctx, a)
	}
	return fmt.Errorf("signup %s: %d %s", a.username, rep.status, rep.body)
}

func (r *run) login(ctx context.Context, a *account) error {
	rep, err := r.api.send(ctx, request{method: "POST", path: "/v1/auth/login",
		body: map[string]string{"email": a.email, "password": a.password}})
	if err != nil {
		return err
	}
	if rep.status != http.StatusOK {
		return fmt.Errorf("login %s: %d %s", a.username, rep.status, rep.body)
	}
	return a.take(rep)
}

func (a *account) take(rep reply) error {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := rep.decode(&out); err != nil {
		return err
	}
	a.mu.Lock()
	a.token = out.AccessToken
	a.mu.Unlock()
	return nil
}

// rates are the links' prices, in cents a minute.
var rates = []int64{50, 75, 100, 125, 250, 300, 499}

// setUpHosts signs hosts up, connects their payouts (the sandbox completes
// at once) and gives each two or three links with 1-minute windows (one
// in five hosts also a 2-minute one); bookable hosts publish availability
// around the clock.
func (r *run) setUpHosts(ctx context.Context, n, bookable int) error {
	for i := range n {
		h := &host{account: account{email: fmt.Sprintf("host%d-%s@example.com", i, r.tag),
			username: fmt.Sprintf("h%d%s", i, r.tag), password: "correct horse battery " + r.tag}, bookable: i < bookable}
		if err := r.signup(ctx, &h.account, "host"); err != nil {
			return err
		}
		rep, err := r.as(ctx, &h.account, request{method: "POST", path: "/v1/users/me/payouts/onboarding"})
		if err != nil || rep.status >= 300 {
			return fmt.Errorf("onboarding %s: %v %d %s", h.username, err, rep.status, rep.body)
		}
		for j := range 2 + i%2 {
			window := 1
			if i%5 == 4 && j == 0 {
				window = 2
			}
			l := link{rate: rates[(i+3*j)%len(rates)], window: window}
			if err := r.createLink(ctx, h, &l); err != nil {
				return err
			}
			h.links = append(h.links, l)
		}
		if h.bookable {
			if err := r.putAvailability(ctx, h); err != nil {
				return err
			}
		}
		r.hosts = append(r.hosts, h)
	}
	return nil
}

func (r *run) createLink(ctx context.Context, h *host, l *link) error {
	body := map[string]any{"rate_per_minute": cents(l.rate), "window_size_minutes": l.window, "label": "chaos"}
	rep, err := r.as(ctx, &h.account, request{method: "POST", path: "/v1/links", body: body})
	if err != nil || rep.status != http.StatusCreated {
		return fmt.Errorf("create link: %v %d %s", err, rep.status, rep.body)
	}
	var out struct {
		Link struct {
			ShortCode string `json:"short_code"`
		} `json:"link"`
	}
	if err := rep.decode(&out); err != nil {
		return err
	}
	l.code = out.Link.ShortCode
	return nil
}

func (r *run) putAvailability(ctx context.Context, h *host) error {
	var weekly []map[string]any
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		weekly = append(weekly, map[string]any{"day": d, "intervals": []map[string]string{{"start": "00:00", "end": "24:00"}}})
	}
	body := map[string]any{"timezone": "UTC", "slot_minutes": 5, "min_notice_minutes": 0, "weekly": weekly,
		"rate_per_minute": cents(h.links[0].rate), "window_size_minutes": 1}
	rep, err := r.as(ctx, &h.account, request{method: "PUT", path: "/v1/users/me/availability", body: body})
	if err != nil || rep.status != http.StatusOK {
		return fmt.Errorf("availability: %v %d %s", err, rep.status, rep.body)
	}
	return nil
}

func cents(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }
