package netem

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// never is a departure time meaning "not within any horizon": the packet is dropped.
const never = time.Duration(math.MaxInt64)

// maxSegmentWalk bounds how many rate segments one packet may cross before it is declared
// undeliverable (for instance a schedule whose last step has rate 0).
const maxSegmentWalk = 1 << 20

// rateSource is a piecewise-constant capacity: rate at t and the end of that piece.
type rateSource interface {
	seg(t time.Duration) (bps int64, end time.Duration)
}

// constRate never changes.
type constRate int64

func (c constRate) seg(time.Duration) (int64, time.Duration) { return int64(c), never }

// tableRate walks a list of segments, looping with the given period or holding the last one.
// Calls must come with non-decreasing t; the cursor only moves forward.
type tableRate struct {
	rates  []int64
	ends   []time.Duration // cumulative end of each segment within one period
	loop   bool
	period time.Duration
	base   time.Duration // start of the current period
	i      int
}

func newTableRate(durs []time.Duration, rates []int64, loop bool) *tableRate {
	t := &tableRate{rates: rates, ends: make([]time.Duration, len(durs)), loop: loop}
	var acc time.Duration
	for i, d := range durs {
		acc += d
		t.ends[i] = acc
	}
	t.period = acc
	if !loop {
		t.ends[len(t.ends)-1] = never
	}
	return t
}

func (t *tableRate) seg(at time.Duration) (int64, time.Duration) {
	if t.loop && at-t.base >= t.period {
		t.base += (at - t.base) / t.period * t.period
		t.i = 0
	}
	for t.i < len(t.ends)-1 && at-t.base >= t.ends[t.i] {
		t.i++
	}
	end := t.ends[t.i]
	if end != never {
		end += t.base
	}
	return t.rates[t.i], end
}

// markovRate is a MarkovCapacity generated lazily, forward only.
type markovRate struct {
	m          *MarkovCapacity
	rng        *rand.Rand
	state      int
	start, end time.Duration
}

func newMarkovRate(m *MarkovCapacity, seed uint64) *markovRate {
	r := &markovRate{m: m, rng: newRand(seed, streamMarkov), state: m.Start}
	r.end = expDur(r.rng, m.States[m.Start].MeanDwell)
	return r
}

func (r *markovRate) seg(at time.Duration) (int64, time.Duration) {
	for at >= r.end {
		r.state = r.next()
		r.start = r.end
		r.end += expDur(r.rng, r.m.States[r.state].MeanDwell)
	}
	return r.m.States[r.state].RateBps, r.end
}

func (r *markovRate) next() int {
	n := len(r.m.States)
	if r.m.Transitions != nil {
		u := r.rng.Float64()
		row := r.m.Transitions[r.state]
		for j, p := range row {
			if u < p {
				return j
			}
			u -= p
		}
		return n - 1
	}
	switch {
	case n == 1:
		return 0
	case r.state == 0:
		return 1
	case r.state == n-1:
		return n - 2
	case r.rng.IntN(2) == 0:
		return r.state - 1
	default:
		return r.state + 1
	}
}

// server computes when the last byte of a packet leaves the bottleneck. start is when the
// packet reaches the head of the queue (non-decreasing across calls).
type server interface {
	depart(at time.Duration, bytes int) time.Duration
}

// fluidServer serves bytes at a piecewise-constant rate; the rate is exact to the nanosecond.
type fluidServer struct {
	src  rateSource
	last time.Duration // departure of the previous packet
}

func (f *fluidServer) depart(at time.Duration, bytes int) time.Duration {
	t := max(at, f.last)
	// rem is the work left in bit·ns/s units: a rate of r bit/s removes r units per ns.
	rem := int64(bytes) * 8 * int64(time.Second)
	for range maxSegmentWalk {
		rate, end := f.src.seg(t)
		if rate > 0 {
			need := (rem + rate - 1) / rate
			if end == never || need <= int64(end-t) {
				f.last = t + time.Duration(need)
				return f.last
			}
			rem -= rate * int64(end-t)
		} else if end == never {
			return never
		}
		t = end
	}
	return never
}

// oppServer is the Mahimahi delivery-opportunity server: each opportunity carries up to
// OpportunityBytes of the packets already queued at its time; a packet may span
// opportunities; bytes of an opportunity that nobody is waiting for are lost.
type oppServer struct {
	opps   []time.Duration // within one period, sorted
	period time.Duration
	cur    int64 // absolute index of the last opportunity used; -1 before the first
	left   int   // bytes left in opportunity cur
	last   time.Duration
}

func (o *oppServer) oppTime(a int64) time.Duration {
	n := int64(len(o.opps))
	return time.Duration(a/n)*o.period + o.opps[a%n]
}

// firstAtOrAfter is the absolute index of the first opportunity at or after t.
func (o *oppServer) firstAtOrAfter(t time.Duration) int64 {
	if t < 0 {
		t = 0
	}
	k := int64(t / o.period)
	off := t - time.Duration(k)*o.period
	i := sort.Search(len(o.opps), func(i int) bool { return o.opps[i] >= off })
	return k*int64(len(o.opps)) + int64(i)
}

func (o *oppServer) depart(at time.Duration, bytes int) time.Duration {
	need := bytes
	if o.cur >= 0 && o.left > 0 && at <= o.oppTime(o.cur) {
		use := min(need, o.left)
		o.left -= use
		need -= use
		if need == 0 {
			o.last = o.oppTime(o.cur)
			return o.last
		}
	}
	a := o.cur + 1
	if o.oppTime(a) < at {
		a = max(a, o.firstAtOrAfter(at))
	}
	// Whole opportunities, then the partial last one.
	full := int64((need - 1) / OpportunityBytes)
	a += full
	need -= int(full) * OpportunityBytes
	o.cur = a
	o.left = OpportunityBytes - need
	o.last = o.oppTime(a)
	return o.last
}

// queue is the droptail queue in front of a server: departure times and sizes of the packets
// still inside, in a ring that grows (rarely) as needed.
type queue struct {
	srv      server
	maxBytes int
	maxDelay time.Duration
	bytes    int
	ring     []qent
	head, n  int
	last     time.Duration // departure of the newest packet
}

type qent struct {
	dep  time.Duration
	size int
}

// offer enqueues a packet at time at and returns its departure, or ok=false for a drop.
func (q *queue) offer(at time.Duration, size int) (dep time.Duration, ok bool) {
	for q.n > 0 && q.ring[q.head].dep <= at {
		q.bytes -= q.ring[q.head].size
		q.head = (q.head + 1) % len(q.ring)
		q.n--
	}
	if q.maxBytes > 0 && q.bytes+size > q.maxBytes {
		return 0, false
	}
	if q.maxDelay > 0 && q.last-at > q.maxDelay {
		return 0, false
	}
	dep = q.srv.depart(at, size)
	if dep == never {
		return 0, false
	}
	q.last = dep
	if q.maxBytes > 0 {
		q.push(qent{dep, size})
		q.bytes += size
	}
	return dep, true
}

func (q *queue) push(e qent) {
	if q.n == len(q.ring) {
		grown := make([]qent, max(64, 2*len(q.ring)))
		for i := range q.n {
			grown[i] = q.ring[(q.head+i)%len(q.ring)]
		}
		q.ring, q.head = grown, 0
	}
	q.ring[(q.head+q.n)%len(q.ring)] = e
	q.n++
}

func newQueue(c *CapacityConfig, seed uint64) *queue {
	var srv server
	switch {
	case c.RateBps > 0:
		srv = &fluidServer{src: constRate(c.RateBps)}
	case len(c.Steps) > 0:
		durs := make([]time.Duration, len(c.Steps))
		rates := make([]int64, len(c.Steps))
		for i, s := range c.Steps {
			durs[i], rates[i] = s.Duration, s.RateBps
		}
		srv = &fluidServer{src: newTableRate(durs, rates, c.LoopSteps)}
	case c.Markov != nil:
		srv = &fluidServer{src: newMarkovRate(c.Markov, seed)}
	case c.Trace != nil && len(c.Trace.Opportunities) > 0:
		srv = &oppServer{opps: c.Trace.Opportunities, period: c.Trace.Period, cur: -1}
	case c.Trace != nil:
		durs := make([]time.Duration, len(c.Trace.Segments))
		rates := make([]int64, len(c.Trace.Segments))
		for i, s := range c.Trace.Segments {
			durs[i], rates[i] = s.Duration, s.RateBps
		}
		srv = &fluidServer{src: newTableRate(durs, rates, true)}
	default:
		return nil
	}
	return &queue{srv: srv, maxBytes: c.QueueBytes, maxDelay: c.QueueDelay}
}
