package jitter

import (
	"math"
	"time"
)

// The tracking target (ModeTrack) differs from the NetEq-like one in four ways, measured with
// `parley bench adapt -strategies adapt+neteq,adapt+track` on cellular capacity traces:
//
//   - Memory in time, not in packets. The NetEq-like histogram forgets per packet (0.995), so
//     its memory is 4 s of 20 ms frames but 12 s of 60 ms frames, the frames a sender picks on
//     a poor link; one delay spike then holds the target up for 12 s. The tracking histogram
//     forgets with a time constant (TrackMemory) whatever the frame size.
//   - Outages are not jitter. After a delivery gap of outageGap or more, the backlog the link
//     delivers (packets that waited out the outage in a queue, with relative delays up to the
//     outage's length) weighs backlogWeight in the histogram, not 1: the NetEq-like target
//     jumps to the outage's length after each one and stays there for seconds, so every
//     packet of those seconds pays for an outage that is over.
//   - A shorter hold. When nothing is buffered the NetEq-like buffer holds its position for
//     twice the target (at least 100 ms) and every held millisecond stays in the delay until
//     stretching removes it. On a link with outages these holds stacked up to seconds of
//     delay; the tracking buffer holds for one target (at least trackHoldMin) and moves on.
//   - The sender's redundancy. The buffer reads from the packets themselves whether the sender
//     sends RED copies (and how deep) and in-band FEC (the LBRR flag of the SILK layer), and
//     while packets are being lost it keeps the target at least as deep as the redundancy
//     reaches, so a copy arrives before the frame it repairs is due.

// TrackMemory is the time constant of the tracking histogram's forgetting: a relative delay
// observed TrackMemory ago weighs 1/e of one observed now.
const TrackMemory = 4 * time.Second

// outageGap is the delivery gap from which ModeTrack takes the packets that follow for an
// outage's backlog rather than jitter: a packet arriving after no packet for this long, and the
// packets after it until one arrives within the recent quantile again (see estimator.update).
// The link's own jitter bursts are shorter: a delivery gap this long is an outage, during which
// audio is lost or held whatever the target, and raising the target for it afterwards adds its
// length to every packet of the next seconds.
const outageGap = 300 * time.Millisecond

// backlogWeight is the weight of an outage's backlog in the tracking histogram, against 1 for
// other packets: it still raises the target a little after an outage (jitter is often worse
// right after one), but not to the outage's length.
const backlogWeight = 0.25

// trackHoldMin is the shortest hold of ModeTrack (see holdLimit).
const trackHoldMin = 60 * time.Millisecond

// trackLossFloor is the recent loss fraction from which ModeTrack covers the sender's
// redundancy depth.
const trackLossFloor = 0.01

// lossAlpha is the per-packet weight of the loss average (a memory of about 50 packets).
const lossAlpha = 0.02

// fecMemory is how long an LBRR flag seen says the sender sends in-band FEC (the encoder sets
// it only on frames after voiced ones, so it comes and goes with the talker).
const fecMemory = 2 * time.Second

// timeHist is a histogram of relative delay whose weights decay in time: an observation made
// at t weighs exp((t − t0)/tau), renormalised before it overflows. The zero value is not
// usable: tau must be set.
type timeHist struct {
	tau   time.Duration
	hist  [histBins]float64
	total float64
	t0    time.Duration
	begun bool
}

// add records relative delay rel observed at at (times must not decrease).
func (h *timeHist) add(at, rel time.Duration, weight float64) {
	if !h.begun {
		h.begun, h.t0 = true, at
	}
	w := math.Exp(float64(at-h.t0) / float64(h.tau))
	if w > 1e100 {
		for i := range h.hist {
			h.hist[i] /= w
		}
		h.total /= w
		h.t0, w = at, 1
	}
	h.hist[histBin(rel)] += w * weight
	h.total += w * weight
}

// quantile is the relative delay below which a fraction q of the weight fell (the upper edge
// of its bin); zero before any observation.
func (h *timeHist) quantile(q float64) time.Duration {
	return histQuantile(h.hist[:], h.total, q)
}

// histBin is the histogram bin of relative delay rel.
func histBin(rel time.Duration) int {
	return min(max(int(rel/histBinWidth), 0), histBins-1)
}

// histQuantile is the upper edge of the bin where the cumulative weight of hist (summing to
// total) reaches q·total; zero for an empty histogram.
func histQuantile(hist []float64, total, q float64) time.Duration {
	if total <= 0 {
		return 0
	}
	want := q * total
	var cum float64
	for i, w := range hist {
		cum += w
		if cum >= want {
			return time.Duration(i+1) * histBinWidth
		}
	}
	return time.Duration(len(hist)) * histBinWidth
}

// senderView is what the buffer learns about the sender from the packets: recent loss, RED
// depth, in-band FEC.
type senderView struct {
	loss     float64 // per-packet average of the loss indicator
	redDepth int     // frames a RED copy reaches back, in the last RED packet (0: none)
	lbrrAt   time.Duration
	lbrr     bool // an LBRR flag was seen (at lbrrAt)
	runs     runStats
	// dredReach is how far back the DRED of the last packet parsed at a loss reached (at
	// dredAt); 0: none.
	dredReach time.Duration
	dredAt    time.Duration
	// runAt are the arrival times of the packets that ended the last loss runs (a ring, next
	// at runHead).
	runAt   [8]time.Duration
	runHead int
	// coverPeak is the largest run cover since coverAt (see coverRuns).
	coverPeak int
	coverAt   time.Duration
}

// coverRuns is the run length the target covers at at: while losses recur (recurring), the
// histogram's cover, held at its peak for dredMemory, so that the target does not fall between
// bursts only to grow again inside the next one (each growth is time inserted into the
// speech); a loss or two (a path switch, a stall) start no cover.
func (v *senderView) coverRuns(at time.Duration, recurring bool) int {
	expired := at-v.coverAt > dredMemory
	switch k := v.runs.cover(); {
	case recurring && (k >= v.coverPeak || expired):
		v.coverPeak, v.coverAt = k, at
	case expired:
		v.coverPeak = 0
	}
	return v.coverPeak
}

// noteDRED records the reach of the DRED a packet parsed at at carried (0: the sender sends
// none, or none any more).
func (v *senderView) noteDRED(at, reach time.Duration) {
	v.dredReach, v.dredAt = reach, at
}

// dred is the DRED reach to cover at at: 0 when none was seen within dredMemory.
func (v *senderView) dred(at time.Duration) time.Duration {
	if at-v.dredAt > dredMemory {
		return 0
	}
	return v.dredReach
}

// onPacket records a packet that arrived at at, newest says it has the highest sequence number
// so far, and gap how many sequence numbers it skipped.
func (v *senderView) onPacket(at time.Duration, newest bool, gap int64) {
	if !newest {
		// A reordered packet was counted lost when its successor came; take it back.
		v.loss = max(0, v.loss-lossAlpha)
		return
	}
	for range min(gap, 64) {
		v.loss += lossAlpha * (1 - v.loss)
	}
	if gap > 0 {
		v.runs.add(gap)
		v.runAt[v.runHead%len(v.runAt)] = at
		v.runHead++
	}
	v.loss -= lossAlpha * v.loss
}

// lossEvents is how many loss runs began within lossEventWindow before at (at most the
// len(runAt) most recent are remembered).
func (v *senderView) lossEvents(at time.Duration) int {
	n := 0
	for i := range min(v.runHead, len(v.runAt)) {
		if at-v.runAt[i] <= lossEventWindow {
			n++
		}
	}
	return n
}

// fec reports whether an LBRR flag was seen within fecMemory before at.
func (v *senderView) fec(at time.Duration) bool { return v.lbrr && at-v.lbrrAt <= fecMemory }

// TrackPolicy is the tracking target of ModeTrack: the configured quantile of the relative
// delay over the last few seconds (Estimate.Recent, forgetting with TrackMemory in time, not
// per packet, an outage's backlog weighing little) plus one playout chunk; and, while packets
// are being lost (Estimate.Loss of 1 % or more), the depth of the sender's redundancy
// (Estimate.REDDepth frames, or one frame of in-band FEC, or the loss runs its DRED rebuilds)
// on top of that, so that the packet carrying the copy of a lost frame, sent that much later,
// arrives before the frame is due (redundancyCover, as DefaultPolicy).
func TrackPolicy(e Estimate) time.Duration {
	return e.Recent + e.Chunk + redundancyCover(e, e.Loss >= trackLossFloor)
}

// redundancyCover is the margin, above the delay quantile, that the sender's redundancy needs:
// while packets are being lost (lossy, each policy's own test) its RED depth in frames, or one
// frame of in-band FEC, and in any case the loss runs its DRED can rebuild (dredCover).
func redundancyCover(e Estimate, lossy bool) time.Duration {
	var c time.Duration
	if lossy {
		depth := e.REDDepth
		if depth == 0 && e.FEC {
			depth = 1
		}
		c = time.Duration(depth) * e.Frame
	}
	return max(c, dredCover(e))
}
