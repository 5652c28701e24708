package emodel

import (
	"errors"
	"math"
	"testing"
	"time"
)

// near reports whether got is within tol of want.
func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// TestG107DefaultRating derives the narrowband basic rating from the G.107 Table 3 defaults:
// Ro = 94.77, Is = 1.41, Idle = 0.15, Idte = 0, so R = 93.2.
func TestG107DefaultRating(t *testing.T) {
	r, err := DefaultTerminal().Rating()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("G.107 defaults: No=%.3f Ro=%.3f Iolr=%.3f Ist=%.4f Iq=%.3f Is=%.3f Idte=%.3f Idle=%.3f R0=%.3f",
		r.No, r.Ro, r.Iolr, r.Ist, r.Iq, r.Is, r.Idte, r.Idle, r.R0)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"No", r.No, -61.18}, {"Ro", r.Ro, 94.77}, {"Is", r.Is, 1.41}, {"Idte", r.Idte, 0},
		{"Idle", r.Idle, 0.15}, {"R0", r.R0, 93.2},
	} {
		if !near(c.got, c.want, 0.005) && !(c.name == "R0" && near(c.got, c.want, 0.05)) {
			t.Errorf("%s = %.4f, want %.2f", c.name, c.got, c.want)
		}
	}
	if !near(r.R0, R0Narrowband, 0.05) {
		t.Errorf("derived R0 %.3f does not round to R0Narrowband %v", r.R0, R0Narrowband)
	}
	// The full model at the defaults (Ta = 0, Ie = 0, no loss, A = 0) is R = 93.2.
	res, err := Score(Input{Band: Narrowband, Bpl: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.R != 93.2 || res.Id != 0 || res.IeEff != 0 {
		t.Errorf("NB defaults: %v, want R = 93.2 with Id = Ie,eff = 0", res)
	}
	if !near(res.MOS, 4.41, 0.005) {
		t.Errorf("NB defaults: MOS %.4f, want 4.41", res.MOS)
	}
}

func TestTerminalErrors(t *testing.T) {
	for _, mod := range []func(*Terminal){
		func(t *Terminal) { t.SLR = math.NaN() },
		func(t *Terminal) { t.Pr = math.Inf(1) },
		func(t *Terminal) { t.Qdu = 0.5 },
		func(t *Terminal) { t.T = -time.Millisecond },
		func(t *Terminal) { t.Tr = -time.Millisecond },
	} {
		term := DefaultTerminal()
		mod(&term)
		if _, err := term.Rating(); !errors.Is(err, ErrTerminal) {
			t.Errorf("%+v: err = %v, want ErrTerminal", term, err)
		}
	}
	// Talker echo with a poorly cancelled echo (TELR 35 dB, T = 100 ms) costs rating.
	term := DefaultTerminal()
	term.TELR, term.T = 35, 100*time.Millisecond
	r, err := term.Rating()
	if err != nil || !(r.Idte > 10) || !(r.R0 < 80) {
		t.Errorf("TELR 35 dB, T 100 ms: %+v, %v; want a large Idte", r, err)
	}
}

func TestWidebandR0(t *testing.T) {
	res, err := Score(Input{Band: Wideband, Bpl: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.R != 129 || res.R0 != 129 || res.MOS != 4.5 {
		t.Errorf("WB defaults: %v, want R = R0 = 129, MOS 4.5", res)
	}
	swb, _ := Score(Input{Band: SuperWideband, Bpl: 1})
	if swb.R != 129 {
		t.Errorf("SWB is scored on the WB scale: R = %v", swb.R)
	}
}

// TestDelayImpairmentValues checks Idd against the values tabulated from G.107 §7.4.
func TestDelayImpairmentValues(t *testing.T) {
	for _, c := range []struct {
		ms   int
		want float64
	}{{0, 0}, {100, 0}, {150, 0.2}, {200, 3.0}, {250, 8.9}, {300, 14.8}, {400, 24.1}, {500, 30.6}} {
		got := DelayImpairment(time.Duration(c.ms) * time.Millisecond)
		t.Logf("Idd(%d ms) = %.3f", c.ms, got)
		if !near(got, c.want, 0.05) {
			t.Errorf("Idd(%d ms) = %.3f, want %.1f", c.ms, got, c.want)
		}
	}
	if got := DelayImpairment(-time.Second); got != 0 {
		t.Errorf("Idd(-1 s) = %v, want 0", got)
	}
	if got := DelayImpairment(time.Duration(math.MaxInt64)); !(got > 49 && got <= 50) {
		t.Errorf("Idd(max) = %v, want just under the bound 50", got)
	}
}

// TestExchangeRates checks the slopes used by the jitter-buffer target against finite
// differences and against the rates quoted in EMODEL.md.
func TestExchangeRates(t *testing.T) {
	ms := func(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
	for n := 101.0; n < 1000; n += 7 {
		fd := (DelayImpairment(ms(n+0.01)) - DelayImpairment(ms(n-0.01))) / 0.02
		if got := DelaySlopePerMs(ms(n)); !near(got, fd, 1e-4) {
			t.Fatalf("DelaySlopePerMs(%v ms) = %v, finite difference %v", n, got, fd)
		}
	}
	for _, c := range []struct {
		lo, hi float64
		want   float64
	}{{200, 300, 0.12}, {300, 400, 0.09}, {400, 500, 0.065}} {
		got := (DelayImpairment(ms(c.hi)) - DelayImpairment(ms(c.lo))) / (c.hi - c.lo)
		t.Logf("mean delay cost %v–%v ms: %.4f R/ms", c.lo, c.hi, got)
		if !near(got, c.want, 0.005) {
			t.Errorf("mean cost %v–%v ms = %.4f R/ms, want ≈ %v", c.lo, c.hi, got, c.want)
		}
	}
	if got := DelaySlopePerMs(ms(100)); got != 0 {
		t.Errorf("slope at 100 ms = %v, want 0", got)
	}
	im, err := OpusTable().Impairment(SuperWideband, VBR, 25000)
	if err != nil {
		t.Fatal(err)
	}
	s0, err := LossSlopePerPercent(im.Band, im.Ie, im.BplRandom, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	at0, _ := LossImpairment(im.Band, im.Ie, im.BplRandom, 0, 1)
	at1, _ := LossImpairment(im.Band, im.Ie, im.BplRandom, 0.01, 1)
	t.Logf("SWB VBR 25k: dIe,eff/dPpl at 0 %% = %.2f; 0→1 %% costs %.2f R", s0, at1-at0)
	if !near(at1-at0, 9, 0.25) || !near(s0, 9.64, 0.01) {
		t.Errorf("1 %% loss costs %.2f R (slope %.2f), want ≈ 9", at1-at0, s0)
	}
	for p := 0.0; p < 0.2; p += 0.0037 {
		fd := (must(LossImpairment(Wideband, 20, 11, p+1e-6, 1.5)) -
			must(LossImpairment(Wideband, 20, 11, p, 1.5))) / 1e-4
		if got := must(LossSlopePerPercent(Wideband, 20, 11, p, 1.5)); !near(got, fd, 1e-3) {
			t.Fatalf("LossSlopePerPercent(%v) = %v, finite difference %v", p, got, fd)
		}
	}
}

// must unwraps a value in tests whose arguments are known to be valid.
func must(v float64, err error) float64 {
	if err != nil {
		panic(err)
	}
	return v
}

// TestMOSMapping checks the G.107 Annex B endpoints and shape.
func TestMOSMapping(t *testing.T) {
	for _, c := range []struct{ r, want float64 }{
		{-50, 1}, {0, 1}, {3.2, 1}, {100, 4.5}, {129, 4.5}, {1e9, 4.5}, {50, 2.58}, {93.2, 4.41},
		{80, 4.02},
	} {
		if got := MOS(c.r); !near(got, c.want, 0.005) {
			t.Errorf("MOS(%v) = %.4f, want %v", c.r, got, c.want)
		}
	}
	if !math.IsNaN(MOS(math.NaN())) {
		t.Error("MOS(NaN) is not NaN")
	}
	if got := MOS(math.Nextafter(100, 0)); !near(got, 4.5, 1e-9) {
		t.Errorf("MOS is discontinuous at 100: %v", got)
	}
	prev := MOS(-1)
	for r := -1.0; r <= 110; r += 0.01 {
		m := MOS(r)
		if m < prev || m < 1 || m > 4.5 {
			t.Fatalf("MOS(%v) = %v after %v: not non-decreasing within [1, 4.5]", r, m, prev)
		}
		prev = m
	}
	if got := Wideband.MOS(129); got != 4.5 {
		t.Errorf("Wideband.MOS(129) = %v", got)
	}
	if got := Wideband.MOS(1.29 * 80); got != MOS(80) {
		t.Errorf("Wideband.MOS(103.2) = %v, want MOS(80) = %v", got, MOS(80))
	}
	if !math.IsNaN(Band(0).MOS(50)) {
		t.Error("invalid band MOS is not NaN")
	}
}

// TestMonotonic checks that R (and MOS) never rise with delay or with loss, over a grid of
// delays, losses, burst ratios and codecs on both scales.
func TestMonotonic(t *testing.T) {
	codecs := []Input{
		{Band: Narrowband, Ie: 0, Bpl: 1},
		{Band: Narrowband, Ie: 11.7, Bpl: 18.9},
		{Band: Wideband, Ie: 28.4, Bpl: 23.9},
		{Band: SuperWideband, Ie: 20.2, Bpl: 9.18},
		{Band: SuperWideband, Ie: 0, Bpl: 1, Advantage: 5},
	}
	for _, in := range codecs {
		for _, burst := range []float64{1, 2, 4} {
			in.BurstRatio = burst
			// R along delay, for each loss.
			for loss := 0.0; loss <= 1; loss += 0.05 {
				in.Loss = loss
				prev := math.Inf(1)
				prevMOS := math.Inf(1)
				for ms := 0; ms <= 1500; ms += 5 {
					in.MouthToEar = time.Duration(ms) * time.Millisecond
					res, err := Score(in)
					if err != nil {
						t.Fatal(err)
					}
					if res.R > prev || res.MOS > prevMOS {
						t.Fatalf("%+v: R rose with delay to %v (from %v)", in, res.R, prev)
					}
					prev, prevMOS = res.R, res.MOS
				}
			}
			// R along loss, for each delay.
			for ms := 0; ms <= 1000; ms += 50 {
				in.MouthToEar = time.Duration(ms) * time.Millisecond
				prev := math.Inf(1)
				prevMOS := math.Inf(1)
				for i := 0; i <= 400; i++ {
					in.Loss = float64(i) / 400
					res, err := Score(in)
					if err != nil {
						t.Fatal(err)
					}
					if res.R > prev || res.MOS > prevMOS {
						t.Fatalf("%+v: R rose with loss to %v (from %v)", in, res.R, prev)
					}
					prev, prevMOS = res.R, res.MOS
				}
			}
		}
	}
}

func TestScoreErrors(t *testing.T) {
	ok := Input{Band: Wideband, MouthToEar: 150 * time.Millisecond, Loss: 0.01, BurstRatio: 1,
		Ie: 20, Bpl: 10}
	nan := math.NaN()
	for _, c := range []struct {
		name   string
		mod    func(*Input)
		want   error
		finite bool // want ErrNotFinite too
	}{
		{"zero band", func(in *Input) { in.Band = 0 }, ErrBand, false},
		{"fullband", func(in *Input) { in.Band = 4 }, ErrBand, false},
		{"negative delay", func(in *Input) { in.MouthToEar = -time.Nanosecond }, ErrDelay, false},
		{"loss > 1", func(in *Input) { in.Loss = 1.01 }, ErrLoss, false},
		{"loss < 0", func(in *Input) { in.Loss = -0.01 }, ErrLoss, false},
		{"loss NaN", func(in *Input) { in.Loss = nan }, ErrLoss, true},
		{"loss +Inf", func(in *Input) { in.Loss = math.Inf(1) }, ErrLoss, true},
		{"BurstR < 1", func(in *Input) { in.BurstRatio = 0.5 }, ErrBurstRatio, false},
		{"BurstR negative", func(in *Input) { in.BurstRatio = -1 }, ErrBurstRatio, false},
		{"BurstR NaN", func(in *Input) { in.BurstRatio = nan }, ErrBurstRatio, true},
		{"BurstR Inf", func(in *Input) { in.BurstRatio = math.Inf(1) }, ErrBurstRatio, true},
		{"Ie negative", func(in *Input) { in.Ie = -1 }, ErrIe, false},
		{"Ie above Rmax WB", func(in *Input) { in.Ie = 130 }, ErrIe, false},
		{"Ie above Rmax NB", func(in *Input) { in.Band, in.Ie = Narrowband, 96 }, ErrIe, false},
		{"Ie NaN", func(in *Input) { in.Ie = nan }, ErrIe, true},
		{"Bpl zero", func(in *Input) { in.Bpl = 0 }, ErrBpl, false},
		{"Bpl below 1", func(in *Input) { in.Bpl = 0.99 }, ErrBpl, false},
		{"Bpl NaN", func(in *Input) { in.Bpl = nan }, ErrBpl, true},
		{"A negative", func(in *Input) { in.Advantage = -1 }, ErrAdvantage, false},
		{"A above 20", func(in *Input) { in.Advantage = 21 }, ErrAdvantage, false},
		{"A NaN", func(in *Input) { in.Advantage = nan }, ErrAdvantage, true},
	} {
		in := ok
		c.mod(&in)
		_, err := Score(in)
		if !errors.Is(err, c.want) || errors.Is(err, ErrNotFinite) != c.finite {
			t.Errorf("%s: err = %v, want %v (ErrNotFinite %v)", c.name, err, c.want, c.finite)
			continue
		}
		if msg := err.Error(); len(msg) < 8 || msg[:8] != "emodel: " {
			t.Errorf("%s: error %q lacks the package prefix", c.name, msg)
		}
	}
	if _, err := Score(ok); err != nil {
		t.Errorf("valid input: %v", err)
	}
	// Edge values are valid: loss 0 and 1, BurstR 1 and the zero value, Ie = Rmax, A = 20.
	for _, in := range []Input{
		{Band: Narrowband, Loss: 1, Ie: 95, Bpl: 1},
		{Band: Wideband, Loss: 1, BurstRatio: 1, Ie: 129, Bpl: 1, Advantage: 20},
		{Band: Wideband, Loss: 1, BurstRatio: math.MaxFloat64, Ie: 0, Bpl: 1},
	} {
		if res, err := Score(in); err != nil || math.IsNaN(res.R) {
			t.Errorf("%+v: %v, %v", in, res, err)
		}
	}
}

func TestResultString(t *testing.T) {
	res, err := Score(Input{Band: Wideband, MouthToEar: 150 * time.Millisecond, Loss: 0.01,
		Ie: 20.20905481, Bpl: 11.28})
	if err != nil {
		t.Fatal(err)
	}
	const want = "WB R=99.8 MOS=3.92 (R0=129 Id=0.16 Ie,eff=29.07 Ppl=1% BurstR=1)"
	if got := res.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestTalkerEcho backs the package documentation's note on the omitted Idte: at the G.107
// default TELR of 65 dB it is 0 for T = 0 and about 1.0, 2.0 and 2.8 for 50, 100 and 150 ms.
func TestTalkerEcho(t *testing.T) {
	for _, c := range []struct {
		ms   int
		want float64
	}{{0, 0}, {50, 1.0}, {100, 2.0}, {150, 2.8}} {
		term := DefaultTerminal()
		term.T = time.Duration(c.ms) * time.Millisecond
		r, err := term.Rating()
		if err != nil || !near(r.Idte, c.want, 0.05) {
			t.Errorf("Idte(TELR 65 dB, T %d ms) = %.3f, %v; want %.1f", c.ms, r.Idte, err, c.want)
		}
	}
}
