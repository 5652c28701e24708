package netem

import (
	"sync/atomic"
	"time"
)

// Lateness summarises how late the real-time faces delivered datagrams relative to the times
// their links computed: the error the emulator itself adds (timer and scheduling latency of
// this machine), not counting the kernel's loopback path. Percentiles have 1 µs resolution up
// to 1 ms and 1 ms resolution beyond.
type Lateness struct {
	Count         int64
	P50, P99, Max time.Duration
}

// lateHist is a fixed-bucket histogram of delivery lateness: 1 µs buckets below 1 ms, 1 ms
// buckets below 1 s, one overflow bucket. Safe for concurrent use; Add does not allocate.
type lateHist struct {
	fine   [1000]atomic.Int64 // [i µs, i+1 µs)
	coarse [1000]atomic.Int64 // [i ms, i+1 ms)
	over   atomic.Int64
	max    atomic.Int64
}

func (h *lateHist) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Millisecond:
		h.fine[d/time.Microsecond].Add(1)
	case d < time.Second:
		h.coarse[d/time.Millisecond].Add(1)
	default:
		h.over.Add(1)
	}
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

func (h *lateHist) summary() Lateness {
	var fine, coarse [1000]int64
	var n int64
	for i := range fine {
		fine[i] = h.fine[i].Load()
		coarse[i] = h.coarse[i].Load()
		n += fine[i] + coarse[i]
	}
	over := h.over.Load()
	n += over
	l := Lateness{Count: n, Max: time.Duration(h.max.Load())}
	if n == 0 {
		return l
	}
	// q returns the upper edge of the bucket holding the k-th smallest sample.
	q := func(p float64) time.Duration {
		k := int64(p*float64(n) + 0.5)
		k = max(1, min(k, n))
		var acc int64
		for i, c := range fine {
			if acc += c; acc >= k {
				return time.Duration(i+1) * time.Microsecond
			}
		}
		for i, c := range coarse {
			if acc += c; acc >= k {
				return time.Duration(i+1) * time.Millisecond
			}
		}
		return l.Max
	}
	l.P50, l.P99 = min(q(0.50), l.Max), min(q(0.99), l.Max)
	return l
}
