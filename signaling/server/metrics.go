package server

import (
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's counters. The hot paths bump plain atomics (which tests and the
// load benchmark also read); a per-server Prometheus registry (client_golang) exposes them,
// with the frame-handling latency histogram, the labelled outcome and reject counters, and the
// Go runtime collector. Safe for concurrent use; make one with newMetrics.
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

	outcome *prometheus.CounterVec // call outcomes: unavailable, busy, declined, timeout, cancel, route_error
	rejects *prometheus.CounterVec // reason → count
	reg     *prometheus.Registry
}

// histogramBounds are the upper bounds, in seconds, of the latency histogram buckets.
var histogramBounds = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}

// histogram wraps a Prometheus histogram of durations.
type histogram struct{ h prometheus.Histogram }

func (h histogram) observe(d time.Duration) { h.h.Observe(d.Seconds()) }

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.handling = histogram{prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "parley_signaling_frame_handling_seconds",
		Help:    "Time from reading a client frame to having queued every frame it causes (routing included).",
		Buckets: histogramBounds,
	})}
	m.outcome = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_signaling_call_outcomes_total", Help: "Calls that ended unanswered, by outcome.",
	}, []string{"outcome"})
	m.rejects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_signaling_rejects_total", Help: "Rejected frames and connections, by reason.",
	}, []string{"reason"})
	gauge := func(name, help string, v *atomic.Int64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) })
	}
	counter := func(name, help string, v *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) })
	}
	m.reg.MustRegister(
		gauge("parley_signaling_connections", "Open WebSocket connections.", &m.conns),
		gauge("parley_signaling_sessions", "Sessions, attached or waiting to resume.", &m.sessions),
		counter("parley_signaling_logins_total", "Successful logins.", &m.logins),
		counter("parley_signaling_registrations_total", "First logins that bound a name to a key.", &m.registered),
		counter("parley_signaling_resumes_total", "Logins that resumed a session.", &m.resumed),
		counter("parley_signaling_auth_failures_total", "Rejected logins.", &m.authFail),
		counter("parley_signaling_frames_in_total", "Frames received from clients.", &m.framesIn),
		counter("parley_signaling_frames_out_total", "Frames queued to clients.", &m.framesOut),
		counter("parley_signaling_invites_total", "Invites accepted for routing.", &m.invites),
		counter("parley_signaling_calls_answered_total", "Calls answered.", &m.answered),
		counter("parley_signaling_relayed_total", "Peer-to-peer frames relayed.", &m.relayed),
		m.handling.h, m.outcome, m.rejects,
		collectors.NewGoCollector(),
	)
	return m
}

func (m *metrics) reject(reason string) { m.rejects.WithLabelValues(reason).Inc() }
func (m *metrics) call(outcome string)  { m.outcome.WithLabelValues(outcome).Inc() }

// handler serves the Prometheus exposition. With ?gc=1 from a loopback address it first runs a
// garbage collection, so load tests read live memory rather than garbage awaiting collection.
func (m *metrics) handler() http.Handler {
	prom := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
				if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
					runtime.GC()
				}
			}
		}
		prom.ServeHTTP(w, r)
	})
}
