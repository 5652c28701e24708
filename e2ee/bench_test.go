package e2ee

import (
	"testing"
)

// BenchmarkAgreement measures one whole agreement, both sides, including
// encoding and decoding of the three messages, with system randomness.
func BenchmarkAgreement(b *testing.B) {
	a, c := newParties(b, 1)
	a.cfg.Rand, c.cfg.Rand = nil, nil
	b.ReportAllocs()
	for b.Loop() {
		run(b, a.cfg, c.cfg)
	}
}

// BenchmarkAgreementSteps splits the cost by step.
func BenchmarkAgreementSteps(b *testing.B) {
	a, c := newParties(b, 1)
	a.cfg.Rand, c.cfg.Rand = nil, nil
	b.Run("caller-start", func(b *testing.B) {
		for b.Loop() {
			caller, _ := NewCaller(a.cfg)
			caller.Start()
		}
	})
	caller, _ := NewCaller(a.cfg)
	m1, _ := caller.Start()
	b.Run("callee-respond", func(b *testing.B) {
		for b.Loop() {
			callee, _ := NewCallee(c.cfg)
			if _, err := callee.Respond(m1); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchSeal(b *testing.B, size int) {
	sa, _ := sessions(b)
	msg := make([]byte, size)
	buf := make([]byte, 0, size+EnvelopeOverhead)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sa.Seal(buf[:0], msg); err != nil {
			b.Fatal(err)
		}
	}
}

func benchOpen(b *testing.B, size int) {
	sa, sb := sessions(b)
	msg := make([]byte, size)
	envs := make([][]byte, 0, 1<<12)
	out := make([]byte, 0, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(envs) { // pre-seal a batch outside the timer
			b.StopTimer()
			envs = envs[:0]
			for range cap(envs) {
				e, _ := sa.Seal(nil, msg)
				envs = append(envs, e)
			}
			i = 0
			b.StartTimer()
		}
		if _, err := sb.Open(out[:0], envs[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkSeal64(b *testing.B)  { benchSeal(b, 64) }
func BenchmarkSeal1K(b *testing.B)  { benchSeal(b, 1024) }
func BenchmarkSeal16K(b *testing.B) { benchSeal(b, 16<<10) }
func BenchmarkOpen64(b *testing.B)  { benchOpen(b, 64) }
func BenchmarkOpen1K(b *testing.B)  { benchOpen(b, 1024) }
func BenchmarkOpen16K(b *testing.B) { benchOpen(b, 16<<10) }
