package jitter

import (
	"testing"
	"time"

	"github.com/parley-voice/parley/codec"
	"github.com/parley-voice/parley/internal/netem"
)

// netemDelay sends packets before switchAt through link a and the rest through link b.
func netemDelay(t testing.TB, a, b netem.LinkConfig, switchAt time.Duration, seed uint64) func(int, time.Duration) (time.Duration, bool) {
	t.Helper()
	la, err := netem.NewLink(a, seed)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := netem.NewLink(b, seed+1)
	if err != nil {
		t.Fatal(err)
	}
	return func(_ int, at time.Duration) (time.Duration, bool) {
		l := la
		if at >= switchAt {
			l = lb
		}
		d := l.Send(at, 120)
		return d.At - at, d.Dropped
	}
}

func TestJitterAdaptsUpAndDown(t *testing.T) {
	s := loadSpeech(t)
	speech := append(append(append([]float32(nil), s...), s...), s...)[:26*rtpClockHz]
	tx := encode(t, speech, codec.DefaultSettings(), 0)
	jittery := netem.LinkConfig{Delay: netem.DelayConfig{Base: 30 * time.Millisecond, Jitter: 30 * time.Millisecond}}
	calm := netem.LinkConfig{Delay: netem.DelayConfig{Base: 30 * time.Millisecond}}
	const switchAt = 8 * time.Second
	rx := deliver(tx, netemDelay(t, jittery, calm, switchAt, 7))
	b := newBuffer(t, Config{FEC: true})
	tr := run(t, b, rx, 27*time.Second)

	at := func(d time.Duration) Stats { return tr.stats[int(d/(10*time.Millisecond))] }
	var maxTarget time.Duration
	for _, s := range tr.stats[:int(switchAt/(10*time.Millisecond))] {
		maxTarget = max(maxTarget, s.TargetDelay)
	}
	jitterPhase := meanDelayBetween(at(3*time.Second), at(switchAt))
	calmPhase := meanDelayBetween(at(22*time.Second), at(26*time.Second))
	endJ, end := at(switchAt), at(26*time.Second)
	lateFrac := float64(endJ.PacketsDiscarded) / float64(endJ.PacketsReceived)
	t.Logf("jitter phase: max target %v, mean delay %v, late %d/%d (%.2f%%), concealed %d samples in %d events",
		maxTarget, jitterPhase, endJ.PacketsDiscarded, endJ.PacketsReceived, 100*lateFrac, endJ.ConcealedSamples, endJ.ConcealmentEvents)
	t.Logf("calm phase: target %v, mean delay %v (22-26 s); removed %d inserted %d samples", end.TargetDelay, calmPhase, end.RemovedSamplesForAcceleration, end.InsertedSamplesForDeceleration)
	if maxTarget < 50*time.Millisecond {
		t.Errorf("target peaked at %v under 30 ms jitter, want it to rise above 50 ms", maxTarget)
	}
	if lateFrac > 0.02 {
		t.Errorf("late loss %.2f%%, want < 2%%", 100*lateFrac)
	}
	// Back at the 20 ms target the margin may sit up to accelBand (30 ms) above it, and a
	// sample waits half a frame on average beyond the margin: at most 60 ms.
	if calmPhase > jitterPhase-20*time.Millisecond || calmPhase > 20*time.Millisecond+accelBand+10*time.Millisecond {
		t.Errorf("delay did not fall when the jitter stopped: %v during jitter, %v after", jitterPhase, calmPhase)
	}
	if end.RemovedSamplesForAcceleration == 0 {
		t.Errorf("no acceleration")
	}
}

func TestClockDriftIsAbsorbed(t *testing.T) {
	s := loadSpeech(t)
	speech := append(append([]float32(nil), s...), s...)[:20*rtpClockHz]
	tx := encode(t, speech, codec.DefaultSettings(), 0)
	// The sender's clock 0.2 % fast or slow: real sound cards drift ~100 ppm, this puts 40 ms of
	// drift into 20 s, beyond the 30 ms (accelBand) the margin may rise before the buffer accelerates.
	for _, ppm := range []float64{-2000, 2000} {
		rx := deliver(tx, func(_ int, at time.Duration) (time.Duration, bool) {
			return 30*time.Millisecond + time.Duration(float64(at)*ppm/1e6), false
		})
		b := newBuffer(t, Config{})
		tr := run(t, b, rx, 21*time.Second)
		end := tr.stats[int(20*time.Second/(10*time.Millisecond))]
		late := meanDelayBetween(tr.stats[int(15*time.Second/(10*time.Millisecond))], end)
		t.Logf("%+.0f ppm: removed %d inserted %d samples, concealed %d, mean delay 15-20 s %v, target %v",
			ppm, end.RemovedSamplesForAcceleration, end.InsertedSamplesForDeceleration, end.ConcealedSamples, late, end.TargetDelay)
		// At ±5000 ppm (far beyond real clocks) the slow-sender case also stalls: 80 ms of
		// concealment in 20 s, as the 2 s minimum window lags the drift.
		// Target 20 ms, margin within [target−5, target+accelBand] ms, plus half a frame.
		if late > 20*time.Millisecond+accelBand+10*time.Millisecond || end.ConcealedSamples != 0 || end.RemovedSamplesForAcceleration+end.InsertedSamplesForDeceleration < 480 {
			t.Errorf("%+.0f ppm drift: mean delay %v, concealed %d", ppm, late, end.ConcealedSamples)
		}
	}
}
