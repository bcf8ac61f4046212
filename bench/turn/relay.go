package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vidivo/vidivo/turn"
)

// Packet payload layout (the ChannelData's application data): step id
// (4 bytes), sequence (8), send time in Unix nanoseconds (8), zeros.
const headerLen = 20

// echoPeer is the peer every relay sends to: a few loopback UDP sockets,
// each returning every datagram to where it came from (the relay address),
// so each packet crosses the relay twice, as a call's media does.
type echoPeer struct {
	conns []*net.UDPConn
	addrs []netip.AddrPort
	wg    sync.WaitGroup
}

func startEcho(n, bufBytes int) (*echoPeer, error) {
	e := &echoPeer{}
	for range n {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			e.close()
			return nil, err
		}
		_ = c.SetReadBuffer(bufBytes)
		_ = c.SetWriteBuffer(bufBytes)
		e.conns = append(e.conns, c)
		e.addrs = append(e.addrs, c.LocalAddr().(*net.UDPAddr).AddrPort())
		e.wg.Add(1)
		go e.loop(c)
	}
	return e, nil
}

func (e *echoPeer) loop(c *net.UDPConn) {
	defer e.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		_, _ = c.WriteToUDPAddrPort(buf[:n], from)
	}
}

func (e *echoPeer) close() {
	for _, c := range e.conns {
		_ = c.Close()
	}
	e.wg.Wait()
}

// flow is one relay carrying packets to the echo peer and back.
type flow struct {
	s    *session
	peer netip.AddrPort

	step atomic.Uint32
	recv atomic.Int64
	// rtts are round-trip times of the current step, at most maxRTTs.
	mu   sync.Mutex
	rtts []time.Duration
}

const maxRTTs = 4096

func (f *flow) onData(p []byte, now time.Time) {
	if len(p) < headerLen || binary.BigEndian.Uint32(p[0:4]) != f.step.Load() {
		return
	}
	f.recv.Add(1)
	sent := int64(binary.BigEndian.Uint64(p[12:20]))
	f.mu.Lock()
	if len(f.rtts) < maxRTTs {
		f.rtts = append(f.rtts, time.Duration(now.UnixNano()-sent))
	}
	f.mu.Unlock()
}

// openFlows allocates n relays, each bound (ChannelBind) to one of the
// echo peer's sockets.
func openFlows(server netip.AddrPort, m *turn.Minter, n int, echo *echoPeer, bufBytes int) ([]*flow, error) {
	flows := make([]*flow, 0, n)
	for i := range n {
		creds := m.Mint(fmt.Sprintf("bench-flow-%d", i), time.Now())
		s, err := dial(server, creds, bufBytes)
		if err != nil {
			closeFlows(flows)
			return nil, err
		}
		f := &flow{s: s, peer: echo.addrs[i%len(echo.addrs)]}
		s.onData = f.onData
		flows = append(flows, f)
		if err := s.allocate(); err != nil {
			closeFlows(flows)
			return nil, fmt.Errorf("flow %d: %w", i, err)
		}
		if err := s.bind(f.peer); err != nil {
			closeFlows(flows)
			return nil, fmt.Errorf("flow %d: %w", i, err)
		}
	}
	return flows, nil
}

func closeFlows(flows []*flow) {
	for _, f := range flows {
		_ = f.s.close(true)
	}
}

// stepResult is one rate tried.
type stepResult struct {
	Size        int     `json:"size"`
	Target      int     `json:"target_pps"` // packets a second offered by the clients
	Sent        int64   `json:"sent"`
	Recv        int64   `json:"received"`
	Seconds     float64 `json:"seconds"`
	Span        float64 `json:"span_seconds"` // sending time and drain, over which CPU is counted
	Loss        float64 `json:"loss"`
	Achieved    float64 `json:"achieved_pps"` // sent / seconds
	ServerCores float64 `json:"server_cores"` // CPU of the server process over the step
	LoadCores   float64 `json:"load_cores"`   // CPU of this process over the step
	// Drops are the kernel's receive-buffer drops during the step, by
	// socket: the server's listening socket, its relay sockets, the echo
	// peer's and the clients' (the load generator's own).
	Drops    drops   `json:"drops"`
	RTTP50ms float64 `json:"rtt_p50_ms"`
	RTTP99ms float64 `json:"rtt_p99_ms"`
	Pass     bool    `json:"pass"`
	Note     string  `json:"note,omitempty"`
}

// stepper runs steps on a set of flows.
type stepper struct {
	flows   []*flow
	senders int
	tick    time.Duration
	dur     time.Duration
	drain   time.Duration
	pid     int
	id      uint32
}

// run offers rate packets a second of size bytes, spread evenly over the
// flows, for s.dur; then waits s.drain for the last echoes and counts.
func (st *stepper) run(size, rate int) stepResult {
	st.id++
	for _, f := range st.flows {
		if err := f.s.bind(f.peer); err != nil { // refresh the binding and permission
			return stepResult{Size: size, Target: rate, Note: "rebind: " + err.Error()}
		}
		f.step.Store(st.id)
		f.recv.Store(0)
		f.mu.Lock()
		f.rtts = f.rtts[:0]
		f.mu.Unlock()
	}
	cpu0, self0, drops0 := procCPU(st.pid), selfCPU(), udpDrops()
	start := time.Now()
	var sent atomic.Int64
	var wg sync.WaitGroup
	for g := range st.senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent.Add(st.send(g, size, rate, start))
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	time.Sleep(st.drain)
	cpu1, self1, drops1 := procCPU(st.pid), selfCPU(), udpDrops()

	r := stepResult{Size: size, Target: rate, Sent: sent.Load(), Seconds: elapsed.Seconds(),
		Drops: st.drops(drops0, drops1)}
	var rtts []time.Duration
	for _, f := range st.flows {
		r.Recv += f.recv.Load()
		f.mu.Lock()
		rtts = append(rtts, f.rtts...)
		f.mu.Unlock()
	}
	span := (elapsed + st.drain).Seconds()
	r.Span = span
	r.ServerCores = (cpu1 - cpu0).Seconds() / span
	r.LoadCores = (self1 - self0).Seconds() / span
	r.Achieved = float64(r.Sent) / r.Seconds
	if r.Sent > 0 {
		r.Loss = 1 - float64(r.Recv)/float64(r.Sent)
	}
	slices.Sort(rtts)
	r.RTTP50ms, r.RTTP99ms = ms(pct(rtts, 0.50)), ms(pct(rtts, 0.99))
	r.Pass = r.Loss < 0.01 && r.Achieved >= 0.97*float64(rate)
	if r.Achieved < 0.97*float64(rate) {
		r.Note = "load generator behind"
	}
	return r
}

// drops says where datagrams were dropped between two udpDrops readings.
type drops struct {
	Listen int64 `json:"server_listen"`
	Relay  int64 `json:"server_relay"`
	Echo   int64 `json:"echo_peer"`
	Client int64 `json:"clients"`
}

func (st *stepper) drops(before, after map[uint16]int64) drops {
	d := func(port uint16) int64 { return after[port] - before[port] }
	var out drops
	out.Listen = d(st.flows[0].s.server.Port())
	echo := map[uint16]bool{}
	for _, f := range st.flows {
		out.Relay += d(f.s.relayAddr.Port())
		out.Client += d(f.s.conn.LocalAddr().(*net.UDPAddr).AddrPort().Port())
		echo[f.peer.Port()] = true
	}
	for p := range echo {
		out.Echo += d(p)
	}
	return out
}

// send is sender g's share: flows g, g+senders, …, each at rate/len(flows)
// packets a second, paced every tick from start.
func (st *stepper) send(g, size, rate int, start time.Time) int64 {
	var mine []*flow
	for i := g; i < len(st.flows); i += st.senders {
		mine = append(mine, st.flows[i])
	}
	if len(mine) == 0 {
		return 0
	}
	perFlow := float64(rate) / float64(len(st.flows))
	frame := make([]byte, 4+size)
	binary.BigEndian.PutUint32(frame[4:8], st.id)
	sent := make([]int64, len(mine))
	var total, seq int64
	end := start.Add(st.dur)
	for {
		now := time.Now()
		if now.After(end) {
			now = end
		}
		due := int64(perFlow * now.Sub(start).Seconds())
		for i, f := range mine {
			for ; sent[i] < due; sent[i]++ {
				seq++
				binary.BigEndian.PutUint64(frame[8:16], uint64(seq))
				binary.BigEndian.PutUint64(frame[16:24], uint64(time.Now().UnixNano()))
				if f.s.send(frame) == nil {
					total++
				}
			}
		}
		if !now.Before(end) {
			return total
		}
		time.Sleep(st.tick)
	}
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(p*float64(len(d))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// search finds the highest rate with under 1 % loss: rates grow by
// factor from start until one fails (a rate fails only if two tries in a
// row fail), then bisect refines between the last pass and the first
// failure. Every step is kept in the result.
func (st *stepper) search(size, start, maxRate int, factor float64, bisect int) (best int, steps []stepResult) {
	try := func(rate int) bool {
		for range 2 {
			r := st.run(size, rate)
			steps = append(steps, r)
			logStep(r)
			if r.Pass {
				return true
			}
			if r.Note != "" && r.Note != "load generator behind" {
				return false
			}
		}
		return false
	}
	lo, hi := 0, 0
	for rate := start; rate <= maxRate; rate = int(float64(rate) * factor) {
		if !try(rate) {
			hi = rate
			break
		}
		lo = rate
	}
	if hi == 0 {
		return lo, steps
	}
	for range bisect {
		if lo == 0 {
			break
		}
		mid := (lo + hi) / 2
		if try(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, steps
}

func logStep(r stepResult) {
	verdict := "fail"
	if r.Pass {
		verdict = "pass"
	}
	fmt.Printf("  %5d B %7d pps offered: sent %8d, loss %6.3f%% (drops: listen %d relay %d echo %d clients %d), server %.2f cores, load %.2f cores, rtt p50 %.2f p99 %.2f ms, load avg %s  %s %s\n",
		r.Size, r.Target, r.Sent, 100*r.Loss, r.Drops.Listen, r.Drops.Relay, r.Drops.Echo, r.Drops.Client,
		r.ServerCores, r.LoadCores, r.RTTP50ms, r.RTTP99ms, loadAvg(), verdict, r.Note)
}
