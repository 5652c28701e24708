package emodel

import (
	"fmt"
	"math"
	"time"
)

// Basic ratings and loss ceilings of the two scales.
const (
	// R0Narrowband is the G.107 rating with every parameter at its default and no delay, loss or
	// codec impairment (Ro − Is − Idle = 94.77 − 1.41 − 0.15); Terminal derives it.
	R0Narrowband = 93.2
	// R0Wideband is the G.107.1 basic rating Ro,WB of the wideband scale.
	R0Wideband = 129.0
	// RmaxNarrowband is Rmax in the G.107 Ie,eff formula.
	RmaxNarrowband = 95.0
	// RmaxWideband is Rmax in the G.107.1 Ie,eff,WB formula.
	RmaxWideband = 129.0
	// MaxAdvantage is the largest advantage factor A that G.107 §7.6 tabulates.
	MaxAdvantage = 20.0
)

// Band is the audio bandwidth of a call. It selects the rating scale: Narrowband is scored with
// G.107, Wideband and SuperWideband with G.107.1 (the Opus table gives super-wideband
// impairments on the wideband scale). The zero value is invalid.
type Band int

// Bands.
const (
	Narrowband    Band = iota + 1 // 300–3400 Hz, G.107 scale
	Wideband                      // 50–7000 Hz, G.107.1 scale
	SuperWideband                 // 50–14000 Hz, scored on the G.107.1 scale
)

// String returns "NB", "WB", "SWB" or "Band(n)".
func (b Band) String() string {
	switch b {
	case Narrowband:
		return "NB"
	case Wideband:
		return "WB"
	case SuperWideband:
		return "SWB"
	}
	return fmt.Sprintf("Band(%d)", int(b))
}

// bandScale holds the constants of one rating scale.
type bandScale struct {
	r0, rmax, mosDivisor float64
}

// scale returns b's rating constants, or ErrBand.
func (b Band) scale() (bandScale, error) {
	switch b {
	case Narrowband:
		return bandScale{r0: R0Narrowband, rmax: RmaxNarrowband, mosDivisor: 1}, nil
	case Wideband, SuperWideband:
		return bandScale{r0: R0Wideband, rmax: RmaxWideband, mosDivisor: WidebandScale}, nil
	}
	return bandScale{}, fmt.Errorf("%w: %v", ErrBand, b)
}

// MOS converts a rating on b's scale into MOS_CQE: MOS(r) for Narrowband, MOS(r/1.29) for
// Wideband and SuperWideband. An invalid band yields NaN.
func (b Band) MOS(r float64) float64 {
	sc, err := b.scale()
	if err != nil {
		return math.NaN()
	}
	return MOS(r / sc.mosDivisor)
}

// Input is one call condition to score. Every field is on the scale of Band.
type Input struct {
	// Band selects the scale (required).
	Band Band
	// MouthToEar is the one-way mouth-to-ear delay Ta, ≥ 0: capture, encoder frame and
	// look-ahead, packetization, network one-way delay, jitter-buffer delay, decoding and
	// playout device.
	MouthToEar time.Duration
	// Loss is the fraction 0..1 of packets lost after the jitter buffer and concealment:
	// network loss + late loss − loss recovered by FEC or RED (see PostBufferLoss).
	Loss float64
	// BurstRatio is BurstR ≥ 1: 1 for random loss, larger for bursty loss (see BurstRatio*
	// helpers). The zero value means 1.
	BurstRatio float64
	// Ie is the codec's equipment impairment factor, in [0, Rmax] of the scale.
	Ie float64
	// Bpl is the codec's packet-loss robustness factor, ≥ 1.
	Bpl float64
	// Advantage is the advantage factor A in [0, 20]; usually 0.
	Advantage float64
}

// Result is a scored call condition with its intermediate terms, for debugging and logging.
// R = R0 − Id − IeEff + Advantage.
type Result struct {
	Band Band
	// R is the transmission rating on Band's scale (at most 93.2 narrowband, 129 wideband). It is
	// not clamped and may be negative for very poor conditions.
	R float64
	// MOS is MOS_CQE in [1, 4.5]; for the wideband scale it is computed from R/1.29.
	MOS float64
	// R0 is the basic rating of the scale (93.2 or 129).
	R0 float64
	// Id is the delay impairment Idte + Idd; Idte is taken as 0 (echo cancelled), so Id = Idd.
	Id float64
	// Idd is the absolute-delay impairment for MouthToEar.
	Idd float64
	// IeEff is the effective equipment impairment Ie,eff for the loss.
	IeEff float64
	// PplPercent is the loss in percent, as used in the formula.
	PplPercent float64
	// BurstRatio is the BurstR used (the zero value resolved to 1).
	BurstRatio float64
	// Advantage is the advantage factor A.
	Advantage float64
}

// Score rates one call condition with the E-model of the input's band. It returns an error
// wrapping ErrBand, ErrDelay, ErrLoss, ErrBurstRatio, ErrIe, ErrBpl or ErrAdvantage (and
// ErrNotFinite for NaN or ±Inf) for invalid input; it never panics. R is non-increasing in
// MouthToEar and in Loss.
func Score(in Input) (Result, error) {
	sc, err := in.Band.scale()
	if err != nil {
		return Result{}, err
	}
	if in.MouthToEar < 0 {
		return Result{}, fmt.Errorf("%w: %v", ErrDelay, in.MouthToEar)
	}
	if !finite(in.Advantage) || in.Advantage < 0 || in.Advantage > MaxAdvantage {
		return Result{}, invalid(ErrAdvantage, "A", in.Advantage)
	}
	ieEff, err := LossImpairment(in.Band, in.Ie, in.Bpl, in.Loss, in.BurstRatio)
	if err != nil {
		return Result{}, err
	}
	burst, _ := resolveBurstRatio(in.BurstRatio) // validated by LossImpairment
	idd := DelayImpairment(in.MouthToEar)
	r := sc.r0 - idd - ieEff + in.Advantage
	return Result{
		Band:       in.Band,
		R:          r,
		MOS:        MOS(r / sc.mosDivisor),
		R0:         sc.r0,
		Id:         idd,
		Idd:        idd,
		IeEff:      ieEff,
		PplPercent: 100 * in.Loss,
		BurstRatio: burst,
		Advantage:  in.Advantage,
	}, nil
}

// String formats the result for logs: "WB R=99.8 MOS=3.92 (R0=129 Id=0.16 Ie,eff=29.07 Ppl=1%
// BurstR=1)".
func (r Result) String() string {
	s := fmt.Sprintf("%v R=%.1f MOS=%.2f (R0=%g Id=%.2f Ie,eff=%.2f Ppl=%.3g%% BurstR=%.3g",
		r.Band, r.R, r.MOS, r.R0, r.Id, r.IeEff, r.PplPercent, r.BurstRatio)
	if r.Advantage != 0 {
		s += fmt.Sprintf(" A=%g", r.Advantage)
	}
	return s + ")"
}
