package main

import (
	"math/rand/v2"
	"testing"

	"github.com/parley-voice/parley/bench"
	"github.com/parley-voice/parley/codec"
)

// TestSpeechSimilarity: a delayed, noisy, lossy copy of a clip resembles it; another clip does
// not.
func TestSpeechSimilarity(t *testing.T) {
	clips, err := bench.DefaultClips()
	if err != nil {
		t.Fatal(err)
	}
	if len(clips) < 2 {
		t.Skip("needs two speech clips")
	}
	const rate = 16000
	down := func(x []float32) []float32 {
		y, err := codec.Resample(x, bench.SampleRateHz, rate)
		if err != nil {
			t.Fatal(err)
		}
		return y
	}
	a, b := down(clips[0].Samples), down(clips[1].Samples)
	rng := rand.New(rand.NewPCG(1, 2))
	deg := make([]float32, 3*rate/10, len(a)+3*rate/10) // 300 ms later
	for i, v := range a {
		if (i/960)%10 == 3 { // every tenth 60 ms lost
			v = 0
		}
		deg = append(deg, 0.5*v+0.01*float32(rng.NormFloat64()))
	}
	same := speechSimilarity(a, deg, rate)
	other := speechSimilarity(a, b, rate)
	t.Logf("same speech degraded: %.2f; another clip: %.2f (warning below %.2f)", same, other, lowSimilarity)
	if same < lowSimilarity+0.2 {
		t.Errorf("a degraded copy scores %.2f, want well above %.2f", same, lowSimilarity)
	}
	if other >= lowSimilarity {
		t.Errorf("another clip scores %.2f, want below %.2f", other, lowSimilarity)
	}
}
