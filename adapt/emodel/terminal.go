package emodel

import (
	"fmt"
	"math"
	"time"
)

// Terminal holds the G.107 (06/2015) §7 transmission parameters that determine the narrowband
// basic rating: loudness ratings, sidetone, noise, room noise, quantizing distortion and echo.
// Terminal.Rating derives from them the part of R that does not depend on the mouth-to-ear
// delay or on the codec and loss; with DefaultTerminal it is R0Narrowband = 93.2.
//
// The zero value is not the default terminal; start from DefaultTerminal.
type Terminal struct {
	SLR  float64 // send loudness rating, dB (default 8)
	RLR  float64 // receive loudness rating, dB (default 2)
	STMR float64 // sidetone masking rating, dB (default 15)
	LSTR float64 // listener sidetone rating, dB (default 18)
	Ds   float64 // D-value of the telephone, send side (default 3)
	Dr   float64 // D-value of the telephone, receive side (default 3)
	TELR float64 // talker echo loudness rating, dB (default 65)
	WEPL float64 // weighted echo path loss, dB (default 110)
	// T is the mean one-way delay of the talker-echo path (default 0); ≥ 0.
	T time.Duration
	// Tr is the round-trip delay in a 4-wire loop, for listener echo (default 0); ≥ 0.
	Tr   time.Duration
	Qdu  float64 // number of quantizing distortion units, ≥ 1 (default 1)
	Nc   float64 // circuit noise referred to the 0 dBr point, dBm0p (default −70)
	Nfor float64 // noise floor at the receive side, dBmp (default −64)
	Ps   float64 // room noise at the send side, dB(A) (default 35)
	Pr   float64 // room noise at the receive side, dB(A) (default 35)
}

// DefaultTerminal returns the G.107 Table 3 default values.
func DefaultTerminal() Terminal {
	return Terminal{SLR: 8, RLR: 2, STMR: 15, LSTR: 18, Ds: 3, Dr: 3, TELR: 65, WEPL: 110,
		Qdu: 1, Nc: -70, Nfor: -64, Ps: 35, Pr: 35}
}

// Rating is Terminal.Rating's result: the G.107 terms that do not depend on Ta, Ie, loss or A.
type Rating struct {
	No   float64 // power addition of the noise sources, dBm0p (§7.2)
	Ro   float64 // basic signal-to-noise ratio (§7.2)
	Iolr float64 // impairment of too-low overall loudness rating (§7.3)
	Ist  float64 // non-optimum sidetone impairment (§7.3)
	Iq   float64 // quantizing distortion impairment (§7.3)
	Is   float64 // simultaneous impairment Iolr + Ist + Iq (§7.3)
	Idte float64 // talker echo impairment (§7.4)
	Idle float64 // listener echo impairment (§7.4)
	// R0 = Ro − Is − Idte − Idle: the rating before the absolute-delay, equipment and
	// advantage terms. 93.2 for DefaultTerminal.
	R0 float64
}

// Rating evaluates G.107 §7.2–7.4 for the terminal. It returns ErrTerminal (and ErrNotFinite)
// for a NaN or infinite parameter, Qdu below 1, or a negative T or Tr. Values outside the ranges
// G.107 Table 3 recommends are computed, but lie outside the model's validated range.
func (t Terminal) Rating() (Rating, error) {
	for _, p := range [...]struct {
		name string
		v    float64
	}{{"SLR", t.SLR}, {"RLR", t.RLR}, {"STMR", t.STMR}, {"LSTR", t.LSTR}, {"Ds", t.Ds},
		{"Dr", t.Dr}, {"TELR", t.TELR}, {"WEPL", t.WEPL}, {"qdu", t.Qdu}, {"Nc", t.Nc},
		{"Nfor", t.Nfor}, {"Ps", t.Ps}, {"Pr", t.Pr}} {
		if !finite(p.v) {
			return Rating{}, invalid(ErrTerminal, p.name, p.v)
		}
	}
	if t.Qdu < 1 {
		return Rating{}, invalid(ErrTerminal, "qdu", t.Qdu)
	}
	if t.T < 0 || t.Tr < 0 {
		return Rating{}, fmt.Errorf("%w: negative echo delay (T = %v, Tr = %v)", ErrTerminal, t.T,
			t.Tr)
	}
	var r Rating
	lg := math.Log10
	p10 := func(db float64) float64 { return math.Pow(10, db/10) }
	olr := t.SLR + t.RLR

	// §7.2 Basic signal-to-noise ratio.
	nos := t.Ps - t.SLR - t.Ds - 100 + 0.004*sq(t.Ps-olr-t.Ds-14) // room noise, send side
	pre := t.Pr + 10*lg(1+p10(10-t.LSTR))                         // effective receive room noise
	nor := t.RLR - 121 + pre + 0.008*sq(pre-35)                   // room noise, receive side
	nfo := t.Nfor + t.RLR                                         // noise floor, receive side
	r.No = 10 * lg(p10(t.Nc)+p10(nos)+p10(nor)+p10(nfo))
	r.Ro = 15 - 1.5*(t.SLR+r.No)

	// §7.3 Simultaneous impairment.
	xolr := olr + 0.2*(64+r.No-t.RLR)
	r.Iolr = 20 * (math.Pow(1+math.Pow(xolr/8, 8), 1.0/8) - xolr/8)
	tMs := float64(t.T) / float64(time.Millisecond)
	stmro := -10 * lg(p10(-t.STMR)+math.Exp(-tMs/4)*p10(-t.TELR))
	r.Ist = 12*math.Pow(1+math.Pow((stmro-13)/6, 8), 1.0/8) -
		28*math.Pow(1+math.Pow((stmro+1)/19.4, 35), 1.0/35) -
		13*math.Pow(1+math.Pow((stmro-3)/33, 13), 1.0/13) + 29
	q := 37 - 15*lg(t.Qdu)
	g := 1.07 + 0.258*q + 0.0602*q*q
	y := (r.Ro-100)/15 + 46/8.4 - g/9
	z := 46/30.0 - g/40
	r.Iq = 15 * lg(1+math.Pow(10, y)+math.Pow(10, z))
	r.Is = r.Iolr + r.Ist + r.Iq

	// §7.4 Delay impairment, echo terms (Idd depends on Ta and is DelayImpairment).
	roe := -1.5 * (r.No - t.RLR)
	terv := t.TELR - 40*lg((1+tMs/10)/(1+tMs/150)) + 6*math.Exp(-0.3*tMs*tMs)
	if t.STMR < 9 {
		terv += r.Ist / 2 // TERVs
	}
	re := 80 + 2.5*(terv-14)
	r.Idte = ((roe-re)/2 + math.Sqrt(sq(roe-re)/4+100) - 1) * (1 - math.Exp(-tMs))
	if t.STMR > 20 {
		r.Idte = math.Sqrt(sq(r.Idte) + sq(r.Ist)) // Idtes
	}
	trMs := float64(t.Tr) / float64(time.Millisecond)
	rle := 10.5 * (t.WEPL + 7) * math.Pow(trMs+1, -0.25)
	r.Idle = (r.Ro-rle)/2 + math.Sqrt(sq(r.Ro-rle)/4+169)

	r.R0 = r.Ro - r.Is - r.Idte - r.Idle
	return r, nil
}

// sq returns x².
func sq(x float64) float64 { return x * x }
