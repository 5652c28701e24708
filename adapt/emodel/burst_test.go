package emodel

import (
	"errors"
	"math"
	"testing"
)

func TestBurstRatio(t *testing.T) {
	// Gilbert model with p = 0.01, q = 0.5: loss p/(p+q) ≈ 1.96 %, mean burst 2 packets.
	b, err := BurstRatioMarkov(0.01, 0.5)
	if err != nil || !near(b, 1/0.51, 1e-12) {
		t.Errorf("BurstRatioMarkov(0.01, 0.5) = %v, %v", b, err)
	}
	b2, err := BurstRatioFromBursts(0.01/0.51, 2)
	if err != nil || !near(b2, b, 1e-12) {
		t.Errorf("BurstRatioFromBursts = %v, %v; want %v as for the Markov model", b2, err, b)
	}
	// Random loss: p + q = 1 gives 1; so does mean burst 1/(1 − loss).
	if b, _ := BurstRatioMarkov(0.1, 0.9); !near(b, 1, 1e-12) {
		t.Errorf("random Markov: %v", b)
	}
	if b, _ := BurstRatioFromBursts(0.2, 1.25); !near(b, 1, 1e-12) {
		t.Errorf("random bursts: %v", b)
	}
	// Less bursty than random is clamped to 1.
	if b, _ := BurstRatioMarkov(0.9, 0.9); b != 1 {
		t.Errorf("anti-bursty Markov: %v", b)
	}
	if b, _ := BurstRatioFromBursts(0.5, 1); b != 1 {
		t.Errorf("anti-bursty: %v", b)
	}
	if b, err := BurstRatioFromBursts(0, math.NaN()); b != 1 || err != nil {
		t.Errorf("no loss: %v, %v", b, err)
	}
	// Errors.
	for _, pq := range [][2]float64{{0, 0}, {-0.1, 0.5}, {0.1, 1.5}, {math.NaN(), 0.5}} {
		if _, err := BurstRatioMarkov(pq[0], pq[1]); !errors.Is(err, ErrBurstRatio) {
			t.Errorf("BurstRatioMarkov(%v, %v): %v", pq[0], pq[1], err)
		}
	}
	for _, c := range []struct {
		loss, burst float64
		want        error
	}{{1, 2, ErrLoss}, {-0.1, 2, ErrLoss}, {math.NaN(), 2, ErrLoss}, {0.1, 0.5, ErrBurstRatio},
		{0.1, math.Inf(1), ErrBurstRatio}} {
		if _, err := BurstRatioFromBursts(c.loss, c.burst); !errors.Is(err, c.want) {
			t.Errorf("BurstRatioFromBursts(%v, %v): %v, want %v", c.loss, c.burst, err, c.want)
		}
	}
}

func TestPostBufferLoss(t *testing.T) {
	l, err := PostBufferLoss(0.05, 0.02, 0.03)
	if err != nil || !near(l, 0.04, 1e-12) {
		t.Errorf("PostBufferLoss(5 %%, 2 %%, 3 %%) = %v, %v; want 0.04", l, err)
	}
	for _, c := range [][3]float64{
		{0.01, 0, 0.02}, {0.7, 0.7, 0}, {-0.1, 0, 0}, {0, 1.1, 0}, {0, 0, math.NaN()},
	} {
		if _, err := PostBufferLoss(c[0], c[1], c[2]); !errors.Is(err, ErrLoss) {
			t.Errorf("PostBufferLoss%v: %v, want ErrLoss", c, err)
		}
	}
}
