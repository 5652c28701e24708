package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parley-voice/parley/e2ee"
	"github.com/parley-voice/parley/signaling"
	"github.com/parley-voice/parley/signaling/server"
)

// cmdBenchSignaling load-tests one signaling node on loopback. The server runs as a child
// process ('parley serve') so its memory is measured apart from the clients': the figures are
// the child's own runtime.MemStats (via /metrics) and its resident set (/proc).
func cmdBenchSignaling(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet(env, "bench signaling", "", "Load-test the signaling server on loopback: N logged-in WebSocket clients,\n"+
		"server memory per idle client, call setups per second (invite → accept round trip) with\n"+
		"latency percentiles, and every frame counted at both ends.")
	clients := fs.Int("clients", 10000, "concurrent logged-in clients (each a real WebSocket)")
	setups := fs.Int("setups", 20000, "call setups to run")
	conc := fs.Int("concurrency", 200, "call setups in flight at once")
	dialers := fs.Int("dialers", 64, "parallel logins while connecting")
	natsURL := fs.String("nats", "", "run the server with -nats `URL` (every message then goes through NATS; the NATS server needs JetStream)")
	gcPercent := fs.Int("server-gc-percent", 0, "pass -gc-percent to the server (0: Go's default, 100)")
	rate := fs.Float64("rate", 1000, "target call setups per second across all workers (0: as fast as possible)")
	limit := fs.Duration("timeout", 3*time.Minute, "give up after this long")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		return usagef("bench signaling takes no arguments")
	case *clients < 2 || *clients > 50000:
		return usagef("-clients %d: want 2..50000", *clients)
	case *setups < 0 || *conc < 1 || *conc > *clients/2 || *dialers < 1:
		return usagef("-setups ≥ 0, 1 ≤ -concurrency ≤ clients/2, -dialers ≥ 1")
	}
	ctx, cancel := context.WithTimeout(ctx, *limit)
	defer cancel()
	out := env.Stdout
	// The load generator holds every client in this process; collecting its garbage less often
	// leaves more of the two cores to the server under test (whose GC is left at default).
	defer debug.SetGCPercent(debug.SetGCPercent(400))

	// Each process needs one descriptor per client plus slack; the child inherits the limit.
	need := uint64(*clients + 1024)
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur < need {
		rl.Cur = need
		if rl.Max < need {
			rl.Max = need // allowed for root only
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			return fmt.Errorf("raising the open-file limit to %d: %w (run as root or lower -clients)", need, err)
		}
	}

	srv, err := startBenchServer(ctx, *clients, *gcPercent, *natsURL)
	if err != nil {
		return err
	}
	defer srv.stop()
	base, err := srv.sample()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "server: pid %d, %s, GC percent %s, broker %s\n", srv.cmd.Process.Pid, srv.url,
		map[bool]string{true: "default", false: strconv.Itoa(*gcPercent)}[*gcPercent == 0], map[bool]string{true: "memory", false: "NATS " + *natsURL}[*natsURL == ""])

	// Log in every client.
	ids := make([]*e2ee.IdentityKey, *clients)
	for i := range ids {
		if ids[i], err = e2ee.GenerateIdentityKey(nil); err != nil {
			return err
		}
	}
	cs := make([]*signaling.Client, *clients)
	defer closeAll(cs)
	t0 := time.Now()
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	for range *dialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cs) || ctx.Err() != nil {
					return
				}
				dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
				c, err := signaling.Dial(dctx, signaling.ClientConfig{URL: srv.url, User: fmt.Sprintf("u%05d", i),
					Identity: ids[i], Device: "bench", EventBuffer: 16})
				dcancel()
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("client %d: %w", i, err) })
					cancel()
					return
				}
				cs[i] = c
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	loginDur := time.Since(t0)
	fmt.Fprintf(out, "logins: %d clients in %v (%.0f logins/s)\n", *clients, loginDur.Round(time.Millisecond), float64(*clients)/loginDur.Seconds())

	// Idle: let acks and GC settle, then measure.
	if err := sleepCtx(ctx, 3*time.Second); err != nil {
		return err
	}
	idle, err := srv.sample()
	if err != nil {
		return err
	}
	if idle.conns != int64(*clients) {
		return fmt.Errorf("server holds %d connections, want %d", idle.conns, *clients)
	}
	n := float64(*clients)
	fmt.Fprintf(out, "held: %d concurrent logged-in clients (server gauge %d)\n", *clients, idle.conns)
	fmt.Fprintf(out, "server memory per idle client: %.1f KiB heap+stack in use (runtime.MemStats after GC: heap %.1f, stacks %.1f), %.1f KiB RSS; %.1f goroutines/client\n",
		float64(idle.heap+idle.stack-base.heap-base.stack)/n/1024, float64(idle.heap-base.heap)/n/1024, float64(idle.stack-base.stack)/n/1024,
		float64(idle.rss-base.rss)/n/1024, float64(idle.goroutines-base.goroutines)/n)

	// Call setups: worker w drives pairs w, w+conc, ...; caller i calls callee i+N/2.
	half := *clients / 2
	lat := make([][]time.Duration, *conc)
	var bad atomic.Int64
	var badMsg atomic.Value
	t1 := time.Now()
	cpu1 := selfCPU()
	for w := range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pairs := (half - w + *conc - 1) / *conc
			count := *setups / *conc
			if w < *setups%*conc {
				count++
			}
			commit := make([]byte, e2ee.CommitSize)
			resp := make([]byte, e2ee.ResponseSize)
			var gap time.Duration // open-loop pacing: worker w starts setup k at t1 + (k·conc + w)/rate
			if *rate > 0 {
				gap = time.Duration(float64(time.Second) / *rate)
			}
			for k := range count {
				if ctx.Err() != nil {
					return
				}
				if gap > 0 {
					if d := time.Until(t1.Add(time.Duration(k*(*conc)+w) * gap)); d > 0 {
						if sleepCtx(ctx, d) != nil {
							return
						}
					}
				}
				p := w + (k%pairs)*(*conc)
				d, err := callSetup(ctx, cs[p], cs[p+half], commit, resp)
				if err != nil {
					bad.Add(1)
					badMsg.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[w] = append(lat[w], d)
			}
		}()
	}
	wg.Wait()
	setupDur := time.Since(t1)
	genCPU := selfCPU() - cpu1
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	if len(all) > 0 {
		pct := func(q float64) time.Duration { return all[min(len(all)-1, int(q*float64(len(all))))] }
		fmt.Fprintf(out, "call setups: %d in %v = %.0f setups/s (target %s, %d workers); invite→accepted latency p50 %v p90 %v p99 %v max %v\n",
			len(all), setupDur.Round(time.Millisecond), float64(len(all))/setupDur.Seconds(), rateText(*rate), *conc,
			pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), all[len(all)-1].Round(10*time.Microsecond))
	}
	if b := bad.Load(); b > 0 {
		fmt.Fprintf(out, "FAILED setups: %d (first: %v)\n", b, badMsg.Load())
	}

	// Every frame counted at both ends, after acks settle.
	if err := sleepCtx(ctx, time.Second); err != nil {
		return err
	}
	var sent, rcvd uint64
	for _, c := range cs {
		s, r := c.Stats()
		sent += s
		rcvd += r
	}
	end, err := srv.sample()
	if err != nil {
		return err
	}
	if len(all) > 0 {
		fmt.Fprintf(out, "server during setups: %.1f KiB allocated per setup, %d GC cycles (including the bench's forced ones); CPU: server %.2f cores, load generator %.2f cores (of 2, shared)\n",
			float64(end.allocated-idle.allocated)/float64(len(all))/1024, end.gcs-idle.gcs,
			(end.cpu-idle.cpu).Seconds()/setupDur.Seconds(), genCPU.Seconds()/setupDur.Seconds())
	}
	if q := handlingQuantile(idle.handling, end.handling, 0.99); q != "" {
		fmt.Fprintf(out, "server frame handling (read → every resulting frame queued) p99 ≤ %s\n", q)
	}
	fmt.Fprintf(out, "frames: clients sent %d, server received %d; server sent %d, clients received %d\n", sent, end.framesIn, end.framesOut, rcvd)
	lost := int64(sent) - end.framesIn + end.framesOut - int64(rcvd)
	fmt.Fprintf(out, "lost or misrouted: %d frames, %d failed setups\n", lost, bad.Load())
	if lost != 0 || bad.Load() != 0 || len(all) != *setups {
		return fmt.Errorf("load test saw lost frames or failed setups")
	}
	return nil
}

// callSetup runs invite → incoming → accept → accepted/connected → hangup between a and b and
// returns the invite→accepted time. Any unexpected frame is an error (misrouted).
func callSetup(ctx context.Context, a, b *signaling.Client, commit, resp []byte) (time.Duration, error) {
	call, err := e2ee.NewCallID(nil)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := a.Invite(call, b.User(), commit); err != nil {
		return 0, err
	}
	wait := func(c *signaling.Client, typ signaling.Type, skip signaling.Type) error {
		for {
			select {
			case f, ok := <-c.Events():
				if !ok {
					return fmt.Errorf("%s: events closed", c.User())
				}
				if f.Call != call || (f.Type != typ && f.Type != skip) {
					return fmt.Errorf("%s: unexpected %s %s (call %v, want %s of %v)", c.User(), f.Type, f.Code, f.Call, typ, call)
				}
				if f.Type == typ {
					return nil
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if err := wait(b, signaling.TypeIncoming, ""); err != nil {
		return 0, err
	}
	if err := b.Accept(call, resp); err != nil {
		return 0, err
	}
	if err := wait(a, signaling.TypeAccepted, signaling.TypeRinging); err != nil {
		return 0, err
	}
	d := time.Since(start)
	if err := wait(b, signaling.TypeConnected, ""); err != nil {
		return 0, err
	}
	if err := a.Hangup(call); err != nil {
		return 0, err
	}
	return d, wait(b, signaling.TypeHangup, "")
}

func closeAll(cs []*signaling.Client) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, c := range cs {
		if c == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() { defer wg.Done(); _ = c.Close(); <-sem }()
	}
	wg.Wait()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type benchServer struct {
	cmd    *exec.Cmd
	addr   string
	url    string
	waited chan struct{}
}

type serverSample struct {
	conns, framesIn, framesOut, heap, stack, goroutines, rss, allocated, gcs int64
	cpu                                                                      time.Duration     // user+system CPU of the server process
	handling                                                                 map[float64]int64 // frame-handling histogram: upper bound (s) → cumulative count
}

// startBenchServer runs 'parley serve' (this binary) on a free loopback port without TURN.
func startBenchServer(ctx context.Context, clients, gcPercent int, natsURL string) (*benchServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	dataDir, err := os.MkdirTemp("", "parley-bench-names-") // a name registry of its own
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "-addr", addr, "-turn-listen", "", "-ring-timeout", "5m",
		"-max-conns-per-ip", strconv.Itoa(clients + 100), "-max-conns", strconv.Itoa(clients + 100), "-gc-percent", strconv.Itoa(gcPercent),
		"-max-sessions-per-ip", strconv.Itoa(clients + 100), "-registrations-per-ip", "-1", "-data", dataDir}
	if natsURL != "" {
		args = append(args, "-nats", natsURL)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dataDir)
		return nil, err
	}
	s := &benchServer{cmd: cmd, addr: addr, url: "ws://" + addr + server.PathWS, waited: make(chan struct{})}
	go func() { _ = cmd.Wait(); _ = os.RemoveAll(dataDir); close(s.waited) }()
	for {
		resp, err := http.Get("http://" + addr + server.PathHealth)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		select {
		case <-s.waited:
			return nil, errors.New("parley serve exited during start")
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond): // no readiness signal but polling /healthz
		}
	}
}

func (s *benchServer) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.waited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.waited
	}
}

// sample reads the child's /metrics and resident set size.
func (s *benchServer) sample() (serverSample, error) {
	var out serverSample
	resp, err := http.Get("http://" + s.addr + server.PathMetrics + "?gc=1")
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	want := map[string]*int64{
		"parley_signaling_connections": &out.conns, "parley_signaling_frames_in_total": &out.framesIn,
		"parley_signaling_frames_out_total": &out.framesOut, "go_memstats_heap_inuse_bytes": &out.heap,
		"go_memstats_stack_inuse_bytes": &out.stack, "go_goroutines": &out.goroutines,
		"go_memstats_alloc_bytes_total": &out.allocated, "go_gc_duration_seconds_count": &out.gcs,
	}
	out.handling = make(map[float64]int64)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if le, found := strings.CutPrefix(name, `parley_signaling_frame_handling_seconds_bucket{le="`); found && ok {
			bound, err := strconv.ParseFloat(strings.TrimSuffix(le, `"}`), 64)
			n, _ := strconv.ParseFloat(val, 64)
			if err == nil {
				out.handling[bound] = int64(n)
			}
			continue
		}
		if p := want[name]; ok && p != nil {
			// The exposition writes large values in exponent form (1.2345e+07).
			v, _ := strconv.ParseFloat(val, 64)
			*p = int64(v)
		}
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err == nil {
		for line := range strings.SplitSeq(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				out.rss = kb * 1024
			}
		}
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid)); err == nil {
		// Fields after the parenthesised command name; utime and stime are the 12th and 13th.
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 {
			f := strings.Fields(string(stat[i+1:]))
			if len(f) > 12 {
				ut, _ := strconv.ParseInt(f[11], 10, 64)
				st, _ := strconv.ParseInt(f[12], 10, 64)
				out.cpu = time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
			}
		}
	}
	return out, sc.Err()
}

// selfCPU returns this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rateText(r float64) string {
	if r <= 0 {
		return "unpaced"
	}
	return fmt.Sprintf("%.0f/s", r)
}

// handlingQuantile returns the upper bound of the histogram bucket holding quantile q of the
// observations made between two samples, or "" without data.
func handlingQuantile(before, after map[float64]int64, q float64) string {
	bounds := make([]float64, 0, len(after))
	for b := range after {
		bounds = append(bounds, b)
	}
	slices.Sort(bounds)
	if len(bounds) == 0 {
		return ""
	}
	total := after[bounds[len(bounds)-1]] - before[bounds[len(bounds)-1]]
	if total <= 0 {
		return ""
	}
	for _, b := range bounds {
		if float64(after[b]-before[b]) >= q*float64(total) {
			if math.IsInf(b, 1) {
				return "∞ (above the largest bucket)"
			}
			return time.Duration(b * float64(time.Second)).String()
		}
	}
	return ""
}
