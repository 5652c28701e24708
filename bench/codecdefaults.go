package bench

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/internal/netem"
)

// DefaultCodecConfigs is the default matrix of `parley bench codec`: Opus at 32 kb/s in 20 ms
// frames with every recovery scheme (PLC only, in-band FEC, RED depth 1-3 with primary copies,
// RED depth 2 with 12 kb/s low-rate copies, FEC plus RED 1), a 60 ms-frame variant, and a
// bitrate ladder (12-48 kb/s) with and without FEC.
func DefaultCodecConfigs() []CodecConfig {
	cs := []CodecConfig{
		{Name: "32k-plc", BitrateBps: 32000},
		{Name: "32k-fec", BitrateBps: 32000, FEC: true},
		{Name: "32k-red1", BitrateBps: 32000, REDDepth: 1},
		{Name: "32k-red2", BitrateBps: 32000, REDDepth: 2},
		{Name: "32k-red3", BitrateBps: 32000, REDDepth: 3},
		{Name: "32k-red2-low12k", BitrateBps: 32000, REDDepth: 2, REDLowRateBps: 12000},
		{Name: "32k-fec-red1", BitrateBps: 32000, FEC: true, REDDepth: 1},
		{Name: "32k-fec-60ms", BitrateBps: 32000, FEC: true, Frame: 60 * time.Millisecond},
	}
	for _, kbps := range []int{12, 16, 24, 48} {
		cs = append(cs,
			CodecConfig{Name: fmt.Sprintf("%dk-plc", kbps), BitrateBps: kbps * 1000},
			CodecConfig{Name: fmt.Sprintf("%dk-fec", kbps), BitrateBps: kbps * 1000, FEC: true})
	}
	return cs
}

// sweepBaseDelay is the one-way delay of every sweep condition.
const sweepBaseDelay = 20 * time.Millisecond

// DefaultConditions are the default loss conditions: no loss, random (Bernoulli) loss of 5, 10,
// 20 and 30 %, and bursty (Gilbert–Elliott, mean burst 2.5 packets) loss of the same rates, on
// a 20 ms one-way path with no capacity limit.
func DefaultConditions() []Condition {
	conds := []Condition{{Name: "0%", SeedInvariant: true, Link: netem.LinkConfig{Delay: netem.DelayConfig{Base: sweepBaseDelay}}}}
	for _, bursty := range []bool{false, true} {
		for _, p := range []float64{0.05, 0.10, 0.20, 0.30} {
			c := Condition{LossRate: p, Bursty: bursty, Link: netem.LinkConfig{Delay: netem.DelayConfig{Base: sweepBaseDelay}}}
			if bursty {
				c.Name = fmt.Sprintf("bursty %d%%", int(p*100+0.5))
				c.Link.Loss = netem.LossConfig{Model: netem.LossGilbertElliott, Rate: p, MeanBurst: 2.5}
			} else {
				c.Name = fmt.Sprintf("random %d%%", int(p*100+0.5))
				c.Link.Loss = netem.LossConfig{Model: netem.LossBernoulli, Rate: p}
			}
			conds = append(conds, c)
		}
	}
	return conds
}

// TraceCondition is a condition whose capacity follows a trace (Mahimahi, OpenNetLab or Norway
// format, see netem.LoadTrace) behind a 200 ms droptail queue, with the trace's own loss where it
// has one.
func TraceCondition(name string, tr *netem.Trace) Condition {
	return Condition{
		Name: "trace " + name,
		Link: netem.LinkConfig{
			Delay:    netem.DelayConfig{Base: sweepBaseDelay},
			Capacity: netem.CapacityConfig{Trace: tr, QueueDelay: 200 * time.Millisecond},
		},
	}
}
