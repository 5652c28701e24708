// A check that two files given to 'parley bench pesq' hold the same speech.

package main

import "math"

// lowSimilarity is the envelope correlation below which bench pesq warns that the two files do
// not look like the same speech. Degraded copies of one recording (codec, loss, delay, noise)
// score well above it; two different talkers or sentences score below it (TestSpeechSimilarity).
const lowSimilarity = 0.4

// speechSimilarity is the peak normalised cross-correlation, over lags of up to ±2 s, of the
// two signals' loudness envelopes (log energy of 10 ms frames): near 1 for the same speech
// however degraded and delayed, near 0 for unrelated signals. Signals under 0.5 s give 1 (too
// short to judge).
func speechSimilarity(ref, deg []float32, rateHz int) float64 {
	a, b := envelope(ref, rateHz), envelope(deg, rateHz)
	if len(a) < 50 || len(b) < 50 {
		return 1
	}
	maxLag := min(200, len(a)/2, len(b)/2)
	best := 0.0
	for lag := -maxLag; lag <= maxLag; lag++ {
		// Overlap of a[i] with b[i+lag].
		i0, i1 := max(0, -lag), min(len(a), len(b)-lag)
		if i1-i0 < 50 {
			continue
		}
		var sa, sb float64
		for i := i0; i < i1; i++ {
			sa += a[i]
			sb += b[i+lag]
		}
		n := float64(i1 - i0)
		ma, mb := sa/n, sb/n
		var num, da, db float64
		for i := i0; i < i1; i++ {
			x, y := a[i]-ma, b[i+lag]-mb
			num += x * y
			da += x * x
			db += y * y
		}
		if da > 0 && db > 0 {
			best = max(best, num/math.Sqrt(da*db))
		}
	}
	return best
}

// envelope is the log energy of each 10 ms frame, floored at -60 dB full scale.
func envelope(x []float32, rateHz int) []float64 {
	n := rateHz / 100
	if n <= 0 {
		return nil
	}
	out := make([]float64, 0, len(x)/n)
	for i := 0; i+n <= len(x); i += n {
		var e float64
		for _, v := range x[i : i+n] {
			e += float64(v) * float64(v)
		}
		out = append(out, 10*math.Log10(max(e/float64(n), 1e-6)))
	}
	return out
}
