package pesq

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// Ceilings: the mapped value of the best raw score 4.5.
const (
	ceilingWB    = 4.643889 // P.862.2 mapping of 4.5
	ceilingNBMOS = 4.548638 // P.862.1 mapping of 4.5
)

// testClip returns the first 4 s of the codec2 speech at 16 kHz: short enough for -race.
func testClip(t *testing.T) []float32 { return codec2Speech(t)[:4*16000] }

var allOptions = []Options{
	{Mode: Wideband},
	{Mode: Wideband, Variant: P862_2005},
	{Mode: Narrowband},
}

func mustScore(t *testing.T, ref, deg []float32, fs int, o Options) Result {
	t.Helper()
	r, err := Score(ref, deg, fs, o)
	if err != nil {
		t.Fatalf("Score %v at %d Hz: %v", o, fs, err)
	}
	return r
}

func ceiling(o Options) float64 {
	if o.Mode == Wideband {
		return ceilingWB
	}
	return ceilingNBMOS
}

func TestMappingCeilings(t *testing.T) {
	if got := MapWideband(4.5); math.Abs(got-ceilingWB) > 1e-6 {
		t.Errorf("MapWideband(4.5) = %.6f, want %.6f", got, ceilingWB)
	}
	if got := MapNarrowband(4.5); math.Abs(got-ceilingNBMOS) > 1e-6 {
		t.Errorf("MapNarrowband(4.5) = %.6f, want %.6f", got, ceilingNBMOS)
	}
}

// TestIdentityCeiling: a signal compared with itself scores exactly the ceiling.
func TestIdentityCeiling(t *testing.T) {
	clip := testClip(t)
	for _, o := range allOptions {
		r := mustScore(t, clip, clip, 16000, o)
		if math.Abs(r.Raw-4.5) > 1e-9 || math.Abs(r.MOSLQO-ceiling(o)) > 1e-5 {
			t.Errorf("%v identity: raw %.6f MOS %.6f, want 4.5 / %.6f", o, r.Raw, r.MOSLQO, ceiling(o))
		}
	}
	c8 := downsample2(clip)
	r := mustScore(t, c8, c8, 8000, Options{})
	if math.Abs(r.Raw-4.5) > 1e-9 || math.Abs(r.MOSLQO-ceilingNBMOS) > 1e-5 {
		t.Errorf("8 kHz identity: raw %.6f MOS %.6f", r.Raw, r.MOSLQO)
	}
}

// TestDelayAndGainInvariance: a constant delay or a gain change is not a degradation.
func TestDelayAndGainInvariance(t *testing.T) {
	clip := testClip(t)
	delayed := append(make([]float32, 1600), clip...) // 100 ms later, and longer
	half := make([]float32, len(clip))
	for i, v := range clip {
		half[i] = 0.5 * v
	}
	for _, o := range allOptions {
		for name, deg := range map[string][]float32{"delay 100 ms": delayed, "gain 0.5": half} {
			r := mustScore(t, clip, deg, 16000, o)
			if c := ceiling(o); r.MOSLQO < c-0.02 {
				t.Errorf("%v %s: MOS %.4f, want within 0.02 of %.4f", o, name, r.MOSLQO, c)
			}
		}
	}
	r := mustScore(t, clip, delayed, 16000, Options{Mode: Wideband})
	for _, u := range r.Utterances {
		if u.DelaySamples != 1600 {
			t.Errorf("utterance %+v: delay %d samples, want 1600", u, u.DelaySamples)
		}
	}
}

// TestDelayJump: 40 ms of silence inserted mid-signal (a jitter-buffer delay change) is found
// by utterance splitting and costs little.
func TestDelayJump(t *testing.T) {
	clip := testClip(t)
	at := 16000
	deg := slices.Concat(clip[:at], make([]float32, 640), clip[at:])
	r := mustScore(t, clip, deg, 16000, Options{Mode: Wideband})
	var delays []int
	for _, u := range r.Utterances {
		delays = append(delays, u.DelaySamples)
	}
	if !slices.Contains(delays, 0) || !slices.Contains(delays, 640) {
		t.Errorf("utterance delays %v, want both 0 and 640", delays)
	}
	if r.MOSLQO < 4.0 {
		t.Errorf("MOS %.4f after a 40 ms delay jump, want ≥ 4.0", r.MOSLQO)
	}
}

// TestZeroedFramesMonotone: zeroing more 20-ms frames scores strictly lower.
func TestZeroedFramesMonotone(t *testing.T) {
	clip := testClip(t)
	for _, o := range allOptions[:1] {
		prev := math.Inf(1)
		for _, every := range []int{0, 20, 10, 5, 3} {
			r := mustScore(t, clip, zeroFrames(clip, 320, every), 16000, o)
			if !(r.MOSLQO < prev) {
				t.Errorf("%v: zeroing every %d-th frame scores %.4f, not below %.4f", o, every, r.MOSLQO, prev)
			}
			prev = r.MOSLQO
		}
	}
	c8 := downsample2(clip)
	prev := math.Inf(1)
	for _, every := range []int{0, 10, 5} {
		r := mustScore(t, c8, zeroFrames(c8, 160, every), 8000, Options{})
		if !(r.MOSLQO < prev) {
			t.Errorf("8 kHz NB: zeroing every %d-th frame scores %.4f, not below %.4f", every, r.MOSLQO, prev)
		}
		prev = r.MOSLQO
	}
}

// TestGolden pins scores on the codec2 speech, recorded after the implementation reproduced
// every row of the shared ITU-computed references (see TestReferenceScores).
func TestGolden(t *testing.T) {
	clip := testClip(t)
	noisy := addNoise(clip, 0.01, 1)
	gappy := zeroFrames(clip, 320, 10)
	c8 := downsample2(clip)
	cases := []struct {
		name     string
		ref, deg []float32
		fs       int
		opts     Options
		raw, mos float64
	}{
		{"noise wb cor2", clip, noisy, 16000, Options{Mode: Wideband}, 2.022071, 2.029437},
		{"noise wb 2005", clip, noisy, 16000, Options{Mode: Wideband, Variant: P862_2005}, 1.190978, 1.399999},
		{"noise nb", clip, noisy, 16000, Options{}, 2.684411, 2.371997},
		{"zeroed wb cor2", clip, gappy, 16000, Options{Mode: Wideband}, 2.075008, 2.085755},
		{"zeroed nb", clip, gappy, 16000, Options{}, 2.238168, 1.845099},
		{"noise nb 8k", c8, addNoise(c8, 0.01, 2), 8000, Options{}, 2.524871, 2.165686},
	}
	for _, c := range cases {
		r := mustScore(t, c.ref, c.deg, c.fs, c.opts)
		if math.Abs(r.Raw-c.raw) > 1e-3 || math.Abs(r.MOSLQO-c.mos) > 1e-3 {
			t.Errorf("%s: raw %.6f MOS %.6f, want %.6f / %.6f", c.name, r.Raw, r.MOSLQO, c.raw, c.mos)
		}
	}
}

func TestScoreInt16MatchesScore(t *testing.T) {
	clip := testClip(t)[:2*16000]
	noisy := addNoise(clip, 0.02, 3)
	r16 := make([]int16, len(clip))
	d16 := make([]int16, len(noisy))
	rf := make([]float32, len(clip))
	df := make([]float32, len(noisy))
	for i := range clip {
		r16[i] = int16(max(-32768, min(32767, math.Round(float64(clip[i])*32768))))
		d16[i] = int16(max(-32768, min(32767, math.Round(float64(noisy[i])*32768))))
		rf[i], df[i] = float32(r16[i])/32768, float32(d16[i])/32768
	}
	a, err := ScoreInt16(r16, d16, 16000, Options{Mode: Wideband})
	if err != nil {
		t.Fatal(err)
	}
	b := mustScore(t, rf, df, 16000, Options{Mode: Wideband})
	if math.Abs(a.MOSLQO-b.MOSLQO) > 1e-9 {
		t.Errorf("ScoreInt16 %.9f, Score %.9f", a.MOSLQO, b.MOSLQO)
	}
}

func TestScoreBatchMatchesScore(t *testing.T) {
	clip := testClip(t)[:2*16000]
	pairs := []Pair{
		{Ref: clip, Deg: clip, SampleRateHz: 16000, Opts: Options{Mode: Wideband}},
		{Ref: clip, Deg: addNoise(clip, 0.01, 4), SampleRateHz: 16000, Opts: Options{}},
		{Ref: clip, Deg: clip, SampleRateHz: 44100},
		{Ref: clip, Deg: zeroFrames(clip, 320, 4), SampleRateHz: 16000, Opts: Options{Mode: Wideband}},
	}
	got := ScoreBatch(pairs, 3)
	if len(got) != len(pairs) {
		t.Fatalf("%d results for %d pairs", len(got), len(pairs))
	}
	for i, p := range pairs {
		want, werr := Score(p.Ref, p.Deg, p.SampleRateHz, p.Opts)
		if !errors.Is(got[i].Err, werr) && (got[i].Err == nil) != (werr == nil) {
			t.Errorf("pair %d: error %v, want %v", i, got[i].Err, werr)
		}
		if got[i].Result.MOSLQO != want.MOSLQO {
			t.Errorf("pair %d: MOS %.6f, want %.6f", i, got[i].Result.MOSLQO, want.MOSLQO)
		}
	}
	if !errors.Is(got[2].Err, ErrSampleRate) {
		t.Errorf("pair 2: %v, want ErrSampleRate", got[2].Err)
	}
	if len(ScoreBatch(nil, 0)) != 0 {
		t.Error("ScoreBatch(nil) not empty")
	}
}

// TestTimeWeighting: in signals longer than 1000 frames (16 s) P.862 weights later frames more,
// so the same degradation of the same content scores lower near the end than near the start.
// (Without the weighting both scores are identical.)
func TestTimeWeighting(t *testing.T) {
	clip := testClip(t)
	ref := slices.Concat(clip, clip, clip, clip, clip) // 20 s, 1250 frames
	noisy := addNoise(clip, 0.01, 9)
	score := func(seg int) float64 {
		deg := slices.Clone(ref)
		copy(deg[seg*len(clip):], noisy)
		return mustScore(t, ref, deg, 16000, Options{Mode: Wideband}).MOSLQO
	}
	early, late := score(1), score(4)
	if !(late < early-0.01) {
		t.Errorf("noise in the last 4 s scores %.4f, in the second 4 s %.4f: want the late one lower by > 0.01", late, early)
	}
}
