package emodel

import (
	"fmt"
	"math"
)

// RFromMOS inverts Band.MOS: the rating on b's scale whose MOS_CQE is mos. A MOS at or below 1
// maps to 0 and one at or above 4.5 to the scale's top (100 narrowband, 129 wideband), since MOS
// is flat outside those bounds. It is how a listening-quality score such as PESQ-WB (P.862.2,
// read as a MOS on the G.107.1 scale) becomes an R for the impairment fit. The result is
// accurate to 1e-9 R and non-decreasing in mos.
func (b Band) RFromMOS(mos float64) (float64, error) {
	sc, err := b.scale()
	if err != nil {
		return 0, err
	}
	if !finite(mos) {
		return 0, invalid(ErrMOS, "MOS", mos)
	}
	switch {
	case mos <= 1:
		return 0, nil
	case mos >= 4.5:
		return 100 * sc.mosDivisor, nil
	}
	// MOS is continuous and non-decreasing on [0, 100]: bisection.
	lo, hi := 0.0, 100.0
	for hi-lo > 1e-11 {
		mid := (lo + hi) / 2
		if MOS(mid) < mos {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2 * sc.mosDivisor, nil
}

// LossPoint is one measured condition of a codec setting for FitBpl: the network loss, its
// burst ratio and the effective equipment impairment measured under it (Rmax − R, with R from
// the listening-quality score of the decoded audio).
type LossPoint struct {
	Loss       float64 // network loss fraction, 0..1
	BurstRatio float64 // BurstR ≥ 1 (0 means 1)
	IeEff      float64 // measured Ie,eff on the band's scale
}

// Bpl fit bounds: below 1 the E-model is undefined; above maxFitBpl loss costs next to nothing,
// which a finite measurement cannot tell from a larger value.
const (
	minFitBpl = 1.0
	maxFitBpl = 1000.0
)

// FitBpl returns the Bpl in [1, 1000] minimising the squared error between LossImpairment(band,
// ie, Bpl, p.Loss, p.BurstRatio) and p.IeEff over the points, and the root-mean-square error of
// that fit (in R points). Points with zero loss carry no information about Bpl and are ignored;
// when none has loss it returns ErrFit. Invalid arguments return the sentinels of
// LossImpairment. Deterministic: a coarse logarithmic grid, then golden-section search.
func FitBpl(band Band, ie float64, pts []LossPoint) (bpl, rmse float64, err error) {
	if _, err := checkLoss(band, ie, minFitBpl, 0, 1); err != nil {
		return 0, 0, err
	}
	n := 0
	for i, p := range pts {
		if _, err := checkLoss(band, ie, minFitBpl, p.Loss, p.BurstRatio); err != nil {
			return 0, 0, fmt.Errorf("point %d: %w", i, err)
		}
		if !finite(p.IeEff) {
			return 0, 0, fmt.Errorf("point %d: %w", i, invalid(ErrIe, "Ie,eff", p.IeEff))
		}
		if p.Loss > 0 {
			n++
		}
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("%w: %d points, none with loss", ErrFit, len(pts))
	}
	sse := func(logB float64) float64 {
		b := math.Exp(logB)
		var s float64
		for _, p := range pts {
			if p.Loss <= 0 {
				continue
			}
			m, _ := LossImpairment(band, ie, b, p.Loss, p.BurstRatio) // validated above
			d := m - p.IeEff
			s += d * d
		}
		return s
	}
	lo, hi := math.Log(minFitBpl), math.Log(maxFitBpl)
	const grid = 64
	best, bestS := lo, math.Inf(1)
	for i := 0; i <= grid; i++ {
		x := lo + (hi-lo)*float64(i)/grid
		if s := sse(x); s < bestS {
			best, bestS = x, s
		}
	}
	step := (hi - lo) / grid
	a, c := max(lo, best-step), min(hi, best+step)
	const phi = 0.6180339887498949
	x1, x2 := c-phi*(c-a), a+phi*(c-a)
	f1, f2 := sse(x1), sse(x2)
	for c-a > 1e-9 {
		if f1 < f2 {
			c, x2, f2 = x2, x1, f1
			x1 = c - phi*(c-a)
			f1 = sse(x1)
		} else {
			a, x1, f1 = x1, x2, f2
			x2 = a + phi*(c-a)
			f2 = sse(x2)
		}
	}
	x := (a + c) / 2
	if s := sse(x); s > bestS { // the grid point was better (flat or edge optimum)
		x = best
	}
	return math.Exp(x), math.Sqrt(sse(x) / float64(n)), nil
}

// The output range of PESQ-WB (P.862.2): an unimpaired signal scores PESQWBMax.
const (
	PESQWBMin = 1.04
	PESQWBMax = 4.64
)

// RFromPESQWB converts a PESQ-WB score into an R on the wideband (G.107.1) scale: P.862.2's
// output range [PESQWBMin, PESQWBMax] is mapped linearly onto MOS_CQE's [1, 4.5] (so that the
// unimpaired reference rates R = 129, as P.834.1 normalises Ie,WB to the direct channel), and
// the MOS is inverted with Wideband.RFromMOS. Scores outside the range are clamped to it.
func RFromPESQWB(pesq float64) (float64, error) {
	if !finite(pesq) {
		return 0, invalid(ErrMOS, "PESQ-WB", pesq)
	}
	if pesq >= PESQWBMax {
		return RmaxWideband, nil
	}
	p := max(pesq, PESQWBMin)
	return Wideband.RFromMOS(1 + (p-PESQWBMin)*3.5/(PESQWBMax-PESQWBMin))
}
