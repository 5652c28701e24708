package adapt

import (
	"math"
	"slices"
	"time"
)

// The feature windows: every Features snapshot summarises the packets that arrived in each of
// the last 0.2 s, 1 s and 5 s.
const (
	WindowShort  = 200 * time.Millisecond
	WindowMedium = time.Second
	WindowLong   = 5 * time.Second
	// NumWindows is the number of windows in a Features snapshot.
	NumWindows = 3
)

// Windows lists the window lengths in the order of Features.Windows.
var Windows = [NumWindows]time.Duration{WindowShort, WindowMedium, WindowLong}

// DefaultCapacity is the number of packets a Tracker retains when NewTracker is given 0: five
// seconds at 800 packets/s, far above a voice stream's 17–100 packets/s.
const DefaultCapacity = 4096

// baseBucket is the span of one bucket of the base-delay minimum; baseBuckets of them are kept,
// so the base one-way delay is the minimum over the last 50–60 s and follows route changes.
const (
	baseBucket  = 10 * time.Second
	baseBuckets = 6
)

// An outage is a run of at least OutageRun consecutive missing sequence numbers spanning at
// least OutageSpan of send time: the path delivered nothing at all (a cut, a path switch), which
// redundancy cannot repair and a lower rate would not shorten. Its packets are left out of the
// windows' Loss, MeanBurst and MaxBurst, and the base delay is measured afresh after it: the
// path that came back may be another one.
const (
	OutageRun  = 8
	OutageSpan = 300 * time.Millisecond
)

// WindowFeatures summarises the packets that arrived within one window ending at the snapshot
// time. Delays are one-way delays above the base delay (the minimum one-way delay seen over
// the last minute), so an unknown offset between the sender's and receiver's clocks cancels.
// A window with no arrivals has Packets 0, zero rates and delays, and MaxGap equal to the time
// since the last arrival (capped at the window length).
type WindowFeatures struct {
	Window         time.Duration // the window's length
	Packets        int           // packets that arrived in the window (duplicates included)
	PacketRate     float64       // packets per second
	ArrivalRateBps float64       // received bits per second (sizes as given to OnPacket)
	// Loss is the fraction 0..1 of sequence numbers missing between the lowest and highest one
	// that arrived in the window, outages left out; a loss at the very end of the window is
	// seen only once a later packet arrives.
	Loss float64
	// MeanBurst is the mean length, in packets, of the runs of missing sequence numbers (0 when
	// none is missing); MaxBurst the longest.
	MeanBurst float64
	MaxBurst  int
	// Jitter is the mean absolute transit-time difference of consecutive arrivals, |D(i−1, i)|
	// of RFC 3550 §6.4.1, averaged over the window rather than smoothed.
	Jitter time.Duration
	// Delay percentiles (nearest rank), maximum and standard deviation of the one-way delay
	// above the base delay.
	DelayP50, DelayP95, DelayP99, DelayMax, DelayStd time.Duration
	// Gradient is the least-squares slope of one-way delay over arrival time, in seconds per
	// second: positive while a queue builds, negative while it drains. 0 with fewer than 3
	// arrivals.
	Gradient float64
	// MaxGap is the longest interval without an arrival in the window, including the interval
	// from the last arrival to the snapshot time.
	MaxGap time.Duration
	// Dispersion is the span of the send timestamps divided by the span of the arrival times of
	// the window's packets: about 1 on an unloaded path, below 1 when a bottleneck spreads the
	// packets out (the receive rate then trails the send rate), above 1 when a held-back burst
	// is released. 1 with fewer than 2 arrivals.
	Dispersion float64
}

// Features is a snapshot of what a receiver (and, through OnRTT and OnSend, a sender) has
// observed, at time At.
type Features struct {
	At      time.Duration
	Windows [NumWindows]WindowFeatures
	// SinceLast is the time from the last arrival to At (At itself before any arrival).
	SinceLast time.Duration
	// Span is the time from the first arrival to At (0 before any): windows longer than Span
	// are not yet full.
	Span time.Duration
	// RTT is the latest round-trip time given to OnRTT and RTTMin the least; 0 when none was.
	RTT, RTTMin time.Duration
	// SendRateBps is the rate the sender sent at over the last WindowMedium, from OnSend; 0 when
	// OnSend is not used.
	SendRateBps float64
	// SendGap is the longest time within the last WindowMedium in which the sender sent
	// nothing, from OnSend: between two packets sent, or since the last one (0 when OnSend is
	// not used). A gap longer than a few frames is the sender's silence (DTX, mute), which
	// empties the windows as an outage would.
	SendGap time.Duration
	// Received counts all packets given to OnPacket; Lost the sequence numbers skipped over so
	// far (reduced again when a reordered packet fills a gap).
	Received, Lost int64
}

// record is one arrival in the ring.
type record struct {
	arrival time.Duration
	send    time.Duration
	seq     int64 // extended sequence number
	size    int32
}

// sendRecord is one packet sent, for the sender-side rate.
type sendRecord struct {
	at   time.Duration
	size int32
}

// Tracker turns a packet stream into Features. Times are offsets on the caller's clock (a
// monotonic or virtual time base); the tracker never reads a clock. OnPacket, OnSend and OnRTT
// do not allocate; Features does not either. Not safe for concurrent use.
type Tracker struct {
	ring  []record // arrivals, oldest first from head
	head  int      // index of the oldest record
	count int

	sends     []sendRecord
	sendHead  int
	sendCount int

	started bool
	first   time.Duration // first arrival
	maxSeq  int64         // highest extended sequence number seen
	lost    int64
	recv    int64

	base [baseBuckets]baseMin

	rtt, rttMin time.Duration

	// Scratch for Features, sized like the ring.
	scratchF []float64
	scratchS []int64
}

// baseMin is one bucket of the base-delay minimum.
type baseMin struct {
	start time.Duration
	min   time.Duration
	ok    bool
}

// NewTracker returns a tracker retaining the last capacity arrivals (0: DefaultCapacity). A
// window whose packets do not all fit is computed over those retained.
func NewTracker(capacity int) *Tracker {
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	return &Tracker{
		ring:     make([]record, capacity),
		sends:    make([]sendRecord, capacity),
		scratchF: make([]float64, capacity),
		scratchS: make([]int64, capacity),
	}
}

// Reset forgets everything observed, keeping the buffers.
func (t *Tracker) Reset() {
	*t = Tracker{ring: t.ring, sends: t.sends, scratchF: t.scratchF, scratchS: t.scratchS}
}

// OnPacket records one packet that arrived at arrival (receiver clock) carrying the sender's
// timestamp sendTS (sender clock, any offset), RTP sequence number seq and sizeBytes on the wire.
// Arrival times must be non-decreasing; an earlier one is treated as the latest seen.
func (t *Tracker) OnPacket(arrival, sendTS time.Duration, seq uint16, sizeBytes int) {
	if t.count > 0 {
		last := t.ring[(t.head+t.count-1)%len(t.ring)].arrival
		if arrival < last {
			arrival = last
		}
	}
	var ext int64
	if !t.started {
		t.started = true
		t.first = arrival
		ext = int64(seq)
		t.maxSeq = ext
	} else {
		ext = t.maxSeq + int64(int16(seq-uint16(t.maxSeq)))
		if t.count > 0 {
			prev := t.ring[(t.head+t.count-1)%len(t.ring)]
			if ext-prev.seq-1 >= OutageRun && sendTS-prev.send >= OutageSpan {
				t.base = [baseBuckets]baseMin{} // an outage: the path may have changed
			}
		}
		switch {
		case ext > t.maxSeq:
			t.lost += ext - t.maxSeq - 1
			t.maxSeq = ext
		case ext < t.maxSeq && t.lost > 0:
			t.lost-- // a reordered packet fills a gap (or a duplicate: close enough)
		}
	}
	t.recv++

	r := record{arrival: arrival, send: sendTS, seq: ext, size: int32(min(max(sizeBytes, 0), math.MaxInt32))}
	if t.count == len(t.ring) {
		t.ring[t.head] = r
		t.head = (t.head + 1) % len(t.ring)
	} else {
		t.ring[(t.head+t.count)%len(t.ring)] = r
		t.count++
	}
	t.noteBase(arrival, arrival-sendTS)
}

// noteBase folds one one-way delay into the bucketed minimum.
func (t *Tracker) noteBase(at, owd time.Duration) {
	i := int((at / baseBucket) % baseBuckets)
	if i < 0 {
		i += baseBuckets
	}
	start := at - at%baseBucket
	b := &t.base[i]
	if !b.ok || b.start != start {
		b.start, b.min, b.ok = start, owd, true
		return
	}
	b.min = min(b.min, owd)
}

// baseDelay is the minimum one-way delay over the buckets still within the last minute of now.
func (t *Tracker) baseDelay(now time.Duration) (time.Duration, bool) {
	var m time.Duration
	ok := false
	for _, b := range t.base {
		if !b.ok || now-b.start >= baseBucket*baseBuckets {
			continue
		}
		if !ok || b.min < m {
			m, ok = b.min, true
		}
	}
	return m, ok
}

// OnRTT records a round-trip time measured at time at (from RTCP or a probe). Non-positive
// values are ignored.
func (t *Tracker) OnRTT(at, rtt time.Duration) {
	_ = at
	if rtt <= 0 {
		return
	}
	t.rtt = rtt
	if t.rttMin == 0 || rtt < t.rttMin {
		t.rttMin = rtt
	}
}

// OnSend records a packet of sizeBytes sent at time at, for Features.SendRateBps (sender side).
func (t *Tracker) OnSend(at time.Duration, sizeBytes int) {
	r := sendRecord{at: at, size: int32(min(max(sizeBytes, 0), math.MaxInt32))}
	if t.sendCount == len(t.sends) {
		t.sends[t.sendHead] = r
		t.sendHead = (t.sendHead + 1) % len(t.sends)
	} else {
		t.sends[(t.sendHead+t.sendCount)%len(t.sends)] = r
		t.sendCount++
	}
}

// Features summarises what was observed up to now. It does not allocate.
func (t *Tracker) Features(now time.Duration) Features {
	f := Features{At: now, RTT: t.rtt, RTTMin: t.rttMin, Received: t.recv, Lost: t.lost}
	if t.count > 0 {
		f.SinceLast = max(now-t.ring[(t.head+t.count-1)%len(t.ring)].arrival, 0)
	} else {
		f.SinceLast = max(now, 0)
	}
	if t.started {
		f.Span = max(now-t.first, 0)
	}
	base, _ := t.baseDelay(now)
	for i, w := range Windows {
		f.Windows[i] = t.window(now, w, base)
	}
	var bytes int64
	from, next := now-WindowMedium, now
	for i := t.sendCount - 1; i >= 0; i-- {
		r := t.sends[(t.sendHead+i)%len(t.sends)]
		if r.at > now {
			continue
		}
		f.SendGap = max(f.SendGap, next-max(r.at, from))
		if r.at <= from {
			break
		}
		bytes += int64(r.size)
		next = r.at
	}
	f.SendRateBps = float64(bytes*8) / WindowMedium.Seconds()
	return f
}

// window computes one window's features by scanning the ring backwards from the newest record.
func (t *Tracker) window(now, w time.Duration, base time.Duration) WindowFeatures {
	wf := WindowFeatures{Window: w, Dispersion: 1}
	from := now - w
	n := 0
	var bytes int64
	var sumJ, sumD, sumD2 float64
	var sx, sy, sxx, sxy float64
	minSend, maxSend := time.Duration(math.MaxInt64), time.Duration(math.MinInt64)
	var firstArr, lastArr time.Duration
	var outFrom [4]int64 // the sequence numbers outages follow (the first few)
	nOut := 0
	prevArr := now // walking backwards: the next-newer arrival
	var next record
	for i := t.count - 1; i >= 0; i-- {
		r := t.ring[(t.head+i)%len(t.ring)]
		if r.arrival > now {
			continue
		}
		if r.arrival <= from {
			break
		}
		wf.MaxGap = max(wf.MaxGap, prevArr-r.arrival)
		prevArr = r.arrival
		if n == 0 {
			lastArr = r.arrival
		} else {
			dA := next.arrival - r.arrival
			dS := next.send - r.send
			sumJ += math.Abs((dA - dS).Seconds())
			if miss := next.seq - r.seq - 1; miss >= OutageRun && dS >= OutageSpan && nOut < len(outFrom) {
				outFrom[nOut] = r.seq
				nOut++
			}
		}
		firstArr = r.arrival
		next = r
		d := (r.arrival - r.send - base).Seconds()
		t.scratchF[n] = d
		t.scratchS[n] = r.seq
		sumD += d
		sumD2 += d * d
		x := (r.arrival - from).Seconds()
		sx += x
		sy += d
		sxx += x * x
		sxy += x * d
		minSend = min(minSend, r.send)
		maxSend = max(maxSend, r.send)
		bytes += int64(r.size)
		n++
	}
	wf.MaxGap = min(max(wf.MaxGap, prevArr-from), w)
	if n == 0 {
		return wf
	}
	sec := w.Seconds()
	wf.Packets = n
	wf.PacketRate = float64(n) / sec
	wf.ArrivalRateBps = float64(bytes*8) / sec
	if n > 1 {
		wf.Jitter = seconds(sumJ / float64(n-1))
		if span := lastArr - firstArr; span > 0 {
			wf.Dispersion = float64(maxSend-minSend) / float64(span)
		}
	}
	mean := sumD / float64(n)
	wf.DelayStd = seconds(math.Sqrt(max(sumD2/float64(n)-mean*mean, 0)))
	if n >= 3 {
		fn := float64(n)
		if den := fn*sxx - sx*sx; den > 1e-12 {
			wf.Gradient = (fn*sxy - sx*sy) / den
		}
	}
	ds := t.scratchF[:n]
	slices.Sort(ds)
	wf.DelayP50 = seconds(quantile(ds, 0.50))
	wf.DelayP95 = seconds(quantile(ds, 0.95))
	wf.DelayP99 = seconds(quantile(ds, 0.99))
	wf.DelayMax = seconds(ds[n-1])

	seqs := t.scratchS[:n]
	slices.Sort(seqs)
	var lost, runs int64
	uniq := int64(1)
	for i := 1; i < n; i++ {
		gap := seqs[i] - seqs[i-1]
		if gap == 0 {
			continue
		}
		uniq++
		if gap > 1 && slices.Contains(outFrom[:nOut], seqs[i-1]) {
			continue // an outage, not loss
		}
		if gap > 1 {
			lost += gap - 1
			runs++
			wf.MaxBurst = max(wf.MaxBurst, int(gap-1))
		}
	}
	if lost > 0 {
		wf.Loss = float64(lost) / float64(lost+uniq)
		wf.MeanBurst = float64(lost) / float64(runs)
	}
	return wf
}

// quantile is the nearest-rank q-quantile of sorted, non-empty xs.
func quantile(xs []float64, q float64) float64 {
	k := int(math.Ceil(q*float64(len(xs)))) - 1
	return xs[min(max(k, 0), len(xs)-1)]
}

// seconds converts float seconds to a Duration, rounding to the nanosecond.
func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }
