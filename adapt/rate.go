package adapt

import (
	"math"
	"time"
)

// Rate-estimator constants: a delay-gradient (trendline) estimator in the manner of GCC's
// delay-based controller (draft-ietf-rmcat-gcc §5), on the tracker's windows instead of
// packet groups.
const (
	// trendOveruse is the short/medium-window delay gradient (s/s) that, with the delay
	// above base beyond trendQueue, signals over-use: the queue at the bottleneck grows by
	// 20 ms per second or more.
	trendOveruse = 0.02
	trendQueue   = 20 * time.Millisecond
	// trendUnderuse is the gradient below which (with a short queue) the path is taken as
	// not limiting, so the estimate may grow.
	trendUnderuse = 0.01
	// quietQueue is the largest delay above base (medium-window median) at which the estimate
	// may grow.
	quietQueue = 80 * time.Millisecond
	// rateDecrease is GCC's β: on over-use the estimate falls to this share of the measured
	// delivery rate.
	rateDecrease = 0.85
	// rateGrowth is the multiplicative growth per second while the path shows no queue, and
	// rateGrowthNear the slower growth within rateNear of the rate at the last over-use
	// (where the capacity was found).
	rateGrowth     = 1.0
	rateGrowthNear = 0.1
	rateNear       = 1.15
	// rateSettle is how long after a cut the estimate does not grow: the queue drains first.
	rateSettle = time.Second
	// rateProbeCap bounds the estimate to this multiple of the sender's own recent rate (the
	// path cannot show more than the sender offers) and rateCeil absolutely, bit/s.
	rateProbeCap = 1.6
	rateCeil     = 256000
	// rateFloor is the least estimate, bit/s (6 kb/s at 60 ms frames with headers).
	rateFloor = 12000
	// lossCongestion is the loss fraction that, together with a long queue (delay above base
	// beyond lossQueue), marks queue-overflow loss: the estimate is cut as on over-use.
	lossCongestion = 0.05
	lossQueue      = 120 * time.Millisecond
	// limitedShare is the medium window's delivery rate, as a share of the send rate, below
	// which the path is taken as rate-limited.
	limitedShare = 0.93
)

// RateEstimator follows the wire rate the path sustains without building a queue: it cuts the
// estimate at once to rateDecrease × the measured delivery rate when the delay gradient shows a
// queue building (or a long queue overflows), holds it while the queue drains, and grows it
// multiplicatively while the path shows no queue (slowly near the rate where the last over-use
// was seen, fast away from it, so that a capacity rise is found within a second or two). Loss
// alone does not lower it: random loss is not congestion, and is answered with redundancy.
// The zero value is ready; it starts at the first Update's current wire rate. Not safe for
// concurrent use; nothing allocates.
type RateEstimator struct {
	est     float64
	last    time.Duration
	started bool
	// cutRate is the estimate set at the last over-use (0: none yet) and cutAt its time.
	cutRate float64
	cutAt   time.Duration
	// Overuse reports whether the last Update saw over-use.
	Overuse bool
}

// Estimate returns the current estimate, bit/s (0 before the first Update).
func (r *RateEstimator) Estimate() float64 { return r.est }

// Update advances the estimate to time now from the features f, given the sender's current
// wire rate curWire (bit/s), and returns it.
func (r *RateEstimator) Update(now time.Duration, f *Features, curWire float64) float64 {
	if !r.started {
		r.started, r.est, r.last = true, max(curWire, rateFloor), now
	}
	dt := (now - r.last).Seconds()
	r.last = now
	if dt < 0 {
		dt = 0
	}
	short, mid := &f.Windows[0], &f.Windows[1]
	r.Overuse = false
	limit, congested := congestionLimit(f)
	switch {
	case congested:
	case mid.Packets >= 5 && mid.DelayP50 > trendQueue && mid.Gradient > trendOveruse:
		limit, congested = rateDecrease*delivery(f), true
	case mid.Packets >= 5 && mid.Loss > lossCongestion && mid.DelayP95 > lossQueue:
		limit, congested = rateDecrease*delivery(f)*(1-mid.Loss/2), true
	}
	// A bottleneck delivers less than it is offered: delay that rises while the packets still
	// arrive as fast as they were sent is a delay impulse (cross traffic, a radio stall), not
	// this call's rate, and cutting the rate would not shorten it.
	if congested && mid.Packets >= 5 && f.SendRateBps > 0 && mid.ArrivalRateBps >= limitedShare*f.SendRateBps {
		congested = false
	}
	if congested && limit > 0 {
		r.Overuse = true
		if limit < r.est {
			r.est = limit
		}
		r.cutRate, r.cutAt = r.est, now
		return r.clamp()
	}
	// Grow only while the path shows no queue and no rising delay, and the packets arrive as
	// fast as they leave.
	// As GCC, the trend decides, not the level: on a slow link each packet's transmission
	// alone lifts the delay above the base measured when it was fast.
	quiet := mid.Packets >= 5 && mid.DelayP50 < quietQueue && mid.Gradient < trendUnderuse &&
		short.Gradient < trendOveruse && (short.Packets < 3 || short.Dispersion > dispersionBuilding)
	if quiet && (r.cutRate == 0 || now-r.cutAt >= rateSettle) {
		g := rateGrowth
		if r.cutRate > 0 && r.est < rateNear*r.cutRate && now-r.cutAt < 10*time.Second {
			g = rateGrowthNear
		}
		r.est *= math.Pow(1+g, dt)
		// The path shows only what the sender offers: do not run far ahead of it.
		if offered := max(f.SendRateBps, curWire); offered > 0 {
			r.est = min(r.est, rateProbeCap*offered)
		}
	}
	return r.clamp()
}

func (r *RateEstimator) clamp() float64 {
	r.est = min(max(r.est, rateFloor), rateCeil)
	return r.est
}

// delivery is the rate the bottleneck delivered lately: the least of the short and medium
// windows' arrival rates that has enough packets, else the send rate.
func delivery(f *Features) float64 {
	short, mid := &f.Windows[0], &f.Windows[1]
	rate := math.Inf(1)
	if short.Packets >= 3 && short.ArrivalRateBps > 0 {
		rate = short.ArrivalRateBps
	}
	if mid.Packets >= 3 && mid.ArrivalRateBps > 0 {
		rate = min(rate, mid.ArrivalRateBps)
	}
	if math.IsInf(rate, 1) {
		return f.SendRateBps
	}
	return rate
}
