package adapt

import (
	"math"
	"time"
)

// Hysteresis of the default decision (see Policy.steady).
const (
	// DefaultHold is the least time between two changes of the settings on a path that does
	// not force one (stationary links: at most one change per 2 s).
	DefaultHold = 2 * time.Second
	// modeEnter is how many consecutive untrusted predictions switch the policy to its
	// fallback conditions (measurements only), and modeLeave how many trusted ones switch it
	// back: a call does not flap between the two.
	modeEnter = 3
	modeLeave = 8
	// urgentGain is the gain in R that lets a setting replace the current one before the hold
	// has passed (a loss burst that the current redundancy does not cover).
	urgentGain = 8.0
	// steadyTargetDrop is the least step the jitter target falls by when it falls (half the
	// way to the wanted target, at most one fall per Hold/2): after a delay spike the buffer
	// comes back down within seconds, not a minute.
	steadyTargetDrop = 40 * time.Millisecond
	// upHeadroom is the share of the rate budget a new setting may use: the estimate runs
	// up to the capacity, and a setting right at it would build a queue.
	upHeadroom = 0.9
	// climbWindow is how long after an over-use cut the policy counts as climbing back.
	climbWindow = 10 * time.Second
	// dredSwitchR is the extra gain in R a change to or from DRED must promise beyond RMargin:
	// the encoder's DRED history starts empty when DRED is turned on and the jitter target
	// moves by several frames either way, so flipping between two near-equal recoveries costs
	// more than either gains.
	dredSwitchR = 3.0
	// climbRoom is the budget, as a multiple of the current wire rate, above which a higher
	// rate is taken without waiting for the hold.
	climbRoom = 1.4
	// climbHold is the least time between two steps up of a climb (decisions come every
	// 400–600 ms).
	climbHold = 350 * time.Millisecond
	// sendPause is the least gap in sending (Features.SendGap, over the last second) that makes
	// the prediction untrusted: the predictor learned from senders that send every frame, and a
	// talker's pause under DTX empties its windows as an outage would. On a clean link, speech
	// with 300 ms pauses (bench adapt's narrowband clip) had it predict 4 % loss and 94 ms of
	// delay spread after each pause, and the policy answered with DRED and a 115 ms target. Twice
	// the longest frame.
	sendPause = 2 * 60 * time.Millisecond
)

// steady is the default decision: a delay-gradient rate estimate as the budget, the best
// setting within it by the quality model (plus the learned correction when one is loaded and
// the prediction is trusted), with hysteresis on every knob, never a lower primary bitrate to
// pay for RED when both fit, and a jitter target that knows the setting's frame and
// redundancy.
func (p *Policy) steady(now time.Duration, f *Features, pred Prediction) Decision {
	// Mode hysteresis: the fallback conditions (measurements only) take over after modeEnter
	// untrusted predictions in a row and hand back after modeLeave trusted ones.
	trusted := pred.Trusted() && !math.IsNaN(pred.SustainableBps) && !p.cfg.NoPredictor && f.SendGap < sendPause
	if trusted {
		p.trustedRun, p.untrustedRun = p.trustedRun+1, 0
	} else {
		p.trustedRun, p.untrustedRun = 0, p.untrustedRun+1
	}
	switch {
	case !p.fallback && p.untrustedRun >= modeEnter:
		p.fallback = true
	case p.fallback && p.trustedRun >= modeLeave:
		p.fallback = false
	case !p.decided:
		p.fallback = !trusted
	}

	c := measuredConditions(f)
	if !p.fallback && trusted {
		pc := ConditionsFrom(pred, c.OneWay)
		c.Loss = max(c.Loss, pc.Loss)
		c.MeanBurst = max(c.MeanBurst, pc.MeanBurst)
		c.DelayP50 = max(c.DelayP50, pc.DelayP50)
		c.DelayP95 = max(c.DelayP95, pc.DelayP95)
		c.DelayP99 = max(c.DelayP99, pc.DelayP99)
	}
	curWire := p.cur.WireBps(p.cfg.OverheadBytes)
	budget := p.rate.Update(now, f, curWire)
	p.fillLate(&c)
	p.lastCond, p.lastBudget = c, budget
	useValue := p.value != nil && !p.fallback
	if useValue {
		p.value.prepare(f, &c, budget)
	}

	// A new setting must fit with upHeadroom to spare; the current one only has to fit.
	best, cheapest := p.bestWithin(&c, upHeadroom*budget, useValue)
	best.LimitBps = budget

	// Hysteresis. The current codec settings stay unless they no longer fit the budget, or
	// the best is better by RMargin and the hold has passed (by urgentGain: at once).
	cur := p.cur
	fits := curWire <= budget && cur.WireBps(0) <= float64(p.cfg.MaxPayloadBps)
	held := now-p.changedAt >= p.cfg.Hold
	if p.decided && fits {
		keep := p.evaluate(&cur, &c, useValue)
		gain := best.adj - keep.adj
		margin := p.cfg.RMargin
		if (cur.DRED > 0) != (best.DRED > 0) {
			margin += dredSwitchR
		}
		switch {
		case held && gain > margin:
		case gain > urgentGain && now-p.changedAt >= p.cfg.Hold/4:
		case budget >= climbRoom*curWire && now-p.changedAt >= climbHold && p.rate.cutRate > 0 && now-p.rate.cutAt < climbWindow:
			// Climbing back after a drop (the budget well above the current rate) is not
			// held, and half the margin will do: the estimate is capped near the rate in
			// use, so waiting for a big step would keep it from growing. It is judged by the
			// quality model alone: the learned correction was fitted at rates the behaviour
			// policy had reached, not at the cap of a climb.
			up := best
			if useValue {
				up, _ = p.bestWithin(&c, upHeadroom*budget, false)
			}
			k := p.evaluate(&cur, &c, false)
			if up.WireBps > curWire && up.adj-k.adj > p.cfg.RMargin/2 {
				best = up
				break
			}
			best = keep
		default:
			best = keep
		}
		best.LimitBps = budget
	}
	if math.IsInf(best.Score.R, -1) { // nothing fits: the least wire rate there is
		best = cheapest
		best.LimitBps = budget
	}
	// The FEC loss hint is not a knob of its own: it follows the measured loss only when that
	// has at least doubled or halved, and only after the hold.
	// A DRED setting's hint is DRED's own (dredLossHint) and is never held.
	if p.decided && best.FEC && p.cur.FEC && best.DRED == 0 && p.cur.DRED == 0 {
		h, old := best.LossHint, p.cur.LossHint
		if !(held && (h >= 2*old || 2*h <= old)) && best.LossHint != old {
			best.LossHint = old
			if !fecSent(&best.Settings) { // at the old hint this bitrate would send none
				best.LossHint = h
			}
		}
	}
	// The jitter target moves on its own hysteresis: up at once by TargetMargin or more (late
	// loss), down only after the hold, by TargetMaxDrop at most per change.
	if p.decided {
		old := p.cur.JitterTarget
		want := best.JitterTarget
		switch {
		case want >= old+p.cfg.TargetMargin:
		case want <= old-p.cfg.TargetMargin && now-p.changedAt >= p.cfg.Hold/2:
			want = max(want, old-max(steadyTargetDrop, (old-want)/2))
		default:
			want = old
		}
		best.JitterTarget = min(max(want, p.cfg.MinTarget), p.cfg.MaxTarget)
	}
	if p.cfg.TargetFloor {
		best.JitterTarget = p.floorFor(&best.Settings, &c, now)
	}
	best.Score = p.cfg.Quality.Score(&best.Settings, &c)
	best.WireBps = best.Settings.WireBps(p.cfg.OverheadBytes)
	best.Fallback = p.fallback
	best.Rung = rungOf(&best.Settings)
	return best.Decision
}

// candidate is a setting being compared: its decision and its adjusted score (R, less the rate
// cost, plus the learned correction).
type candidate struct {
	Decision
	adj  float64
	corr float64 // the learned correction included in adj
}

// bestWithin returns the best-scoring setting whose wire rate fits budget and whose payload
// fits MaxPayloadBps, and the one with the least wire rate (whether it fits or not). A setting
// with RED copies and a primary bitrate below the best plain setting's is skipped when the same
// redundancy at that plain bitrate fits too: the primary is never cut to pay for redundancy
// while there is room for both.
func (p *Policy) bestWithin(c *Conditions, budget float64, useValue bool) (best, cheapest candidate) {
	best.adj = math.Inf(-1)
	best.Score.R = math.Inf(-1)
	cheapest.WireBps = math.Inf(1)
	for fi, fr := range Frames {
		// The longest frame only where the next shorter cannot carry a fair bitrate: long
		// frames add delay and save only headers.
		if fi == len(Frames)-1 {
			s := Settings{BitrateBps: frameSwitchBps, Frame: Frames[fi-1]}
			if p.fits(&s, budget) {
				continue
			}
		}
		// Plain first: the best plain bitrate of this frame within the budget is the least
		// primary bitrate a setting with RED copies may have while those copies fit at it.
		plainB := 0
		for v := range numVariants {
			n := 0
			for bi := len(Bitrates) - 1; bi >= 0 && n < scanPerVariant; bi-- {
				s := Settings{BitrateBps: Bitrates[bi], Frame: fr}
				if !p.variant(&s, v, c.Loss, 0) || !p.fits(&s, budget) || !p.cfg.Quality.Covers(&s) {
					continue
				}
				if v == 0 && plainB == 0 {
					plainB = s.BitrateBps
				}
				if s.REDDepth > 0 && s.BitrateBps < plainB {
					t := s
					t.BitrateBps = plainB
					if p.fits(&t, budget) && p.cfg.Quality.Covers(&t) {
						break // lower bitrates are cut further still
					}
				}
				n++
				if cd := p.evaluate(&s, c, useValue); cd.adj > best.adj {
					best = cd
				}
			}
		}
		// The cheapest setting there is, for when nothing fits.
		s := Settings{BitrateBps: MinBitrateBps, Frame: fr}
		if w := s.WireBps(p.cfg.OverheadBytes); w < cheapest.WireBps {
			s.JitterTarget = p.targetFor(&s, c)
			cheapest = candidate{Decision: Decision{Settings: s, WireBps: w, Score: Score{R: math.Inf(-1)}}, adj: math.Inf(-1)}
		}
	}
	return best, cheapest
}

// fits reports whether s's wire rate fits budget and its payload MaxPayloadBps.
func (p *Policy) fits(s *Settings, budget float64) bool {
	return s.WireBps(p.cfg.OverheadBytes) <= budget && s.WireBps(0) <= float64(p.cfg.MaxPayloadBps)
}

// frameSwitchBps is the primary bitrate that, when it fits in a frame size, rules out the
// longest frame.
const frameSwitchBps = 16000

// scanPerVariant is how many of the highest fitting bitrates of a frame and recovery variant
// are scored: the quality model's R rises with the bitrate, the rate cost falls with it, so the
// best lies among the highest that fit.
const scanPerVariant = 2

// delayCost is the R a setting loses per millisecond of frame and jitter target when candidates
// are compared: below about 100 ms mouth-to-ear the E-model's delay impairment is zero, and
// without it a 60 ms frame (fewer headers) would look free. 40 ms more delay costs 1.2 R.
const delayCost = 0.03

// steadyRateCost is the R a setting loses per bit/s of wire rate (1 R per 20 kb/s) on a path
// that has not limited the call: above about 16 kb/s wideband Opus gains little, but a path
// with room to spare should carry the better encoding.
const steadyRateCost = 0.5e-4

// limitedRateCost is the R per bit/s once the path has limited the call (an over-use cut within
// limitedFor; 3 R per 10 kb/s): its capacity has dipped once and will again, and every bit/s
// above what speech needs is queue, or a deeper cut, on the next dip. On a clean path with room
// to spare the best setting goes from 48 kb/s Opus in 20 ms frames (68 kb/s on the wire) to
// 40 kb/s in 40 ms frames (50 kb/s), and within a tight budget lower still, nearer the rates
// the tgvoip-like controller's slow climb keeps, which lost least on the capacity traces. On the bench (default profiles plus eight capacity traces, 4 seeds, 65
// runs, the rate costing 1 R per 10 kb/s throughout before) it took adapt+neteq from 3.718 to
// 3.741 PESQ-WB (per run against the best baseline -0.022 to +0.000), the capacity traces
// gaining most: ATT LTE 2016 +0.13, Verizon EVDO +0.08, TMobile UMTS +0.06 on the mean of
// four seeds (the congested profile, whose delay impulses read as over-use, -0.04).
const limitedRateCost = 3e-4

// limitedFor is how long an over-use cut keeps the rate at limitedRateCost: a path that has not
// limited the call for a minute is taken as having room again. (The bench's runs last 24 s:
// they do not see it expire.)
const limitedFor = time.Minute

// rateCost is the R per bit/s of wire rate of the decision being made (after the rate
// estimator's Update): every bit/s costs more once the path has shown where its capacity ends.
func (p *Policy) rateCost() float64 {
	if p.rate.limited() {
		return limitedRateCost
	}
	return steadyRateCost
}

// evaluate sets s's jitter target (targetFor) and scores it: R from the quality model, less
// the decision's rateCost per bit/s of wire rate and delayCost per ms of frame
// and target, plus the learned correction when useValue.
func (p *Policy) evaluate(s *Settings, c *Conditions, useValue bool) candidate {
	t := *s
	t.JitterTarget = p.targetFor(&t, c)
	sc := p.cfg.Quality.score(&t, c, p.late(c, t.JitterTarget), false)
	w := t.WireBps(p.cfg.OverheadBytes)
	adj := sc.R - p.rateCost()*w - delayCost*float64((t.Frame+t.JitterTarget)/time.Millisecond)
	var corr float64
	if useValue {
		corr = p.value.correction(&t)
	}
	return candidate{Decision: Decision{Settings: t, Score: sc, WireBps: w}, adj: adj + corr, corr: corr}
}

// targetFor is the jitter target for s under c, knowing s's frame and redundancy: the target
// that maximises R among the plain setting's best (the delay impairment of a longer buffer
// against late loss) and the points where one more FEC or RED copy arrives in time at the
// delay p95 (a copy d frames behind its primary needs d frames more), or, with DRED, where the
// buffer holds the packet after a loss run one frame longer (up to the DRED's reach): the
// buffer waits for the packet that carries the DRED.
func (p *Policy) targetFor(s *Settings, c *Conditions) time.Duration {
	// The plain target trades delay against late loss; the bitrate barely moves it, so it is
	// searched once per frame and decision, at targetRefBps.
	var bestT time.Duration
	if fi := frameIndex(s.Frame); fi >= 0 && p.tcacheOK[fi] {
		bestT = p.tcache[fi]
	} else {
		plain := Settings{BitrateBps: targetRefBps, Frame: s.Frame}
		bestT = p.bestTarget(&plain, c)
		if fi >= 0 {
			p.tcache[fi], p.tcacheOK[fi] = bestT, true
		}
	}
	depth := s.REDDepth
	if s.FEC {
		depth = max(depth, 1)
	}
	if s.DRED > 0 {
		// DRED rebuilds the last k frames of a loss run when the buffer holds the packet after
		// the run k frames before the run's end is due: each k up to its reach is a point to
		// try. The gain of one frame more shrinks with k while the delay's cost grows, so the
		// search stops at the first k that scores lower than the one before.
		depth = max(depth, int(settingsReach(s)/max(s.Frame, 10*time.Millisecond)))
	}
	if depth == 0 {
		return bestT
	}
	t := *s
	t.JitterTarget = bestT
	bestR := p.cfg.Quality.score(&t, c, p.late(c, bestT), false).R
	prevR := math.Inf(-1)
	for k := 1; k <= depth; k++ {
		tt := time.Duration(k)*s.Frame + max(c.DelayP95, 0)
		tt = (tt + targetStep - 1) / targetStep * targetStep
		if tt <= bestT || tt > p.cfg.MaxTarget {
			continue
		}
		t.JitterTarget = tt
		r := p.cfg.Quality.score(&t, c, p.late(c, tt), false).R
		if r > bestR+0.01 {
			bestT, bestR = tt, r
		}
		if s.DRED > 0 && r < prevR {
			break
		}
		prevR = r
	}
	return bestT
}

// targetRefBps is the bitrate the plain jitter target is searched at.
const targetRefBps = 24000

// measuredConditions are the conditions the windows show: loss from the long window, raised
// half way to the medium one's when that shows more, burst length from the long window, delay
// quantiles from the medium one (not below the long one's median), and the base one-way delay
// from the RTT. A setting is held for seconds, and one second holds about 50 packets: a single
// loss run moves its loss by several per cent and its burst length by several packets, and
// taken at face value it swung the choice on a stationary 1 % link between 48 kb/s plain and
// 10 kb/s with three RED copies. At half weight a loss onset still shows within a second.
func measuredConditions(f *Features) Conditions {
	mid, long := &f.Windows[1], &f.Windows[2]
	c := Conditions{OneWay: oneWay(f), Loss: max(long.Loss, (mid.Loss+long.Loss)/2), MeanBurst: max(long.MeanBurst, 1),
		DelayP50: long.DelayP50, DelayP95: long.DelayP95, DelayP99: long.DelayP99}
	if mid.Packets >= 10 {
		// The delay spread of the last second, not of the last five: a spike that has passed
		// (an outage, a queue the rate control drained) must not hold the buffer up. The
		// target's own hysteresis (up at once, down by steadyTargetDrop per Hold) remembers.
		c.DelayP50 = max(mid.DelayP50, long.DelayP50)
		c.DelayP95 = max(mid.DelayP95, c.DelayP50)
		c.DelayP99 = max(mid.DelayP99, c.DelayP95)
	}
	return c
}

// rungOf names a setting's redundancy with the ladder's rungs (for statistics).
func rungOf(s *Settings) int {
	switch {
	case s.REDDepth >= 3:
		return RungRED3
	case s.REDDepth == 2:
		return RungRED2
	case s.REDDepth == 1:
		return RungRED1
	case s.FEC:
		return RungFEC
	}
	return RungPlain
}

// frameIndex is fr's index in Frames, or −1.
func frameIndex(fr time.Duration) int {
	for i, f := range Frames {
		if f == fr {
			return i
		}
	}
	return -1
}

// LastContext returns the conditions and the rate budget (wire bit/s) the last decision of the
// default policy used (zero before one).
func (p *Policy) LastContext() (Conditions, float64) { return p.lastCond, p.lastBudget }

// TargetFor returns the jitter target the policy would give s under the last decision's
// conditions (see LastContext): what a counterfactual rollout of s should play with.
func (p *Policy) TargetFor(s *Settings) time.Duration { return p.targetFor(s, &p.lastCond) }

// Forecast is the quality model's R for s (with its JitterTarget) under the last decision's
// conditions: what a learned correction corrects.
func (p *Policy) Forecast(s *Settings) float64 {
	return p.cfg.Quality.score(s, &p.lastCond, p.late(&p.lastCond, s.JitterTarget), false).R
}

// Fits reports whether s fits the last decision's rate budget and the payload cap.
func (p *Policy) Fits(s *Settings) bool { return p.fits(s, p.lastBudget) }

// floorFor is the TargetFloor form of s's jitter target: targetFor's recovery point when it
// chose one above the plain target, else 0; it rises at once by TargetMargin or more and falls
// by TargetMargin or more after Hold/2, by steadyTargetDrop or half the way at most, like the
// target.
func (p *Policy) floorFor(s *Settings, c *Conditions, now time.Duration) time.Duration {
	t := Settings{BitrateBps: s.BitrateBps, Frame: s.Frame}
	plain := p.targetFor(&t, c)
	want := time.Duration(0)
	if ft := p.targetFor(s, c); ft > plain {
		want = ft
	}
	// Steps smaller than TargetMargin either way are not taken (the delay p95 wobbles by a
	// few ms from one decision to the next, and every step of the floor is a step of the
	// buffer's delay that time-stretching has to make), unless the floor goes to or from none.
	old := p.floor
	switch {
	case want >= old+p.cfg.TargetMargin || old == 0 && want > 0:
	case want <= old-p.cfg.TargetMargin && now-p.floorAt >= p.cfg.Hold/2 || want == 0 && old > 0 && now-p.floorAt >= p.cfg.Hold/2:
		want = max(want, old-max(steadyTargetDrop, (old-want)/2))
	default:
		want = old
	}
	if want != old {
		p.floorAt = now
	}
	p.floor = want
	return want
}
