package pesq

import (
	"reflect"
	"runtime"
	"slices"
	"testing"
)

// TestScorerReuse: one Scorer used for pairs of different lengths, rates and modes in turn, and
// after an error, gives exactly what a fresh Scorer gives for each pair.
func TestScorerReuse(t *testing.T) {
	clip := testClip(t)
	long := codec2Speech(t)[:7*16000]
	c8 := downsample2(clip)
	cases := []struct {
		ref, deg []float32
		fs       int
		opts     Options
	}{
		{long, addNoise(long, 0.01, 3), 16000, Options{Mode: Wideband}},
		{clip, zeroFrames(clip, 320, 7), 16000, Options{Mode: Wideband, Variant: P862_2005}},
		{c8, addNoise(c8, 0.02, 4), 8000, Options{}},
		{clip, make([]float32, len(clip)), 16000, Options{}}, // silent: ErrNoSpeech
		{clip, slices.Concat(clip[:20000], make([]float32, 640), clip[20000:]), 16000, Options{Mode: Wideband}},
		{c8, c8, 8000, Options{}},
	}
	var s Scorer
	for round := 0; round < 2; round++ {
		for i, c := range cases {
			got, gotErr := s.Score(c.ref, c.deg, c.fs, c.opts)
			var fresh Scorer
			want, wantErr := fresh.Score(c.ref, c.deg, c.fs, c.opts)
			if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
				t.Errorf("round %d case %d: reused Scorer gave %+v, %v; a fresh one %+v, %v", round, i, got, gotErr, want, wantErr)
			}
		}
	}
}

// TestScorerAllocations: once warmed up on a pair, a Scorer scores another pair of that size
// allocating under 256 KiB (a fresh 10 s wideband score allocates about 50 MB).
func TestScorerAllocations(t *testing.T) {
	clip := codec2Speech(t)[:8*16000]
	deg := addNoise(clip, 0.01, 5)
	var s Scorer
	if _, err := s.Score(clip, addNoise(clip, 0.01, 6), 16000, Options{Mode: Wideband}); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := s.Score(clip, deg, 16000, Options{Mode: Wideband}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if b := after.TotalAlloc - before.TotalAlloc; b > 256<<10 {
		t.Errorf("warm Scorer allocated %d bytes (%d objects) for an 8 s pair", b, after.Mallocs-before.Mallocs)
	} else {
		t.Logf("warm Scorer: %d bytes, %d objects for an 8 s pair", b, after.Mallocs-before.Mallocs)
	}
}
