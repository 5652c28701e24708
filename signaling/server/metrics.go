package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// metrics are the server's counters, exposed in the Prometheus text format (version 0.0.4)
// by a small hand-written writer: the set is fixed and tiny, and it keeps the dependency list
// short. All fields are safe for concurrent use.
type metrics struct {
	conns      atomic.Int64 // open WebSockets (gauge)
	sessions   atomic.Int64 // sessions, attached or in grace (gauge)
	logins     atomic.Int64
	registered atomic.Int64
	resumed    atomic.Int64
	authFail   atomic.Int64
	framesIn   atomic.Int64
	framesOut  atomic.Int64
	invites    atomic.Int64
	answered   atomic.Int64
	relayed    atomic.Int64

	handling histogram // seconds from reading a client frame to having queued everything it caused

	mu      sync.Mutex
	outcome map[string]int64 // call outcomes: unavailable, busy, declined, timeout, cancel, route_error
	rejects map[string]int64 // reason → count
}

func (m *metrics) reject(reason string) { m.inc(&m.rejects, reason) }
func (m *metrics) call(outcome string)  { m.inc(&m.outcome, outcome) }

func (m *metrics) inc(mp *map[string]int64, k string) {
	m.mu.Lock()
	if *mp == nil {
		*mp = make(map[string]int64)
	}
	(*mp)[k]++
	m.mu.Unlock()
}

func (m *metrics) write(w io.Writer) {
	g := func(name, help, typ string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, typ, name, v)
	}
	g("parley_signaling_connections", "Open WebSocket connections.", "gauge", m.conns.Load())
	g("parley_signaling_sessions", "Sessions, attached or waiting to resume.", "gauge", m.sessions.Load())
	g("parley_signaling_logins_total", "Successful logins.", "counter", m.logins.Load())
	g("parley_signaling_registrations_total", "First logins that bound a name to a key.", "counter", m.registered.Load())
	g("parley_signaling_resumes_total", "Logins that resumed a session.", "counter", m.resumed.Load())
	g("parley_signaling_auth_failures_total", "Rejected logins.", "counter", m.authFail.Load())
	g("parley_signaling_frames_in_total", "Frames received from clients.", "counter", m.framesIn.Load())
	g("parley_signaling_frames_out_total", "Frames queued to clients.", "counter", m.framesOut.Load())
	g("parley_signaling_invites_total", "Invites accepted for routing.", "counter", m.invites.Load())
	g("parley_signaling_calls_answered_total", "Calls answered.", "counter", m.answered.Load())
	g("parley_signaling_relayed_total", "Peer-to-peer frames relayed.", "counter", m.relayed.Load())
	m.handling.write(w, "parley_signaling_frame_handling_seconds",
		"Time from reading a client frame to having queued every frame it causes (routing included).")
	m.mu.Lock()
	labelled := func(name, help, label string, mp map[string]int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
		keys := make([]string, 0, len(mp))
		for k := range mp {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s{%s=%q} %d\n", name, label, k, mp[k])
		}
	}
	labelled("parley_signaling_call_outcomes_total", "Calls that ended unanswered, by outcome.", "outcome", m.outcome)
	labelled("parley_signaling_rejects_total", "Rejected frames and connections, by reason.", "reason", m.rejects)
	m.mu.Unlock()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	g("go_goroutines", "Number of goroutines.", "gauge", int64(runtime.NumGoroutine()))
	g("go_memstats_heap_inuse_bytes", "Heap bytes in use.", "gauge", int64(ms.HeapInuse))
	g("go_memstats_stack_inuse_bytes", "Stack bytes in use.", "gauge", int64(ms.StackInuse))
	g("go_memstats_sys_bytes", "Bytes obtained from the OS.", "gauge", int64(ms.Sys))
	g("go_memstats_alloc_bytes_total", "Bytes allocated on the heap, ever.", "counter", int64(ms.TotalAlloc))
	g("go_gc_cycles_total", "Completed GC cycles.", "counter", int64(ms.NumGC))
}

// handler serves the exposition. With ?gc=1 from a loopback address it first runs a garbage
// collection, so load tests read live memory rather than garbage awaiting collection.
func (m *metrics) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
				if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
					runtime.GC()
				}
			}
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		m.write(w)
	})
}

// histogramBounds are the upper bounds, in seconds, of the latency histogram buckets.
var histogramBounds = [...]float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}

// histogram is a fixed-bucket Prometheus histogram. The zero value is ready; safe for
// concurrent use.
type histogram struct {
	counts [len(histogramBounds) + 1]atomic.Int64 // last: above every bound
	sumNs  atomic.Int64
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(histogramBounds) && s > histogramBounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNs.Add(int64(d))
}

func (h *histogram) write(w io.Writer, name, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum int64
	for i, b := range histogramBounds {
		cum += h.counts[i].Load()
		fmt.Fprintf(w, "%s_bucket{le=\"%g\"} %d\n", name, b, cum)
	}
	cum += h.counts[len(histogramBounds)].Load()
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %g\n%s_count %d\n", name, cum, name, time.Duration(h.sumNs.Load()).Seconds(), name, cum)
}
