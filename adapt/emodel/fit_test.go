package emodel

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestRFromMOSInvertsMOS(t *testing.T) {
	for _, b := range []Band{Narrowband, Wideband, SuperWideband} {
		for r := 7.0; r < 100; r += 3.7 { // MOS is strictly increasing above R ≈ 6.5
			rb := r
			if b != Narrowband {
				rb = r * WidebandScale
			}
			got, err := b.RFromMOS(b.MOS(rb))
			if err != nil || math.Abs(got-rb) > 1e-6 {
				t.Fatalf("%v: RFromMOS(MOS(%v)) = %v, %v", b, rb, got, err)
			}
		}
	}
	if r, _ := Wideband.RFromMOS(4.6); r != 129 {
		t.Errorf("RFromMOS(4.6) = %v, want the top of the scale 129", r)
	}
	if r, _ := Narrowband.RFromMOS(0.5); r != 0 {
		t.Errorf("RFromMOS(0.5) = %v, want 0", r)
	}
	if _, err := Wideband.RFromMOS(math.NaN()); !errors.Is(err, ErrMOS) {
		t.Errorf("NaN MOS: %v", err)
	}
	if _, err := Band(0).RFromMOS(3); !errors.Is(err, ErrBand) {
		t.Errorf("bad band: %v", err)
	}
}

func TestRFromPESQWB(t *testing.T) {
	top, err := RFromPESQWB(PESQWBMax)
	if err != nil || top != RmaxWideband {
		t.Fatalf("RFromPESQWB(max) = %v, %v; want 129", top, err)
	}
	if r, _ := RFromPESQWB(PESQWBMin); r != 0 {
		t.Errorf("RFromPESQWB(min) = %v, want 0", r)
	}
	prev := -1.0
	for p := 1.0; p <= 4.7; p += 0.05 {
		r, err := RFromPESQWB(p)
		if err != nil || r < prev {
			t.Fatalf("RFromPESQWB(%v) = %v, %v after %v: want non-decreasing", p, r, err, prev)
		}
		prev = r
	}
	if _, err := RFromPESQWB(math.Inf(1)); !errors.Is(err, ErrNotFinite) {
		t.Errorf("Inf: %v", err)
	}
}

// TestFitBplRecoversKnownValues fits points made from a known Ie and Bpl, exact and with
// noise, and checks the fit returns them.
func TestFitBplRecoversKnownValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		ie, bpl, burst, noise, tol float64
	}{
		{ie: 10, bpl: 12, burst: 1, tol: 1e-6},
		{ie: 25, bpl: 40, burst: 2, tol: 1e-6},
		{ie: 3, bpl: 250, burst: 1, tol: 1e-4},
		{ie: 10, bpl: 12, burst: 1, noise: 1, tol: 1.5},
		{ie: 30, bpl: 30, burst: 2.2, noise: 2, tol: 6},
	} {
		var pts []LossPoint
		pts = append(pts, LossPoint{Loss: 0, IeEff: tc.ie + 50}) // ignored: no loss
		for _, loss := range []float64{0.03, 0.05, 0.1, 0.15, 0.2, 0.3} {
			for range 4 {
				v, err := LossImpairment(Wideband, tc.ie, tc.bpl, loss, tc.burst)
				if err != nil {
					t.Fatal(err)
				}
				pts = append(pts, LossPoint{Loss: loss, BurstRatio: tc.burst, IeEff: v + tc.noise*rng.NormFloat64()})
			}
		}
		bpl, rmse, err := FitBpl(Wideband, tc.ie, pts)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(bpl-tc.bpl) > tc.tol {
			t.Errorf("%+v: fitted Bpl %v", tc, bpl)
		}
		if tc.noise == 0 && rmse > 1e-6 {
			t.Errorf("%+v: exact points fit with RMSE %v", tc, rmse)
		}
		if tc.noise > 0 && (rmse < tc.noise/2 || rmse > 2*tc.noise) {
			t.Errorf("%+v: RMSE %v far from the noise", tc, rmse)
		}
	}
}

func TestFitBplBounds(t *testing.T) {
	// Loss that costs nothing: Bpl at the top of the range.
	pts := []LossPoint{{Loss: 0.1, IeEff: 10}, {Loss: 0.2, IeEff: 9}}
	if bpl, _, err := FitBpl(Wideband, 10, pts); err != nil || bpl < 999 {
		t.Errorf("no loss cost: Bpl %v, %v; want the upper bound", bpl, err)
	}
	// Loss that costs everything: Bpl at 1.
	pts = []LossPoint{{Loss: 0.1, IeEff: 129}, {Loss: 0.2, IeEff: 129}}
	if bpl, _, err := FitBpl(Wideband, 10, pts); err != nil || bpl > 1.01 {
		t.Errorf("total loss cost: Bpl %v, %v; want 1", bpl, err)
	}
	if _, _, err := FitBpl(Wideband, 10, []LossPoint{{Loss: 0, IeEff: 10}}); !errors.Is(err, ErrFit) {
		t.Errorf("no lossy point: %v", err)
	}
	if _, _, err := FitBpl(Wideband, 10, []LossPoint{{Loss: 2, IeEff: 10}}); !errors.Is(err, ErrLoss) {
		t.Errorf("loss 2: %v", err)
	}
	if _, _, err := FitBpl(Wideband, 10, []LossPoint{{Loss: 0.1, IeEff: math.NaN()}}); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN Ie,eff: %v", err)
	}
	if _, _, err := FitBpl(Wideband, 200, nil); !errors.Is(err, ErrIe) {
		t.Errorf("Ie 200: %v", err)
	}
}
