package adapt

import (
	"math"
	"time"
)

// Fast-path thresholds. The model predicts the sustainable rate from the windows' summary and
// the policy decides every 0.5–1 s with hysteresis; a capacity drop is visible sooner and more
// plainly in the short window: a queue building behind a bottleneck that spreads the packets
// out. The fast path then caps the rate budget at once, whatever the model says, and after a
// rise it lets the rate climb faster than the model's slowly rising prediction while the path
// shows no queue.
const (
	// queueBuilding is the delay above base (short window p50) that, with a rising delay or
	// spread-out arrivals, marks a queue building at a bottleneck.
	queueBuilding = 40 * time.Millisecond
	// queueStanding is the delay above base (short-window p50) that marks a standing queue
	// whatever the trend.
	queueStanding = 80 * time.Millisecond
	// queueOnset is the least delay above base (short-window p50) with which the short window's
	// maximum alone may mark a queue building: a queue at a bottleneck delays most of the
	// window's packets, a delay impulse one or two. In live 3g demo calls (seeds 1–5) one packet
	// 106 ms late among seven at 15 ms (gradient 0.48, dispersion 0.62) read as over-use and cut
	// 69 kb/s to 23 kb/s (6–16 kb/s Opus in 40 or 60 ms frames for 5–7 s in three of the five calls,
	// on a link of 0.2–2 Mbit/s); with queueOnset (behind a temporary switch) none of five calls
	// cut, and in a later set of five one did, after its switch to the relay. On the bench
	// (`parley bench adapt`, default profiles plus eight capacity traces, 4 seeds, 65 runs)
	// adapt+neteq's PESQ-WB went from 3.730 to 3.732, and the steps profile reacts as before
	// (the rate under the new capacity 0.4 s after the drop).
	queueOnset = queueBuilding / 2
	// gradientBuilding (s/s) and dispersionBuilding are the trend and spread that mark it.
	gradientBuilding   = 0.05
	dispersionBuilding = 0.9
	// drainShare is the share of the measured delivery rate the budget is cut to on a building
	// queue, leaving the rest to drain it.
	drainShare = 0.8
	// probeGain is how far above the current wire rate the budget may go when the path shows
	// no queue and no loss (the model's prediction lags a capacity rise), and probeQueue the
	// largest delay above base (medium window p50) that counts as no queue.
	probeGain  = 1.5
	probeQueue = 50 * time.Millisecond
	probeLoss  = 0.02
	// probeQuiet is how long after a building queue the policy does not probe: the queue
	// showed where the path's capacity is.
	probeQuiet = 5 * time.Second
)

// probeLimit returns the wire-rate budget a clean path allows above the current setting's wire
// rate: probeGain × curWire when the medium window shows no queue, no rising delay and little
// loss, else 0.
func probeLimit(f *Features, curWire float64) float64 {
	mid := &f.Windows[1]
	if mid.Packets < 10 || mid.DelayP50 > probeQueue || mid.Gradient > gradientBuilding/2 ||
		mid.Loss > probeLoss || f.Windows[0].Loss > probeLoss {
		return 0
	}
	return probeGain * curWire
}

// congestionLimit returns the wire-rate budget (bit/s) the measurements allow when they show a
// queue building behind a bottleneck: drainShare of the bottleneck's delivery rate, divided by
// 1 + the delay gradient (the faster the queue grew, the more there is to drain). ok is false
// when they show no such queue. The queue shows in the short window (delay above base beyond
// queueBuilding with a rising delay or spread-out arrivals, its maximum beyond queueBuilding
// with both and its median beyond queueOnset, or its median beyond queueStanding) or, when the
// bottleneck is so slow that the short window holds only one or two packets, in the medium
// window's trend. The delivery rate is the
// least of the short window's arrival rate, the send rate times the short window's dispersion,
// and the send rate divided by 1 + the delay gradient (a FIFO bottleneck of capacity C fed at S
// grows its delay by S/C − 1 seconds per second).
func congestionLimit(f *Features) (limit float64, ok bool) {
	short, mid := &f.Windows[0], &f.Windows[1]
	g := 0.0
	switch {
	case short.Packets >= 3 && short.DelayP50 > queueBuilding &&
		(short.Gradient > gradientBuilding || short.Dispersion < dispersionBuilding):
		g = max(short.Gradient, mid.Gradient)
	case short.Packets >= 3 && short.DelayMax > queueBuilding && short.DelayP50 > queueOnset &&
		short.Gradient > gradientBuilding && short.Dispersion < dispersionBuilding:
		g = max(short.Gradient, mid.Gradient)
	case short.Packets >= 3 && short.DelayP50 > queueStanding:
		g = max(mid.Gradient, 0)
	case short.Packets >= 1 && short.Packets < 3 && mid.Packets >= 3 && max(short.DelayMax, mid.DelayMax) > queueBuilding &&
		mid.Gradient > 2*gradientBuilding:
		// A slow bottleneck still lets a packet or two through per short window; nothing at
		// all is a stall or an outage, not a rate.
		g = mid.Gradient
	default:
		return 0, false
	}
	rate := math.Inf(1)
	if short.Packets >= 3 && short.ArrivalRateBps > 0 {
		rate = short.ArrivalRateBps
	}
	if f.SendRateBps > 0 && g > 0 {
		rate = min(rate, f.SendRateBps/(1+g))
	}
	if f.SendRateBps > 0 && short.Packets >= 3 && short.Dispersion < 1 {
		rate = min(rate, f.SendRateBps*short.Dispersion)
	}
	if math.IsInf(rate, 1) {
		if mid.ArrivalRateBps <= 0 {
			return 0, false
		}
		rate = mid.ArrivalRateBps
	}
	return drainShare * rate / (1 + max(g, 0)), true
}
