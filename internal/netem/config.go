package netem

import (
	"math"
	"time"
)

// LinkConfig describes one direction of a path. The zero value is a perfect link: no loss, no
// delay, unlimited capacity. Impairments compose in this order for every packet offered at time t:
// outage (drop) → random loss (drop) → capacity bottleneck with droptail queue (drop or queueing
// delay) → propagation delay, route flaps, jitter impulses, delivery gaps, jitter → reordering,
// duplication. Packets keep their order (FIFO) unless Reorder picks them.
type LinkConfig struct {
	Loss      LossConfig
	Duplicate float64 // probability 0..1 that a delivered packet also arrives a second time
	Reorder   ReorderConfig
	Delay     DelayConfig
	Capacity  CapacityConfig
	Outage    EventConfig // link outages: every packet offered during one is dropped
}

// LossModel selects the random-loss process.
type LossModel uint8

const (
	LossNone           LossModel = iota // no random loss
	LossBernoulli                       // independent loss with probability Rate
	LossGilbertElliott                  // two-state Markov (bursty) loss
	LossReplay                          // replay Pattern, looping
)

// LossConfig configures random loss. Loss probabilities are fractions 0..1.
//
// Gilbert–Elliott has two forms. When GoodToBad and BadToGood are both zero it is the simple
// Gilbert model derived from Rate (long-run loss fraction) and MeanBurst (mean run of consecutive
// losses, packets, ≥ 1): every packet in the bad state is lost, none in the good one, so
// BadToGood = 1/MeanBurst and GoodToBad = Rate·BadToGood/(1−Rate); this requires
// Rate ≤ MeanBurst/(1+MeanBurst). Otherwise the 4-parameter form is used as given: per-packet
// transition probabilities GoodToBad (p) and BadToGood (r) and loss probabilities LossGood (1−k)
// and LossBad (1−h) in each state.
type LossConfig struct {
	Model     LossModel
	Rate      float64 // Bernoulli loss probability; Gilbert–Elliott long-run loss fraction
	MeanBurst float64 // Gilbert–Elliott mean burst length in packets (simple form)

	GoodToBad, BadToGood float64 // Gilbert–Elliott 4-parameter form: transition probabilities
	LossGood, LossBad    float64 // Gilbert–Elliott 4-parameter form: loss probability per state

	Pattern []bool // LossReplay: element i tells whether packet i (mod len) is lost
}

// ReorderConfig holds back a fraction of packets so that later packets overtake them.
type ReorderConfig struct {
	Rate  float64       // probability 0..1 that a packet is held back
	Delay time.Duration // extra delay of a held-back packet; must be > 0 when Rate > 0
}

// DelayConfig is the one-way delay: Base plus variable parts. All durations are ≥ 0.
//
// Jitter is the scale σ of a per-packet variation: a packet gets σ·|z| extra delay, z a standard
// normal that is AR(1)-correlated from packet to packet with coefficient JitterCorrelation (0..1),
// so the extra delay has median 0.67σ, p95 1.96σ and p99 2.58σ before FIFO ordering is enforced.
// Slot adds a uniform [0, Slot) delay (cellular scheduling and HARQ granularity).
type DelayConfig struct {
	Base              time.Duration
	Jitter            time.Duration
	JitterCorrelation float64
	Slot              time.Duration

	// Impulses are bursts of congestion (G.1050 "bursty jitter"): an impulse adds Peak at its
	// start, draining linearly to zero at its end, like a queue filling and emptying.
	Impulses ImpulseConfig
	// Flaps are route changes (G.1050 "route flaps"): while one lasts the delay grows by Delay.
	Flaps FlapConfig
	// Gaps are cellular delivery gaps (handover, scheduling stalls): nothing is delivered while
	// one lasts; packets are held, not lost, and arrive in a burst at its end.
	Gaps EventConfig
}

// EventConfig is a Poisson process of episodes: episodes start at Rate per second (of virtual
// time) and last an exponentially distributed time with mean Duration. Rate 0 disables it.
type EventConfig struct {
	Rate     float64       // episodes per second
	Duration time.Duration // mean episode length; must be > 0 when Rate > 0
}

// ImpulseConfig is an EventConfig whose episodes add Peak delay decaying linearly to zero.
type ImpulseConfig struct {
	EventConfig
	Peak time.Duration
}

// FlapConfig is an EventConfig whose episodes add a constant Delay.
type FlapConfig struct {
	EventConfig
	Delay time.Duration
}

// CapacityConfig is the bottleneck. At most one of RateBps, Steps, Markov and Trace may be set;
// none means unlimited capacity (and no queue). QueueBytes and QueueDelay bound the droptail
// queue in front of the bottleneck: a packet is dropped when the queued bytes plus its own
// would exceed QueueBytes, or when it would wait longer than QueueDelay before its transmission
// starts. Zero means no limit of that kind.
type CapacityConfig struct {
	RateBps   int64      // constant rate, bit/s
	Steps     []RateStep // RFC 8867-style schedule; the last step holds unless LoopSteps
	LoopSteps bool
	Markov    *MarkovCapacity
	Trace     *Trace
	// SeededStart starts Trace at an offset drawn from the link's seed (uniform over the
	// trace, in 100 ms steps), so that links with different seeds sample different parts of
	// one trace while every link with the same seed sees the same capacity. Link.Config then
	// reports the rotated trace. Without a Trace it does nothing.
	SeededStart bool

	QueueBytes int
	QueueDelay time.Duration
}

// RateStep is one step of a rate schedule: RateBps for Duration.
type RateStep struct {
	Duration time.Duration
	RateBps  int64
}

// MarkovCapacity is a Markov-modulated capacity (cellular): the link stays in state i for an
// exponentially distributed time with mean States[i].MeanDwell, then moves to state j with
// probability Transitions[i][j]. With Transitions nil it moves to a neighbouring state (i±1,
// equally likely; the ends move inwards). It starts in state Start.
type MarkovCapacity struct {
	States      []MarkovState
	Transitions [][]float64
	Start       int
}

// MarkovState is one capacity level of a MarkovCapacity.
type MarkovState struct {
	RateBps   int64
	MeanDwell time.Duration
}

func checkProb(field string, p float64) error {
	if math.IsNaN(p) || p < 0 || p > 1 {
		return configErr(field, "probability %v outside 0..1", p)
	}
	return nil
}

func checkDur(field string, d time.Duration) error {
	if d < 0 {
		return configErr(field, "negative duration %v", d)
	}
	return nil
}

func (e EventConfig) validate(field string) error {
	if math.IsNaN(e.Rate) || math.IsInf(e.Rate, 0) || e.Rate < 0 {
		return configErr(field+".Rate", "rate %v per second must be finite and ≥ 0", e.Rate)
	}
	if err := checkDur(field+".Duration", e.Duration); err != nil {
		return err
	}
	if e.Rate > 0 && e.Duration == 0 {
		return configErr(field+".Duration", "zero mean duration with rate %v", e.Rate)
	}
	return nil
}

// Validate reports the first invalid field of c, wrapping ErrInvalidConfig.
func (c *LinkConfig) Validate() error {
	if err := c.Loss.validate(); err != nil {
		return err
	}
	if err := checkProb("Duplicate", c.Duplicate); err != nil {
		return err
	}
	if err := checkProb("Reorder.Rate", c.Reorder.Rate); err != nil {
		return err
	}
	if err := checkDur("Reorder.Delay", c.Reorder.Delay); err != nil {
		return err
	}
	if c.Reorder.Rate > 0 && c.Reorder.Delay == 0 {
		return configErr("Reorder.Delay", "must be > 0 when Reorder.Rate is %v", c.Reorder.Rate)
	}
	if err := c.Delay.validate(); err != nil {
		return err
	}
	if err := c.Capacity.validate(); err != nil {
		return err
	}
	return c.Outage.validate("Outage")
}

func (l *LossConfig) validate() error {
	switch l.Model {
	case LossNone:
		return nil
	case LossBernoulli:
		return checkProb("Loss.Rate", l.Rate)
	case LossGilbertElliott:
		if l.GoodToBad == 0 && l.BadToGood == 0 {
			if err := checkProb("Loss.Rate", l.Rate); err != nil {
				return err
			}
			if math.IsNaN(l.MeanBurst) || l.MeanBurst < 1 || math.IsInf(l.MeanBurst, 0) {
				return configErr("Loss.MeanBurst", "mean burst length %v must be ≥ 1 packet", l.MeanBurst)
			}
			if l.Rate > l.MeanBurst/(1+l.MeanBurst) {
				return configErr("Loss.Rate", "loss rate %v unreachable with mean burst %v (max %.3f)",
					l.Rate, l.MeanBurst, l.MeanBurst/(1+l.MeanBurst))
			}
			return nil
		}
		for _, f := range []struct {
			name string
			v    float64
		}{{"Loss.GoodToBad", l.GoodToBad}, {"Loss.BadToGood", l.BadToGood},
			{"Loss.LossGood", l.LossGood}, {"Loss.LossBad", l.LossBad}} {
			if err := checkProb(f.name, f.v); err != nil {
				return err
			}
		}
		return nil
	case LossReplay:
		if len(l.Pattern) == 0 {
			return configErr("Loss.Pattern", "empty loss pattern")
		}
		return nil
	default:
		return configErr("Loss.Model", "unknown loss model %d", l.Model)
	}
}

func (d *DelayConfig) validate() error {
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"Delay.Base", d.Base}, {"Delay.Jitter", d.Jitter}, {"Delay.Slot", d.Slot},
		{"Delay.Impulses.Peak", d.Impulses.Peak}, {"Delay.Flaps.Delay", d.Flaps.Delay}} {
		if err := checkDur(f.name, f.v); err != nil {
			return err
		}
	}
	if math.IsNaN(d.JitterCorrelation) || d.JitterCorrelation < 0 || d.JitterCorrelation >= 1 {
		return configErr("Delay.JitterCorrelation", "%v outside [0, 1)", d.JitterCorrelation)
	}
	if err := d.Impulses.validate("Delay.Impulses"); err != nil {
		return err
	}
	if err := d.Flaps.validate("Delay.Flaps"); err != nil {
		return err
	}
	return d.Gaps.validate("Delay.Gaps")
}

func (c *CapacityConfig) validate() error {
	n := 0
	if c.RateBps != 0 {
		n++
		if c.RateBps < 0 {
			return configErr("Capacity.RateBps", "negative rate %d", c.RateBps)
		}
	}
	if len(c.Steps) > 0 {
		n++
		var any bool
		for i, s := range c.Steps {
			if s.RateBps < 0 {
				return configErr("Capacity.Steps", "step %d: negative rate %d", i, s.RateBps)
			}
			if s.Duration <= 0 && (c.LoopSteps || i < len(c.Steps)-1) {
				return configErr("Capacity.Steps", "step %d: duration %v must be > 0", i, s.Duration)
			}
			any = any || s.RateBps > 0
		}
		if !any {
			return configErr("Capacity.Steps", "every step has zero rate")
		}
	}
	if c.Markov != nil {
		n++
		if err := c.Markov.validate(); err != nil {
			return err
		}
	}
	if c.Trace != nil {
		n++
		if err := c.Trace.validate(); err != nil {
			return prefixField("Capacity", err)
		}
	}
	if n > 1 {
		return configErr("Capacity", "set only one of RateBps, Steps, Markov and Trace")
	}
	if c.QueueBytes < 0 {
		return configErr("Capacity.QueueBytes", "negative limit %d", c.QueueBytes)
	}
	return checkDur("Capacity.QueueDelay", c.QueueDelay)
}

func (m *MarkovCapacity) validate() error {
	if len(m.States) == 0 {
		return configErr("Capacity.Markov.States", "no states")
	}
	var any bool
	for i, s := range m.States {
		if s.RateBps < 0 {
			return configErr("Capacity.Markov.States", "state %d: negative rate %d", i, s.RateBps)
		}
		if s.MeanDwell <= 0 {
			return configErr("Capacity.Markov.States", "state %d: mean dwell %v must be > 0", i, s.MeanDwell)
		}
		any = any || s.RateBps > 0
	}
	if !any {
		return configErr("Capacity.Markov.States", "every state has zero rate")
	}
	if m.Start < 0 || m.Start >= len(m.States) {
		return configErr("Capacity.Markov.Start", "state %d out of range", m.Start)
	}
	if m.Transitions != nil {
		if len(m.Transitions) != len(m.States) {
			return configErr("Capacity.Markov.Transitions", "%d rows for %d states", len(m.Transitions), len(m.States))
		}
		for i, row := range m.Transitions {
			if len(row) != len(m.States) {
				return configErr("Capacity.Markov.Transitions", "row %d has %d entries, want %d", i, len(row), len(m.States))
			}
			var sum float64
			for _, p := range row {
				if err := checkProb("Capacity.Markov.Transitions", p); err != nil {
					return err
				}
				sum += p
			}
			if math.Abs(sum-1) > 1e-6 {
				return configErr("Capacity.Markov.Transitions", "row %d sums to %v, want 1", i, sum)
			}
		}
	}
	return nil
}
