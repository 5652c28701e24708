package emodel

import (
	"math"
	"time"
)

// delayThreshold is the mouth-to-ear delay up to which Idd = 0 (mT = 100 ms, G.107 §7.4).
const delayThreshold = 100 * time.Millisecond

// DelayImpairment returns Idd, the absolute-delay impairment of G.107 §7.4 (the same formula is
// used by G.107.1), for the mouth-to-ear delay ta:
//
//	Idd = 0                                                   for Ta ≤ 100 ms,
//	Idd = 25·{(1 + X⁶)^(1/6) − 3·(1 + (X/3)⁶)^(1/6) + 2}     above, with X = log₂(Ta / 100 ms).
//
// It is 0.2 at 150 ms, 3.0 at 200 ms, 8.9 at 250 ms, 14.8 at 300 ms, 24.1 at 400 ms and 30.6 at
// 500 ms; it is non-decreasing in ta and bounded by 50. A negative ta counts as 0. The default
// delay-sensitivity parameters are used (sT = 1, mT = 100 ms); the 2014+ edition's
// less-sensitive settings are not modelled.
func DelayImpairment(ta time.Duration) float64 {
	if ta <= delayThreshold {
		return 0
	}
	x := math.Log2(float64(ta) / float64(delayThreshold))
	return 25 * (math.Pow(1+math.Pow(x, 6), 1.0/6) - 3*math.Pow(1+math.Pow(x/3, 6), 1.0/6) + 2)
}

// DelaySlopePerMs returns dIdd/dTa at ta in R points per millisecond: the marginal cost of one
// more millisecond of mouth-to-ear delay, the exchange rate the jitter-buffer target trades
// against late loss (LossSlopePerPercent). It is 0 up to 100 ms, about 0.016 at 150 ms, 0.12 at
// 250 ms, 0.093 at 350 ms and 0.065 at 450 ms. A negative ta counts as 0.
func DelaySlopePerMs(ta time.Duration) float64 {
	if ta <= delayThreshold {
		return 0
	}
	ms := float64(ta) / float64(time.Millisecond)
	x := math.Log2(ms / 100)
	// d/dX (1+X⁶)^(1/6) = g(X) and d/dX 3(1+(X/3)⁶)^(1/6) = g(X/3), with g(u) = u⁵/(1+u⁶)^(5/6);
	// dX/dTa = 1/(Ta·ln 2).
	g := func(u float64) float64 { return math.Pow(u, 5) / math.Pow(1+math.Pow(u, 6), 5.0/6) }
	return 25 * (g(x) - g(x/3)) / (ms * math.Ln2)
}

// LossImpairment returns Ie,eff, the effective equipment impairment of G.107 §7.5 (narrowband)
// or G.107.1 (Wideband and SuperWideband, Rmax = 129):
//
//	Ie,eff = Ie + (Rmax − Ie) · Ppl / (Ppl/BurstR + Bpl),    Ppl = 100·loss (percent).
//
// loss is the fraction 0..1 of packets lost after the jitter buffer and concealment; burstRatio
// is BurstR ≥ 1 (0 means 1, random loss); ie is in [0, Rmax] and bpl ≥ 1 on the band's scale.
// The result is at least ie, non-decreasing in loss and finite. It exceeds Rmax (driving R below
// 0 and MOS to 1) when Ppl·(1 − 1/BurstR) > Bpl, i.e. under heavy bursty loss.
func LossImpairment(band Band, ie, bpl, loss, burstRatio float64) (float64, error) {
	s, err := checkLoss(band, ie, bpl, loss, burstRatio)
	if err != nil {
		return 0, err
	}
	ppl := 100 * loss
	return ie + (s.rmax-ie)*ppl/(ppl/s.burst+bpl), nil
}

// LossSlopePerPercent returns dIe,eff/dPpl at loss, in R points per percentage point of loss:
// (Rmax − Ie)·Bpl / (Ppl/BurstR + Bpl)². With the arguments of LossImpairment. For Opus SWB VBR
// at 25 kb/s and random loss it is about 9.6 at 0 % loss, so 1 % of late loss costs as much as
// raising the mouth-to-ear delay from 200 to 280 ms.
func LossSlopePerPercent(band Band, ie, bpl, loss, burstRatio float64) (float64, error) {
	s, err := checkLoss(band, ie, bpl, loss, burstRatio)
	if err != nil {
		return 0, err
	}
	d := 100*loss/s.burst + bpl
	return (s.rmax - ie) * bpl / (d * d), nil
}

// lossScale carries the validated constants of one loss computation.
type lossScale struct {
	rmax  float64 // 95 or 129
	burst float64 // BurstR, zero value resolved to 1
}

// checkLoss validates the arguments of LossImpairment.
func checkLoss(band Band, ie, bpl, loss, burstRatio float64) (lossScale, error) {
	sc, err := band.scale()
	if err != nil {
		return lossScale{}, err
	}
	if !finite(ie) || ie < 0 || ie > sc.rmax {
		return lossScale{}, invalid(ErrIe, "Ie", ie)
	}
	if !finite(bpl) || bpl < 1 {
		return lossScale{}, invalid(ErrBpl, "Bpl", bpl)
	}
	if !finite(loss) || loss < 0 || loss > 1 {
		return lossScale{}, invalid(ErrLoss, "loss", loss)
	}
	b, err := resolveBurstRatio(burstRatio)
	if err != nil {
		return lossScale{}, err
	}
	return lossScale{rmax: sc.rmax, burst: b}, nil
}

// resolveBurstRatio validates BurstR and maps the zero value to 1.
func resolveBurstRatio(b float64) (float64, error) {
	if b == 0 {
		return 1, nil
	}
	if !finite(b) || b < 1 {
		return 0, invalid(ErrBurstRatio, "BurstR", b)
	}
	return b, nil
}
