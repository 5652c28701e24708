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
	// rateNearFor is how long after an over-use growth near its rate stays slow: the capacity
	// found then may have risen since.
	rateNearFor = 3 * time.Second
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
	// clearQueue is the delay above base (short and medium medians) below which the path
	// shows no bottleneck near the rate in use: growth near the rate found at the last cut is
	// not slowed then (the capacity has risen since).
	clearQueue = 10 * time.Millisecond
	// rateGrowthClear and rateProbeCapClear are the growth per second and the cap on the
	// estimate (as a multiple of the rate offered) while the path is clear after a cut, for
	// climbWindow after it: from the least rate to 64 kb/s in about three decisions.
	rateGrowthClear   = 2.0
	rateProbeCapClear = 2.2
)

// RateEstimator follows the wire rate the path sustains without building a queue: it cuts the
// estimate at once to rateDecrease × the measured delivery rate when the delay gradient shows a
// queue building (or a long queue overflows), but a first cut to no less than stallShare of the
// last second's delivery rate, holds it while the queue drains, and grows it
// multiplicatively while the path shows no queue (slowly near the rate where the last over-use
// was seen, fast away from it, so that a capacity rise is found within a second or two). Loss
// alone does not lower it: random loss is not congestion, and is answered with redundancy.
// The zero value is ready; it starts at the first Update's current wire rate. Not safe for
// concurrent use; nothing allocates.
type RateEstimator struct {
	est     float64
	last    time.Duration
	started bool
	// cutRate is the rate found at the last over-use, before the cut that drains the queue
	// (0: none yet), and cutAt its time: growth slows near it.
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
	limit, congested := overuse(f)
	r.Overuse = false
	// draining: within rateSettle of a cut, the queue it found still drains.
	draining := r.cutRate > 0 && now-r.cutAt < rateSettle
	if congested && limit > 0 {
		// The estimate drops below the bottleneck's rate by as much as the standing queue
		// needs to drain (drainLimit); the rate found, before that, is where growth slows.
		r.Overuse = true
		found := min(limit, r.est)
		if draining {
			// The estimate is below the bottleneck's rate on purpose; the rate found is the
			// delivery's.
			found = min(limit, max(r.cutRate, r.est))
		}
		pre := r.est
		r.est = min(r.est, drainLimit(f, limit))
		if !draining && mid.Packets >= 5 {
			// A first cut keeps stallShare of the medium window's delivery rate.
			r.est = max(r.est, min(pre, stallShare*mid.ArrivalRateBps))
		}
		r.cutRate, r.cutAt = max(found, rateFloor), now
		return r.clamp()
	}
	// Grow only while the path shows no queue and no rising delay, and the packets arrive as
	// fast as they leave.
	// As GCC, the trend decides, not the level: on a slow link each packet's transmission
	// alone lifts the delay above the base measured when it was fast.
	quiet := mid.Packets >= 5 && mid.DelayP50 < quietQueue && mid.Gradient < trendUnderuse &&
		short.Gradient < trendOveruse && (short.Packets < 3 || short.Dispersion > dispersionBuilding)
	if quiet && !draining {
		g := rateGrowth
		// After a cut, a path that shows no queue at all at the rate in use (both medians
		// within clearQueue of the base) has more capacity than it had when cut: the
		// estimate climbs back fast (a capacity rise must be found within a second or two)
		// instead of slowly near the rate found then.
		clear := r.cutRate > 0 && now-r.cutAt < climbWindow && mid.DelayP50 < clearQueue && short.DelayP50 < clearQueue
		probeCap := rateProbeCap
		switch {
		case clear:
			g, probeCap = rateGrowthClear, rateProbeCapClear
		case r.cutRate > 0 && r.est > r.cutRate/rateNear && r.est < rateNear*r.cutRate && now-r.cutAt < rateNearFor:
			g = rateGrowthNear
		}
		r.est *= math.Pow(1+g, dt)
		// The path shows only what the sender offers: do not run far ahead of it.
		if offered := max(f.SendRateBps, curWire); offered > 0 {
			r.est = min(r.est, probeCap*offered)
		}
	}
	return r.clamp()
}

// overuse reports whether f shows this call's packets queueing at a bottleneck, and the wire
// rate (bit/s) that would drain that queue: a queue building in the short window
// (congestionLimit), a rising medium-window trend over a queue, or loss over a standing queue;
// in each case only while packets arrive and the path delivers less than the sender offers.
func overuse(f *Features) (limit float64, ok bool) {
	mid := &f.Windows[1]
	if f.Windows[0].Packets == 0 {
		// A bottleneck, however slow, still delivers: nothing at all in the short window is
		// a stall or an outage, which a lower rate would not end.
		return 0, false
	}
	limit, ok = congestionLimit(f)
	switch {
	case ok:
	case mid.Packets >= 5 && mid.DelayP50 > trendQueue && mid.Gradient > trendOveruse:
		limit, ok = rateDecrease*delivery(f), true
	case mid.Packets >= 5 && mid.Loss > lossCongestion && mid.DelayP50 > lossQueue:
		// Loss over a standing queue (most packets delayed, not a few held by a stall) is
		// the queue overflowing.
		limit, ok = rateDecrease*delivery(f)*(1-mid.Loss/2), true
	}
	// A bottleneck delivers less than it is offered: delay that rises while the packets that
	// got through still arrive as fast as they were sent is a delay impulse (cross traffic, a
	// radio stall), not this call's rate, and cutting the rate would not shorten it. Random
	// loss lowers the arrival rate too, so it is allowed for, unless the queue stands (a full
	// drop-tail queue delivers its capacity and drops the rest).
	if ok && mid.Packets >= 5 && f.SendRateBps > 0 {
		offered := f.SendRateBps
		if mid.DelayP50 <= lossQueue {
			offered *= 1 - mid.Loss
		}
		if mid.ArrivalRateBps >= limitedShare*offered {
			return 0, false
		}
	}
	// Nor is a burst arriving faster than it was sent: packets a stall held back, released.
	if short := &f.Windows[0]; ok && f.SendRateBps > 0 && short.ArrivalRateBps >= f.SendRateBps {
		return 0, false
	}
	return limit, ok
}

// drainTime is how long a cut should take to drain the queue it found: a bottleneck of capacity
// C fed at r < C drains a queue of Q seconds in Q·C/(C − r), so the rate is held at
// C·(1 − Q/drainTime) at most (but not below drainLeast·C, nor rateFloor).
const drainTime = 500 * time.Millisecond

// stallShare is the least share of the medium window's delivery rate (WindowMedium) that a
// first cut leaves, one not within rateSettle of an earlier cut. The short window that shows a
// queue holds two or three packets at low rates, and a radio stall delays them together as a
// bottleneck would: their arrival rate is the stall's, not the path's. On the Verizon EVDO trace
// one such window (3 packets 134 ms late arriving at 19 kb/s, while the last second delivered
// 53 kb/s) cut a 68 kb/s call to the 12 kb/s floor, where it stayed for 7 s, on a link on
// which a fixed 32 kb/s call concealed 4 % of its audio as lost. GCC cuts to β times an
// acknowledged rate measured over a longer window for the same reason. A real drop still shows
// a queue at the next decision and is cut further then (within rateSettle no floor applies).
// 0.7 rather than 0.5 since the rate costs more after a cut (limitedRateCost): the policy then
// leaves the rate lower after the cut as it is, and a shallower first cut spares a delay impulse
// (the congested profile) a drop to a few kb/s. On the bench (65 runs, 4 seeds) adapt+neteq went
// from 3.741 to 3.760 PESQ-WB and adapt from 3.723 to 3.748; the steps profile reacts as fast
// (1.7 s at worst) but lost 0.07-0.15 PESQ-WB on three of its four seeds.
const stallShare = 0.7

// drainLeast is the least share of the delivery rate a drain cut leaves: a queue that long
// drains over more than drainTime, and an over-use read wrongly (a stall of the whole host, a
// delay spike that passed) costs a halving, not the floor.
const drainLeast = 0.5

// drainLimit lowers limit so that the queue the latest packets show drains within drainTime at
// the delivery rate. The queue is the short window's median delay above base, or, when a slow
// bottleneck lets fewer than 3 packets through it, the latest of them (its maximum), or the
// medium window's median when none came.
func drainLimit(f *Features, limit float64) float64 {
	short, mid := &f.Windows[0], &f.Windows[1]
	var q time.Duration
	switch {
	case short.Packets >= 3:
		q = short.DelayP50
	case short.Packets > 0:
		q = short.DelayMax
	default:
		q = mid.DelayP50
	}
	share := 1 - q.Seconds()/drainTime.Seconds()
	if share >= 1 {
		return limit
	}
	rate := delivery(f)
	if short.Packets == 2 && short.ArrivalRateBps > 0 {
		// A bottleneck so slow that two packets cross it per short window: their rate is the
		// latest there is (delivery wants three).
		rate = min(rate, short.ArrivalRateBps)
	}
	return min(limit, max(share, drainLeast)*rate)
}

// Overuse reports whether f shows this call's packets queueing at a bottleneck (the test
// Update cuts the estimate on), without changing the estimate: a driver may decide at once
// instead of waiting for its next period.
func Overuse(f *Features) bool {
	_, ok := overuse(f)
	return ok
}

// limited reports whether an over-use cut came within limitedFor before the last Update: the
// path has limited the call.
func (r *RateEstimator) limited() bool { return r.cutRate > 0 && r.last-r.cutAt < limitedFor }

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
