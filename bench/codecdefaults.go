package bench

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/internal/netem"
)

// DefaultCodecConfigs is the default matrix of `parley bench codec`: Opus at 32 kb/s in 20 ms
// frames with every recovery scheme (PLC only, in-band FEC, RED depth 1-3 with primary copies,
// RED depth 2 with 12 kb/s low-rate copies, FEC plus RED 1), a 60 ms-frame variant, and a
// bitrate ladder (12-48 kb/s) with and without FEC; then NeuralCodecConfigs.
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
	return append(cs, NeuralCodecConfigs()...)
}

// NeuralCodecConfigs are the configs that need libopus 1.5's neural parts (codec.Features):
// Deep PLC ("dplc", decoder complexity 5) and Deep PLC with NoLACE enhancement ("nolace", 7),
// alone and with FEC, and DRED of 100 ms to 1 s at 32 kb/s, plus 1 s of DRED at 24 and 48 kb/s
// (DRED's bits come out of the bitrate), and the DRED the adaptation sends ("-h20": 200 ms,
// loss hint 20 % whatever the loss, decoded with NoLACE as the engine does) at 24, 32 and
// 48 kb/s, the sweep adapt/dred.go's impairments were fitted to, with FEC and DRED with FEC at
// 48 kb/s (the policy's DRED with FEC; adapt/dred.go's dredFECWeight).
func NeuralCodecConfigs() []CodecConfig {
	const dplc, nolace = codec.DecoderDeepPLC, codec.DecoderNoLACE
	cs := []CodecConfig{
		{Name: "32k-dplc", BitrateBps: 32000, DecoderComplexity: dplc},
		{Name: "32k-nolace", BitrateBps: 32000, DecoderComplexity: nolace},
		{Name: "32k-fec-dplc", BitrateBps: 32000, FEC: true, DecoderComplexity: dplc},
		{Name: "32k-fec-nolace", BitrateBps: 32000, FEC: true, DecoderComplexity: nolace},
	}
	for _, d := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond, time.Second} {
		cs = append(cs, CodecConfig{Name: "32k-dred" + durName(d) + "-dplc", BitrateBps: 32000, DRED: d, DecoderComplexity: dplc})
	}
	return append(cs,
		CodecConfig{Name: "32k-fec-dred1s-dplc", BitrateBps: 32000, FEC: true, DRED: time.Second, DecoderComplexity: dplc},
		CodecConfig{Name: "32k-dred1s-nolace", BitrateBps: 32000, DRED: time.Second, DecoderComplexity: nolace},
		CodecConfig{Name: "24k-dred1s-dplc", BitrateBps: 24000, DRED: time.Second, DecoderComplexity: dplc},
		CodecConfig{Name: "48k-dred1s-dplc", BitrateBps: 48000, DRED: time.Second, DecoderComplexity: dplc},
		CodecConfig{Name: "48k-dred1s-nolace", BitrateBps: 48000, DRED: time.Second, DecoderComplexity: nolace},
		CodecConfig{Name: "48k-fec-dred1s-nolace", BitrateBps: 48000, FEC: true, DRED: time.Second, DecoderComplexity: nolace},
		CodecConfig{Name: "24k-dred200ms-h20-nolace", BitrateBps: 24000, DRED: 200 * time.Millisecond, LossHint: 0.2, DecoderComplexity: nolace},
		CodecConfig{Name: "32k-dred200ms-h20-nolace", BitrateBps: 32000, DRED: 200 * time.Millisecond, LossHint: 0.2, DecoderComplexity: nolace},
		CodecConfig{Name: "48k-dred200ms-h20-nolace", BitrateBps: 48000, DRED: 200 * time.Millisecond, LossHint: 0.2, DecoderComplexity: nolace},
		CodecConfig{Name: "48k-fec-nolace", BitrateBps: 48000, FEC: true, DecoderComplexity: nolace},
		CodecConfig{Name: "48k-fec-dred200ms-h20-nolace", BitrateBps: 48000, FEC: true, DRED: 200 * time.Millisecond, LossHint: 0.2, DecoderComplexity: nolace},
	)
}

// durName is "100ms" or "1s".
func durName(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

// Check reports why c cannot run with the linked libopus (a neural feature missing: the error
// wraps codec.ErrUnavailable) or is out of range; nil when it can.
func (c CodecConfig) Check() error { return c.check() }

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
	for i := range conds {
		conds[i].SeedSlot = i + 1 // the loss draws of the full matrix, in any selection
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
