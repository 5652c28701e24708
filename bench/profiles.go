package bench

import (
	"time"

	"github.com/parley-voice/parley/internal/netem"
)

// AdaptProfileNames are the links of the comparison: netem profiles plus "bursty20" (20 %
// Gilbert–Elliott loss, mean burst 2.5) and "steps" (RFC 8867-style audio-scaled capacity steps
// 128 → 48 → 16 → 64 kb/s, a quarter of the run each).
func AdaptProfileNames() []string {
	return []string{"clean", "wifi", "3g", "congested", "lte-bursty", "bursty20", "steps"}
}

// AdaptProfile returns the link of a comparison profile for a run of length d: the names of
// AdaptProfileNames, the G.1050-style aliases g1050-a, g1050-b and g1050-c, and every netem
// profile.
func AdaptProfile(name string, d time.Duration) (netem.LinkConfig, error) {
	switch name {
	case "bursty20":
		return netem.LinkConfig{
			Loss:  netem.LossConfig{Model: netem.LossGilbertElliott, Rate: 0.2, MeanBurst: 2.5},
			Delay: netem.DelayConfig{Base: 40 * time.Millisecond, Jitter: 5 * time.Millisecond, JitterCorrelation: 0.5},
		}, nil
	case "steps":
		q := d / 4
		return netem.LinkConfig{
			Delay: netem.DelayConfig{Base: 30 * time.Millisecond, Jitter: 2 * time.Millisecond},
			Capacity: netem.CapacityConfig{Steps: []netem.RateStep{{Duration: q, RateBps: 128e3},
				{Duration: q, RateBps: 48e3}, {Duration: q, RateBps: 16e3}, {Duration: q, RateBps: 64e3}},
				QueueDelay: 300 * time.Millisecond},
		}, nil
	}
	if alias, ok := g1050Profiles[name]; ok {
		name = alias
	}
	return netem.Profile(name)
}
