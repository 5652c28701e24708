package codec

import (
	"math"
	"sync"
	"testing"
)

// speechPath is real speech from Debian's codec2-examples package, which `make test` installs.
const speechPath = "/usr/share/codec2/raw/speech_orig_16k.wav"

// loadSpeech returns the codec2 speech sample at rateHz. It fails (not skips) when the file is
// missing: the setup installs it.
func loadSpeech(t testing.TB, rateHz int) []float32 {
	t.Helper()
	speechMu.Lock()
	defer speechMu.Unlock()
	if s, ok := speechCache[rateHz]; ok {
		return s
	}
	a, err := ReadWAVFile(speechPath)
	if err != nil {
		t.Fatalf("real speech missing (run scripts/deps.sh to install codec2-examples): %v", err)
	}
	if a.SampleRateHz == rateHz {
		return a.Samples
	}
	out, err := Resample(a.Samples, a.SampleRateHz, rateHz)
	if err != nil {
		t.Fatal(err)
	}
	speechCache[rateHz] = out
	return out
}

var (
	speechMu    sync.Mutex
	speechCache = map[int][]float32{} // read-only slices shared by tests
)

func energy(x []float32) float64 {
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return e
}

// bestCorrelation returns the highest normalised cross-correlation of ref and deg over lags
// 0..maxLag (deg delayed relative to ref), and that lag. The lag is searched on a 2 s window
// (speech from 1 s on), then the correlation is measured over the whole common length.
func bestCorrelation(ref, deg []float32, maxLag int) (float64, int) {
	corr := func(ref, deg []float32, lag int) float64 {
		n := min(len(ref), len(deg)-lag)
		var xy, xx, yy float64
		for i := range max(n, 0) {
			x, y := float64(ref[i]), float64(deg[i+lag])
			xy += x * y
			xx += x * x
			yy += y * y
		}
		if xx == 0 || yy == 0 {
			return -2
		}
		return xy / math.Sqrt(xx*yy)
	}
	off := min(len(ref)/4, 48000)
	win := min(len(ref)-off, 96000)
	best, bestLag := -2.0, 0
	for lag := 0; lag <= maxLag && off+win+lag <= len(deg); lag++ {
		if c := corr(ref[off:off+win], deg[off:], lag); c > best {
			best, bestLag = c, lag
		}
	}
	return corr(ref, deg, bestLag), bestLag
}

// snrDB is the signal-to-noise ratio of deg against ref in dB, over their common length.
func snrDB(ref, deg []float32) float64 {
	var s, n float64
	for i := range min(len(ref), len(deg)) {
		d := float64(ref[i]) - float64(deg[i])
		s += float64(ref[i]) * float64(ref[i])
		n += d * d
	}
	if n == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(s/n)
}
