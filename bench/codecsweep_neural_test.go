package bench

import (
	"context"
	"errors"
	"testing"

	"github.com/parley-voice/parley/codec"
)

// TestSweepNeuralConfigsAndRate runs a small sweep at 16 kHz: the plain PLC row, Deep PLC and
// 1 s of DRED at 20 % bursty loss. DRED must rebuild frames and score above Deep PLC, which
// must score above classic PLC; every row reports 16 kHz. Against a libopus without the neural
// features the sweep must refuse those configs.
func TestSweepNeuralConfigsAndRate(t *testing.T) {
	clips, err := DefaultClips()
	if err != nil {
		t.Fatal(err)
	}
	clip := clips[0]
	clip.Samples = clip.Samples[:5*SampleRateHz]
	cfgs := pick(NeuralCodecConfigs(), "32k-dplc", "32k-dred1s-dplc")
	cfgs = append([]CodecConfig{{Name: "32k-plc", BitrateBps: 32000}}, cfgs...)
	var cond Condition
	for _, c := range DefaultConditions() {
		if c.Name == "bursty 20%" {
			cond = c
		}
	}
	sweep := CodecSweep{Configs: cfgs, Conditions: []Condition{cond}, Clips: []Clip{clip}, Seeds: 2, Workers: 1, SampleRateHz: 16000}
	rows, err := sweep.Run(context.Background())
	if !codec.Features().DRED {
		if !errors.Is(err, codec.ErrUnavailable) || !errors.Is(err, ErrConfig) {
			t.Fatalf("neural configs on %s: %v, want ErrConfig wrapping codec.ErrUnavailable", codec.Features(), err)
		}
		t.Skipf("linked %s", codec.Features())
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		t.Logf("%-16s %s: PESQ-WB %.2f ±%.2f, residual %.1f %%, DRED %.1f %%, %.1f kb/s, %d Hz",
			r.Config, r.Condition, r.WB, r.WBCI, 100*r.ResidualLoss, 100*r.DREDShare, r.PayloadKbps, r.SampleRateHz)
		if r.SampleRateHz != 16000 {
			t.Errorf("%s: SampleRateHz %d", r.Config, r.SampleRateHz)
		}
	}
	plc, dplc, dred := rows[0], rows[1], rows[2]
	if dred.DREDShare < 0.1 || dred.ResidualLoss > plc.ResidualLoss/2 {
		t.Errorf("DRED rebuilt %.1f %% of frames, residual loss %.1f %% (PLC %.1f %%)", 100*dred.DREDShare, 100*dred.ResidualLoss, 100*plc.ResidualLoss)
	}
	if !(dred.WB > dplc.WB+0.3 && dplc.WB > plc.WB+0.1) {
		t.Errorf("PESQ-WB: PLC %.2f, Deep PLC %.2f, DRED %.2f: want DRED > Deep PLC + 0.3 > PLC + 0.4", plc.WB, dplc.WB, dred.WB)
	}
}

func pick(cs []CodecConfig, names ...string) []CodecConfig {
	var out []CodecConfig
	for _, n := range names {
		for _, c := range cs {
			if c.Name == n {
				out = append(out, c)
			}
		}
	}
	return out
}
