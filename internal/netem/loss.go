package netem

import (
	"math"
	"math/rand/v2"
	"time"
)

// newRand returns a generator for one component of a link: components draw from independent
// streams so that, e.g., the outage timeline does not depend on how many packets were sent.
func newRand(seed uint64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream*0x9e3779b97f4a7c15+1))
}

// Stream numbers of the components of a Link.
const (
	streamLoss = iota + 1
	streamSegLoss
	streamDup
	streamReorder
	streamJitter
	streamSlot
	streamImpulse
	streamFlap
	streamGap
	streamOutage
	streamMarkov
	streamSegJitter
	streamTraceStart
)

// lossProc is the random-loss process of one link.
type lossProc struct {
	model   LossModel
	rng     *rand.Rand
	rate    float64 // Bernoulli
	p, r    float64 // Gilbert–Elliott transitions good→bad, bad→good
	lg, lb  float64 // Gilbert–Elliott loss probability in good, bad
	bad     bool
	pattern []bool
	i       int
}

func newLossProc(c LossConfig, seed uint64) lossProc {
	lp := lossProc{model: c.Model, rng: newRand(seed, streamLoss), rate: c.Rate, pattern: c.Pattern}
	if c.Model == LossGilbertElliott {
		if c.GoodToBad == 0 && c.BadToGood == 0 {
			lp.r = 1 / c.MeanBurst
			if c.Rate < 1 {
				lp.p = c.Rate * lp.r / (1 - c.Rate)
			} else {
				lp.p = 1
			}
			lp.lg, lp.lb = 0, 1
			// Start in the stationary distribution so short runs are unbiased.
			lp.bad = lp.rng.Float64() < c.Rate
		} else {
			lp.p, lp.r, lp.lg, lp.lb = c.GoodToBad, c.BadToGood, c.LossGood, c.LossBad
			if lp.p+lp.r > 0 {
				lp.bad = lp.rng.Float64() < lp.p/(lp.p+lp.r)
			}
		}
	}
	return lp
}

// lose advances the process by one packet and reports whether that packet is lost.
func (lp *lossProc) lose() bool {
	switch lp.model {
	case LossBernoulli:
		return lp.rng.Float64() < lp.rate
	case LossGilbertElliott:
		// The state of packet n+1 depends on the state of packet n.
		if lp.bad {
			if lp.rng.Float64() < lp.r {
				lp.bad = false
			}
		} else if lp.rng.Float64() < lp.p {
			lp.bad = true
		}
		if lp.bad {
			return lp.lb >= 1 || lp.rng.Float64() < lp.lb
		}
		return lp.lg > 0 && lp.rng.Float64() < lp.lg
	case LossReplay:
		lost := lp.pattern[lp.i]
		lp.i++
		if lp.i == len(lp.pattern) {
			lp.i = 0
		}
		return lost
	}
	return false
}

// expDur draws an exponentially distributed duration with the given mean (at least 1 ns).
func expDur(rng *rand.Rand, mean time.Duration) time.Duration {
	d := time.Duration(rng.ExpFloat64() * float64(mean))
	if d < 1 {
		d = 1
	}
	return d
}

// episodes is a Poisson process of episodes in virtual time, generated lazily and only forward.
// The zero value (rate 0) never has an episode.
type episodes struct {
	rate       float64 // per second
	mean       time.Duration
	rng        *rand.Rand
	start, end time.Duration // current or next episode
}

func newEpisodes(c EventConfig, seed, stream uint64) episodes {
	e := episodes{rate: c.Rate, mean: c.Duration}
	if c.Rate > 0 {
		e.rng = newRand(seed, stream)
		e.start = e.gap()
		e.end = e.start + expDur(e.rng, e.mean)
	}
	return e
}

func (e *episodes) gap() time.Duration {
	g := e.rng.ExpFloat64() / e.rate * float64(time.Second)
	if g > math.MaxInt64/4 {
		g = math.MaxInt64 / 4
	}
	return time.Duration(g) + 1
}

// at reports the episode covering t, if any. Calls should come with non-decreasing t; an
// earlier t is answered from the current episode.
func (e *episodes) at(t time.Duration) (start, end time.Duration, active bool) {
	if e.rng == nil {
		return 0, 0, false
	}
	for t >= e.end {
		e.start = e.end + e.gap()
		e.end = e.start + expDur(e.rng, e.mean)
	}
	return e.start, e.end, t >= e.start
}
