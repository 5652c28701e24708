package bench

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/internal/netem"
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

// TestDREDInDTXGapsIsSilence: a DTX pause the receiver fills from a later packet's DRED is the
// sender's silence, not a recovered loss, once the next packet's sequence number shows nothing
// was lost.
func TestDREDInDTXGapsIsSilence(t *testing.T) {
	if !codec.Features().DRED {
		t.Skipf("linked %s", codec.Features())
	}
	clips, err := DefaultClips()
	if err != nil {
		t.Fatal(err)
	}
	var plain, dred ReceiveStats
	for i, on := range []bool{false, true} {
		cfg := CodecConfig{BitrateBps: 32000, DecoderComplexity: codec.DecoderDeepPLC}
		if on {
			cfg.DRED = time.Second
		}
		link, err := netem.NewLink(netem.LinkConfig{Delay: netem.DelayConfig{Base: sweepBaseDelay}}, 1)
		if err != nil {
			t.Fatal(err)
		}
		rx := &FixedReceiver{Delay: cfg.jitterBuffer(), Complexity: cfg.DecoderComplexity, DRED: on}
		res, err := Run(clips[1].Samples, cfg.sendConfig(Condition{}), link, rx)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			plain = res.Receive
		} else {
			dred = res.Receive
		}
	}
	t.Logf("clean link, DTX on: without DRED %+v; with DRED %+v", plain, dred)
	if plain.Silent == 0 {
		t.Fatal("clip 1 has no DTX pause: the test needs one")
	}
	if dred.RecoveredDRED != 0 || dred.Concealed != 0 || dred.Silent != plain.Silent {
		t.Errorf("with DRED: %d frames counted as rebuilt, %d concealed, %d silent (want 0, 0, %d)",
			dred.RecoveredDRED, dred.Concealed, dred.Silent, plain.Silent)
	}
}

// TestConditionSeedsIndependentOfSelection: a default condition draws the same losses whether a
// sweep runs it alone or with all the others.
func TestConditionSeedsIndependentOfSelection(t *testing.T) {
	clips, err := DefaultClips()
	if err != nil {
		t.Fatal(err)
	}
	clip := clips[0]
	clip.Samples = clip.Samples[:2*SampleRateHz]
	all := DefaultConditions()
	cfg := []CodecConfig{{Name: "32k-plc", BitrateBps: 32000}}
	full := CodecSweep{Configs: cfg, Conditions: all, Clips: []Clip{clip}, Seeds: 1, Workers: 1}
	one := CodecSweep{Configs: cfg, Conditions: all[7:8], Clips: []Clip{clip}, Seeds: 1, Workers: 1}
	rf, err := full.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ro, err := one.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rf[7].Condition != ro[0].Condition || rf[7].NetworkLoss != ro[0].NetworkLoss || rf[7].WB != ro[0].WB {
		t.Errorf("%s alone: loss %.4f PESQ-WB %.3f; in the full matrix: loss %.4f PESQ-WB %.3f",
			ro[0].Condition, ro[0].NetworkLoss, ro[0].WB, rf[7].NetworkLoss, rf[7].WB)
	}
}

// TestFixedDREDStrategy runs the opt-in fixed32+dred strategy of bench adapt next to fixed32 on
// the bursty20 link: DRED must rebuild lost frames and score above plain fixed 32 kb/s.
func TestFixedDREDStrategy(t *testing.T) {
	if _, err := LookupStrategy(StrategyFixedDRED); err != nil {
		t.Fatal(err)
	}
	if !codec.Features().DRED {
		t.Skipf("linked %s", codec.Features())
	}
	clips, err := DefaultClips()
	if err != nil {
		t.Fatal(err)
	}
	link := Link{Name: "bursty20", Config: func(d time.Duration) (netem.LinkConfig, error) { return AdaptProfile("bursty20", d) }}
	var rows [2]Row
	for i, st := range []string{StrategyFixed, StrategyFixedDRED} {
		if rows[i], err = RunJob(Job{Link: link, Clip: clips[0], Seed: 1, Repeat: 1, Strategy: st}); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: PESQ-WB %.2f, concealed (lost) %.1f %%", st, rows[i].PESQ, 100*rows[i].ConcealLost)
	}
	if rows[1].PESQ < rows[0].PESQ+0.3 {
		t.Errorf("fixed32+dred PESQ-WB %.2f is not 0.3 above fixed32's %.2f", rows[1].PESQ, rows[0].PESQ)
	}
}
