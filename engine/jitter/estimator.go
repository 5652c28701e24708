package jitter

import "time"

// Delay histogram geometry: 1024 bins of 2 ms cover 0 to 2.048 s of relative delay; the last
// bin also holds everything beyond.
const (
	histBins     = 1024
	histBinWidth = 2 * time.Millisecond
)

// minWindow is how far back the estimator looks for the fastest packet, the reference of the
// relative delay (NetEq uses the same 2 s).
const minWindow = 2 * time.Second

// minRingLen bounds the packets remembered for the minimum (2 s of 10 ms frames and more).
const minRingLen = 256

// estimator measures the relative arrival delay of packets — how much later than the fastest
// packet of the last 2 s each one arrived, measured against the RTP clock — and keeps an
// exponentially forgetting histogram of it. Its quantiles are what the target policy works
// from. The zero value is not usable; see newEstimator.
type estimator struct {
	forget float64
	q      float64 // the configured quantile (Config.Quantile)
	// hist holds weights; a newer packet weighs 1/forget times the one before, which is an
	// exponential forgetting of the older ones without touching every bin per packet.
	hist   [histBins]float64
	total  float64
	weight float64
	count  int // packets seen, for the equal-weight start

	// ring holds the transit offset (arrival − RTP time) of recent packets.
	ring       [minRingLen]offsetSample
	head, n    int
	minOffset  time.Duration // minimum offset over the window
	last       time.Duration // relative delay of the last packet
	haveOffset bool

	// peaks holds the largest relative delay of each of the last peakBuckets seconds.
	peaks     [peakBuckets]time.Duration
	peakSec   int64 // the second peaks[peakSec%peakBuckets] belongs to
	havePeaks bool

	// recent is the same relative delay, forgetting in time (TrackMemory), for ModeTrack,
	// without the backlog of outages.
	recent      timeHist
	lastArrival time.Duration
	haveArrival bool
	backlog     bool // the packets arriving now are an outage's backlog
}

// peakBuckets is the peak memory in seconds.
const peakBuckets = 10

type offsetSample struct {
	at     time.Duration
	offset time.Duration
}

func newEstimator(forget, q float64) *estimator {
	return &estimator{forget: forget, q: q, weight: 1, recent: timeHist{tau: TrackMemory}}
}

// tsDuration converts RTP timestamp units (48 kHz) to time, without overflow for any
// extended timestamp (whole seconds first).
func tsDuration(ts int64) time.Duration {
	return time.Duration(ts/rtpClockHz)*time.Second + time.Duration(ts%rtpClockHz)*time.Second/rtpClockHz
}

// durationTS converts time to RTP timestamp units (48 kHz), rounding towards zero.
func durationTS(d time.Duration) int64 {
	return int64(d/time.Second)*rtpClockHz + int64(d%time.Second)*rtpClockHz/int64(time.Second)
}

// update records a packet with extended RTP timestamp ts arriving at at.
func (e *estimator) update(at time.Duration, ts int64, frame time.Duration) {
	off := at - tsDuration(ts)
	// Forget samples older than the window, then add this one (dropping the oldest if full).
	for e.n > 0 && at-e.ring[e.head].at > minWindow {
		e.head = (e.head + 1) % minRingLen
		e.n--
	}
	if e.n == minRingLen {
		e.head = (e.head + 1) % minRingLen
		e.n--
	}
	e.ring[(e.head+e.n)%minRingLen] = offsetSample{at: at, offset: off}
	e.n++
	e.minOffset = off
	for i := 0; i < e.n; i++ {
		if o := e.ring[(e.head+i)%minRingLen].offset; o < e.minOffset {
			e.minOffset = o
		}
	}
	e.haveOffset = true
	rel := off - e.minOffset
	e.last = rel
	e.notePeak(at, rel)
	// An outage's backlog does not train the tracking histogram: a packet arriving after a
	// delivery gap longer than outageGap, and those delivered back to back after it.
	switch {
	case !e.haveArrival:
	case at-e.lastArrival > outageGap:
		e.backlog = true
	case e.backlog && rel <= e.recent.quantile(e.q)+frame:
		e.backlog = false
	}
	e.lastArrival, e.haveArrival = at, true
	if e.backlog {
		e.recent.add(at, rel, backlogWeight)
	} else {
		e.recent.add(at, rel, 1)
	}

	b := histBin(rel)
	// Equal weights while count < 1/(1−forget), so the start is a plain average; then each new
	// packet weighs 1/forget times the previous one.
	e.count++
	if float64(e.count) > 1/(1-e.forget) {
		e.weight /= e.forget
	}
	e.hist[b] += e.weight
	e.total += e.weight
	if e.weight > 1e200 {
		for i := range e.hist {
			e.hist[i] /= e.weight
		}
		e.total /= e.weight
		e.weight = 1
	}
}

// notePeak records rel in the bucket of the second at falls in.
func (e *estimator) notePeak(at, rel time.Duration) {
	sec := int64(at / time.Second)
	if !e.havePeaks || sec-e.peakSec >= peakBuckets {
		clear(e.peaks[:])
		e.peakSec, e.havePeaks = sec, true
	}
	for ; e.peakSec < sec; e.peakSec++ {
		e.peaks[(e.peakSec+1)%peakBuckets] = 0
	}
	i := ((sec % peakBuckets) + peakBuckets) % peakBuckets
	e.peaks[i] = max(e.peaks[i], rel)
}

// peak is the largest relative delay of the last peakBuckets seconds.
func (e *estimator) peak() time.Duration {
	var m time.Duration
	for _, p := range e.peaks {
		m = max(m, p)
	}
	return m
}

// quantile is the relative delay below which a fraction q of the (weighted) packets fell: the
// upper edge of the bin where the cumulative weight reaches q. Zero before any packet.
func (e *estimator) quantile(q float64) time.Duration {
	return histQuantile(e.hist[:], e.total, q)
}

// Estimate is what a TargetPolicy sees: the delay estimator's state when a packet arrived.
// Relative delay is a packet's arrival delay beyond the fastest packet of the last 2 s,
// measured against the RTP clock (so it excludes the constant network delay). An Estimate is
// valid only during the policy call.
type Estimate struct {
	// Percentile is the relative delay at the configured Config.Quantile.
	Percentile time.Duration
	// Last is the relative delay of the packet that just arrived.
	Last time.Duration
	// Peak is the largest relative delay of the last 10 s.
	Peak time.Duration
	// Recent is the relative delay at the configured Config.Quantile of a histogram that
	// forgets in time (TrackMemory) rather than per packet, so its memory does not grow with the
	// sender's frame size.
	Recent time.Duration
	// Loss is the recent fraction of packets lost (0 to 1; from sequence-number gaps, an
	// average over about the last 50 packets; reordered packets are not losses).
	Loss float64
	// REDDepth is how many frames back the RED copies of the last RED packet reach (0: the
	// sender sends no RED), and FEC whether the sender's packets carried Opus in-band FEC (an
	// LBRR flag) within the last 2 s. The buffer reads both from the packets.
	REDDepth int
	FEC      bool
	// LossEvents is how many loss runs (one or more packets lost in a row) began in the last
	// 5 s, up to 8.
	LossEvents int
	// LossRun is the loss-run length, in packets, that covers 90 % of the recent lost packets
	// (all but a tenth lie within LossRun packets of their run's end); 0 before any loss.
	LossRun int
	// DREDReach is how far back the sender's DRED reaches, as far as the packets the buffer
	// parsed at a loss showed (within the last 10 s; 0: no DRED seen, or Config.DRED off).
	DREDReach time.Duration
	// Frame is the duration of that packet's audio.
	Frame time.Duration
	// Chunk is the duration of the last Pull (10 ms by default, before the first Pull).
	Chunk time.Duration
	// MinTarget and MaxTarget are the configured bounds (the result is clamped to them).
	MinTarget, MaxTarget time.Duration

	est *estimator
}

// Quantile is the relative delay at quantile q (0 to 1) of the forgetting histogram, with the
// histogram's 2 ms resolution. It allocates nothing.
func (e Estimate) Quantile(q float64) time.Duration {
	if e.est == nil {
		return 0
	}
	return e.est.quantile(q)
}

// TargetPolicy maps the estimator's state to a target delay: the playout margin a packet that
// arrives with the smallest recent delay should get (its relative delay is 0; a packet with
// relative delay d then waits target − d). The buffer clamps the result to
// [MinTarget, MaxTarget]. It is called once per arriving packet, must be cheap, and must not
// call back into the Buffer.
type TargetPolicy func(Estimate) time.Duration

// NetEqPolicy is NetEq-like: the configured quantile of the relative delay plus one
// playout chunk, because a Pull decodes the audio of its whole chunk when it starts. Combined
// with the MinTarget floor it absorbs small reordering.
//
// A peak memory (raising the target to three quarters of Estimate.Peak, as NetEq's peak
// detector does) was measured too, on 8 s of speech through bench.Run, 3 seeds each: it
// raised PESQ-WB by 0.01-0.11 on wifi, lte, 3g, lte-bursty and a 30 ms-jitter link for 0-38 ms
// more delay, so it is left to policies that want it.
func NetEqPolicy(e Estimate) time.Duration { return e.Percentile + e.Chunk }

// DefaultPolicy is the target policy of the default mode (ModeDefault): NetEqPolicy, raised by
// the cover the sender's redundancy needs (redundancyCover: RED depth or one frame of in-band
// FEC once 3 losses came within 5 s, the loss runs a DRED can rebuild), so that the packet
// carrying a lost frame's copy arrives before the frame is due. libwebrtc's NetEq has no such
// term (ModeNetEq keeps it out): a buffer that knows only the delay plays a RED copy only when
// the delay spread happens to leave room for it.
func DefaultPolicy(e Estimate) time.Duration {
	return e.Percentile + e.Chunk + redundancyCover(e, e.LossEvents >= defaultLossEvents)
}

// defaultLossEvents is how many loss runs within 5 s make DefaultPolicy cover RED and FEC.
// Covering after any loss (as TrackPolicy does, from 1 % of the last 50 packets) raised the
// target by a frame at the loss itself and dropped it again a few seconds later, warping
// time twice for copies a rare loss seldom needs: behind one RED copy on 40 ms frames, one
// two-packet loss in 4 s of speech cost 0.3 PESQ-WB (TestAdaptiveReceiverFrameSizes).
const defaultLossEvents = 3
