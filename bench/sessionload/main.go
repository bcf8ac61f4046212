// Command sessionload finds how many group sessions one vidivo instance
// relays before video frames drop. It is the load generator of issue 12's
// "how many six-person sessions one 2-core instance relays": browsers
// (bench/sessions) starve a small machine long before the server does, so
// the participants here are pion peers in this one process.
//
// It starts `vidivo serve` (SQLite in a temporary directory, sandbox
// payments, relay-only ICE through the embedded TURN server on loopback,
// no TURN allocation quota) or uses a running one (-url, -pid). Step k
// adds one session of -people participants (all hosts, so nobody waits
// in the lobby) to the k-1 already running — sessions are kept across
// steps, so step k measures k sessions at once — and each participant:
// POST /v1/sessions/entry/{token}/join, the signaling socket, and a full
// mesh of relay-only peer connections negotiated as the room page does
// (the larger participant id offers on peer_joined; messages addressed
// with "to"). Each participant sends one synthetic VP8 track to each peer
// (-fps frames a second of random payload at -kbps; the relay forwards it
// opaque, so it need not decode) and counts the frames and bytes it
// receives per peer (the RTP marker bit ends a frame).
//
// Once every stream of every session receives, it holds the step for
// -seconds and reports connected streams, frames received / sent overall
// and for the worst stream, the service's CPU (user + system of all its
// threads; the embedded TURN relay is in the same process) and peak RSS,
// and the generator's own CPU. It stops after the first step where frames
// drop (under 99 % overall or under 95 % on any stream) or connecting
// fails, or after -max sessions.
//
//	go build -o /tmp/vidivo ./cmd/vidivo
//	go run ./bench/sessionload -vidivo /tmp/vidivo -max 10 -seconds 20
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/pion/webrtc/v4"
)

type config struct {
	Vidivo         string        `json:"-"`
	URL            string        `json:"url,omitempty"`
	PID            int           `json:"-"`
	Max            int           `json:"max"`
	Seconds        int           `json:"seconds"`
	People         int           `json:"people"`
	Kbps           int           `json:"kbps"`
	FPS            int           `json:"fps"`
	ConnectTimeout time.Duration `json:"-"`
	JSON           bool          `json:"-"`
	CPUProfile     string        `json:"-"`
	// ServiceCPUs pins the started service to these CPUs (taskset -c),
	// so a bigger machine can measure a 2-core instance with the
	// generator on the other CPUs (run it under taskset too).
	ServiceCPUs string `json:"service_cpus,omitempty"`
}

// serviceCPUs is how many CPUs the service may use: -service-cpus', or
// the machine's.
func (c config) serviceCPUs() int {
	if n := cpuCount(c.ServiceCPUs); n > 0 {
		return n
	}
	return runtime.NumCPU()
}

func main() {
	var c config
	flag.StringVar(&c.Vidivo, "vidivo", "/tmp/vidivo", "the vidivo binary to start (unless -url)")
	flag.StringVar(&c.URL, "url", "", "a running service's base URL (relay-only ICE, loopback TURN peers allowed, no TURN quota) instead of starting one")
	flag.IntVar(&c.PID, "pid", 0, "with -url: the service's process id, for its CPU and RSS")
	flag.IntVar(&c.Max, "max", 10, "the most sessions to step up to")
	flag.IntVar(&c.Seconds, "seconds", 20, "how long to hold each step once everything is connected")
	flag.IntVar(&c.People, "people", 6, "participants per session (2 to 6)")
	flag.IntVar(&c.Kbps, "kbps", 500, "bitrate of each stream (one participant to one peer), kbit/s")
	flag.IntVar(&c.FPS, "fps", 30, "frames a second of each stream")
	flag.DurationVar(&c.ConnectTimeout, "connect-timeout", 2*time.Minute, "how long a step may take until every stream receives")
	flag.BoolVar(&c.JSON, "json", false, "print the result as JSON instead of a markdown table")
	flag.StringVar(&c.ServiceCPUs, "service-cpus", "", `pin the started service to these CPUs ("0,1", "0-1"; taskset -c), e.g. a 2-core instance on a bigger machine`)
	flag.StringVar(&c.CPUProfile, "cpuprofile", "", "write the generator's CPU profile here (is it the bottleneck, and where)")
	flag.Parse()
	if c.People < 2 || c.People > 6 || c.Max < 1 || c.Seconds < 1 || c.Kbps < 1 || c.FPS < 1 || c.FPS > 120 {
		log.Fatal("need -people 2..6, -max ≥ 1, -seconds ≥ 1, -kbps ≥ 1, -fps 1..120")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := run(ctx, c)
	if res != nil {
		if c.JSON {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			enc.Encode(res)
		} else {
			res.markdown(os.Stdout)
		}
	}
	if err != nil {
		pprof.StopCPUProfile() // log.Fatal skips the deferred stop
		log.Fatal(err)
	}
}

// session is one scheduled session and its participants.
type session struct {
	id     string
	people []*participant
}

// bench is a run's state: the service, the sessions so far, and the one
// payload every frame carries.
type bench struct {
	c        config
	svc      *service
	api      *webrtc.API
	payload  []byte
	sessions []*session
}

func run(ctx context.Context, c config) (*result, error) {
	b := &bench{c: c}
	var err error
	if c.URL != "" {
		b.svc = &service{base: c.URL, pid: c.PID}
	} else if b.svc, err = startService(c.Vidivo, c.ServiceCPUs); err != nil {
		return nil, err
	}
	defer b.svc.stop()
	defer b.closeAll()
	if err := b.svc.signUp(); err != nil {
		return nil, err
	}
	if b.api, err = newAPI(); err != nil {
		return nil, err
	}
	// One frame's worth of random bytes; SRTP encrypts each packet anyway.
	b.payload = make([]byte, frameSize(c.Kbps, c.FPS))
	rand.Read(b.payload)

	res := newResult(c)
	for k := 1; k <= c.Max; k++ {
		st := b.step(ctx, k)
		res.Steps = append(res.Steps, st)
		fmt.Fprintf(os.Stderr, "step %d: %s\n", k, st.summary())
		if st.Failed != "" || st.Dropped || ctx.Err() != nil {
			break
		}
	}
	res.NonRelay = nonRelay.Load()
	res.finish()
	return res, nil
}

// step adds session k, waits until every stream of every session
// receives, then measures for -seconds.
func (b *bench) step(ctx context.Context, k int) step {
	st := step{Sessions: k, Expected: k * b.c.People * (b.c.People - 1)}
	t0 := time.Now()
	if err := b.addSession(ctx, k); err != nil {
		st.Failed = err.Error()
		return st
	}
	if err := b.waitReceiving(ctx, time.Now().Add(b.c.ConnectTimeout)); err != nil {
		st.Failed = err.Error()
	}
	st.ConnectSeconds = time.Since(t0).Seconds()
	st.Streams = b.receivingStreams()
	if st.Failed != "" {
		return st
	}
	// Let the newest connections settle (their first frames, DTLS) first.
	sleep(ctx, 2*time.Second)
	b.measure(ctx, &st)
	return st
}

// addSession schedules a session and brings its participants in, one
// after another as people arrive, without waiting for their media.
func (b *bench) addSession(ctx context.Context, k int) error {
	id, tokens, err := b.svc.schedule(fmt.Sprintf("Load %d", k), b.c.People)
	if err != nil {
		return err
	}
	s := &session{id: id}
	b.sessions = append(b.sessions, s)
	for _, t := range tokens {
		g, err := b.svc.join(t)
		if err != nil {
			return err
		}
		p := newParticipant(b.api, g, b.payload, b.c.FPS)
		s.people = append(s.people, p)
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = p.connect(dctx, b.svc.wsURL(g))
		cancel()
		if err != nil {
			return fmt.Errorf("session %d, participant %s: %w", k, g.ParticipantID, err)
		}
	}
	return nil
}

// streams calls f for every directed stream: from sends to to.
func (b *bench) streams(f func(from, to *participant)) {
	for _, s := range b.sessions {
		for _, from := range s.people {
			for _, to := range s.people {
				if from != to {
					f(from, to)
				}
			}
		}
	}
}

// receivingStreams counts the directed streams that have received a frame.
func (b *bench) receivingStreams() int {
	n := 0
	b.streams(func(from, to *participant) {
		if c := to.counters(from.id); c != nil && c.recv.Load() > 0 {
			n++
		}
	})
	return n
}

func (b *bench) waitReceiving(ctx context.Context, deadline time.Time) error {
	want := len(b.sessions) * b.c.People * (b.c.People - 1)
	for {
		n := b.receivingStreams()
		if n == want {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%d of %d streams receive after %s", n, want, b.c.ConnectTimeout)
		}
		sleep(ctx, 250*time.Millisecond)
	}
}

// snapshot is every directed stream's counters at one moment.
type snapshot struct {
	at       time.Time
	sent     []int64 // per stream: frames sent so far, the next frame's index
	bytes    int64
	svcTicks int64
	genTicks int64
	svcDrops int64 // UDP datagrams the kernel dropped at the service's sockets
	genDrops int64 // … at the generator's
}

func (b *bench) snapshot() snapshot {
	s := snapshot{at: time.Now()}
	b.streams(func(from, to *participant) {
		var sent int64
		if c := from.counters(to.id); c != nil {
			sent = c.sent.Load()
		}
		if c := to.counters(from.id); c != nil {
			s.bytes += c.recvBytes.Load()
		}
		s.sent = append(s.sent, sent)
	})
	s.svcTicks, _ = cpuTicks(b.svc.pid)
	s.genTicks, _ = cpuTicks(os.Getpid())
	s.svcDrops = udpDrops(b.svc.pid)
	s.genDrops = udpDrops(os.Getpid())
	return s
}

// grace is how long after the hold a frame sent in it may still arrive
// and count; later is lost (a frame a second late is of no use).
const grace = time.Second

// measure holds the step for -seconds. The frames of the window are those
// each sender wrote during it (indices [before, after)); the receivers'
// bitmaps say which of them arrived by the end of the grace.
func (b *bench) measure(ctx context.Context, st *step) {
	b.streams(func(from, to *participant) {
		if c := to.counters(from.id); c != nil {
			c.takeLatencies()
		}
	})
	recording.Store(true)
	s0 := b.snapshot()
	peak := int64(0)
	for range b.c.Seconds {
		sleep(ctx, time.Second)
		if r := rssKiB(b.svc.pid); r > peak {
			peak = r
		}
	}
	s1 := b.snapshot()
	sleep(ctx, grace)
	recording.Store(false)
	secs := s1.at.Sub(s0.at).Seconds()
	st.Seconds = secs
	st.Worst = 1
	var lat []time.Duration
	i := 0
	b.streams(func(from, to *participant) {
		sent, recv := s1.sent[i]-s0.sent[i], int64(0)
		if c := to.counters(from.id); c != nil {
			recv = c.receivedIn(s0.sent[i], s1.sent[i])
			lat = append(lat, c.takeLatencies()...)
		}
		i++
		st.FramesSent += sent
		st.FramesReceived += recv
		r := 0.0
		if sent > 0 {
			r = float64(recv) / float64(sent)
		}
		st.Worst = min(st.Worst, r)
	})
	if st.FramesSent > 0 {
		st.Ratio = float64(st.FramesReceived) / float64(st.FramesSent)
	}
	st.Dropped = st.Ratio < 0.99 || st.Worst < 0.95
	st.SentFPS = float64(st.FramesSent) / float64(len(s0.sent)) / secs
	st.ReceivedMbps = float64(s1.bytes-s0.bytes) * 8 / secs / 1e6
	st.LatencyP50, st.LatencyP99, st.LatencyMax = percentiles(lat)
	if b.svc.pid > 0 {
		st.ServiceCores = float64(s1.svcTicks-s0.svcTicks) / clockTicks / secs
		st.ServiceRSSMiB = float64(peak) / 1024
		st.ServiceUDPDrops = s1.svcDrops - s0.svcDrops
	}
	st.GeneratorCores = float64(s1.genTicks-s0.genTicks) / clockTicks / secs
	st.GeneratorUDPDrops = s1.genDrops - s0.genDrops
	st.Load1 = loadAverage()
	st.GeneratorBehind = st.SentFPS < 0.97*float64(b.c.FPS) || st.GeneratorUDPDrops > 0
	if b.c.ServiceCPUs == "" { // one machine, shared
		st.MachineBusy = st.ServiceCores+st.GeneratorCores > 0.9*float64(runtime.NumCPU())
	} else { // the service on its CPUs, the generator on the rest
		st.MachineBusy = st.ServiceCores > 0.9*float64(b.c.serviceCPUs()) || st.GeneratorCores > 0.9*float64(runtime.NumCPU())
	}
}

// percentiles returns the 50th and 99th percentile and the maximum, in
// milliseconds.
func percentiles(d []time.Duration) (p50, p99, maxMS float64) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	slices.Sort(d)
	ms := func(x time.Duration) float64 { return float64(x) / 1e6 }
	return ms(d[len(d)/2]), ms(d[min(len(d)-1, len(d)*99/100)]), ms(d[len(d)-1])
}

// closeAll ends every participant (their peer connections, sockets,
// goroutines) and, on a running service, cancels the sessions.
func (b *bench) closeAll() {
	var wg sync.WaitGroup
	for _, s := range b.sessions {
		for _, p := range s.people {
			wg.Add(1)
			go func() { defer wg.Done(); p.close() }()
		}
	}
	wg.Wait()
	if b.c.URL != "" {
		for _, s := range b.sessions {
			if err := b.svc.cancel(s.id); err != nil {
				fmt.Fprintf(os.Stderr, "cancel session %s: %v\n", s.id, err)
			}
		}
	}
	b.sessions = nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

var errNoPID = errors.New("no process id")
