package pesq

import (
	"testing"
)

// loopSpeech returns n samples of the codec2 speech, repeated as needed.
func loopSpeech(tb testing.TB, n int) []float32 {
	tb.Helper()
	s := codec2Speech(tb)
	out := make([]float32, n)
	for i := range out {
		out[i] = s[i%len(s)]
	}
	return out
}

func benchmarkWB(b *testing.B, seconds int) {
	ref := loopSpeech(b, seconds*16000)
	deg := addNoise(ref, 0.01, 1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Score(ref, deg, 16000, Options{Mode: Wideband}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScoreWB10s scores a 10 s wideband pair (speech against speech with noise).
func BenchmarkScoreWB10s(b *testing.B) { benchmarkWB(b, 10) }

// BenchmarkScoreWB60s scores a 60 s pair: six times the 10 s work if there is no quadratic
// blow-up.
func BenchmarkScoreWB60s(b *testing.B) { benchmarkWB(b, 60) }

// BenchmarkScoreNB10s8k scores a 10 s narrowband pair at 8 kHz.
func BenchmarkScoreNB10s8k(b *testing.B) {
	ref16 := loopSpeech(b, 10*16000)
	ref := make([]float32, len(ref16)/2)
	for i := range ref {
		ref[i] = ref16[2*i]
	}
	deg := addNoise(ref, 0.01, 1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Score(ref, deg, 8000, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScorerWB10s is BenchmarkScoreWB10s on a Scorer warmed up by one comparison before
// the timer starts: the steady state of a process scoring many pairs.
func BenchmarkScorerWB10s(b *testing.B) {
	ref := loopSpeech(b, 10*16000)
	deg := addNoise(ref, 0.01, 1)
	var s Scorer
	if _, err := s.Score(ref, deg, 16000, Options{Mode: Wideband}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Score(ref, deg, 16000, Options{Mode: Wideband}); err != nil {
			b.Fatal(err)
		}
	}
}
