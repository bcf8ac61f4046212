package main

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vidivo/vidivo/nginxtest"
)

// fleet is what the load talks to: one server alone, or -fleet instances
// of the binary on one PostgreSQL database and NATS behind nginx
// (round-robin), where the killer kills one instance at a time and the
// others keep serving.
type fleet struct {
	members []*server
	base    string // where clients send requests: the server alone, or nginx
	proxy   *nginxtest.Proxy
}

// newFleet prepares the run's server, or with -fleet its instances (with
// one data dir, so they share the keys the first one generates) and nginx
// in front of them, started at once: its address is every instance's
// public URL.
func (r *run) newFleet() (*fleet, error) {
	dbURL := map[bool]string{true: r.dbURL}[r.engine == "postgres"]
	if r.cfg.fleet == 0 {
		s, err := newServer("server", r.cfg.bin, r.work, "", dbURL, "")
		if err != nil {
			return nil, err
		}
		return &fleet{members: []*server{s}, base: "http://" + s.addr}, nil
	}
	ports := make([]int, r.cfg.fleet)
	var upstreams []string
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
		upstreams = append(upstreams, fmt.Sprintf("127.0.0.1:%d", p))
	}
	dir := filepath.Join(r.work, "nginx")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	proxy, err := nginxtest.Start(nginxtest.Config{Upstreams: upstreams, Dir: dir})
	if err != nil {
		return nil, err
	}
	f := &fleet{base: proxy.URL, proxy: proxy}
	for i := range ports {
		s, err := newServer(memberNames[i], r.cfg.bin, r.work, upstreams[i], dbURL, proxy.URL,
			"VIDIVO_NATS_URL="+r.cfg.natsURL)
		if err != nil {
			proxy.Stop()
			return nil, err
		}
		f.members = append(f.members, s)
	}
	return f, nil
}

// names of a fleet's instances, in start order.
var memberNames = []string{"a", "b", "c", "d", "e"}

// start starts every member, one after the other: the first migrates the
// database and generates the keys in the shared data dir the others read.
func (f *fleet) start(ctx context.Context) error {
	for _, m := range f.members {
		if err := m.start(ctx); err != nil {
			return fmt.Errorf("instance %s: %w", m.name, err)
		}
	}
	return nil
}

// stop stops every member (SIGTERM), then the proxy.
func (f *fleet) stop() {
	for _, m := range f.members {
		m.stop()
	}
	if f.proxy != nil {
		f.proxy.Stop()
	}
}

// alone reports whether this is a single server.
func (f *fleet) alone() bool { return len(f.members) == 1 }

// pick is a random member: the one the next fault kills.
func (f *fleet) pick() *server { return f.members[mrand.IntN(len(f.members))] }

// upSince is when the fleet's current stretch of service began: since then
// at least one member has answered at every moment. Zero while none does.
func (f *fleet) upSince() time.Time {
	var all []span
	for _, m := range f.members {
		all = append(all, m.spans()...)
	}
	return coveredSince(all)
}

// neverAllDown reports whether some member has answered at every moment
// since the first one first did.
func (f *fleet) neverAllDown() bool {
	var first time.Time
	for _, m := range f.members {
		if sp := m.spans(); len(sp) > 0 && (first.IsZero() || sp[0].start.Before(first)) {
			first = sp[0].start
		}
	}
	up := f.upSince()
	return !up.IsZero() && up.Equal(first)
}

// coveredSince merges spans and returns the start of the one still open
// (end zero) after merging, or zero if none is.
func coveredSince(spans []span) time.Time {
	slices.SortFunc(spans, func(a, b span) int { return a.start.Compare(b.start) })
	var start, end time.Time // the merged stretch so far; end zero = open
	open := false
	for i, s := range spans {
		if i == 0 || (!open && s.start.After(end)) {
			start, end, open = s.start, s.end, s.end.IsZero()
			continue
		}
		if s.end.IsZero() {
			open = true
		} else if !open && s.end.After(end) {
			end = s.end
		}
	}
	if !open {
		return time.Time{}
	}
	return start
}

// upThrough reports whether one process of one member answered all the
// way from a to b.
func (f *fleet) upThrough(a, b time.Time) bool {
	return slices.ContainsFunc(f.members, func(m *server) bool { return m.upThrough(a, b) })
}

// crashed returns a member whose process died without being killed.
func (f *fleet) crashed() *server {
	for _, m := range f.members {
		if m.exitedOnItsOwn() {
			return m
		}
	}
	return nil
}

// stats sums the members' tallies.
func (f *fleet) stats() serverStats {
	var st serverStats
	for _, m := range f.members {
		s := m.stats()
		st.starts += s.starts
		st.kills += s.kills
		st.crashes += s.crashes
		st.downtime += s.downtime
		st.maxDown = max(st.maxDown, s.maxDown)
	}
	return st
}

// riverClientTime matches the start time River puts at the end of its
// default client id (host_2006_01_02T15_04_05_000000, UTC), which attempted_by
// records for each attempt of a job.
var riverClientTime = regexp.MustCompile(`(\d{4}_\d{2}_\d{2}T\d{2}_\d{2}_\d{2})_(\d{6})$`)

// byRiverClient returns the member whose process made the River client
// id: the one started last before the client's start time (members are
// started one at a time), or nil.
func (f *fleet) byRiverClient(id string) *server {
	m := riverClientTime.FindStringSubmatch(id)
	if m == nil {
		return nil
	}
	at, err := time.ParseInLocation("2006_01_02T15_04_05.000000", m[1]+"."+m[2], time.UTC)
	if err != nil {
		return nil
	}
	var best *server
	var bestAt time.Time
	for _, s := range f.members {
		for _, e := range s.execStarts() {
			if !e.After(at) && e.After(bestAt) {
				best, bestAt = s, e
			}
		}
	}
	return best
}

// names lists the members, for the log.
func (f *fleet) describe() string {
	var parts []string
	for _, m := range f.members {
		parts = append(parts, m.name+" "+m.addr)
	}
	if f.alone() {
		return parts[0]
	}
	return fmt.Sprintf("nginx %s → %s", strings.TrimPrefix(f.base, "http://"), strings.Join(parts, ", "))
}
