package emodel

import (
	"math"
	"testing"
	"time"
)

// workedExample lists EMODEL.md's worked example: Opus SWB VBR 25 kb/s on the WB scale.
var workedExample = []struct {
	ta         time.Duration
	loss       float64
	burstRatio float64
	r, mos     float64
}{
	{150 * time.Millisecond, 0, 1, 108.6, 4.17},
	{150 * time.Millisecond, 0.01, 1, 99.8, 3.92},
	{150 * time.Millisecond, 0.03, 1, 85.8, 3.43},
	{150 * time.Millisecond, 0.05, 1, 75.2, 3.01},
	{150 * time.Millisecond, 0.10, 1, 57.5, 2.29},
	{150 * time.Millisecond, 0.05, 2, 62.1, 2.48},
	{300 * time.Millisecond, 0.01, 1, 85.2, 3.41},
}

// TestWorkedExample reproduces every documented figure to its printed rounding (±0.05 R,
// ±0.005 MOS), which is tighter than the ±0.1 / ±0.01 the figures are quoted at. The figures
// follow from: Idd included at 150 ms (0.16), the full-precision table values (Ie 20.209, Bpl
// 11.28 random / 9.18 bursty), and the bursty Bpl used at BurstR 2 (TestWorkedExampleConvention
// shows the alternatives do not reproduce them).
func TestWorkedExample(t *testing.T) {
	im, err := OpusTable().Lookup(VBR, 25000)
	if err != nil {
		t.Fatal(err)
	}
	if im.Band != SuperWideband || im.Clamped {
		t.Fatalf("Lookup(VBR, 25000) = %+v, want an exact SWB entry", im)
	}
	for _, c := range workedExample {
		res, err := Score(im.Input(c.ta, c.loss, c.burstRatio))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("Ta %v, loss %g %%, BurstR %g: R = %.3f (doc %.1f), MOS = %.4f (doc %.2f)",
			c.ta, 100*c.loss, c.burstRatio, res.R, c.r, res.MOS, c.mos)
		if !near(res.R, c.r, 0.05) || !near(res.MOS, c.mos, 0.005) {
			t.Errorf("Ta %v, loss %g, BurstR %g: %v, want R %.1f MOS %.2f", c.ta, c.loss,
				c.burstRatio, res, c.r, c.mos)
		}
	}
}

// TestWorkedExampleConvention records which conventions the documented figures exclude: leaving
// Idd out at 150 ms, using the two-decimal table values quoted in EMODEL.md, or using the random
// Bpl for the bursty row each miss at least one figure.
func TestWorkedExampleConvention(t *testing.T) {
	type conv struct {
		name        string
		withIdd     bool
		ie, bpl, bb float64 // Ie, random Bpl, bursty Bpl
	}
	reproduces := func(c conv) bool {
		for _, w := range workedExample {
			bpl := c.bpl
			if w.burstRatio > 1 {
				bpl = c.bb
			}
			ieEff := must(LossImpairment(Wideband, c.ie, bpl, w.loss, w.burstRatio))
			r := R0Wideband - ieEff
			if c.withIdd || w.ta != 150*time.Millisecond {
				r -= DelayImpairment(w.ta)
			}
			if math.Abs(r-w.r) > 0.05 || math.Abs(Wideband.MOS(r)-w.mos) > 0.005 {
				return false
			}
		}
		return true
	}
	if c := (conv{"documented", true, 20.20905481, 11.28, 9.18}); !reproduces(c) {
		t.Errorf("%s convention does not reproduce the figures", c.name)
	}
	for _, c := range []conv{
		{"no Idd at 150 ms", false, 20.20905481, 11.28, 9.18},
		{"rounded table values", true, 20.2, 11.3, 9.2},
		{"random Bpl for bursty loss", true, 20.20905481, 11.28, 11.28},
	} {
		if reproduces(c) {
			t.Errorf("%s also reproduces the figures; the convention is ambiguous", c.name)
		}
	}
}
