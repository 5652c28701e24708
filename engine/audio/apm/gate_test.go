package apm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gateRun feeds n 10 ms frames of gen to a fresh gate and returns its verdicts.
func gateRun(g *noiseGate, n int, gen func(i int) float32, from int) []bool {
	out := make([]bool, n)
	frame := make([]float32, 480)
	for f := range n {
		for i := range frame {
			frame[i] = gen((from+f)*480 + i)
		}
		out[f] = g.update(frame)
	}
	return out
}

func TestNoiseGate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := func(dBFS float64) func(int) float32 {
		a := math.Pow(10, dBFS/20)
		return func(int) float32 { return float32(a * rng.NormFloat64()) }
	}
	// Syllables: 200 ms of a 300 Hz tone at about -23 dBFS, then 200 ms of pause.
	talk := func(i int) float32 {
		if (i/9600)%2 == 1 {
			return 0
		}
		return float32(0.1 * math.Sin(2*math.Pi*300*float64(i)/48000))
	}
	sum := func(a, b func(int) float32) func(int) float32 { return func(i int) float32 { return a(i) + b(i) } }

	// Speech over a noise floor 70 dB down: suppression never runs.
	var g noiseGate
	for f, on := range gateRun(&g, 600, sum(talk, noise(-93)), 0) {
		if on {
			t.Fatalf("clean speech: suppression on at frame %d (spread %.1f dB)", f, g.spreadDB)
		}
	}
	// Speech over noise 10 dB down: on from the early verdict (0.5 s) and on at the end.
	g = noiseGate{}
	v := gateRun(&g, 600, sum(talk, noise(-33)), 0)
	if !v[gateEarly-1] || !v[len(v)-1] {
		t.Errorf("noisy speech: suppression at 0.5 s %v, at 6 s %v (spread %.1f dB)", v[gateEarly-1], v[len(v)-1], g.spreadDB)
	}
	// Clean for 4 s, then noise 10 dB down: on within the window plus the hold (3.3 s).
	g = noiseGate{}
	gateRun(&g, 400, sum(talk, noise(-93)), 0)
	v = gateRun(&g, 340, sum(talk, noise(-33)), 400)
	if !v[len(v)-1] {
		t.Errorf("noise from 4 s on: suppression still off at 7.4 s (spread %.1f dB)", g.spreadDB)
	}
	// And back: 4 s of noise, then clean again: off within 3.3 s.
	v = gateRun(&g, 340, sum(talk, noise(-93)), 740)
	if v[len(v)-1] {
		t.Errorf("clean again: suppression still on after 3.4 s (spread %.1f dB)", g.spreadDB)
	}
}
