package jitter

import "time"

// Covering loss runs for DRED. A sender's Deep REDundancy (libopus 1.5) lets the first packet
// after a run of lost packets rebuild the run's frames, but only those still ahead of playout
// when that packet arrives: the packet comes a run's length after the run's first frame, so a
// margin of k frames rebuilds the last k frames of every run. The buffer learns the run lengths
// from sequence-number gaps and the DRED's reach from the packets it parses at a loss, and its
// target (DefaultPolicy, TrackPolicy) covers the run length below which runCoverShare of the
// lost packets lie, capped by the reach, once losses recur (defaultLossEvents runs within
// lossEventWindow), held for dredMemory. Without it a buffer whose margin a delay quantile sets
// throws most of the DRED away: on 20 % loss in runs of mean 2.5 packets the engine's receiver
// rebuilt few frames at 50 ms.

// runBins is the longest loss run (in packets) the histogram records.
const runBins = 16

// runForget is the weight a run keeps each time a newer one is recorded (a memory of about 100
// runs: at 20 % loss in runs of 2.5 on 20 ms frames, about 25 s). A shorter memory let a few
// long runs swing the cover by several frames.
const runForget = 0.99

// runCoverShare is the share of lost packets whose rebuild the cover aims at: the run length k
// such that at most 1 − runCoverShare of the lost packets lie more than k packets before the
// end of their run.
const runCoverShare = 0.9

// dredProbe is the least history a packet's DRED is parsed for at a loss: enough to see the
// reach of the DRED senders send (Parse decodes what it is asked for, so asking for the gap
// alone showed a short gap's length, not the reach). Parsing happens once per loss run.
const dredProbe = 250 * time.Millisecond

// lossEventWindow is the window Estimate.LossEvents counts loss runs over.
const lossEventWindow = 5 * time.Second

// dredMemory is how long DRED seen in a parsed packet says the sender sends it.
const dredMemory = 10 * time.Second

// runStats is the forgetting histogram of loss-run lengths and the cover it gives.
type runStats struct {
	w [runBins + 1]float64 // w[L]: weight of runs of L packets
	k int                  // the cover of w (see cover), recomputed when a run is added
}

// add records a run of n lost packets; a run longer than runBins is an outage (a path switch,
// a radio stall), which no redundancy rebuilds, and is left out.
func (r *runStats) add(n int64) {
	if n <= 0 || n > runBins {
		return
	}
	for i := range r.w {
		r.w[i] *= runForget
	}
	r.w[n]++
	r.k = r.computeCover()
}

// cover is the least k (packets) such that the lost packets more than k before the end of
// their run are at most 1 − runCoverShare of all lost packets; 0 before any run. It changes
// only when a run is added, so the per-packet target update reads it for free.
func (r *runStats) cover() int { return r.k }

// computeCover computes cover from the histogram.
func (r *runStats) computeCover() int {
	var lost float64
	for l := 1; l <= runBins; l++ {
		lost += r.w[l] * float64(l)
	}
	if lost <= 0 {
		return 0
	}
	allow := (1 - runCoverShare) * lost
	for k := 1; k < runBins; k++ {
		var left float64
		for l := k + 1; l <= runBins; l++ {
			left += r.w[l] * float64(l-k)
		}
		if left <= allow {
			return k
		}
	}
	return runBins
}

// dredCover is the delay above the delay quantile that lets the DRED of the packet after a
// loss run rebuild the run (see above): Estimate.LossRun frames, at most Estimate.DREDReach;
// 0 when no packet parsed at a loss in the last dredMemory carried DRED. It does not wait for
// the loss average: bursty loss comes with seconds between bursts, and a target that fell in
// between had to grow again at the next burst, inside it.
func dredCover(e Estimate) time.Duration {
	if e.DREDReach <= 0 || e.LossRun <= 0 {
		return 0
	}
	return min(time.Duration(e.LossRun)*e.Frame, e.DREDReach)
}
