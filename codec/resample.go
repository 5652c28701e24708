package codec

import (
	"fmt"
	"math"
)

// Resampler design: a band-limited windowed-sinc interpolator (Kaiser window, β = 8.6, about
// 90 dB stop-band rejection) evaluated in polyphase form for the exact rational ratio
// to/from. The pass band reaches 95 % of the lower Nyquist frequency (3.8 kHz for 8 kHz, 7.6 kHz
// for 16 kHz), which keeps the whole telephone and wideband speech bands; the filter spans 16
// zero crossings on each side. Written here rather than taken from a library because DESIGN.md
// lets codec import only the standard library and libopus, and no maintained pure-Go resampler
// of this quality exists; libsoxr bindings would add a second cgo dependency to the hot package.
const (
	resampleZeros   = 16   // zero crossings of the sinc on each side
	resampleRolloff = 0.95 // cutoff as a fraction of the lower Nyquist frequency
	resampleBeta    = 8.6  // Kaiser window shape
	// resampleMaxPhases bounds the precomputed polyphase table; ratios with more phases (for
	// example 47999 Hz to 48000 Hz) evaluate the kernel directly, slower but equally exact.
	resampleMaxPhases = 4096
)

// Resample converts a mono signal from fromHz to toHz with a band-limited (anti-aliased)
// interpolator, returning a new slice of ceil(len(samples)·toHz/fromHz) samples. Equal rates
// return a copy. Both rates must lie in [MinSampleRateHz, MaxSampleRateHz].
func Resample(samples []float32, fromHz, toHz int) ([]float32, error) {
	for _, hz := range [...]int{fromHz, toHz} {
		if hz < MinSampleRateHz || hz > MaxSampleRateHz {
			return nil, fmt.Errorf("%w: resampling %d Hz to %d Hz (rates must be %d to %d)", ErrSampleRate, fromHz, toHz, MinSampleRateHz, MaxSampleRateHz)
		}
	}
	if fromHz == toHz {
		return append([]float32(nil), samples...), nil
	}
	g := gcd(fromHz, toHz)
	up, down := toHz/g, fromHz/g // output j sits at input position j·down/up
	nOut := (len(samples)*up + down - 1) / down

	fcut := 0.5 * resampleRolloff // cycles per input sample
	if up < down {
		fcut *= float64(up) / float64(down)
	}
	halfWidth := resampleZeros / (2 * fcut) // kernel half-width in input samples
	k := int(math.Ceil(halfWidth))
	taps := 2*k + 1
	kernel := func(t float64) float64 {
		if t <= -halfWidth || t >= halfWidth {
			return 0
		}
		x := 2 * fcut * t
		s := 2 * fcut
		if x != 0 {
			s *= math.Sin(math.Pi*x) / (math.Pi * x)
		}
		r := t / halfWidth
		return s * bessI0(resampleBeta*math.Sqrt(1-r*r)) / bessI0(resampleBeta)
	}

	var table []float32
	if up <= resampleMaxPhases {
		table = make([]float32, up*taps)
		for p := range up {
			frac := float64(p) / float64(up)
			for d := -k; d <= k; d++ {
				table[p*taps+d+k] = float32(kernel(float64(d) + frac))
			}
		}
	}

	out := make([]float32, nOut)
	n := len(samples)
	for j := range nOut {
		pos := j * down
		i0, p := pos/up, pos%up
		var acc float64
		for d := -k; d <= k; d++ {
			idx := i0 - d
			if idx < 0 || idx >= n {
				continue
			}
			var w float64
			if table != nil {
				w = float64(table[p*taps+d+k])
			} else {
				w = kernel(float64(d) + float64(p)/float64(up))
			}
			acc += w * float64(samples[idx])
		}
		out[j] = float32(acc)
	}
	return out, nil
}

// bessI0 is the zeroth-order modified Bessel function of the first kind (power series; converges
// quickly for the arguments a Kaiser window uses).
func bessI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for m := 1; m < 64; m++ {
		term *= q / float64(m*m)
		sum += term
		if term < 1e-12*sum {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
