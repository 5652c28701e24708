package bench

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parley-voice/parley/adapt/emodel"
)

// pesqFromR inverts emodel.RFromPESQWB (the test builds rows from known impairments).
func pesqFromR(t *testing.T, r float64) float64 {
	t.Helper()
	lo, hi := emodel.PESQWBMin, emodel.PESQWBMax
	for hi-lo > 1e-12 {
		mid := (lo + hi) / 2
		v, err := emodel.RFromPESQWB(mid)
		if err != nil {
			t.Fatal(err)
		}
		if v < r {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// TestFitSettingTableRecoversKnownImpairments builds sweep rows from known Ie and Bpl values
// through the E-model and checks that the fit gives them back, per setting.
func TestFitSettingTableRecoversKnownImpairments(t *testing.T) {
	g := DefaultRefitGrid()
	g.BitratesBps, g.Frames, g.REDDepths, g.FEC = []int{16000, 32000}, []time.Duration{20 * time.Millisecond, 60 * time.Millisecond}, []int{0, 2}, []bool{false}
	type truth struct{ ie, bplR, bplB float64 }
	want := map[string]truth{}
	var rows []CodecRow
	for i, c := range g.Configs() {
		tr := truth{ie: 5 + float64(i), bplR: 10 + 7*float64(i), bplB: 20 + 3*float64(i)} // Ie,eff stays below 129
		want[c.Name] = tr
		for _, cond := range g.Conditions() {
			loss := cond.LossRate * 1.03 // "measured" loss differs from the nominal one
			br, bpl := 1.0, tr.bplR
			if cond.Bursty {
				br, bpl = g.MeanBurst*(1-loss), tr.bplB
			}
			ieEff, err := emodel.LossImpairment(emodel.Wideband, tr.ie, bpl, loss, br)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, CodecRow{Config: c.Name, Condition: cond.Name, LossRate: cond.LossRate, Bursty: cond.Bursty,
				BitrateBps: c.BitrateBps, FrameMs: int(c.frame() / time.Millisecond), FEC: c.FEC, REDDepth: c.REDDepth,
				REDLowRateBps: c.REDLowRateBps, WB: pesqFromR(t, emodel.RmaxWideband-ieEff), NetworkLoss: loss})
		}
	}
	tab, err := FitSettingTable("test", rows, g.MeanBurst, false)
	if err != nil {
		t.Fatal(err)
	}
	es := tab.Entries()
	if len(es) != len(g.Configs()) {
		t.Fatalf("%d entries, want %d", len(es), len(g.Configs()))
	}
	for _, c := range g.Configs() {
		k := emodel.SettingKey{BitrateBps: c.BitrateBps, Frame: c.frame(), FEC: c.FEC, REDDepth: c.REDDepth, REDLowRateBps: c.REDLowRateBps}
		im, err := tab.Impairment(k)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		w := want[c.Name]
		if math.Abs(im.Ie-w.ie) > 1e-6 || math.Abs(im.BplRandom-w.bplR) > 1e-4 || math.Abs(im.BplBursty-w.bplB) > 1e-4 {
			t.Errorf("%s: fitted Ie %.4f Bpl %.4f/%.4f, want %v", c.Name, im.Ie, im.BplRandom, im.BplBursty, w)
		}
	}
}

func TestFitSettingTableNeedsCleanAndLossyRows(t *testing.T) {
	row := CodecRow{Config: "a", BitrateBps: 16000, FrameMs: 20, WB: 4}
	if _, err := FitSettingTable("v", []CodecRow{row}, 2.5, false); !errors.Is(err, ErrConfig) {
		t.Errorf("no lossy rows: %v", err)
	}
	lossy := row
	lossy.LossRate, lossy.NetworkLoss = 0.1, 0.1
	if _, err := FitSettingTable("v", []CodecRow{lossy}, 2.5, false); !errors.Is(err, ErrConfig) {
		t.Errorf("no lossless row: %v", err)
	}
	if tab, err := FitSettingTable("v", []CodecRow{row, lossy}, 2.5, false); err != nil || len(tab.Entries()) != 1 {
		t.Errorf("random only: %v", err)
	} else if e := tab.Entries()[0]; e.BplBursty != e.BplRandom {
		t.Errorf("random only: bursty Bpl %v, want the random one %v", e.BplBursty, e.BplRandom)
	}
}

func TestRefitGrid(t *testing.T) {
	g := DefaultRefitGrid()
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	cs := g.Configs()
	// 3 frames × (2 FEC × 4 depths × 8 bitrates + 3 depths × 6 bitrates above 8 kb/s).
	if len(cs) != 3*(2*4*8+3*6) {
		t.Errorf("%d configs", len(cs))
	}
	names := map[string]bool{}
	for _, c := range cs {
		if names[c.Name] {
			t.Errorf("duplicate config name %s", c.Name)
		}
		names[c.Name] = true
	}
	if !names["24k-40ms-fec-red2"] || !names["16k-60ms-red1-low8k"] {
		t.Errorf("names: missing expected ones")
	}
	if n := len(g.Conditions()); n != 1+2+3 {
		t.Errorf("%d conditions", n)
	}
	bad := g
	bad.REDDepths = []int{4}
	if err := bad.Validate(); !errors.Is(err, ErrConfig) {
		t.Errorf("RED depth 4: %v", err)
	}
	bad = g
	bad.BurstyLoss = []float64{1.5}
	if err := bad.Validate(); !errors.Is(err, ErrConfig) {
		t.Errorf("loss 150 %%: %v", err)
	}
	bad = g
	bad.DecoderComplexity = 11
	if err := bad.Validate(); !errors.Is(err, ErrConfig) {
		t.Errorf("decoder complexity 11: %v", err)
	}
	g.DecoderComplexity = 7
	for _, c := range g.Configs() {
		if c.DecoderComplexity != 7 {
			t.Fatalf("%s: decoder complexity %d, want the grid's 7", c.Name, c.DecoderComplexity)
		}
	}
}

// TestFitSettingTablePooled: with pooling, settings of one curve share the Bpl their points
// give together, each keeping its own Ie.
func TestFitSettingTablePooled(t *testing.T) {
	g := DefaultRefitGrid()
	g.BitratesBps, g.Frames, g.REDDepths, g.FEC, g.LowRateBps = []int{12000, 24000}, []time.Duration{20 * time.Millisecond}, []int{0, 2}, []bool{false}, 0
	bpl := map[int]float64{0: 15, 2: 60}
	var rows []CodecRow
	for _, c := range g.Configs() {
		ie := 30 - float64(c.BitrateBps)/1000 // 18 and 6
		for _, cond := range g.Conditions() {
			br := 1.0
			if cond.Bursty {
				br = g.MeanBurst * (1 - cond.LossRate)
			}
			v, err := emodel.LossImpairment(emodel.Wideband, ie, bpl[c.REDDepth], cond.LossRate, br)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, CodecRow{Config: c.Name, Condition: cond.Name, LossRate: cond.LossRate, Bursty: cond.Bursty,
				BitrateBps: c.BitrateBps, FrameMs: 20, REDDepth: c.REDDepth, WB: pesqFromR(t, emodel.RmaxWideband-v),
				NetworkLoss: cond.LossRate})
		}
	}
	tab, err := FitSettingTable("pooled", rows, g.MeanBurst, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tab.Entries() {
		want := bpl[e.REDDepth]
		if math.Abs(e.BplRandom-want) > 0.01 || math.Abs(e.BplBursty-want) > 0.01 {
			t.Errorf("%+v: Bpl %.3f/%.3f, want %v", e.SettingKey, e.BplRandom, e.BplBursty, want)
		}
		if wantIe := 30 - float64(e.BitrateBps)/1000; math.Abs(e.Ie-wantIe) > 1e-6 {
			t.Errorf("%+v: Ie %.3f, want %v", e.SettingKey, e.Ie, wantIe)
		}
	}
}

func TestReadCodecCSVRoundTrip(t *testing.T) {
	rows := []CodecRow{{Config: "a", Condition: "0%", BitrateBps: 12000, FrameMs: 20, Runs: 1, WB: 4.1, NB: 3.9, PayloadKbps: 12.5},
		{Config: "a", Condition: "bursty 20%", LossRate: 0.2, Bursty: true, BitrateBps: 12000, FrameMs: 40, FEC: true, REDDepth: 2,
			REDLowRateBps: 8000, JitterBufMs: 140, Runs: 2, WB: 3.25, WBCI: 0.4, NB: 3, NBCI: 0.3, PayloadKbps: 40.5,
			NetworkLoss: 0.1875, ResidualLoss: 0.0679}}
	var buf bytes.Buffer
	if err := WriteCodecCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCodecCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rows) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", back, rows)
	}
	for name, in := range map[string]string{
		"header": "config,condition\n",
		"number": strings.Join(codecCSVHeader, ",") + "\na,b,x,false,1,20,false,0,0,60,1,4,0,4,0,1,0,0\n",
		"loss":   strings.Join(codecCSVHeader, ",") + "\na,b,0.1,false,1,20,false,0,0,60,1,4,0,4,0,1,2,0\n",
		"fields": strings.Join(codecCSVHeader, ",") + "\na,b\n",
	} {
		if _, err := ReadCodecCSV(strings.NewReader(in)); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzReadCodecCSV: the rows reader never panics, and what it accepts writes back the same.
func FuzzReadCodecCSV(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteCodecCSV(&buf, []CodecRow{{Config: "a", Condition: "0%", BitrateBps: 12000, FrameMs: 20, WB: 4}})
	f.Add(buf.Bytes())
	f.Add([]byte("config\n\"x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ReadCodecCSV(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error without ErrConfig: %v", err)
			}
			return
		}
		var out bytes.Buffer
		if err := WriteCodecCSV(&out, rows); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadCodecCSV(&out); err != nil {
			t.Fatalf("accepted rows do not round-trip: %v", err)
		}
	})
}
