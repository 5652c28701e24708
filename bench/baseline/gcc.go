package baseline

// The congestion controller of the webrtc-like baseline is pion's Google Congestion Control,
// github.com/pion/interceptor v0.1.51 pkg/gcc (MIT licence, Copyright 2026 The Pion community
// <https://pion.ly>), ported here because that package cannot run in virtual time: its
// adaptive threshold, overuse detector, rate controller and loss controller read time.Now
// directly, and its delay controller runs two goroutines fed by channels. The port keeps pion's
// algorithms and constants (arrival groups of 5 ms bursts, the Kalman slope estimator, the
// adaptive threshold, the overuse detector with 10 ms overuse time, the AIMD rate controller
// with β = 0.85 and its 500 ms received-rate window, the loss controller of
// draft-ietf-rmcat-gcc-02 §6) and changes only:
//   - every time comes from the virtual clock (the time the feedback is processed), and
//     everything runs synchronously in the order pion's pipeline would;
//   - the loss controller's bounds are the audio sender's bounds instead of pion's
//     100 kbit/s–100 Mbit/s, below which pion's loss controller would never act at audio rates.
// Feedback reaches it as pion's does: transport-wide congestion control RTCP
// (rtcp.TransportLayerCC) built by pion's own twcc.Recorder from the virtual arrivals, marshalled
// and parsed back (see twccAcks).

import (
	"math"
	"time"
)

// gccAck is one packet's fate as a TWCC report tells it.
type gccAck struct {
	departure, arrival time.Duration // arrival < 0: reported lost
	size               int
}

// gcc is the ported send-side bandwidth estimator. Not safe for concurrent use.
type gcc struct {
	minBps, maxBps int
	latest         int // the estimate: min(delay-based, loss-based)

	// arrival group accumulator
	groupInit bool
	group     gccGroup
	// slope estimator
	slopeInit bool
	slopeRef  gccGroup
	kal       gccKalman
	// adaptive threshold
	thresh        time.Duration
	threshLast    time.Duration
	threshLastSet bool
	numDeltas     int
	// overuse detector
	odLast             time.Duration
	odLastEstimate     time.Duration
	increasingDuration time.Duration
	increasingCounter  int
	// rate controller
	rcInit       bool
	state        gccState
	target       int
	rcLastUpdate time.Duration
	latestRTT    time.Duration
	receivedRate int
	decreaseEMA  gccEMA
	rateHist     []gccRateSample
	rateHistInit bool
	// loss controller
	lossBitrate    int
	averageLoss    float64
	lastLossUpdate time.Duration
	lastIncrease   time.Duration
	lastDecrease   time.Duration
}

type gccGroup struct{ departure, arrival time.Duration }

type gccRateSample struct {
	arrival time.Duration
	size    int
}

type gccState int

const (
	gccIncrease gccState = iota
	gccDecrease
	gccHold
)

type gccUsage int

const (
	gccOver gccUsage = iota
	gccUnder
	gccNormal
)

func (s gccState) transition(u gccUsage) gccState {
	switch s {
	case gccHold, gccIncrease:
		switch u {
		case gccOver:
			return gccDecrease
		case gccNormal:
			return gccIncrease
		case gccUnder:
			return gccHold
		}
	case gccDecrease:
		if u == gccOver {
			return gccDecrease
		}
		return gccHold
	}
	return gccIncrease
}

// newGCC returns an estimator starting at initial bit/s, bounded to [minBps, maxBps].
func newGCC(initial, minBps, maxBps int) *gcc {
	return &gcc{
		minBps: minBps, maxBps: maxBps, latest: initial, target: initial, lossBitrate: initial,
		kal:    gccKalman{processUncertainty: 1e-3, estimateError: 0.1}, // pion's newKalman() defaults
		thresh: 12500 * time.Microsecond,
		// pion starts its clocks at construction; time.Time{} zero values stand for "long ago".
		lastIncrease: -time.Hour, lastDecrease: -time.Hour, lastLossUpdate: -time.Hour,
	}
}

// Estimate is the current target bitrate, bit/s.
func (g *gcc) Estimate() int { return g.latest }

// onFeedback processes one TWCC report's acknowledgements (in sequence order) at time now,
// as pion's SendSideBWE.WriteRTCP does.
func (g *gcc) onFeedback(now time.Duration, acks []gccAck) {
	if len(acks) == 0 {
		return
	}
	// RTT: the feedback was sent at the latest arrival it reports.
	var sent time.Duration
	for _, a := range acks {
		sent = max(sent, a.arrival)
	}
	minRTT := time.Duration(math.MaxInt64)
	for _, a := range acks {
		if a.arrival < 0 {
			continue
		}
		minRTT = min(minRTT, now-a.departure-(sent-a.arrival))
	}
	if minRTT < math.MaxInt64 {
		g.latestRTT = minRTT
	}
	g.updateLoss(now, acks)
	// Delay controller: pion sends the acks down both pipes; the rate calculator and the group
	// accumulator run concurrently there, in order here.
	for _, a := range acks {
		g.onRate(a)
	}
	for _, a := range acks {
		g.onAck(now, a)
	}
}

// updateLoss is lossBasedBandwidthEstimator.updateLossEstimate.
func (g *gcc) updateLoss(now time.Duration, acks []gccAck) {
	lost := 0
	for _, a := range acks {
		if a.arrival < 0 {
			lost++
		}
	}
	ratio := float64(lost) / float64(len(acks))
	delta := now - g.lastLossUpdate
	g.averageLoss = ratio + math.Exp(-float64(delta.Milliseconds())/200.0)*(g.averageLoss-ratio)
	g.lastLossUpdate = now
	inc, dec := math.Max(g.averageLoss, ratio), math.Min(g.averageLoss, ratio)
	if inc < 0.02 && now-g.lastIncrease > 200*time.Millisecond {
		g.lastIncrease = now
		g.lossBitrate = clampInt(int(1.05*float64(g.lossBitrate)), g.minBps, g.maxBps)
	} else if dec > 0.1 && now-g.lastDecrease > 200*time.Millisecond {
		g.lastDecrease = now
		g.lossBitrate = clampInt(int(float64(g.lossBitrate)*(1-0.5*dec)), g.minBps, g.maxBps)
	}
}

// onRate is rateCalculator.run over a 500 ms window (without pion's 500-packet cap, which audio
// never reaches).
func (g *gcc) onRate(a gccAck) {
	if a.arrival < 0 {
		return
	}
	const window = 500 * time.Millisecond
	latest := a.arrival
	if n := len(g.rateHist); n > 0 {
		prev := g.rateHist[n-1].arrival
		if prev-a.arrival > time.Second {
			g.rateHist = g.rateHist[:0]
		} else if prev > latest {
			latest = prev
		}
	}
	deadline := latest - window
	if a.arrival < deadline {
		return
	}
	k := 0
	for k < len(g.rateHist) && g.rateHist[k].arrival < deadline {
		k++
	}
	g.rateHist = append(g.rateHist[:0], g.rateHist[k:]...)
	i := len(g.rateHist)
	g.rateHist = append(g.rateHist, gccRateSample{})
	for i > 0 && a.arrival < g.rateHist[i-1].arrival {
		g.rateHist[i] = g.rateHist[i-1]
		i--
	}
	g.rateHist[i] = gccRateSample{arrival: a.arrival, size: a.size}
	if !g.rateHistInit {
		g.rateHistInit = true
		g.receivedRate = a.size * 8
		return
	}
	dt := g.rateHist[len(g.rateHist)-1].arrival - g.rateHist[0].arrival
	if dt <= 0 {
		return
	}
	sum := 0
	for _, s := range g.rateHist {
		sum += s.size
	}
	g.receivedRate = int(float64(8*sum) / dt.Seconds())
}

// onAck is arrivalGroupAccumulator.run for one acknowledgement.
func (g *gcc) onAck(now time.Duration, a gccAck) {
	if a.arrival < 0 {
		// pion passes lost packets with a zero arrival time, which is before every group: they
		// are ignored as out of order.
		if g.groupInit {
			return
		}
		a.arrival = 0
	}
	if !g.groupInit {
		g.group = gccGroup{departure: a.departure, arrival: a.arrival}
		g.groupInit = true
		return
	}
	if a.arrival < g.group.arrival {
		return
	}
	if a.departure > g.group.departure {
		if a.departure-g.group.departure <= 5*time.Millisecond {
			g.group.arrival = a.arrival
			return
		}
		if a.arrival-g.group.arrival <= 5*time.Millisecond &&
			(a.arrival-g.group.arrival)-(a.departure-g.group.departure) < 0 {
			g.group.arrival = a.arrival
			return
		}
		g.onGroup(now, g.group)
		g.group = gccGroup{departure: a.departure, arrival: a.arrival}
	}
}

// onGroup is slopeEstimator.onArrivalGroup.
func (g *gcc) onGroup(now time.Duration, ag gccGroup) {
	if !g.slopeInit {
		g.slopeRef = ag
		g.slopeInit = true
		return
	}
	m := (ag.arrival - g.slopeRef.arrival) - (ag.departure - g.slopeRef.departure)
	g.slopeRef = ag
	g.onDelay(now, g.kal.update(m))
}

// onDelay is overuseDetector.onDelayStats with the adaptive threshold, then the rate
// controller.
func (g *gcc) onDelay(now, estimate time.Duration) {
	delta := now - g.odLast // odLast starts at 0, when pion's detector would be built
	g.odLast = now
	tu, est := g.compare(now, estimate)
	use := gccNormal
	switch tu {
	case gccOver:
		if g.increasingDuration == 0 {
			g.increasingDuration = delta / 2
		} else {
			g.increasingDuration += delta
		}
		g.increasingCounter++
		if g.increasingDuration > 10*time.Millisecond && g.increasingCounter > 1 && est > g.odLastEstimate {
			use = gccOver
		}
	case gccUnder:
		g.increasingCounter, g.increasingDuration = 0, 0
		use = gccUnder
	default:
		g.increasingCounter, g.increasingDuration = 0, 0
	}
	g.odLastEstimate = est
	g.onUsage(now, use)
}

// compare is adaptiveThreshold.compare and update.
func (g *gcc) compare(now, estimate time.Duration) (gccUsage, time.Duration) {
	g.numDeltas++
	if g.numDeltas < 2 {
		return gccNormal, estimate
	}
	t := time.Duration(min(g.numDeltas, 60)) * estimate
	use := gccNormal
	if t > g.thresh {
		use = gccOver
	} else if t < -g.thresh {
		use = gccUnder
	}
	// update
	if !g.threshLastSet {
		g.threshLast, g.threshLastSet = now, true
	}
	abs := time.Duration(math.Abs(float64(t.Microseconds()))) * time.Microsecond
	if abs > g.thresh+15*time.Millisecond {
		g.threshLast = now
		return use, t
	}
	k := 0.01
	if abs < g.thresh {
		k = 0.00018
	}
	dt := min((now - g.threshLast).Milliseconds(), 100)
	d := abs - g.thresh
	g.thresh += time.Duration(k*float64(d.Milliseconds())*float64(dt)*1000) * time.Microsecond
	g.thresh = min(max(g.thresh, 6*time.Millisecond), 600*time.Millisecond)
	g.threshLast = now
	return use, t
}

// onUsage is rateController.onDelayStats and SendSideBWE.onDelayUpdate.
func (g *gcc) onUsage(now time.Duration, use gccUsage) {
	if !g.rcInit {
		g.state = gccIncrease
		g.rcInit = true
		return
	}
	g.state = g.state.transition(use)
	switch g.state {
	case gccHold:
		return
	case gccIncrease:
		g.target = clampInt(g.increase(now), g.minBps, g.maxBps)
	case gccDecrease:
		g.target = clampInt(int(0.85*float64(g.receivedRate)), g.minBps, g.maxBps)
		g.decreaseEMA.update(float64(g.receivedRate))
		g.rcLastUpdate = now
	}
	// onDelayUpdate: the loss estimate never exceeds the delay-based target.
	g.lossBitrate = min(g.target, g.lossBitrate)
	if g.lossBitrate <= 0 {
		g.lossBitrate = clampInt(g.target, g.minBps, g.maxBps)
	}
	g.latest = min(g.target, g.lossBitrate)
}

// increase is rateController.increase.
func (g *gcc) increase(now time.Duration) int {
	e := &g.decreaseEMA
	if e.average > 0 && float64(g.receivedRate) > e.average-3*e.std && float64(g.receivedRate) < e.average+3*e.std {
		bitsPerFrame := float64(g.target) / 30.0
		packetsPerFrame := math.Ceil(bitsPerFrame / (1200 * 8))
		expected := bitsPerFrame / packetsPerFrame
		response := 100*time.Millisecond + g.latestRTT
		alpha := 0.5 * math.Min(float64((now-g.rcLastUpdate).Milliseconds())/float64(max(response.Milliseconds(), 1)), 1.0)
		inc := int(math.Max(1000.0, alpha*expected))
		g.rcLastUpdate = now
		return int(math.Min(float64(g.target+inc), 1.5*float64(g.receivedRate)))
	}
	eta := math.Pow(1.08, math.Min(float64((now-g.rcLastUpdate).Milliseconds())/1000, 1.0))
	g.rcLastUpdate = now
	rate := int(eta * float64(g.target))
	received := int(1.5 * float64(g.receivedRate))
	if rate > received && received > g.target {
		return received
	}
	return max(rate, g.target)
}

func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }

// gccEMA is pion's exponentialMovingAverage of the received rate at decreases.
type gccEMA struct{ average, variance, std float64 }

func (a *gccEMA) update(v float64) {
	if a.average == 0 {
		a.average = v
		return
	}
	x := v - a.average
	a.average += 0.95 * x
	a.variance = (1 - 0.95) * (a.variance + 0.95*x*x)
	a.std = math.Sqrt(a.variance)
}

// gccKalman is pion's kalman slope filter.
type gccKalman struct {
	estimate                                             time.Duration
	processUncertainty, estimateError, measurementUncert float64
}

func (k *gccKalman) update(measurement time.Duration) time.Duration {
	z := measurement - k.estimate
	zms := float64(z.Microseconds()) / 1000.0
	alpha := math.Pow(1-0.001, 30.0/(1000.0*5*float64(time.Millisecond)))
	root3 := 3 * math.Sqrt(k.measurementUncert)
	if zms > root3 {
		k.measurementUncert = math.Max(alpha*k.measurementUncert+(1-alpha)*root3*root3, 1)
	} else {
		k.measurementUncert = math.Max(alpha*k.measurementUncert+(1-alpha)*zms*zms, 1)
	}
	u := k.estimateError + k.processUncertainty
	gain := u / (u + k.measurementUncert)
	k.estimate += time.Duration(gain * zms * float64(time.Millisecond))
	k.estimateError = (1 - gain) * u
	return k.estimate
}
