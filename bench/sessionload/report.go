package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// step is one step's measurement: k sessions at once.
type step struct {
	Sessions       int     `json:"sessions"`
	Streams        int     `json:"streams_connected"` // directed streams that received a frame
	Expected       int     `json:"streams_expected"`
	ConnectSeconds float64 `json:"connect_seconds"` // from scheduling the new session until every stream receives
	Seconds        float64 `json:"seconds"`         // measured
	FramesSent     int64   `json:"frames_sent"`
	FramesReceived int64   `json:"frames_received"`
	Ratio          float64 `json:"received_ratio"`
	Worst          float64 `json:"worst_stream_ratio"`
	SentFPS        float64 `json:"sent_fps_per_stream"`
	ReceivedMbps   float64 `json:"received_mbps"` // RTP bytes all participants received
	ServiceCores   float64 `json:"service_cores"`
	ServiceRSSMiB  float64 `json:"service_peak_rss_mib"`
	GeneratorCores float64 `json:"generator_cores"`
	LatencyP50     float64 `json:"frame_latency_p50_ms"` // send to last packet received, frames of the window
	LatencyP99     float64 `json:"frame_latency_p99_ms"`
	LatencyMax     float64 `json:"frame_latency_max_ms"`
	// UDP datagrams the kernel dropped (receive buffer full) at the
	// service's sockets and at the generator's, during the hold.
	ServiceUDPDrops   int64   `json:"service_udp_drops"`
	GeneratorUDPDrops int64   `json:"generator_udp_drops"`
	Load1             float64 `json:"load_average_1m"`
	Dropped           bool    `json:"frames_dropped"`
	GeneratorBehind   bool    `json:"generator_behind"` // sent under 97 % of -fps, or its sockets dropped
	MachineBusy       bool    `json:"machine_busy"`     // service + generator over 90 % of the CPUs
	Failed            string  `json:"failed,omitempty"`
}

// result is the whole run.
type result struct {
	Date    string `json:"date"`
	Machine string `json:"machine"`
	Config  config `json:"config"`
	Steps   []step `json:"steps"`
	// Relayed is the most sessions carried without dropping frames (0:
	// not even one).
	Relayed int `json:"sessions_relayed"`
	// NonRelay counts connections that did not select a relay-to-relay
	// candidate pair (should be 0: ICE is relay-only).
	NonRelay int64 `json:"connections_not_relayed"`
	// ServicePerSession and GeneratorPerSession are the CPU (cores) each
	// session adds, a least-squares line through the clean steps;
	// Projected is where the service's line meets all the machine's
	// CPUs — the sessions it would relay with the machine to itself, if
	// its cost stayed linear (an extrapolation, not a measurement).
	ServicePerSession   float64 `json:"service_cores_per_session"`
	GeneratorPerSession float64 `json:"generator_cores_per_session"`
	Projected           float64 `json:"projected_sessions_service_alone"`
	Verdict             string  `json:"verdict"`
}

func newResult(c config) *result {
	return &result{Date: time.Now().UTC().Format(time.RFC3339), Machine: machine(), Config: c}
}

// finish computes how many sessions were relayed and why the run
// stopped.
func (r *result) finish() {
	for _, s := range r.Steps {
		if s.Failed != "" || s.Dropped {
			break
		}
		r.Relayed = s.Sessions
	}
	if len(r.Steps) == 0 {
		r.Verdict = "no step ran"
		return
	}
	r.fit()
	last := r.Steps[len(r.Steps)-1]
	switch {
	case last.Failed != "":
		r.Verdict = fmt.Sprintf("%d sessions relayed without drops; at %d connecting failed: %s", r.Relayed, last.Sessions, last.Failed)
	case last.Dropped:
		r.Verdict = fmt.Sprintf("%d sessions relayed without drops; at %d frames dropped (%.2f %% received, worst stream %.2f %%)",
			r.Relayed, last.Sessions, 100*last.Ratio, 100*last.Worst)
	default:
		r.Verdict = fmt.Sprintf("%d sessions relayed without drops (the -max; no limit found)", r.Relayed)
	}
	if r.NonRelay > 0 {
		r.Verdict += fmt.Sprintf("; %d connections did not go relay to relay", r.NonRelay)
	}
	if r.Projected > 0 {
		r.Verdict += fmt.Sprintf("; each session costs the service %.3f cores and the generator %.3f: with all %d of its CPUs to itself and a linear cost the service would use them up at about %.0f sessions (extrapolated, not measured)",
			r.ServicePerSession, r.GeneratorPerSession, r.Config.serviceCPUs(), r.Projected)
	}
	if last.GeneratorBehind || last.MachineBusy {
		r.Verdict += "; the load generator or the machine was the bottleneck at the last step (see the notes), so this is a lower bound for the service"
	}
}

// fit draws least-squares lines of the service's and the generator's CPU
// against sessions, through the clean steps (measured, no drops, neither
// the generator behind nor the CPUs saturated: saturation flattens the
// line), or all measured steps when fewer than two are clean.
func (r *result) fit() {
	var xs, svc, gen, allX, allSvc, allGen []float64
	for _, s := range r.Steps {
		if s.Failed != "" || s.Seconds == 0 {
			continue
		}
		allX, allSvc, allGen = append(allX, float64(s.Sessions)), append(allSvc, s.ServiceCores), append(allGen, s.GeneratorCores)
		if !s.Dropped && !s.GeneratorBehind && !s.MachineBusy {
			xs, svc, gen = append(xs, float64(s.Sessions)), append(svc, s.ServiceCores), append(gen, s.GeneratorCores)
		}
	}
	if len(xs) < 2 {
		xs, svc, gen = allX, allSvc, allGen
	}
	if len(xs) < 2 {
		return
	}
	a, b := line(xs, svc)
	r.ServicePerSession = a
	r.GeneratorPerSession, _ = line(xs, gen)
	if a > 0 {
		r.Projected = (float64(r.Config.serviceCPUs()) - b) / a
	}
}

// line returns the slope and intercept of the least-squares line.
func line(xs, ys []float64) (slope, intercept float64) {
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0, sy / n
	}
	slope = (n*sxy - sx*sy) / d
	return slope, (sy - slope*sx) / n
}

func (s step) summary() string {
	if s.Failed != "" {
		return fmt.Sprintf("%d/%d streams; failed: %s", s.Streams, s.Expected, s.Failed)
	}
	return fmt.Sprintf("%d/%d streams in %.1fs; frames %d/%d (%.4f), worst %.4f, %.1f fps sent, %.1f Mbit/s, latency p50 %.1f p99 %.1f ms; service %.2f cores, %.0f MiB, %d UDP drops; generator %.2f cores, %d UDP drops; load %.1f",
		s.Streams, s.Expected, s.ConnectSeconds, s.FramesReceived, s.FramesSent, s.Ratio, s.Worst, s.SentFPS, s.ReceivedMbps,
		s.LatencyP50, s.LatencyP99, s.ServiceCores, s.ServiceRSSMiB, s.ServiceUDPDrops, s.GeneratorCores, s.GeneratorUDPDrops, s.Load1)
}

// markdown prints the result as a table for bench/README.md.
func (r *result) markdown(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "Machine: %s; %s. %d people a session, %d kbit/s at %d frames/s per stream, %d s a step; sessions kept across steps.\n\n",
		r.Machine, r.Date, c.People, c.Kbps, c.FPS, c.Seconds)
	fmt.Fprintln(w, "| sessions | streams | connect (s) | frames received / sent | worst stream | sent fps per stream | received Mbit/s | frame latency p50 / p99 (ms) | service CPU (cores) | service peak RSS (MiB) | generator CPU (cores) | UDP drops service / generator | load avg | notes |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	known := r.Config.URL == "" || r.Config.PID > 0
	for _, s := range r.Steps {
		if s.Failed != "" {
			fmt.Fprintf(w, "| %d | %d/%d | %.1f | – | – | – | – | – | – | – | – | – | – | connecting failed: %s |\n",
				s.Sessions, s.Streams, s.Expected, s.ConnectSeconds, s.Failed)
			continue
		}
		var notes []string
		if s.Dropped {
			notes = append(notes, "frames dropped")
		}
		if s.GeneratorBehind {
			notes = append(notes, "generator behind (sends under 97 % of -fps, or its sockets drop)")
		}
		if s.MachineBusy {
			notes = append(notes, "CPUs saturated (service + generator)")
		}
		svc, rss, drops := "–", "–", "–"
		if known {
			svc, rss, drops = fmt.Sprintf("%.2f", s.ServiceCores), fmt.Sprintf("%.0f", s.ServiceRSSMiB), fmt.Sprint(s.ServiceUDPDrops)
		}
		fmt.Fprintf(w, "| %d | %d/%d | %.1f | %d / %d = %.2f %% | %.2f %% | %.1f | %.1f | %.1f / %.1f | %s | %s | %.2f | %s / %d | %.1f | %s |\n",
			s.Sessions, s.Streams, s.Expected, s.ConnectSeconds, s.FramesReceived, s.FramesSent, 100*s.Ratio, 100*s.Worst,
			s.SentFPS, s.ReceivedMbps, s.LatencyP50, s.LatencyP99, svc, rss, s.GeneratorCores, drops, s.GeneratorUDPDrops,
			s.Load1, strings.Join(notes, "; "))
	}
	fmt.Fprintf(w, "\n%s.\n", r.Verdict)
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times (100 on
// Linux everywhere that matters).
const clockTicks = 100

// cpuTicks is the process's user + system time, all threads, in ticks.
func cpuTicks(pid int) (int64, error) {
	if pid <= 0 {
		return 0, errNoPID
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read stat: %w", err)
	}
	// Fields after the command name (which may hold spaces): utime is
	// the 14th field, stime the 15th.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s, nil
}

// rssKiB is the process's resident memory (0 if unknown).
func rssKiB(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// udpDrops is how many datagrams the kernel dropped at pid's UDP sockets
// because their receive buffers were full (the drops column of
// /proc/net/udp, for the sockets among pid's file descriptors): loss the
// relay did not choose, telling which side could not keep up. Sockets
// closed meanwhile fall out of the sum.
func udpDrops(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink(dir + "/" + fd.Name())
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var n int64
	for _, table := range []string{"udp", "udp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
			if len(f) >= 13 && inodes[f[9]] {
				d, _ := strconv.ParseInt(f[12], 10, 64)
				n += d
			}
		}
	}
	return n
}

func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// machine describes where the run happened.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, %s linux/%s", model, runtime.NumCPU(), runtime.Version(), runtime.GOARCH)
}
