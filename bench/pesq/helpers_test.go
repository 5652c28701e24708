package pesq

import (
	"math"
	"os"
	"testing"
)

// codec2SpeechPath is real 16 kHz speech from Debian's codec2-examples package, which the
// project's setup installs.
const codec2SpeechPath = "/usr/share/codec2/raw/speech_orig_16k.wav"

// codec2Speech returns the codec2 example speech (about 10.8 s at 16 kHz). The test fails when
// the package is not installed rather than skipping: `make test` installs it.
func codec2Speech(tb testing.TB) []float32 {
	tb.Helper()
	if _, err := os.Stat(codec2SpeechPath); err != nil {
		tb.Fatalf("%s missing (install codec2-examples; `make deps` does): %v", codec2SpeechPath, err)
	}
	s, rate, err := readWAV(codec2SpeechPath)
	if err != nil {
		tb.Fatal(err)
	}
	if rate != 16000 {
		tb.Fatalf("codec2 speech at %d Hz, want 16000", rate)
	}
	return s
}

// addNoise returns x plus uniform white noise of the given RMS (full scale). The generator is
// a fixed xorshift so that golden values never depend on a library's random algorithm.
func addNoise(x []float32, rms float64, seed uint64) []float32 {
	state := seed*0x9E3779B97F4A7C15 + 1
	amp := rms * math.Sqrt(3) // uniform on [-amp, amp] has this RMS
	out := make([]float32, len(x))
	for i, v := range x {
		state ^= state << 13
		state ^= state >> 7
		state ^= state << 17
		u := float64(state>>11)/float64(1<<53)*2 - 1
		out[i] = v + float32(u*amp)
	}
	return out
}

// zeroFrames returns x with every k-th block of n samples set to zero (k ≤ 0: unchanged).
func zeroFrames(x []float32, n, k int) []float32 {
	out := append([]float32(nil), x...)
	if k <= 0 {
		return out
	}
	for b := 0; b*n < len(out); b++ {
		if b%k == k-1 {
			for i := b * n; i < min(len(out), (b+1)*n); i++ {
				out[i] = 0
			}
		}
	}
	return out
}

// downsample2 halves the rate by taking every other sample after a crude 3-tap low-pass; good
// enough to make 8 kHz test speech.
func downsample2(x []float32) []float32 {
	out := make([]float32, len(x)/2)
	for i := range out {
		j := 2 * i
		a, c := x[max(j-1, 0)], x[min(j+1, len(x)-1)]
		out[i] = 0.25*a + 0.5*x[j] + 0.25*c
	}
	return out
}
