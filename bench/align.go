package bench

import "math"

// Locating speech in played audio: energy envelopes and the shift that lines a repetition up.

// BlockEnergy returns the energy (sum of squares) of n consecutive blocks of hop samples of x,
// the first starting at sample from; samples outside x count as silence. Callers correlate
// such envelopes to find a delay (scoreRepeats here, the live demo's alignment).
func BlockEnergy(x []float32, from, n, hop int) []float64 {
	e := make([]float64, max(n, 0))
	for b := range e {
		var s float64
		for k := max(from+b*hop, 0); k < min(from+(b+1)*hop, len(x)); k++ {
			s += float64(x[k]) * float64(x[k])
		}
		e[b] = s
	}
	return e
}

// maxRepeatLag bounds how far from its place on the playout start's alignment a repetition is
// looked for: more than any stretching a run does to the buffer's delay (targets are capped
// well below it).
const maxRepeatLag = SampleRateHz / 2

// lagBlock is the resolution of the search for a repetition: 1 ms of 48 kHz audio. PESQ aligns
// finer within the window.
const lagBlock = SampleRateHz / 1000

// repeatLag returns the shift, in samples (a multiple of lagBlock within ±maxRepeatLag), of
// the window of received that best matches ref when ref's own place in it is at: the lag that
// maximises the correlation of the two 1 ms energy envelopes (0 when nothing correlates, as with
// silence). It allocates only the envelopes.
func repeatLag(ref, received []float32, at int) int {
	env := func(x []float32, from, n int) []float64 {
		e := BlockEnergy(x, from, n, lagBlock)
		for b, v := range e {
			e[b] = math.Sqrt(v / lagBlock)
		}
		return e
	}
	nb := len(ref) / lagBlock
	maxB := maxRepeatLag / lagBlock
	r := env(ref, 0, nb)
	d := env(received, at-maxRepeatLag, nb+2*maxB)
	var rm float64
	for _, v := range r {
		rm += v
	}
	rm /= float64(max(nb, 1))
	best, bestC := 0, 0.0
	for l := -maxB; l <= maxB; l++ {
		w := d[l+maxB : l+maxB+nb]
		var dm float64
		for _, v := range w {
			dm += v
		}
		dm /= float64(max(nb, 1))
		var c, rr, dd float64
		for k := range nb {
			a, b := r[k]-rm, w[k]-dm
			c += a * b
			rr += a * a
			dd += b * b
		}
		if rr <= 0 || dd <= 0 {
			continue
		}
		if c /= math.Sqrt(rr * dd); c > bestC || c == bestC && iabs(l) < iabs(best/lagBlock) {
			best, bestC = l*lagBlock, c
		}
	}
	return best
}

// iabs is |x|.
func iabs(x int) int { return max(x, -x) }

// shifted fills dst with src from index from on, zeros outside src.
func shifted(dst, src []float32, from int) {
	for k := range dst {
		if j := from + k; j >= 0 && j < len(src) {
			dst[k] = src[j]
		} else {
			dst[k] = 0
		}
	}
}
