package echolab

import (
	"math"
	"math/rand/v2"
)

// Noise returns n samples of noise of the kind at levelDBFS (RMS). Babble is the babble
// talkers summed, each looped from its own seeded offset; white is seeded Gaussian noise.
func Noise(kind NoiseKind, n int, levelDBFS float64, babble []Talker, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x6e6f697365)) // "noise"
	out := make([]float32, n)
	switch kind {
	case NoiseBabble:
		for _, t := range babble {
			// Each voice at the same active level before summing.
			v := append([]float32(nil), t.Speech...)
			scaleTo(v, -30)
			off := rng.IntN(len(v))
			for i := range out {
				out[i] += v[(i+off)%len(v)]
			}
		}
	default:
		for i := range out {
			out[i] = float32(rng.NormFloat64())
		}
	}
	rms := RMSdBFS(out)
	if !math.IsInf(rms, -1) {
		gain(out, levelDBFS-rms)
	}
	return out
}

// AddNoise returns clean + noise scaled so that the clean signal's active level is snrDB above
// the noise's RMS. clean is not modified.
func AddNoise(clean, noise []float32, snrDB float64) []float32 {
	nz := append([]float32(nil), noise[:len(clean)]...)
	gain(nz, ActiveLevelDBFS(clean)-snrDB-RMSdBFS(nz))
	out := make([]float32, len(clean))
	for i := range out {
		out[i] = clean[i] + nz[i]
	}
	return out
}
