package echolab_test

import (
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-voice/parley/internal/echolab"
)

var (
	talkersOnce sync.Once
	talkersVal  *echolab.Talkers
	talkersErr  error
)

// talkers loads the codec2 speech once per test binary (callers only read it).
func talkers(t testing.TB) *echolab.Talkers {
	t.Helper()
	talkersOnce.Do(func() { talkersVal, talkersErr = echolab.LoadTalkers("") })
	if talkersErr != nil {
		t.Fatal(talkersErr)
	}
	return talkersVal
}

// TestBuild: the microphone is exactly the sum of its parts, the levels are as asked, the
// echo is the far end delayed by the path's delay, and a build is deterministic.
func TestBuild(t *testing.T) {
	tk := talkers(t)
	sc := echolab.Scenario{Far: tk.Far[1], Near: tk.Near, Path: echolab.Path{Delay: 60 * time.Millisecond}, Seed: 3}
	s, err := sc.Build()
	if err != nil {
		t.Fatal(err)
	}
	n := 18 * echolab.SampleRateHz
	for _, x := range [][]float32{s.Far, s.Mic, s.Echo, s.Near, s.Noise} {
		if len(x) != n {
			t.Fatalf("signal of %d samples, want %d", len(x), n)
		}
	}
	for i := range s.Mic {
		if d := s.Mic[i] - (s.Echo[i] + s.Near[i] + s.Noise[i]); math.Abs(float64(d)) > 1e-6 {
			t.Fatalf("mic[%d] differs from echo+near+noise by %g", i, d)
		}
	}
	for name, got := range map[string][2]float64{
		"far":   {echolab.ActiveLevelDBFS(s.Far), echolab.DefaultSpeechDBFS},
		"near":  {echolab.ActiveLevelDBFS(s.Near), echolab.DefaultSpeechDBFS},
		"noise": {echolab.RMSdBFS(s.Noise), echolab.DefaultNoiseDBFS},
	} {
		if math.Abs(got[0]-got[1]) > 0.5 {
			t.Errorf("%s at %.1f dBFS, want %v", name, got[0], got[1])
		}
	}
	// With RT60 zero the path is one tap: echo[i] is far[i-delay] scaled.
	d := 60 * echolab.SampleRateHz / 1000
	g := s.Echo[48000] / s.Far[48000-d]
	for _, i := range []int{30000, 48000, 200000} {
		if e := s.Echo[i] - g*s.Far[i-d]; math.Abs(float64(e)) > 1e-4 {
			t.Errorf("echo[%d] is not the far end 60 ms earlier (off by %g)", i, e)
		}
	}
	// Near-end speech only in double-talk and near-only segments, far end silent in near-only.
	for _, seg := range s.Segments {
		a, b := int(seg.Start.Seconds()*48000)+480, int(seg.End.Seconds()*48000)-480
		nearE, farE := energy(s.Near[a:b]), energy(s.Far[a:b])
		if (seg.Kind == echolab.FarOnly) != (nearE == 0) || (seg.Kind == echolab.NearOnly) != (farE == 0) {
			t.Errorf("%v %v–%v: near energy %g, far energy %g", seg.Kind, seg.Start, seg.End, nearE, farE)
		}
	}
	again, err := sc.Build()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Mic, again.Mic) {
		t.Error("two builds of one scenario differ")
	}
	sc.Seed = 4
	other, _ := sc.Build()
	if slices.Equal(s.Noise, other.Noise) {
		t.Error("another seed gave the same noise")
	}
}

func energy(x []float32) float64 {
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return e
}

// TestDelayChangeAndDrift: after ChangeAt the echo lags by the longer delay; with drift the
// lag grows by ppm·t.
func TestDelayChangeAndDrift(t *testing.T) {
	tk := talkers(t)
	base := echolab.Scenario{Far: tk.Far[0], Near: tk.Near, Path: echolab.Path{Delay: 100 * time.Millisecond}, DelayChange: 0.1, Seed: 1}
	s, err := base.Build()
	if err != nil {
		t.Fatal(err)
	}
	if lag := bestLag(s.Far, s.Echo, 3*48000, 4800, 6000); lag != 4800 {
		t.Errorf("before the change the echo lags %d samples, want 4800", lag)
	}
	if lag := bestLag(s.Far, s.Echo, 10*48000, 4800, 6000); lag != 5280 {
		t.Errorf("after the change the echo lags %d samples, want 5280", lag)
	}
	base.DelayChange, base.DriftPPM = 0, 1000
	s, err = base.Build()
	if err != nil {
		t.Fatal(err)
	}
	// A capture clock 1000 ppm fast has taken 1 ms more samples per second than the speaker
	// played: over the second from 16 s the echo lags 4800 + 768…816 samples.
	lag := bestLag(s.Far, s.Echo, 16*48000, 3000, 7000)
	if lag < 5568 || lag > 5616 {
		t.Errorf("with 1000 ppm drift the echo lags %d samples at 16–17 s, want 5568 to 5616", lag)
	}
}

// bestLag finds the lag in [lo, hi) maximising the correlation of echo[at:at+1 s] with far
// lagged.
func bestLag(far, echo []float32, at, lo, hi int) int {
	best, bestC := -1, math.Inf(-1)
	for lag := lo; lag < hi; lag++ {
		var c float64
		for i := at; i < at+48000; i += 2 {
			c += float64(echo[i]) * float64(far[i-lag])
		}
		if c > bestC {
			best, bestC = lag, c
		}
	}
	return best
}

func TestScenarioErrors(t *testing.T) {
	tk := talkers(t)
	ok := echolab.Scenario{Far: tk.Far[0], Near: tk.Near}
	for name, mod := range map[string]func(*echolab.Scenario){
		"no far":       func(s *echolab.Scenario) { s.Far = echolab.Talker{} },
		"no near":      func(s *echolab.Scenario) { s.Near = echolab.Talker{} },
		"delay":        func(s *echolab.Scenario) { s.Path.Delay = time.Second },
		"rt60":         func(s *echolab.Scenario) { s.Path.RT60 = 2 * time.Second },
		"drift":        func(s *echolab.Scenario) { s.DriftPPM = 5000 },
		"change":       func(s *echolab.Scenario) { s.DelayChange = -0.9 },
		"babble voice": func(s *echolab.Scenario) { s.Noise = echolab.NoiseBabble },
	} {
		sc := ok
		mod(&sc)
		if _, err := sc.Build(); !errors.Is(err, echolab.ErrScenario) {
			t.Errorf("%s: %v, want ErrScenario", name, err)
		}
	}
	if _, err := echolab.LoadTalkers(t.TempDir()); !errors.Is(err, echolab.ErrSpeech) {
		t.Errorf("LoadTalkers of an empty dir: %v, want ErrSpeech", err)
	}
}

// TestERLE: a processor that removes exactly the echo scores the echo-to-noise ratio; one that
// does nothing scores 0 dB; windows outside far-only segments are not valid.
func TestERLE(t *testing.T) {
	tk := talkers(t)
	s, err := echolab.Scenario{Far: tk.Far[0], Near: tk.Near, Path: echolab.Paths[0], Seed: 2}.Build()
	if err != nil {
		t.Fatal(err)
	}
	perfect := make([]float32, len(s.Mic))
	for i := range perfect {
		perfect[i] = s.Mic[i] - s.Echo[i]
	}
	if e := echolab.MedianERLE(s.ERLE(perfect), 2*time.Second, time.Hour); e < 35 || e > 45 {
		t.Errorf("perfect canceller: median ERLE %.1f dB, want ~40 (echo 40 dB above noise)", e)
	}
	pts := s.ERLE(s.Mic)
	if e := echolab.MedianERLE(pts, 0, time.Hour); math.Abs(e) > 1e-9 {
		t.Errorf("no processing: median ERLE %.3f dB, want 0", e)
	}
	for _, p := range pts {
		if p.Valid && p.At >= 5*time.Second && p.At < 8*time.Second {
			t.Fatalf("window at %v in double talk counted as valid", p.At)
		}
	}
	if got := len(s.Cut(s.Near, echolab.DoubleTalk)); got != 6*48000 {
		t.Errorf("double-talk cut of %d samples, want 6 s", got)
	}
}

func TestNoise(t *testing.T) {
	tk := talkers(t)
	for _, k := range []echolab.NoiseKind{echolab.NoiseWhite, echolab.NoiseBabble} {
		x := echolab.Noise(k, 48000*4, -30, tk.Babble, 1)
		if l := echolab.RMSdBFS(x); math.Abs(l+30) > 0.01 {
			t.Errorf("%v noise at %.2f dBFS, want -30", k, l)
		}
	}
	clean := tk.Near.Speech[:48000*4]
	noisy := echolab.AddNoise(clean, echolab.Noise(echolab.NoiseWhite, len(clean), 0, nil, 1), 5)
	diff := make([]float32, len(clean))
	for i := range diff {
		diff[i] = noisy[i] - clean[i]
	}
	if snr := echolab.ActiveLevelDBFS(clean) - echolab.RMSdBFS(diff); math.Abs(snr-5) > 0.01 {
		t.Errorf("AddNoise at 5 dB gave %.2f dB", snr)
	}
}
