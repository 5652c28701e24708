package pesq_test

import (
	"fmt"
	"math"

	"github.com/parley-voice/parley/bench/pesq"
)

// A 1 s synthetic "vowel" (a few harmonics with a syllable envelope) compared with a copy that
// is 20 ms late and at half the level: neither is a degradation, so the score is the ceiling.
func ExampleScore() {
	const fs = 16000
	ref := make([]float32, fs)
	for i := range ref {
		t := float64(i) / fs
		env := math.Sin(math.Pi * t * 4)
		env *= env
		var v float64
		for h := 1; h <= 8; h++ {
			v += math.Sin(2*math.Pi*140*float64(h)*t) / float64(h)
		}
		ref[i] = float32(0.2 * env * v)
	}
	deg := make([]float32, 320, 320+len(ref))
	for _, v := range ref {
		deg = append(deg, 0.5*v)
	}
	wb, err := pesq.Score(ref, deg, fs, pesq.Options{Mode: pesq.Wideband})
	if err != nil {
		fmt.Println(err)
		return
	}
	nb, err := pesq.Score(ref, deg, fs, pesq.Options{Mode: pesq.Narrowband})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("WB MOS-LQO %.3f, NB MOS-LQO %.3f (raw %.1f)\n", wb.MOSLQO, nb.MOSLQO, nb.Raw)
	// Output: WB MOS-LQO 4.644, NB MOS-LQO 4.549 (raw 4.5)
}

// ScoreBatch spreads many comparisons over the cores.
func ExampleScoreBatch() {
	const fs = 8000
	ref := make([]float32, fs)
	for i := range ref {
		t := float64(i) / fs
		ref[i] = float32(0.3 * math.Sin(2*math.Pi*300*t) * math.Sin(math.Pi*t*3) * math.Sin(math.Pi*t*3))
	}
	pairs := []pesq.Pair{
		{Ref: ref, Deg: ref, SampleRateHz: fs},
		{Ref: ref, Deg: ref, SampleRateHz: 11025},
	}
	for i, r := range pesq.ScoreBatch(pairs, 0) {
		if r.Err != nil {
			fmt.Println(i, r.Err)
			continue
		}
		fmt.Printf("%d %.3f\n", i, r.Result.MOSLQO)
	}
	// Output:
	// 0 4.549
	// 1 pesq: unsupported sample rate (want 8000 or 16000 Hz): 11025 Hz
}

// ScoreInt16 takes 16-bit PCM as read from a WAV file.
func ExampleScoreInt16() {
	const fs = 8000
	pcm := make([]int16, fs)
	for i := range pcm {
		t := float64(i) / fs
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*250*t) * math.Sin(math.Pi*t*2) * math.Sin(math.Pi*t*2))
	}
	r, err := pesq.ScoreInt16(pcm, pcm, fs, pesq.Options{})
	fmt.Printf("%.3f %v\n", r.MOSLQO, err)
	// Output: 4.549 <nil>
}

// The mappings turn a raw P.862 score into MOS-LQO.
func ExampleMapNarrowband() {
	fmt.Printf("NB %.3f %.3f, WB %.3f\n", pesq.MapNarrowband(4.5), pesq.MapNarrowband(2.0), pesq.MapWideband(4.5))
	// Output: NB 4.549 1.632, WB 4.644
}
