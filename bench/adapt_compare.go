package bench

import (
	"fmt"
	"time"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/engine/jitter"
	"github.com/parley-voice/parley/internal/netem"
)

// Strategies of the adaptation comparison.
const (
	StrategyFixed    = "fixed32"     // 32 kb/s, 20 ms, no FEC, 80 ms fixed buffer
	StrategyFixedFEC = "fixed32+fec" // the same with in-band FEC (loss hint 10 %)
	StrategyAdapt    = "adapt"       // adapt.Controller: settings every 500 ms from delayed feedback
)

// AdaptStrategies lists the strategies in table order.
var AdaptStrategies = []string{StrategyFixed, StrategyFixedFEC, StrategyAdapt}

// AdaptRow is one strategy's outcome on one profile, clip and seed.
type AdaptRow struct {
	Profile, Clip, Strategy string
	Seed                    uint64
	// PESQ is the mean PESQ-WB over the clip's repetitions (each repetition scored alone).
	PESQ        float64
	PayloadKbps float64
	NetworkLoss float64 // fraction of packets the link dropped
	Concealed   float64 // fraction of frames concealed by PLC (residual loss)
	Delay       time.Duration
	Changes     int           // adaptive only: decisions that changed the settings
	MeanTarget  time.Duration // adaptive only: mean decided jitter target
	MeanBitrate float64       // adaptive only: mean decided bitrate, kb/s
	// React is, on the "steps" profile and for the adaptive sender only, the longest time from
	// a capacity drop to the first decision whose wire rate fits the new capacity (−1: never;
	// 0 elsewhere).
	React time.Duration
}

// reactTime measures React over the capacity steps of link.
func reactTime(steps []netem.RateStep, ds []AdaptStep) time.Duration {
	var worst, start time.Duration
	for i, st := range steps {
		if i > 0 && st.RateBps < steps[i-1].RateBps {
			r := time.Duration(-1)
			for _, d := range ds {
				if d.At >= start && d.At < start+st.Duration && d.Decision.WireBps <= float64(st.RateBps) {
					r = d.At - start
					break
				}
			}
			if r < 0 {
				return -1
			}
			worst = max(worst, r)
		}
		start += st.Duration
	}
	return worst
}

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

// CompareAdapt runs every strategy on one profile, clip and seed: the clip is repeated repeat
// times (the controller needs seconds to learn a path), each strategy's link is built from the
// same configuration and seed, and PESQ-WB is the mean over the repetitions.
func CompareAdapt(profile string, clip Clip, repeat int, seed uint64) ([]AdaptRow, error) {
	repeat = max(repeat, 1)
	speech := make([]float32, 0, repeat*len(clip.Samples))
	for range repeat {
		speech = append(speech, clip.Samples...)
	}
	// A second of silence at the end, so that every repetition is sent whole whatever frame
	// sizes the adaptive sender ends with.
	speech = append(speech, make([]float32, SampleRateHz)...)
	d := time.Duration(len(speech)) * time.Second / SampleRateHz
	cfg, err := AdaptProfile(profile, d)
	if err != nil {
		return nil, err
	}
	var rows []AdaptRow
	for _, st := range AdaptStrategies {
		link, err := netem.NewLink(cfg, seed)
		if err != nil {
			return nil, err
		}
		row := AdaptRow{Profile: profile, Clip: clip.Name, Strategy: st, Seed: seed}
		var res Result
		switch st {
		case StrategyAdapt:
			ar, err := RunAdaptive(speech, AdaptConfig{}, link, &AdaptiveReceiver{Config: adaptJitterConfig()})
			if err != nil {
				return nil, err
			}
			res = ar.Result
			row.Changes = ar.Changes
			if profile == "steps" {
				row.React = reactTime(cfg.Capacity.Steps, ar.Steps)
			}
			var tgt time.Duration
			var br float64
			for _, s := range ar.Steps {
				tgt += s.Decision.JitterTarget
				br += float64(s.Decision.BitrateBps)
			}
			if n := len(ar.Steps); n > 0 {
				row.MeanTarget = tgt / time.Duration(n)
				row.MeanBitrate = br / float64(n) / 1000
			}
		default:
			fec := st == StrategyFixedFEC
			sc := SendConfig{Settings: codec.Settings{BitrateBps: 32000, Complexity: codec.DefaultSettings().Complexity,
				FEC: fec, LossHint: 0.1 * b2f(fec), MaxBandwidth: codec.BandwidthAuto}, Frame: 20 * time.Millisecond}
			if res, err = Run(speech, sc, link, &FixedReceiver{Delay: DefaultFixedDelay, FEC: fec}); err != nil {
				return nil, err
			}
		}
		row.PayloadKbps = res.PayloadKbps()
		row.NetworkLoss = res.NetworkLoss
		row.Concealed = res.Receive.ResidualLoss()
		row.Delay = res.Delay
		var sum float64
		scored := 0
		n := len(clip.Samples)
		for i := range repeat {
			if (i+1)*n > len(res.Sent) {
				break
			}
			q, err := Score(res.Sent[i*n:(i+1)*n], res.Received[i*n:(i+1)*n])
			if err != nil {
				return nil, fmt.Errorf("bench: %s %s: %w", profile, st, err)
			}
			sum += q.WB
			scored++
		}
		if scored == 0 {
			return nil, fmt.Errorf("%w: %s %s: nothing to score", ErrConfig, profile, st)
		}
		row.PESQ = sum / float64(scored)
		rows = append(rows, row)
	}
	return rows, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// adaptJitterConfig is the adaptive run's buffer: FEC negotiated (the policy may turn it on),
// targets from 10 ms.
func adaptJitterConfig() jitter.Config {
	return jitter.Config{FEC: true, MinTarget: 10 * time.Millisecond}
}
