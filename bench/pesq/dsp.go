package pesq

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// ffts caches real FFT plans by length. Not safe for concurrent use.
type ffts map[int]*fourier.FFT

func (f ffts) get(n int) *fourier.FFT {
	p, ok := f[n]
	if !ok {
		p = fourier.NewFFT(n)
		f[n] = p
	}
	return p
}

// scratch is the memory a Scorer reuses from one comparison to the next: FFT plans, filter
// gains and work buffers. Not safe for concurrent use.
type scratch struct {
	plans  ffts
	gains  map[gainKey][]float64
	wins   map[int][]float64 // Hann windows by length
	r1, r2 []float64
	c1, c2 []complex128
}

// gainKey identifies a curve's gains at one FFT size and rate; curves are package-level arrays,
// so the address of the first point names one.
type gainKey struct {
	curve *freqPoint
	fs, n int
}

func (s *scratch) init() {
	if s.plans == nil {
		s.plans = ffts{}
		s.gains = map[gainKey][]float64{}
		s.wins = map[int][]float64{}
	}
}

// hann returns the cached periodic Hann window of length n (read only).
func (s *scratch) hann(n int) []float64 {
	w, ok := s.wins[n]
	if !ok {
		w = hann(n)
		s.wins[n] = w
	}
	return w
}

// curveGains returns the cached gains of curve at fs for an n-point FFT (read only).
func (s *scratch) curveGains(curve []freqPoint, fs, n int) []float64 {
	k := gainKey{&curve[0], fs, n}
	g, ok := s.gains[k]
	if !ok {
		g = curveGains(curve, fs, n)
		s.gains[k] = g
	}
	return g
}

// grow returns (*buf)[:n] zeroed, reallocating only when the capacity is short.
func grow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
		return *buf
	}
	*buf = (*buf)[:n]
	clear(*buf)
	return *buf
}

// nextPow2 returns the smallest power of two ≥ n (1 for n ≤ 1).
func nextPow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// hann returns the periodic Hann window of length n.
func hann(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.5 * (1 - math.Cos(2*math.Pi*float64(i)/float64(n)))
	}
	return w
}

// curveGainDB interpolates a piecewise-linear filter curve at hz, holding the end values beyond
// its first and last points.
func curveGainDB(curve []freqPoint, hz float64) float64 {
	if hz <= curve[0].hz {
		return curve[0].dB
	}
	last := len(curve) - 1
	if hz >= curve[last].hz {
		return curve[last].dB
	}
	k := 0
	for k+1 < last && curve[k+1].hz <= hz {
		k++
	}
	lo, hi := curve[k], curve[k+1]
	return lo.dB + (hz-lo.hz)*(hi.dB-lo.dB)/(hi.hz-lo.hz)
}

// curveGains returns the linear gains of curve, normalised to 0 dB at 1 kHz, at the bins
// 0 … n/2 of an n-point FFT at fs.
func curveGains(curve []freqPoint, fs, n int) []float64 {
	g := make([]float64, n/2+1)
	ref := curveGainDB(curve, 1000)
	res := float64(fs) / float64(n)
	lastDB, lastG := math.NaN(), 0.0
	for i := range g {
		db := curveGainDB(curve, float64(i)*res) - ref
		if db != lastDB {
			lastDB, lastG = db, math.Pow(10, db/20)
		}
		g[i] = lastG
	}
	return g
}

// applyCurve filters x in place in the frequency domain with the magnitude response of curve,
// normalised to 0 dB at 1 kHz, using one zero-padded FFT over the whole of x.
func (s *scratch) applyCurve(x []float64, fs int, curve []freqPoint) {
	n := nextPow2(len(x))
	buf := grow(&s.r1, n)
	copy(buf, x)
	plan := s.plans.get(n)
	c := plan.Coefficients(grow(&s.c1, n/2+1), buf)
	for i, g := range s.curveGains(curve, fs, n) {
		c[i] *= complex(g, 0)
	}
	plan.Sequence(buf, c)
	inv := 1 / float64(n)
	for i := range x {
		x[i] = buf[i] * inv
	}
}

// curvePower returns the energy Σ y² of x filtered by curve (as applyCurve would, over the
// whole zero-padded FFT length), computed in the frequency domain by Parseval's theorem.
func (s *scratch) curvePower(x []float64, fs int, curve []freqPoint) float64 {
	n := nextPow2(len(x))
	buf := grow(&s.r1, n)
	copy(buf, x)
	c := s.plans.get(n).Coefficients(grow(&s.c1, n/2+1), buf)
	var e float64
	for i, g := range s.curveGains(curve, fs, n) {
		p := (real(c[i])*real(c[i]) + imag(c[i])*imag(c[i])) * g * g
		if i != 0 && i != n/2 {
			p *= 2
		}
		e += p
	}
	return e / float64(n)
}

// filterIIR runs the cascade of biquads over x in place (direct form II, zero initial state).
// All sections advance together sample by sample, which gives the same result as filtering
// section after section with one pass over memory.
func filterIIR(x []float64, sections []biquad) {
	var z1, z2 [16]float64
	if len(sections) > len(z1) {
		for i := range sections {
			filterIIR(x, sections[i:i+1])
		}
		return
	}
	for i, v := range x {
		for k := range sections {
			s := &sections[k]
			z0 := v - s.a1*z1[k] - s.a2*z2[k]
			v = s.b0*z0 + s.b1*z1[k] + s.b2*z2[k]
			z2[k], z1[k] = z1[k], z0
		}
		x[i] = v
	}
}

// sumSquares returns Σ x[i]².
func sumSquares(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return s
}

// xcorrLag returns the lag k maximising y[k] = Σ_m a[m]·b[m+k] over all overlaps, and whether
// any correlation value was positive (the lag is 0 otherwise). Lags run from −(len(a)−1) to
// len(b)−1.
func (s *scratch) xcorrLag(a, b []float64) (lag int, ok bool) {
	na, nb := len(a), len(b)
	n := nextPow2(na + nb - 1)
	plan := s.plans.get(n)
	ba := grow(&s.r1, n)
	bb := grow(&s.r2, n)
	// Reverse a so that a convolution gives the correlation.
	for i, v := range a {
		ba[na-1-i] = v
	}
	copy(bb, b)
	ca := plan.Coefficients(grow(&s.c1, n/2+1), ba)
	cb := plan.Coefficients(grow(&s.c2, n/2+1), bb)
	for i := range ca {
		ca[i] *= cb[i]
	}
	plan.Sequence(ba, ca)
	best, arg := 0.0, -1
	for i := 0; i < na+nb-1; i++ {
		if ba[i] > best {
			best, arg = ba[i], i
		}
	}
	if arg < 0 {
		return 0, false
	}
	return arg - (na - 1), true
}
