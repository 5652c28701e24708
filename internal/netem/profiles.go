package netem

import (
	"slices"
	"strings"
	"time"
)

// Named profiles, one direction each (use the same profile both ways for a symmetric path).
// Delays are one-way; "GE r/b" is Gilbert–Elliott loss with long-run rate r and mean burst b
// packets; "Markov" capacities are neighbour-walking chains over the listed rates with the given
// mean dwell per state; impulses, flaps, gaps and outages are "rate per second × mean duration".
//
//	name            base   jitter σ (ρ)  slot  loss            capacity                      queue   episodes
//	clean           10ms   –             –     –               unlimited                     –       –
//	wifi            5ms    3ms (0.5)     –     GE 1%/2         30 Mbit/s                     50ms    impulses 0.2/s × 100ms, peak 40ms
//	lte             30ms   4ms (0.7)     1ms   Bernoulli 0.5%  Markov 1,3,6,12,20 Mbit/s, 2s 150ms   gaps 0.05/s × 150ms
//	lte-bursty      40ms   8ms (0.8)     1ms   GE 3%/4         Markov 0,0.3,1,3,8 Mbit/s, 1s 300ms   gaps 0.2/s × 400ms, outages 1/120s × 1.5s
//	3g              60ms   12ms (0.7)    2ms   GE 2%/2         Markov 0.2,0.5,1,2 Mbit/s, 2s 500ms   gaps 0.1/s × 300ms
//	edge            150ms  30ms (0.6)    5ms   GE 3%/3         Markov 60,120,200 kbit/s, 3s  1s      gaps 0.1/s × 500ms
//	satellite       300ms  5ms (0.5)     –     Bernoulli 0.5%  5 Mbit/s                      500ms   –
//	congested       20ms   10ms (0.9)    –     GE 2%/3         1.5 Mbit/s                    300ms   impulses 0.5/s × 500ms, peak 150ms
//	well-managed    20ms   1ms (0.5)     –     Bernoulli 0.05% unlimited                     –       impulses 1/60s × 100ms, peak 20ms; flaps 1/3600s × 60s, +10ms
//	partly-managed  40ms   5ms (0.7)     –     GE 0.5%/2       unlimited                     –       impulses 1/10s × 300ms, peak 100ms; flaps 1/600s × 20s, +30ms; outages 1/3600s × 500ms
//	unmanaged       60ms   15ms (0.8)    –     GE 2%/3         unlimited                     –       impulses 1/5s × 500ms, peak 250ms; flaps 1/120s × 30s, +60ms; outages 1/600s × 2s
//	cellular        50ms   6ms (0.7)     2ms   Bernoulli 0.5%  Markov 0.5,2,5,10 Mbit/s, 2s  300ms   gaps 0.1/s × 250ms, outages 1/300s × 3s
//
// The three G.1050 rows follow the structure of ITU-T G.1050 / TIA-921 (a managed core with
// occasional jitter impulses, route flaps that shift the delay, and link outages, harsher as
// management decreases); the figures are our choice for voice testing, not the standard's
// tables. The cellular rows combine Markov capacity with delivery gaps (packets held, then
// released in a burst) and scheduling slots.
var profiles = map[string]LinkConfig{
	"clean": {Delay: DelayConfig{Base: 10 * ms}},
	"wifi": {
		Loss:     ge(0.01, 2),
		Delay:    DelayConfig{Base: 5 * ms, Jitter: 3 * ms, JitterCorrelation: 0.5, Impulses: impulses(0.2, 100*ms, 40*ms)},
		Capacity: CapacityConfig{RateBps: 30e6, QueueDelay: 50 * ms},
	},
	"lte": {
		Loss:     LossConfig{Model: LossBernoulli, Rate: 0.005},
		Delay:    DelayConfig{Base: 30 * ms, Jitter: 4 * ms, JitterCorrelation: 0.7, Slot: ms, Gaps: EventConfig{0.05, 150 * ms}},
		Capacity: CapacityConfig{Markov: markov(2*time.Second, 2, 1e6, 3e6, 6e6, 12e6, 20e6), QueueDelay: 150 * ms},
	},
	"lte-bursty": {
		Loss:     ge(0.03, 4),
		Delay:    DelayConfig{Base: 40 * ms, Jitter: 8 * ms, JitterCorrelation: 0.8, Slot: ms, Gaps: EventConfig{0.2, 400 * ms}},
		Capacity: CapacityConfig{Markov: markov(time.Second, 3, 0, 0.3e6, 1e6, 3e6, 8e6), QueueDelay: 300 * ms},
		Outage:   EventConfig{1.0 / 120, 1500 * ms},
	},
	"3g": {
		Loss:     ge(0.02, 2),
		Delay:    DelayConfig{Base: 60 * ms, Jitter: 12 * ms, JitterCorrelation: 0.7, Slot: 2 * ms, Gaps: EventConfig{0.1, 300 * ms}},
		Capacity: CapacityConfig{Markov: markov(2*time.Second, 2, 0.2e6, 0.5e6, 1e6, 2e6), QueueDelay: 500 * ms},
	},
	"edge": {
		Loss:     ge(0.03, 3),
		Delay:    DelayConfig{Base: 150 * ms, Jitter: 30 * ms, JitterCorrelation: 0.6, Slot: 5 * ms, Gaps: EventConfig{0.1, 500 * ms}},
		Capacity: CapacityConfig{Markov: markov(3*time.Second, 1, 60e3, 120e3, 200e3), QueueDelay: time.Second},
	},
	"satellite": {
		Loss:     LossConfig{Model: LossBernoulli, Rate: 0.005},
		Delay:    DelayConfig{Base: 300 * ms, Jitter: 5 * ms, JitterCorrelation: 0.5},
		Capacity: CapacityConfig{RateBps: 5e6, QueueDelay: 500 * ms},
	},
	"congested": {
		Loss:     ge(0.02, 3),
		Delay:    DelayConfig{Base: 20 * ms, Jitter: 10 * ms, JitterCorrelation: 0.9, Impulses: impulses(0.5, 500*ms, 150*ms)},
		Capacity: CapacityConfig{RateBps: 1.5e6, QueueDelay: 300 * ms},
	},
	"well-managed": {
		Loss: LossConfig{Model: LossBernoulli, Rate: 0.0005},
		Delay: DelayConfig{Base: 20 * ms, Jitter: ms, JitterCorrelation: 0.5,
			Impulses: impulses(1.0/60, 100*ms, 20*ms), Flaps: flaps(1.0/3600, 60*time.Second, 10*ms)},
	},
	"partly-managed": {
		Loss: ge(0.005, 2),
		Delay: DelayConfig{Base: 40 * ms, Jitter: 5 * ms, JitterCorrelation: 0.7,
			Impulses: impulses(0.1, 300*ms, 100*ms), Flaps: flaps(1.0/600, 20*time.Second, 30*ms)},
		Outage: EventConfig{1.0 / 3600, 500 * ms},
	},
	"unmanaged": {
		Loss: ge(0.02, 3),
		Delay: DelayConfig{Base: 60 * ms, Jitter: 15 * ms, JitterCorrelation: 0.8,
			Impulses: impulses(0.2, 500*ms, 250*ms), Flaps: flaps(1.0/120, 30*time.Second, 60*ms)},
		Outage: EventConfig{1.0 / 600, 2 * time.Second},
	},
	"cellular": {
		Loss:     LossConfig{Model: LossBernoulli, Rate: 0.005},
		Delay:    DelayConfig{Base: 50 * ms, Jitter: 6 * ms, JitterCorrelation: 0.7, Slot: 2 * ms, Gaps: EventConfig{0.1, 250 * ms}},
		Capacity: CapacityConfig{Markov: markov(2*time.Second, 2, 0.5e6, 2e6, 5e6, 10e6), QueueDelay: 300 * ms},
		Outage:   EventConfig{1.0 / 300, 3 * time.Second},
	},
}

const ms = time.Millisecond

func ge(rate, burst float64) LossConfig {
	return LossConfig{Model: LossGilbertElliott, Rate: rate, MeanBurst: burst}
}

func impulses(rate float64, d, peak time.Duration) ImpulseConfig {
	return ImpulseConfig{EventConfig{rate, d}, peak}
}

func flaps(rate float64, d, delay time.Duration) FlapConfig {
	return FlapConfig{EventConfig{rate, d}, delay}
}

func markov(dwell time.Duration, start int, rates ...float64) *MarkovCapacity {
	m := &MarkovCapacity{Start: start}
	for _, r := range rates {
		m.States = append(m.States, MarkovState{RateBps: int64(r), MeanDwell: dwell})
	}
	return m
}

// profileOrder is the order ProfileNames reports.
var profileOrder = []string{"clean", "wifi", "lte", "lte-bursty", "3g", "edge", "satellite", "congested",
	"well-managed", "partly-managed", "unmanaged", "cellular"}

// ProfileNames lists the named profiles, in a stable order.
func ProfileNames() []string { return slices.Clone(profileOrder) }

// Profile returns the named profile's configuration (a fresh copy the caller may modify), or an
// error wrapping ErrUnknownProfile.
func Profile(name string) (LinkConfig, error) {
	c, ok := profiles[name]
	if !ok {
		return LinkConfig{}, &fieldError{sentinel: ErrUnknownProfile, field: "profile",
			msg: "no profile " + quote(name) + " (have " + strings.Join(profileOrder, ", ") + ")"}
	}
	if c.Capacity.Markov != nil {
		m := *c.Capacity.Markov
		m.States = slices.Clone(m.States)
		c.Capacity.Markov = &m
	}
	return c, nil
}

func quote(s string) string { return "\"" + s + "\"" }

// RFC8867VariableCapacity is the bottleneck schedule of RFC 8867 §5.1 (variable available
// capacity with a single flow), scaled by factor (1 = the RFC's rates): 1 Mbit/s for 40 s,
// 2.5 Mbit/s for 20 s, 0.6 Mbit/s for 20 s, then 1 Mbit/s, held. Use it as CapacityConfig.Steps.
func RFC8867VariableCapacity(factor float64) []RateStep {
	steps := []RateStep{{40 * time.Second, 1e6}, {20 * time.Second, 2.5e6}, {20 * time.Second, 0.6e6}, {20 * time.Second, 1e6}}
	for i := range steps {
		steps[i].RateBps = int64(float64(steps[i].RateBps) * factor)
	}
	return steps
}
