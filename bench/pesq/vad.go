package pesq

import "math"

// vad is the energy-based voice activity detector of stage 4. It returns, per block of down
// samples, the VAD envelope (block power where speech was found, 0 elsewhere, with soft ramps at
// the edges of speech) and its log relative to the detection threshold (0 outside speech),
// reusing the memory of env and logEnv.
func vad(x []float64, down int, env, logEnv []float64) ([]float64, []float64) {
	nw := len(x) / down
	env = grow(&env, nw)
	logEnv = grow(&logEnv, nw)
	if nw < 2 {
		return env, logEnv
	}
	for w := range env {
		env[w] = sumSquares(x[w*down:(w+1)*down]) / float64(down)
	}

	// Floor at 1e-4 of the loudest block.
	thresh, peak := 0.0, 0.0
	for _, v := range env {
		thresh += v
		peak = math.Max(peak, v)
	}
	thresh /= float64(nw)
	floor := 1.0
	if peak > 0 {
		floor = peak * 1e-4
	}
	for w, v := range env {
		if v < floor {
			env[w] = floor
		}
	}

	// Iterate the noise statistics of the blocks under the threshold.
	for it := 0; it < 12; it++ {
		var mean, sd float64
		n := 0
		for _, v := range env {
			if v <= thresh {
				mean += v
				n++
			}
		}
		if n > 0 {
			mean /= float64(n)
			for _, v := range env {
				if v <= thresh {
					sd += (v - mean) * (v - mean)
				}
			}
			sd = math.Sqrt(sd / float64(n))
		}
		thresh = 1.001 * (mean + 2*sd)
	}

	var sigLevel, noiseLevel float64
	nSig := 0
	for _, v := range env {
		if v > thresh {
			sigLevel += v
			nSig++
		} else {
			noiseLevel += v
		}
	}
	if nSig > 0 {
		sigLevel /= float64(nSig)
	} else {
		thresh = -1
	}
	if nSig < nw {
		noiseLevel /= float64(nw - nSig)
	} else {
		noiseLevel = 1
	}

	// Sign marks speech: positive inside, negative (the power, negated) outside.
	for w, v := range env {
		if v <= thresh {
			env[w] = -v
		}
	}
	env[0], env[nw-1] = -floor, -floor

	// Drop speech runs of at most minSpeechBlocks.
	start := 0
	for w := 1; w < nw; w++ {
		if env[w] > 0 && env[w-1] <= 0 {
			env[w-1] = -floor
			start = w
		}
		if env[w] <= 0 && env[w-1] > 0 && w-start <= minSpeechBlocks {
			for i := start; i < w; i++ {
				env[i] = -floor
			}
		}
	}

	// With a clean background, also drop weak runs (mean under 3× the threshold).
	if sigLevel >= noiseLevel*1000 {
		for w := 1; w < nw; w++ {
			if env[w] > 0 && env[w-1] <= 0 {
				start = w
			}
			if env[w] <= 0 && env[w-1] > 0 {
				var s float64
				for i := start; i < w; i++ {
					s += env[i]
				}
				if s < 3*thresh*float64(w-start) {
					for i := start; i < w; i++ {
						env[i] = -floor
					}
				}
			}
		}
	}

	// Bridge pauses of at most joinSpeechGap blocks.
	start, finish := 0, 0
	for w := 1; w < nw; w++ {
		if env[w] > 0 && env[w-1] <= 0 {
			start = w
			if finish > 0 && start-finish <= joinSpeechGap {
				for i := finish; i < start; i++ {
					env[i] = floor
				}
			}
		}
		if env[w] <= 0 && env[w-1] > 0 {
			finish = w
		}
	}

	// No speech left: treat everything as speech.
	anyOnset := false
	for w := 1; w < nw; w++ {
		if env[w] > 0 && env[w-1] <= 0 {
			anyOnset = true
		}
	}
	if !anyOnset {
		for w, v := range env {
			env[w] = math.Abs(v)
		}
		env[0], env[nw-1] = -floor, -floor
	}

	// Soft onsets and offsets over two blocks.
	for w := 3; w < nw-2; w++ {
		if env[w] > 0 && env[w-2] <= 0 {
			env[w-2] = env[w] * 0.1
			env[w-1] = env[w] * 0.3
			w++
		}
		if env[w] <= 0 && env[w-1] > 0 {
			env[w] = env[w-1] * 0.3
			env[w+1] = env[w-1] * 0.1
			w += 3
		}
	}

	for w, v := range env {
		if v < 0 {
			env[w] = 0
		}
	}
	if thresh <= 0 {
		thresh = floor
	}
	for w, v := range env {
		if v > thresh {
			logEnv[w] = math.Log(v / thresh)
		}
	}
	return env, logEnv
}
