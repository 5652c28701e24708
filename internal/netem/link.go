package netem

import (
	"math"
	"math/rand/v2"
	"time"
)

// DropReason says why a packet was dropped.
type DropReason uint8

const (
	NotDropped DropReason = iota
	DropLoss              // random loss (loss model or a trace segment's loss)
	DropQueue             // droptail queue overflow, or no capacity within any horizon
	DropOutage            // link outage
)

func (r DropReason) String() string {
	switch r {
	case NotDropped:
		return "none"
	case DropLoss:
		return "loss"
	case DropQueue:
		return "queue"
	case DropOutage:
		return "outage"
	}
	return "unknown"
}

// Delivery is what happens to one packet offered to a Link.
type Delivery struct {
	Dropped bool          // lost (random loss, queue overflow, outage)
	Reason  DropReason    // why, when Dropped
	At      time.Duration // arrival time at the receiver when not dropped
	Dup     bool          // a duplicate also arrives ...
	DupAt   time.Duration // ... at this time
}

// Stats counts what a Link did. Sizes are in bytes.
type Stats struct {
	Sent, Delivered, Duplicated, Reordered int64
	Lost, QueueDrops, OutageDrops          int64
	SentBytes, DeliveredBytes              int64
	TotalDelay                             time.Duration // sum of At−at over delivered packets
}

// Link emulates one direction of a path in virtual time: a pure function of its configuration,
// its seed and the sequence of Send calls. It has no goroutines and never reads a clock.
// Not safe for concurrent use.
type Link struct {
	// Immutable after NewLink.
	cfg LinkConfig

	// Per-packet state.
	lastAt      time.Duration
	lastArrival time.Duration
	stats       Stats

	loss     lossProc
	q        *queue // nil: unlimited capacity
	segs     *tableSegs
	segRng   *rand.Rand
	dupRng   *rand.Rand
	reoRng   *rand.Rand
	jitRng   *rand.Rand
	slotRng  *rand.Rand
	jitState float64 // AR(1) state of the jitter process
	jitA     float64 // AR(1) coefficient
	jitB     float64 // sqrt(1−a²)
	outage   episodes
	impulses episodes
	flaps    episodes
	gaps     episodes
}

// NewLink builds a link from cfg (validated; see LinkConfig.Validate) with all randomness drawn
// from seed: the same configuration, seed and calls give the same deliveries.
func NewLink(cfg LinkConfig, seed uint64) (*Link, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if t := cfg.Capacity.Trace; t != nil && cfg.Capacity.SeededStart {
		cfg.Capacity.Trace = t.Rotate(seededStart(seed, t.Duration()))
	}
	l := &Link{
		cfg:      cfg,
		loss:     newLossProc(cfg.Loss, seed),
		q:        newQueue(&cfg.Capacity, seed),
		segRng:   newRand(seed, streamSegLoss),
		dupRng:   newRand(seed, streamDup),
		reoRng:   newRand(seed, streamReorder),
		jitRng:   newRand(seed, streamJitter),
		slotRng:  newRand(seed, streamSlot),
		jitA:     cfg.Delay.JitterCorrelation,
		outage:   newEpisodes(cfg.Outage, seed, streamOutage),
		impulses: newEpisodes(cfg.Delay.Impulses.EventConfig, seed, streamImpulse),
		flaps:    newEpisodes(cfg.Delay.Flaps.EventConfig, seed, streamFlap),
		gaps:     newEpisodes(cfg.Delay.Gaps, seed, streamGap),
	}
	l.jitB = math.Sqrt(1 - l.jitA*l.jitA)
	l.jitState = l.jitRng.NormFloat64()
	if t := cfg.Capacity.Trace; t != nil && len(t.Segments) > 0 {
		for _, s := range t.Segments {
			if s.Loss > 0 || s.Delay > 0 || s.Jitter > 0 {
				l.segs = newTableSegs(t.Segments)
				break
			}
		}
	}
	return l, nil
}

// Config returns the configuration the link was built with.
func (l *Link) Config() LinkConfig { return l.cfg }

// Stats returns the counters so far.
func (l *Link) Stats() Stats { return l.stats }

// Send offers a packet of sizeBytes at virtual time at and returns what happens to it. at must
// be non-decreasing across calls; an earlier value is treated as the latest one seen. Sizes below
// one byte count as one byte. Zero allocations (except rarely growing the byte-limited queue).
func (l *Link) Send(at time.Duration, sizeBytes int) Delivery {
	if at < l.lastAt {
		at = l.lastAt
	}
	l.lastAt = at
	sizeBytes = max(sizeBytes, 1)
	l.stats.Sent++
	l.stats.SentBytes += int64(sizeBytes)

	if _, _, out := l.outage.at(at); out {
		l.stats.OutageDrops++
		return Delivery{Dropped: true, Reason: DropOutage}
	}
	if l.loss.lose() {
		l.stats.Lost++
		return Delivery{Dropped: true, Reason: DropLoss}
	}
	var seg *TraceSegment
	if l.segs != nil {
		seg = l.segs.at(at)
		if seg.Loss > 0 && l.segRng.Float64() < seg.Loss {
			l.stats.Lost++
			return Delivery{Dropped: true, Reason: DropLoss}
		}
	}

	dep := at
	if l.q != nil {
		var ok bool
		if dep, ok = l.q.offer(at, sizeBytes); !ok {
			l.stats.QueueDrops++
			return Delivery{Dropped: true, Reason: DropQueue}
		}
	}

	d := &l.cfg.Delay
	if _, e, on := l.gaps.at(dep); on {
		dep = e // held by the radio link until the gap ends
	}
	t := dep + d.Base
	if seg != nil {
		t += seg.Delay
		if seg.Jitter > 0 {
			t += time.Duration(l.slotRng.Float64() * float64(seg.Jitter))
		}
	}
	if _, _, on := l.flaps.at(dep); on {
		t += d.Flaps.Delay
	}
	if s, e, on := l.impulses.at(dep); on {
		t += time.Duration(float64(d.Impulses.Peak) * float64(e-dep) / float64(e-s))
	}
	if d.Jitter > 0 {
		l.jitState = l.jitA*l.jitState + l.jitB*l.jitRng.NormFloat64()
		t += time.Duration(math.Abs(l.jitState) * float64(d.Jitter))
	}
	if d.Slot > 0 {
		t += time.Duration(l.slotRng.Float64() * float64(d.Slot))
	}

	if l.cfg.Reorder.Rate > 0 && l.reoRng.Float64() < l.cfg.Reorder.Rate {
		t += l.cfg.Reorder.Delay
		if t < l.lastArrival {
			t = l.lastArrival
		}
		l.stats.Reordered++
	} else {
		if t < l.lastArrival {
			t = l.lastArrival
		}
		l.lastArrival = t
	}
	dv := Delivery{At: t}
	if l.cfg.Duplicate > 0 && l.dupRng.Float64() < l.cfg.Duplicate {
		dv.Dup, dv.DupAt = true, t
		l.stats.Duplicated++
	}
	l.stats.Delivered++
	l.stats.DeliveredBytes += int64(sizeBytes)
	l.stats.TotalDelay += t - at
	return dv
}

// tableSegs finds the trace segment covering a time, looping, forward only.
type tableSegs struct {
	segs   []TraceSegment
	period time.Duration
	base   time.Duration
	end    time.Duration // end of segment i within the period
	i      int
}

func newTableSegs(segs []TraceSegment) *tableSegs {
	t := &tableSegs{segs: segs, end: segs[0].Duration}
	for _, s := range segs {
		t.period += s.Duration
	}
	return t
}

func (t *tableSegs) at(at time.Duration) *TraceSegment {
	if at-t.base >= t.period {
		t.base += (at - t.base) / t.period * t.period
		t.i, t.end = 0, t.segs[0].Duration
	}
	for at-t.base >= t.end && t.i < len(t.segs)-1 {
		t.i++
		t.end += t.segs[t.i].Duration
	}
	return &t.segs[t.i]
}
